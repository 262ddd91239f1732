"""Views of a typed graph (`HeteroGraph.to_homogeneous()`) that heterogeneous layers share, each
computed once per graph and cached on it: one sub-graph per edge type, the rows of each node type,
and metapath-reachable graphs.

A metapath P = (r_1, ..., r_L) is a sequence of edge types whose node types chain (the destination
type of r_k is the source type of r_{k+1}). Its reachability matrix over the typed graph is

    M_P = [ A_{r_1} A_{r_2} ... A_{r_L} > 0 ],   A_r[j, i] = 1 iff a link j -> i of type r exists,

so M_P[j, i] = 1 iff some path j -r_1-> . -r_2-> ... -r_L-> i exists (DGL's
`metapath_reachable_graph`). A step may also be "every link from node type U to node type V" (the
default metapaths of `HAN`, written U-V-U by node types).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch

from cogdl.data.graph import Graph
from cogdl.errors import ConfigError


def relation_graphs(graph: Graph) -> list[Graph]:
    """One `Graph` per edge type of a typed graph (same nodes), cached on the graph."""

    def compute():
        out = []
        for r in range(graph.num_edge_types):
            keep = graph.edge_type == r
            out.append(Graph.from_coo(graph.row[keep], graph.col[keep], graph.num_nodes, coalesce=False))
        return out

    return graph.cached("relation_graphs", compute)


def type_rows(graph: Graph, num_node_types: int) -> list[torch.Tensor]:
    """`[rows of type t for t in range(num_node_types)]`, the global ids of each node type."""
    return graph.cached(f"type_rows_{num_node_types}", lambda: [
        torch.nonzero(graph.node_type == t).squeeze(1) for t in range(num_node_types)])


def parse_metapaths(text: str, where: str) -> tuple[tuple[int, ...], ...]:
    """`"0-3,0-1-4-3"` -> `((0, 3), (0, 1, 4, 3))`: metapaths as edge-type ids; "" -> `()`."""
    if not text.strip():
        return ()
    paths = []
    for item in text.split(","):
        try:
            path = tuple(int(r) for r in item.strip().split("-"))
        except ValueError:
            raise ConfigError(f"{where}: {item.strip()!r} is not a metapath: write edge-type ids joined by '-', "
                              f"metapaths separated by ',' (e.g. 0-3,0-1-4-3)") from None
        if any(r < 0 for r in path):
            raise ConfigError(f"{where}: metapath {item.strip()!r} holds a negative edge type")
        paths.append(path)
    return tuple(paths)


def _step_matrix(graph: Graph, keep: torch.Tensor) -> sp.csr_matrix:
    """The `[N, N]` 0/1 matrix (rows = sources) of the kept links."""
    n = graph.num_nodes
    src, dst = graph.col[keep].cpu().numpy(), graph.row[keep].cpu().numpy()
    return sp.csr_matrix((np.ones(src.size, dtype=np.float32), (src, dst)), shape=(n, n))


def graph_schema(graph: Graph) -> tuple[tuple[int, int, int], ...]:
    """`(edge type, source type, destination type)` of the graph's links, self loops excluded,
    once each and sorted (`ModelSizes.schema`)."""

    def compute():
        keep = graph.row != graph.col
        triples = torch.stack([graph.edge_type[keep], graph.node_type[graph.col[keep]],
                               graph.node_type[graph.row[keep]]], 1)
        return tuple(tuple(int(v) for v in t) for t in torch.unique(triples, dim=0).tolist())

    return graph.cached("schema", compute)


def check_metapath(schema, path: tuple[int, ...], target_type: int, where: str) -> None:
    """A ConfigError unless `path`'s edge types exist in `schema`, chain, and start and end at
    `target_type`."""
    ends = {r: (s, d) for r, s, d in schema}
    name = "-".join(map(str, path))
    current = target_type
    for r in path:
        if r not in ends:
            raise ConfigError(f"{where}: metapath {name}: the graph has no links of edge type {r} "
                              f"(it has {', '.join(map(str, sorted(ends)))})")
        if ends[r][0] != current:
            raise ConfigError(f"{where}: metapath {name}: edge type {r} leaves node type {ends[r][0]}, "
                              f"but the path is at node type {current}")
        current = ends[r][1]
    if current != target_type:
        raise ConfigError(f"{where}: metapath {name} ends at node type {current}, not at the target type {target_type}")


def type_metapath_neighbours(schema, target_type: int) -> list[int]:
    """The node types U of the default metapaths of target type T: T itself when T links to
    itself, and every other U that T links to and back from (ascending)."""
    pairs = {(s, d) for _, s, d in schema}
    return [u for u in sorted({d for s, d in pairs if s == target_type})
            if u == target_type or (u, target_type) in pairs]


def metapath_graph(graph: Graph, path: tuple[int, ...], target_rows: torch.Tensor) -> Graph:
    """The graph of `M_P` restricted to `target_rows` (renumbered 0..T-1): node i aggregates from
    every j with M_P[j, i] = 1. Cached on `graph`."""
    return graph.cached(f"metapath_{'-'.join(map(str, path))}", lambda: _restricted(
        _reach(graph, [graph.edge_type == r for r in path]), target_rows))


def type_metapath_graph(graph: Graph, target_type: int, other: int, target_rows: torch.Tensor) -> Graph:
    """The default metapath T-U-T (or T-T when U = T) over all links between the two node types,
    self loops excluded, restricted to `target_rows`. Cached on `graph`."""

    def compute():
        not_loop = graph.row != graph.col
        src_types, dst_types = graph.node_type[graph.col], graph.node_type[graph.row]
        steps = [not_loop & (src_types == target_type) & (dst_types == other)]
        if other != target_type:
            steps.append(not_loop & (src_types == other) & (dst_types == target_type))
        return _restricted(_reach(graph, steps), target_rows)

    return graph.cached(f"type_metapath_{target_type}_{other}", compute)


def _reach(graph: Graph, steps: list[torch.Tensor]) -> sp.csr_matrix:
    """`[A_1 A_2 ... A_L > 0]` for the links each step keeps (`[E]` masks), rows = sources."""
    reach = None
    for keep in steps:
        step = _step_matrix(graph, keep)
        reach = step if reach is None else reach @ step
        reach.data[:] = 1.0
    return reach


def _restricted(reach: sp.csr_matrix, rows: torch.Tensor) -> Graph:
    index = rows.cpu().numpy()
    sub = reach[index][:, index].tocoo()
    device = rows.device
    return Graph.from_coo(torch.from_numpy(sub.col).long().to(device), torch.from_numpy(sub.row).long().to(device),
                          index.size)
