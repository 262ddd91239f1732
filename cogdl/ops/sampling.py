"""Neighbour sampling on a CSR graph: the per-layer bipartite blocks of GraphSAGE's mini-batches.

"Inductive Representation Learning on Large Graphs", Hamilton, Ying & Leskovec, NeurIPS 2017,
Algorithm 2: to compute the output of a batch of seed nodes, hop k keeps, for each node of the
previous hop's frontier, `fanouts[k]` of its incoming edges drawn uniformly (all of them where it
has no more; `replace` draws `fanouts[k]` times independently instead), and the next frontier is
the frontier plus the sources drawn. A fan-out of -1 keeps every edge (exact layer-wise inference).

Each hop is a `RowBlock`: a rectangular graph whose rows are the frontier (`rows_in_inputs` =
0..R-1: the frontier comes first among the inputs) and whose columns are the hop's inputs, with
`input_nodes` their node ids, the sampled edges' weights, and `scale` = d_i / s_i per row (the
row's in-degree over the edges kept), by which a sum over the kept edges is an unbiased estimate
of the sum over all (Horvitz-Thompson; uniform sampling keeps each edge with probability s_i/d_i).

Two implementations of one hop, with the same contract and the same rules of relabelling:
- the `cpu` kernel (`csrc/sampling.cpp`): rows in parallel, each with a counter-based generator
  seeded by (seed, row), so a batch is the same for any number of threads;
- `sample_hop_reference`: pure PyTorch, random keys sorted within rows; the reference the kernel
  is tested against (inclusion frequencies) and the fallback where the kernel cannot be built.
  The two draw different edges for one seed.
"""

from __future__ import annotations

import warnings

import torch

from cogdl.data.graph import Graph, RowBlock, concat_ranges
from cogdl.errors import ConfigError

BACKENDS = ("cpu", "reference")


def sample_hop(rowptr: torch.Tensor, col: torch.Tensor, nodes: torch.Tensor, fanout: int, replace: bool = False,
               seed: int = 0, backend: str = "cpu", positions: torch.Tensor | None = None):
    """One hop from the distinct `nodes` (see the module docstring).

    Returns `(rowptr [R + 1], local column of each kept edge, input node ids, kept edge ids)`;
    `positions`, an `[N]` int64 buffer of -1 reused across calls (the kernel's map from node ids to
    input positions), saves allocating one per hop.
    """
    if backend == "cpu":
        try:
            from cogdl.ops import cpu

            if positions is None:
                positions = torch.full((rowptr.numel() - 1,), -1, dtype=torch.long)
            return cpu.sample_hop(rowptr, col, nodes, int(fanout), bool(replace), int(seed), positions)
        except (OSError, RuntimeError, ImportError) as exc:
            if "listed twice" in str(exc):
                raise ValueError(f"sample_hop: {str(exc).splitlines()[0]}") from None
            warnings.warn(f"cogdl.ops.sampling: the cpu kernel is unavailable ({str(exc).splitlines()[0][:300]}); "
                          "using the reference", RuntimeWarning, stacklevel=2)
    elif backend != "reference":
        raise ConfigError(f"sampling backend {backend!r}: expected one of {', '.join(BACKENDS)}")
    return sample_hop_reference(rowptr, col, nodes, fanout, replace, seed)


def sample_hop_reference(rowptr: torch.Tensor, col: torch.Tensor, nodes: torch.Tensor, fanout: int,
                         replace: bool = False, seed: int = 0):
    """`sample_hop` in pure PyTorch: without replacement, each row's edges ordered by random keys
    and the first `fanout` kept (every subset of that size equally likely); with it, uniform draws."""
    if torch.unique(nodes).numel() != nodes.numel():
        raise ValueError("sample_hop: a node is listed twice")
    generator = torch.Generator().manual_seed(seed)
    degree = rowptr[nodes + 1] - rowptr[nodes]
    if fanout < 0:
        take = degree
    elif replace:
        take = torch.where(degree > 0, torch.full_like(degree, fanout), degree)
    else:
        take = degree.clamp(max=fanout)
    rows = torch.repeat_interleave(torch.arange(nodes.numel()), take)
    if fanout < 0 or not replace:
        edges = concat_ranges(rowptr[nodes], degree)
        edge_rows = torch.repeat_interleave(torch.arange(nodes.numel()), degree)
        keys = torch.rand(edges.numel(), generator=generator, dtype=torch.float64) + edge_rows
        order = torch.argsort(keys)  # rows stay in order, shuffled within each row
        rank = torch.arange(edges.numel()) - torch.repeat_interleave(torch.cumsum(degree, 0) - degree, degree)
        edges = edges[order][rank < torch.repeat_interleave(take, degree)]
    else:
        offsets = (torch.rand(rows.numel(), generator=generator, dtype=torch.float64) * degree[rows]).long()
        edges = rowptr[nodes][rows] + offsets.clamp(max=degree[rows] - 1)
    sources = col[edges]
    candidates = torch.cat([nodes, sources])
    unique, inverse = torch.unique(candidates, return_inverse=True)
    first = torch.full((unique.numel(),), candidates.numel(), dtype=torch.long)
    first.scatter_reduce_(0, inverse, torch.arange(candidates.numel()), reduce="amin")
    order = torch.argsort(first)  # inputs in order of first appearance: the nodes, then new sources
    position = torch.empty_like(order)
    position[order] = torch.arange(order.numel())
    out_rowptr = torch.zeros(nodes.numel() + 1, dtype=torch.long)
    torch.cumsum(take, 0, out=out_rowptr[1:])
    return out_rowptr, position[inverse[nodes.numel():]], unique[order], edges


def hop_seed(seed: int, hop: int) -> int:
    """The generator seed of hop `hop` of a batch drawn with `seed`."""
    return (seed * 1_000_003 + hop) % (2 ** 62)


def sample_blocks(graph: Graph, seeds: torch.Tensor, fanouts, replace: bool = False, seed: int = 0,
                  backend: str = "cpu", positions: torch.Tensor | None = None) -> list[RowBlock]:
    """The blocks that compute the outputs of the distinct `seeds`, one per layer, first layer first:
    hop k (from the seeds) draws `fanouts[k]` edges per row, and is block `len(fanouts) - 1 - k`."""
    nodes, blocks = seeds.long(), []
    for hop, fanout in enumerate(fanouts):
        rowptr, local, inputs, edges = sample_hop(graph.rowptr, graph.col, nodes, fanout, replace,
                                                  hop_seed(seed, hop), backend, positions)
        degree = graph.rowptr[nodes + 1] - graph.rowptr[nodes]
        scale = degree.to(torch.float32) / rowptr.diff().clamp(min=1).to(torch.float32)
        weight = None if graph.edge_weight is None else graph.edge_weight[edges]
        block_graph = Graph(rowptr, local, weight, num_cols=inputs.numel())
        blocks.insert(0, RowBlock(block_graph, torch.arange(nodes.numel()), scale=scale, input_nodes=inputs))
        nodes = inputs
    return blocks
