"""Random walks on a CSR graph: DeepWalk's uniform walks and node2vec's second-order biased walks.

node2vec (Grover & Leskovec, KDD 2016, sec. 3.2.2): having stepped t -> v, the walk moves to a
neighbour x of v with probability proportional to
    alpha_pq(t, x) * w_vx,   alpha_pq(t, x) = 1/p  if x = t,   1  if x is a neighbour of t,   1/q  otherwise;
p = q = 1 is a first-order walk, and with every w_vx = 1 (`edge_weight=None`) DeepWalk's uniform
walk (Perozzi et al., KDD 2014).

Two implementations with the same contract, seeded and reproducible:
- the `cpu` kernel (`csrc/walks.cpp`): one thread per batch of walks, rejection sampling,
  a counter-based generator per walk (the same walks for any number of threads);
- `random_walks_reference`: pure PyTorch, all walks stepping together, each step an exact draw
  from the normalised alpha_pq over the current node's neighbours. It is the reference the
  kernel is tested against (the transition frequencies of both match alpha_pq) and the fallback
  where the kernel cannot be built. The two draw different walks for one seed.
"""

from __future__ import annotations

import warnings

import torch

from cogdl.data.graph import concat_ranges
from cogdl.errors import ConfigError


def random_walks(rowptr: torch.Tensor, col: torch.Tensor, starts: torch.Tensor, length: int, p: float = 1.0,
                 q: float = 1.0, seed: int = 0, backend: str = "cpu",
                 edge_weight: torch.Tensor | None = None) -> torch.Tensor:
    """`[W, length]` int64 walks from `starts` (column 0 is the start; -1 after a node without
    neighbours) on the CSR graph `(rowptr, col)`, whose rows must list their columns sorted.

    Args:
        edge_weight: `[E]` positive weights w_vx of the steps (None: all 1).
        p: return parameter; q: in-out parameter (node2vec); p = q = 1 walks uniformly.
        seed: the walks are a function of (graph, starts, length, p, q, seed).
        backend: `cpu` (the C++ kernel; the reference, with a warning, if it cannot be built) or
            `reference`.
    """
    if p <= 0 or q <= 0:
        raise ConfigError(f"random walks need p > 0 and q > 0, found p={p}, q={q}")
    if length < 1:
        raise ConfigError(f"walk length must be at least 1, found {length}")
    rowptr, col, starts = rowptr.long().cpu(), col.long().cpu(), starts.long().cpu()
    if edge_weight is not None and bool((edge_weight <= 0).any()):
        raise ConfigError("random walks need positive edge weights")
    if backend == "cpu":
        try:
            from cogdl.ops import cpu

            cumulative = (torch.zeros(0, dtype=torch.float64) if edge_weight is None else
                          torch.cat([torch.zeros(1, dtype=torch.float64), torch.cumsum(edge_weight.double().cpu(), 0)]))
            return cpu.random_walks(rowptr, col, starts, cumulative, length, float(p), float(q), int(seed))
        except (OSError, RuntimeError, ImportError) as exc:
            warnings.warn(f"cogdl.ops.walks: the cpu kernel is unavailable ({str(exc).splitlines()[0][:300]}); "
                          "using the reference", RuntimeWarning, stacklevel=2)
    elif backend != "reference":
        raise ConfigError(f"random walk backend {backend!r}: expected cpu or reference")
    return random_walks_reference(rowptr, col, starts, length, p, q, seed, edge_weight=edge_weight)


def random_walks_reference(rowptr: torch.Tensor, col: torch.Tensor, starts: torch.Tensor, length: int,
                           p: float = 1.0, q: float = 1.0, seed: int = 0, chunk: int = 4096,
                           edge_weight: torch.Tensor | None = None) -> torch.Tensor:
    """Exact-draw walks in pure PyTorch, `chunk` walks at a time (see the module docstring)."""
    generator = torch.Generator().manual_seed(seed)
    num_nodes = rowptr.numel() - 1
    edge_keys = torch.repeat_interleave(torch.arange(num_nodes), rowptr.diff()) * num_nodes + col  # sorted
    walks = torch.full((starts.numel(), length), -1, dtype=torch.long)
    for begin in range(0, starts.numel(), chunk):
        block = walks[begin:begin + chunk]
        block[:, 0] = starts[begin:begin + chunk]
        alive = torch.arange(block.shape[0])
        prev = torch.full((block.shape[0],), -1, dtype=torch.long)
        for k in range(1, length):
            cur = block[alive, k - 1]
            degree = rowptr[cur + 1] - rowptr[cur]
            keep = degree > 0
            alive, cur, degree, prev = alive[keep], cur[keep], degree[keep], prev[keep]
            if alive.numel() == 0:
                break
            edges = concat_ranges(rowptr[cur], degree)
            candidates = col[edges]
            owner_prev = torch.repeat_interleave(prev, degree)
            weight = (torch.ones(candidates.numel(), dtype=torch.float64) if edge_weight is None
                      else edge_weight[edges].double())
            if (p != 1.0 or q != 1.0) and k > 1:
                query = owner_prev * num_nodes + candidates
                at = torch.searchsorted(edge_keys, query).clamp(max=edge_keys.numel() - 1)
                near = edge_keys[at] == query
                weight = weight * torch.where(candidates == owner_prev, 1.0 / p,
                                              torch.where(near, 1.0, 1.0 / q)).to(torch.float64)
            total = torch.cumsum(weight, 0)
            segment_end = torch.cumsum(degree, 0) - 1
            segment_start_mass = total[segment_end] - torch.zeros_like(total[segment_end]).index_add_(
                0, torch.repeat_interleave(torch.arange(degree.numel()), degree), weight)
            mass = total[segment_end] - segment_start_mass
            target = segment_start_mass + torch.rand(degree.numel(), generator=generator, dtype=torch.float64) * mass
            chosen = torch.searchsorted(total, target, right=True)
            chosen = torch.minimum(chosen, segment_end)
            block[alive, k] = candidates[chosen]
            prev = cur
    return walks
