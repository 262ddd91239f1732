"""Many small graphs (graph classification) kept as one, and mini-batches of them.

A `GraphCollection` stores every graph of a dataset in one block-diagonal edge list: the nodes of
graph `g` are the global ids `node_ptr[g] .. node_ptr[g+1] - 1`, its edges are rows
`edge_ptr[g] .. edge_ptr[g+1] - 1` of `(src, dst)`. `batch(ids)` cuts the chosen graphs out and
renumbers them into one `Graph` (the disjoint union, in the order of `ids`), with
`graph_index[i]` = the position in `ids` of the graph node `i` belongs to, for pooling.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from cogdl.data.graph import Graph, concat_ranges


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
        graph = Graph(self.graph.rowptr.to(device), self.graph.col.to(device), x=self.graph.x.to(device))
        return GraphBatch(graph, self.graph_index.to(device), self.y.to(device))


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

    def batch(self, ids: torch.Tensor) -> GraphBatch:
        """The graphs `ids` as one renumbered `Graph` with their features (a `GraphBatch`)."""
        ids = torch.as_tensor(ids, dtype=torch.long)
        node_counts, edge_counts = self.num_nodes()[ids], self.edge_ptr.diff()[ids]
        nodes = concat_ranges(self.node_ptr[ids], node_counts)
        edges = concat_ranges(self.edge_ptr[ids], edge_counts)
        # global id -> batch id: subtract the graph's old offset, add its new one
        new_offset = torch.cumsum(node_counts, 0) - node_counts
        shift = torch.repeat_interleave(new_offset - self.node_ptr[ids], edge_counts)
        graph = Graph.from_coo(self.dst[edges] + shift, self.src[edges] + shift, int(node_counts.sum()),
                               coalesce=False, x=self.x[nodes])
        graph_index = torch.repeat_interleave(torch.arange(ids.numel()), node_counts)
        return GraphBatch(graph, graph_index, self.y[ids])


def iterate_batches(num_graphs_or_ids, batch_size: int, generator: torch.Generator | None = None):
    """Mini-batches of graph ids: shuffled with `generator` when given, else in order."""
    ids = num_graphs_or_ids if torch.is_tensor(num_graphs_or_ids) else torch.arange(num_graphs_or_ids)
    if generator is not None:
        ids = ids[torch.randperm(ids.numel(), generator=generator)]
    return [ids[k:k + batch_size] for k in range(0, ids.numel(), batch_size)]
