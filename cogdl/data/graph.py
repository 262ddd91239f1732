"""`Graph`: a homogeneous graph stored CSR-first.

Row `i` of the CSR holds the incoming edges of destination node `i`: `col[rowptr[i]:rowptr[i+1]]`
are its source nodes. Derived forms (COO row vector, the self-loop graph, GCN weights) are computed
once and cached on the graph, so every layer of every epoch reuses them.
A graph is square (sources and destinations are the same nodes) unless made by `row_block`: some
destination rows of a graph with their edges, the sources numbered among a chosen set of inputs.
That is what a layer needs when only some of its output rows are wanted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

#: extra attributes of a graph made by `HeteroGraph.to_homogeneous()`, kept by `Graph.to`
TYPED_FIELDS = ("node_type", "edge_type", "num_edge_types")


def csr_from_coo(dst: torch.Tensor, src: torch.Tensor, num_nodes: int, edge_weight=None, coalesce: bool = True,
                 num_cols: int | None = None):
    """Sort entries by (dst, src) into CSR with `num_nodes` rows (and `num_cols` columns, default
    `num_nodes`); `coalesce` drops repeated (dst, src) pairs (first kept)."""
    dst, src = dst.long(), src.long()
    key = dst * (num_nodes if num_cols is None else num_cols) + src
    key, perm = torch.sort(key, stable=True)
    if coalesce and key.numel() > 0:
        keep = torch.ones_like(key, dtype=torch.bool)
        keep[1:] = key[1:] != key[:-1]
        perm = perm[keep]
    dst, src = dst[perm], src[perm]
    rowptr = offsets(torch.bincount(dst, minlength=num_nodes))
    weight = edge_weight[perm] if edge_weight is not None else None
    return rowptr, src, weight


def offsets(counts: torch.Tensor) -> torch.Tensor:
    """`[n + 1]` CSR offsets (int64, on `counts`' device) of rows with `counts` `[n]` entries."""
    rowptr = torch.zeros(counts.numel() + 1, dtype=torch.long, device=counts.device)
    torch.cumsum(counts, 0, out=rowptr[1:])
    return rowptr


def concat_ranges(starts: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
    """The concatenation of `arange(s, s + c)` for each (start, count)."""
    total = int(counts.sum())
    begin = torch.repeat_interleave(starts - (torch.cumsum(counts, 0) - counts), counts)
    return begin + torch.arange(total, device=starts.device)


class Graph:
    """A graph with node features `x`, labels `y`, boolean split masks and CSR adjacency.

    Args:
        rowptr: `[N + 1]` int64 offsets into `col`, rows are destination nodes.
        col: `[E]` source node of each edge.
        edge_weight: optional `[E]` float weights.
        x: optional `[N, F]` node features.
        y: optional `[N]` integer labels (-1 where unknown) or `[N, C]` multi-label targets.
        masks: split name (`"train"`, `"val"`, `"test"`) -> `[N]` bool mask.
        num_cols: number of source nodes `M` of a rectangular graph (default `N`).
    """

    def __init__(self, rowptr, col, edge_weight=None, x=None, y=None, masks=None, num_cols: int | None = None):
        self.rowptr = rowptr
        self.num_cols = self.num_nodes if num_cols is None else num_cols
        self.col = col
        self.edge_weight = edge_weight
        self.x = x
        self.y = y
        self.masks: dict[str, torch.Tensor] = dict(masks or {})
        self._cache: dict[str, object] = {}
        self._deferred: dict[str, Callable[[], object]] = {}

    @classmethod
    def from_coo(cls, dst, src, num_nodes: int, edge_weight=None, coalesce: bool = True, **fields) -> "Graph":
        rowptr, col, weight = csr_from_coo(dst, src, num_nodes, edge_weight, coalesce)
        return cls(rowptr, col, weight, **fields)

    @property
    def num_nodes(self) -> int:
        return self.rowptr.numel() - 1

    @property
    def num_edges(self) -> int:
        return self.col.numel()

    def cached(self, key: str, compute: Callable[[], object]):
        """Return `compute()` computed once per graph under `key` (or the function `defer` gave for it)."""
        if key not in self._cache:
            self._cache[key] = self._deferred.pop(key, compute)()
        return self._cache[key]

    def defer(self, key: str, compute: Callable[[], object]):
        """Compute the entry `key` with `compute` instead, once something first asks for it: for a
        form its maker derives faster than `cached`'s own function would, yet may never be read."""
        self._deferred[key] = compute

    @property
    def row(self) -> torch.Tensor:
        """`[E]` destination node of each edge (the CSR row expanded to COO)."""
        return self.cached("row", lambda: torch.repeat_interleave(
            torch.arange(self.num_nodes, device=self.rowptr.device), self.rowptr.diff()))

    def transposed(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """`(rowptr, col, perm)` of the transpose (rows = source nodes, the CSC of this graph);
        edge `k` of the transpose is edge `perm[k]` of this graph. Used by backward passes."""

        def compute():
            positions = torch.arange(self.num_edges, device=self.col.device)
            return csr_from_coo(self.col, self.row, self.num_cols, positions, coalesce=False, num_cols=self.num_nodes)

        return self.cached("transposed", compute)

    def in_degree(self) -> torch.Tensor:
        return self.rowptr.diff()

    def with_self_loops(self) -> "Graph":
        """The same graph with every self loop removed and exactly one (weight 1) added per node.

        This is what PyG's GCNConv (`add_remaining_self_loops` on unweighted graphs) and GATConv
        (`remove_self_loops` + `add_self_loops`) do, so our layers match theirs.
        """
        return self.cached("self_loops", self._build_self_loops)

    def _build_self_loops(self) -> "Graph":
        n = self.num_nodes
        keep = self.row != self.col
        loops = torch.arange(n, device=self.col.device)
        dst = torch.cat([self.row[keep], loops])
        src = torch.cat([self.col[keep], loops])
        weight = None
        if self.edge_weight is not None:
            weight = torch.cat([self.edge_weight[keep], torch.ones(n, dtype=self.edge_weight.dtype, device=loops.device)])
        rowptr, col, weight = csr_from_coo(dst, src, n, weight, coalesce=False)
        return Graph(rowptr, col, weight)

    def with_node_fields(self, **fields) -> "Graph":
        """A copy with some of `x`, `y`, `masks` replaced. It shares this graph's structure and its
        cache of derived forms (self loops, normalisation), which depend on the structure alone."""
        unknown = set(fields) - {"x", "y", "masks"}
        if unknown:
            raise TypeError(f"with_node_fields: not a node field: {sorted(unknown)}")
        copy = Graph(self.rowptr, self.col, self.edge_weight, fields.get("x", self.x), fields.get("y", self.y),
                     fields.get("masks", self.masks), self.num_cols)
        copy._cache = self._cache
        for name in TYPED_FIELDS:
            if hasattr(self, name):
                setattr(copy, name, getattr(self, name))
        return copy

    def to(self, device) -> "Graph":
        """A copy on `device` (derived forms are recomputed there on first use)."""
        move = lambda t: t.to(device) if t is not None else None  # noqa: E731
        moved = Graph(move(self.rowptr), move(self.col), move(self.edge_weight), move(self.x), move(self.y),
                      {k: move(v) for k, v in self.masks.items()}, self.num_cols)
        for name in TYPED_FIELDS:
            if hasattr(self, name):
                value = getattr(self, name)
                setattr(moved, name, move(value) if isinstance(value, torch.Tensor) else value)
        return moved

    def __repr__(self) -> str:
        feats = None if self.x is None else tuple(self.x.shape)
        return f"Graph(num_nodes={self.num_nodes}, num_edges={self.num_edges}, x={feats})"


def edges_into(graph: Graph, rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """`(counts, edges)`: the in-degree of each of `rows` and the ids of their edges, row by row."""
    counts = graph.rowptr.diff()[rows]
    return counts, concat_ranges(graph.rowptr[rows], counts)


def in_neighbours(graph: Graph, rows: torch.Tensor) -> torch.Tensor:
    """The sorted distinct sources of the edges into `rows`."""
    is_source = torch.zeros(graph.num_cols, dtype=torch.bool, device=rows.device)
    is_source[graph.col[edges_into(graph, rows)[1]]] = True
    return is_source.nonzero().squeeze(1)


@dataclass
class RowBlock:
    """Destination rows of a graph with their incoming edges (`row_block`).

    `graph` is the `[R, M]` rectangular graph whose row `k` is row `rows[k]` of the original, its
    sources numbered among the `M` inputs; `rows_in_inputs` `[R]` is each row's own position
    among the inputs (for a layer's per-destination terms). A block of sampled edges
    (`cogdl.ops.sampling`) also carries `scale` `[R]`, each row's in-degree over the edges it
    kept, and `input_nodes` `[M]`, the node ids of its inputs.
    """

    graph: Graph
    rows_in_inputs: torch.Tensor
    scale: torch.Tensor | None = None
    input_nodes: torch.Tensor | None = None

    def sum_weights(self) -> torch.Tensor | None:
        """Edge weights under which a sum over the block's edges estimates the sum over all the
        edges of its rows without bias: the edge weights (1 where none) times the row's `scale`."""
        weight = self.graph.edge_weight
        if self.scale is None:
            return weight
        scale = self.scale.to(weight.dtype if weight is not None else torch.float32)[self.graph.row]
        return scale if weight is None else weight * scale

    def to(self, device) -> "RowBlock":
        move = lambda t: None if t is None else t.to(device)  # noqa: E731
        return RowBlock(self.graph.to(device), move(self.rows_in_inputs), move(self.scale), move(self.input_nodes))


def row_block(graph: Graph, rows: torch.Tensor, inputs: torch.Tensor | None = None) -> RowBlock:
    """The rows `rows` of square `graph`, with sources renumbered to their positions in `inputs`
    (distinct node ids holding every source of those rows and the rows themselves, e.g.
    `in_neighbours` of a graph with self loops), or left as node ids when `inputs` is None."""
    counts, edges = edges_into(graph, rows)
    col, rows_in_inputs, num_cols = graph.col[edges], rows, graph.num_nodes
    if inputs is not None:
        position = torch.empty(graph.num_cols, dtype=torch.long, device=rows.device)
        position[inputs] = torch.arange(inputs.numel(), device=rows.device)
        col, rows_in_inputs, num_cols = position[col], position[rows], inputs.numel()
    rowptr = offsets(counts)
    weight = None if graph.edge_weight is None else graph.edge_weight[edges]
    return RowBlock(Graph(rowptr, col, weight, num_cols=num_cols), rows_in_inputs)
