"""One catalogue of small hand-made graphs for kernel and layer tests.

Each entry is `(name, dst, src, num_nodes)` with edges `src -> dst` (CSR rows = destinations).
"""

import torch

from cogdl.data import Graph


def _hub(num_leaves: int = 1200):
    leaves = torch.arange(1, num_leaves + 1)
    return leaves.new_zeros(num_leaves), leaves, num_leaves + 1


CATALOGUE = {
    # node 3 has no incoming edge (empty row), node 4 is isolated
    "empty_rows": (torch.tensor([0, 0, 1, 2]), torch.tensor([1, 2, 0, 1]), 5),
    "zero_in_degree": (torch.tensor([1, 2, 3]), torch.tensor([0, 0, 0]), 4),
    # node 0 receives from 1200 leaves: a row of degree > 1000
    "hub": _hub(),
    # sources 0..2 only send, destinations 3..5 only receive
    "bipartite": (torch.tensor([3, 3, 4, 5, 5, 5]), torch.tensor([0, 1, 1, 0, 1, 2]), 6),
    "self_loops_and_repeats": (torch.tensor([0, 0, 1, 1, 2, 2]), torch.tensor([0, 1, 1, 0, 2, 0]), 3),
}


def catalogue_graph(name: str) -> Graph:
    dst, src, n = CATALOGUE[name]
    return Graph.from_coo(dst, src, n, coalesce=False)


def with_index_dtype(graph: Graph, dtype) -> Graph:
    """The same graph with its CSR index tensors in `dtype` (int32 or int64)."""
    return Graph(graph.rowptr.to(dtype), graph.col.to(dtype))


def random_graph(num_nodes: int = 60, num_edges: int = 400, seed: int = 0) -> tuple[Graph, torch.Tensor]:
    """A random directed graph without self loops and its PyG-style `edge_index` (`[src; dst]`)."""
    generator = torch.Generator().manual_seed(seed)
    src = torch.randint(0, num_nodes, (num_edges,), generator=generator)
    dst = torch.randint(0, num_nodes, (num_edges,), generator=generator)
    keep = src != dst
    src, dst = src[keep], dst[keep]
    return Graph.from_coo(dst, src, num_nodes, coalesce=False), torch.stack([src, dst])


def dense_adjacency(graph: Graph, weight=None, dtype=torch.float64) -> torch.Tensor:
    """`A[i, j]` = sum of weights of the edges `j -> i`."""
    weight = torch.ones(graph.num_edges, dtype=dtype) if weight is None else weight.to(dtype)
    dense = torch.zeros(graph.num_nodes, graph.num_nodes, dtype=dtype)
    return dense.index_put_((graph.row, graph.col), weight, accumulate=True)
