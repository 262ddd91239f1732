"""Many small graphs (graph classification) kept as one, and mini-batches of them.

A `GraphCollection` stores every graph of a dataset in one block-diagonal edge list: the nodes of
graph `g` are the global ids `node_ptr[g] .. node_ptr[g+1] - 1`, its edges are rows
`edge_ptr[g] .. edge_ptr[g+1] - 1` of `(src, dst)`. `batch(ids)` cuts the chosen graphs out and
renumbers them into one `Graph` (the disjoint union, in the order of `ids`), with
`graph_index[i]` = the position in `ids` of the graph node `i` belongs to, for pooling.
Each graph's edges are sorted into CSR order (and the transpose's) once per collection
(`EdgeOrder`), so cutting a batch is gathers and a cumsum, with no sort per batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import torch

from cogdl.data.graph import Graph, concat_ranges, offsets


@dataclass
class GraphBatch:
    """A disjoint union of graphs: `graph` (with `x`), `graph_index` `[n]`, targets `y` `[B]`."""

    graph: Graph
    graph_index: torch.Tensor
    y: torch.Tensor

    @property
    def num_graphs(self) -> int:
        return self.y.numel()

    def to(self, device) -> "GraphBatch":
        if self.y.device == torch.device(device):
            return self  # keeps the graph's derived forms (its transpose)
        graph = Graph(self.graph.rowptr.to(device), self.graph.col.to(device), x=self.graph.x.to(device))
        return GraphBatch(graph, self.graph_index.to(device), self.y.to(device))


@dataclass
class EdgeOrder:
    """The edges of a `GraphCollection` in CSR order: graph by graph (edges never cross graphs),
    rows by destination, then source (stable, so parallel edges keep their order).

    Args:
        src, dst: `[E]` global ids of the source and destination of each edge, in that order.
        in_degree, out_degree: `[N]` edges into and out of each node.
        transpose: `[E]` positions in this order of the edges sorted by (source, destination)
            instead, stable: the transpose's CSR order; it also keeps each graph's edges together.
    """

    src: torch.Tensor
    dst: torch.Tensor
    in_degree: torch.Tensor
    out_degree: torch.Tensor
    transpose: torch.Tensor

    @classmethod
    def of(cls, src: torch.Tensor, dst: torch.Tensor, num_nodes: int) -> "EdgeOrder":
        by_dst = torch.sort(dst * num_nodes + src, stable=True)[1]
        src, dst = src[by_dst], dst[by_dst]
        transpose = torch.sort(src * num_nodes + dst, stable=True)[1]
        return cls(src, dst, torch.bincount(dst, minlength=num_nodes), torch.bincount(src, minlength=num_nodes),
                   transpose)


@dataclass
class GraphCollection:
    """Args:
        src, dst: `[E]` global node ids of each edge, grouped by graph (graph `g`'s edges contiguous).
        node_ptr: `[G + 1]` node offsets per graph.
        edge_ptr: `[G + 1]` edge offsets per graph.
        x: `[N, F]` node features.
        y: `[G]` graph labels (0 .. C-1).
    """

    src: torch.Tensor
    dst: torch.Tensor
    node_ptr: torch.Tensor
    edge_ptr: torch.Tensor
    x: torch.Tensor
    y: torch.Tensor

    def __len__(self) -> int:
        return self.y.numel()

    def num_nodes(self) -> torch.Tensor:
        """`[G]` nodes per graph."""
        return self.node_ptr.diff()

    @cached_property
    def edge_order(self) -> EdgeOrder:
        return EdgeOrder.of(self.src.long(), self.dst.long(), self.x.shape[0])

    def batch(self, ids: torch.Tensor) -> GraphBatch:
        """The graphs `ids` as one renumbered `Graph` with their features (a `GraphBatch`).

        The same CSR as `Graph.from_coo(..., coalesce=False)` of the batch's edges, and its
        `transposed()` (computed when first asked for), both cut from `edge_order` without sorting."""
        ids = torch.as_tensor(ids, dtype=torch.long)
        order = self.edge_order
        node_counts, edge_counts = self.num_nodes()[ids], self.edge_ptr.diff()[ids]
        nodes = concat_ranges(self.node_ptr[ids], node_counts)
        edges = concat_ranges(self.edge_ptr[ids], edge_counts)
        # global id -> batch id: subtract the graph's old offset, add its new one (nodes and edges alike)
        node_shift = torch.repeat_interleave(torch.cumsum(node_counts, 0) - node_counts - self.node_ptr[ids], edge_counts)
        graph = Graph(offsets(order.in_degree[nodes]), order.src[edges] + node_shift, x=self.x[nodes])

        def transposed():  # only backward passes through the edges read it
            edge_shift = torch.repeat_interleave(torch.cumsum(edge_counts, 0) - edge_counts - self.edge_ptr[ids],
                                                 edge_counts)
            positions = order.transpose[edges]
            return offsets(order.out_degree[nodes]), order.dst[positions] + node_shift, positions + edge_shift

        graph.defer("transposed", transposed)
        graph_index = torch.repeat_interleave(torch.arange(ids.numel()), node_counts)
        return GraphBatch(graph, graph_index, self.y[ids])


def iterate_batches(num_graphs_or_ids, batch_size: int, generator: torch.Generator | None = None):
    """Mini-batches of graph ids: shuffled with `generator` when given, else in order."""
    ids = num_graphs_or_ids if torch.is_tensor(num_graphs_or_ids) else torch.arange(num_graphs_or_ids)
    if generator is not None:
        ids = ids[torch.randperm(ids.numel(), generator=generator)]
    return [ids[k:k + batch_size] for k in range(0, ids.numel(), batch_size)]
