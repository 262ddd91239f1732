"""`HeteroGraph`: typed nodes with contiguous global ids and typed relations, each in CSR.

Node type `t` owns the global ids `offsets[t] .. offsets[t] + counts[t] - 1` (HGB numbers its
nodes this way). A relation is a link type `(src_type, name, dst_type)` stored as a CSR over
global ids: row `i` holds the sources of the links that end in `i` (rows = destinations, as in
`Graph`). `to_homogeneous()` merges every relation into one `Graph` and keeps `node_type [N]` and
`edge_type [E]` beside it, aligned with the merged CSR.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from cogdl.data.graph import Graph, csr_from_coo


@dataclass
class Relation:
    """One link type: `src -> dst` links with an optional weight per link (global node ids)."""

    id: int
    name: str
    src_type: int
    dst_type: int
    src: torch.Tensor
    dst: torch.Tensor
    weight: torch.Tensor | None = None

    @property
    def num_edges(self) -> int:
        return self.src.numel()


class HeteroGraph:
    """Typed nodes and typed links.

    Args:
        node_type_names: name of each node type, indexed by type id.
        counts: number of nodes of each type; type `t` owns ids `offsets[t] ..` contiguously.
        features: per type, an `[counts[t], F_t]` feature matrix or None (no features given).
        relations: the link types, each with the global ids of its links.
    """

    def __init__(self, node_type_names: list[str], counts: list[int], features: list[torch.Tensor | None],
                 relations: list[Relation]):
        self.node_type_names = list(node_type_names)
        self.counts = list(counts)
        self.offsets = [0]
        for c in self.counts:
            self.offsets.append(self.offsets[-1] + c)
        self.features = list(features)
        self.relations = list(relations)
        self._csr: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}

    @property
    def num_nodes(self) -> int:
        return self.offsets[-1]

    @property
    def num_node_types(self) -> int:
        return len(self.counts)

    def node_type(self) -> torch.Tensor:
        """`[N]` type id of every node."""
        return torch.repeat_interleave(torch.arange(self.num_node_types), torch.tensor(self.counts))

    def type_range(self, node_type: int) -> range:
        return range(self.offsets[node_type], self.offsets[node_type + 1])

    def csr(self, relation_id: int) -> tuple[torch.Tensor, torch.Tensor]:
        """`(rowptr [N + 1], col [E_r])` of one relation (rows = destinations, global ids)."""
        if relation_id not in self._csr:
            rel = self.relation(relation_id)
            rowptr, col, _ = csr_from_coo(rel.dst, rel.src, self.num_nodes)
            self._csr[relation_id] = (rowptr, col)
        return self._csr[relation_id]

    def relation(self, relation_id: int) -> Relation:
        for rel in self.relations:
            if rel.id == relation_id:
                return rel
        raise KeyError(f"no relation with id {relation_id}")

    def to_homogeneous(self, add_reverse: bool = True, self_loops: bool = True) -> Graph:
        """One `Graph` holding every relation, with `node_type` and `edge_type` attributes.

        With `add_reverse`, a link `u -> v` of relation `r` also gives `v -> u` of type `R + 1 + r`
        unless some relation already links `v -> u` (HGB's Simple-HGN graph). With `self_loops`,
        every node gets one self loop of type `R` (existing self links are replaced). A pair linked
        by several relations keeps the lowest type id. `R` is one more than the largest relation id,
        so there are `2R + 1` edge types with both options on.
        """
        num_rel = max((rel.id for rel in self.relations), default=-1) + 1
        src = [rel.src for rel in self.relations]
        dst = [rel.dst for rel in self.relations]
        etype = [torch.full((rel.num_edges,), rel.id, dtype=torch.long) for rel in self.relations]
        if add_reverse:
            src += [rel.dst for rel in self.relations]
            dst += [rel.src for rel in self.relations]
            etype += [torch.full((rel.num_edges,), num_rel + 1 + rel.id, dtype=torch.long) for rel in self.relations]
        src, dst, etype = torch.cat(src).long(), torch.cat(dst).long(), torch.cat(etype)
        if self_loops:
            keep = src != dst
            loops = torch.arange(self.num_nodes)
            src, dst = torch.cat([src[keep], loops]), torch.cat([dst[keep], loops])
            etype = torch.cat([etype[keep], torch.full((self.num_nodes,), num_rel, dtype=torch.long)])
        # forward types (< R) and the self-loop type sort before reverse types, so a pair that a
        # relation links directly keeps that relation's type when coalesced (first kept)
        order = torch.argsort(etype, stable=True)
        rowptr, col, kept_type = csr_from_coo(dst[order], src[order], self.num_nodes, etype[order])
        graph = Graph(rowptr, col)
        graph.node_type = self.node_type()
        graph.edge_type = kept_type
        graph.num_edge_types = 2 * num_rel + 1 if add_reverse else num_rel + int(self_loops)
        return graph

    def __repr__(self) -> str:
        types = ", ".join(f"{n}={c}" for n, c in zip(self.node_type_names, self.counts))
        links = sum(rel.num_edges for rel in self.relations)
        return f"HeteroGraph({types}; {len(self.relations)} relations, {links} links)"
