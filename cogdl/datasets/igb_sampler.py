"""IGB's subgraph sampler: i.i.d. labelled graphs drawn from one large graph by random walks.

"Rethinking the Setting of Semi-supervised Learning on Graphs", Li, Ding et al., IJCAI 2022; the
procedure is that of the official code (THUDM/IGB, `dataset/BaseDataset.py`), written anew here.

One walker moves over the (undirected) source graph; each draw continues from where the last
draw stopped, so the draws form one Markov chain:
1. Walk until `walk_length` distinct undirected edges have been traversed (or the walker is at a
   node without neighbours). `rw`: the next node is a uniform neighbour. `mhrw`: a uniform
   neighbour `v` of `u` is proposed and taken with probability
       min(1, max(min_{w in N(u)} d_w, d_u) / d_v)
   (NOTE: this is the official code's default `mMHRW`; the textbook Metropolis-Hastings walk uses
   d_u / d_v. Lifting d_u to the smallest neighbour degree keeps the walker from stalling at
   nodes whose neighbours are all hubs.) A refused proposal leaves the walker where it is.
2. The candidate graph holds the visited nodes (sorted by source id) and only the traversed
   edges, made bidirected.
3. Its fit to the source is measured by two KL divergences, KL(P_source || P_candidate):
   - nodes: the label distribution, each class + 1e-10;
   - edges: the distribution of unordered label pairs {y_u, y_v} over edges, each pair + 1e-5
     (the upper triangle of the symmetric C x C count matrix, diagonal included).
   NOTE: the official node histogram uses `bins=range(C)`, i.e. C - 1 bins that merge the last
   two classes; we use one bin per class.
4. The candidate is accepted with probability
       min(median(K_node) / kl_node, median(K_edge) / kl_edge) ** accept_rate,
   where K_* hold +inf and the divergences of every graph accepted so far (so the first two
   draws are always accepted); a refused candidate is dropped and the walk goes on.
5. The first `burn_in` accepted graphs only seed K_*; the next `num_graphs` are the dataset.
6. Each graph's nodes get a random split: floor(10%) train, floor(10%) validation, the rest test.

Everything is drawn from one `numpy.random.Generator(PCG64(seed))`, so a seed fixes the result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SAMPLERS = ("rw", "mhrw")
TRAIN_FRACTION = 0.1
VAL_FRACTION = 0.1
NODE_SMOOTHING = 1e-10
EDGE_SMOOTHING = 1e-5
SPLIT_CODES = {"train": 0, "val": 1, "test": 2}
BURN_IN = 5


@dataclass(frozen=True)
class SampledGraph:
    """One accepted subgraph: `nodes` (sorted source ids), `edges` `[2, E]` undirected pairs in local
    ids (each traversed edge once, lower id first), `split` `[n]` codes of `SPLIT_CODES`, and its
    divergences from the source."""

    nodes: np.ndarray
    edges: np.ndarray
    split: np.ndarray
    node_kl: float
    edge_kl: float


class _Uniforms:
    """Uniform [0, 1) numbers drawn from `rng` in blocks (one Python call per block, not per step)."""

    def __init__(self, rng: np.random.Generator, block: int = 8192):
        self.rng, self.block = rng, block
        self.values, self.at = rng.random(block), 0

    def next(self) -> float:
        if self.at == self.block:
            self.values, self.at = self.rng.random(self.block), 0
        self.at += 1
        return float(self.values[self.at - 1])


def label_distribution(labels: np.ndarray, num_classes: int) -> np.ndarray:
    counts = np.bincount(labels, minlength=num_classes).astype(np.float64)
    return counts / counts.sum()


def edge_label_distribution(labels: np.ndarray, edges: np.ndarray, num_classes: int) -> np.ndarray:
    """Distribution of unordered label pairs over undirected `edges` `[2, E]` (each edge once)."""
    low = np.minimum(labels[edges[0]], labels[edges[1]])
    high = np.maximum(labels[edges[0]], labels[edges[1]])
    counts = np.bincount(low * num_classes + high, minlength=num_classes * num_classes).astype(np.float64)
    upper = np.triu_indices(num_classes)
    pairs = counts.reshape(num_classes, num_classes)[upper] + EDGE_SMOOTHING
    return pairs / pairs.sum()


def kl_divergence(p: np.ndarray, q: np.ndarray) -> float:
    """KL(p || q) of two distributions given as (unnormalised) non-negative vectors."""
    p, q = p / p.sum(), q / q.sum()
    keep = p > 0
    return float(np.sum(p[keep] * np.log(p[keep] / q[keep])))


class IGBSampler:
    """Draws IGB subgraphs from an undirected source graph.

    Args:
        rowptr, col: CSR adjacency of the source (symmetric, no self loops).
        labels: `[N]` class of every node (all labelled).
        num_classes: C.
        walk_length: distinct undirected edges a walk traverses.
        sampler: `"rw"` or `"mhrw"`.
        accept_rate: the exponent of the acceptance probability (IGB: 5).
        seed: the seed of the generator everything is drawn from.
    """

    def __init__(self, rowptr: np.ndarray, col: np.ndarray, labels: np.ndarray, num_classes: int,
                 walk_length: int, sampler: str = "rw", accept_rate: float = 5.0, seed: int = 0):
        if sampler not in SAMPLERS:
            raise ValueError(f"sampler {sampler!r}: expected one of {', '.join(SAMPLERS)}")
        self.rowptr, self.col, self.labels = rowptr.astype(np.int64), col.astype(np.int64), labels.astype(np.int64)
        self.num_classes, self.walk_length = num_classes, walk_length
        self.sampler, self.accept_rate = sampler, accept_rate
        self.rng = np.random.Generator(np.random.PCG64(seed))
        self.uniform = _Uniforms(self.rng)
        self.degree = np.diff(self.rowptr)
        self.rowptr_list, self.col_list, self.degree_list = self.rowptr.tolist(), self.col.tolist(), self.degree.tolist()
        self._lowest_neighbour_degree: dict[int, int] = {}
        src = np.repeat(np.arange(self.degree.size), self.degree)
        once = src < self.col
        self.node_dist = label_distribution(self.labels, num_classes) + NODE_SMOOTHING
        self.edge_dist = edge_label_distribution(self.labels, np.stack([src[once], self.col[once]]), num_classes)
        self.node_kls, self.edge_kls = [float("inf")], [float("inf")]
        self.position = int(self.rng.integers(self.degree.size))

    def _move_probability(self, u: int, v: int) -> float:
        lowest = self._lowest_neighbour_degree.get(u)
        if lowest is None:
            start, end = self.rowptr_list[u], self.rowptr_list[u + 1]
            lowest = min(self.degree_list[w] for w in self.col_list[start:end])
            self._lowest_neighbour_degree[u] = lowest
        return max(lowest, self.degree_list[u]) / self.degree_list[v]

    def walk(self) -> tuple[np.ndarray, np.ndarray]:
        """One walk from the current position: (visited source ids, traversed edges `[2, E]` as source ids)."""
        u = self.position
        visited, traversed = {u}, set()
        rowptr, col, degree, uniform = self.rowptr_list, self.col_list, self.degree_list, self.uniform
        while len(traversed) < self.walk_length and degree[u] > 0:
            v = col[rowptr[u] + int(uniform.next() * degree[u])]
            if self.sampler == "mhrw" and not uniform.next() < self._move_probability(u, v):
                continue
            traversed.add((u, v) if u < v else (v, u))
            visited.add(v)
            u = v
        self.position = u
        edges = np.array(sorted(traversed), dtype=np.int64).reshape(-1, 2).T
        return np.array(sorted(visited), dtype=np.int64), edges

    def draw(self) -> SampledGraph:
        """Walk until a candidate is accepted (step 4) and return it with its random split."""
        while True:
            nodes, source_edges = self.walk()
            local_edges = np.searchsorted(nodes, source_edges)
            labels = self.labels[nodes]
            node_kl = kl_divergence(self.node_dist, label_distribution(labels, self.num_classes) + NODE_SMOOTHING)
            edge_kl = kl_divergence(self.edge_dist, edge_label_distribution(labels, local_edges, self.num_classes))
            if self.uniform.next() < acceptance_probability(self.node_kls, self.edge_kls, node_kl, edge_kl,
                                                            self.accept_rate):
                self.node_kls.append(node_kl)
                self.edge_kls.append(edge_kl)
                return SampledGraph(nodes, local_edges, self._split(nodes.size), node_kl, edge_kl)

    def _split(self, n: int) -> np.ndarray:
        order = self.rng.permutation(n)
        num_train, num_val = int(n * TRAIN_FRACTION), int(n * VAL_FRACTION)
        split = np.full(n, SPLIT_CODES["test"], dtype=np.int8)
        split[order[:num_train]] = SPLIT_CODES["train"]
        split[order[num_train:num_train + num_val]] = SPLIT_CODES["val"]
        return split

    def sample(self, num_graphs: int, burn_in: int = BURN_IN) -> list[SampledGraph]:
        """Steps 5-6: `burn_in` graphs drawn and dropped, then `num_graphs` graphs."""
        for _ in range(burn_in):
            self.draw()
        return [self.draw() for _ in range(num_graphs)]


def acceptance_probability(node_kls: list[float], edge_kls: list[float], node_kl: float, edge_kl: float,
                           accept_rate: float) -> float:
    """Step 4: min(median(node_kls) / node_kl, median(edge_kls) / edge_kl) ** accept_rate, capped at 1
    (an empty history, median +inf, or a perfect fit, kl 0, is always accepted)."""
    ratios = [1.0 if kl <= 0 or np.isinf(median) else median / kl
              for median, kl in ((float(np.median(node_kls)), node_kl), (float(np.median(edge_kls)), edge_kl))]
    return min(1.0, min(ratios)) ** accept_rate
