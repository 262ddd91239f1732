// Sampling on a CSR graph: random walks (DeepWalk's uniform walks, node2vec's second-order
// biased walks) and GraphSAGE's neighbour sampling. Each walk, and each destination row of a
// sampled hop, draws from its own counter-based generator, seeded by (seed, walk index), so the
// walks and samples are the same for any number of threads. A step proposes a neighbour x of v uniformly, or,
// given `cumulative` edge weights (cumulative[e] = sum of the weights of edges before e), in
// proportion to w_vx by binary search. node2vec's bias is rejection sampling on top, which needs
// no per-edge alias tables: accept x with alpha(x) / max alpha, where alpha(x) = 1/p if x is the
// previous node t, 1 if x is a neighbour of t (binary search in t's sorted row), else 1/q.
// The columns of each row must be sorted.
#include <torch/extension.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <tuple>
#include <vector>

namespace {

struct SplitMix64 {  // Steele, Lea & Flood, "Fast splittable pseudorandom number generators", 2014
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  int64_t below(int64_t n) {  // uniform in [0, n) (Lemire's multiply-shift)
    return static_cast<int64_t>((static_cast<unsigned __int128>(next()) * static_cast<uint64_t>(n)) >> 64);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
};

bool has_edge(const int64_t* rowptr, const int64_t* col, int64_t from, int64_t to) {
  return std::binary_search(col + rowptr[from], col + rowptr[from + 1], to);
}

}  // namespace

// walks[w, 0] = starts[w]; walks[w, k] is the k-th step; -1 after a node without neighbours.
// `cumulative` is empty (unweighted) or [E + 1] float64 prefix sums of the edge weights.
torch::Tensor random_walks(torch::Tensor rowptr, torch::Tensor col, torch::Tensor starts, torch::Tensor cumulative,
                           int64_t length, double p, double q, int64_t seed) {
  TORCH_CHECK(rowptr.dtype() == torch::kInt64 && col.dtype() == torch::kInt64 && starts.dtype() == torch::kInt64,
              "random_walks: rowptr, col and starts must be int64");
  rowptr = rowptr.contiguous();
  col = col.contiguous();
  starts = starts.contiguous();
  const int64_t W = starts.numel();
  auto walks = torch::full({W, length}, -1, torch::kInt64);
  const int64_t* rp = rowptr.data_ptr<int64_t>();
  const int64_t* cp = col.data_ptr<int64_t>();
  const int64_t* sp = starts.data_ptr<int64_t>();
  const bool weighted = cumulative.numel() > 0;
  TORCH_CHECK(!weighted || (cumulative.dtype() == torch::kFloat64 && cumulative.numel() == col.numel() + 1),
              "random_walks: cumulative must be float64 with one entry per edge plus one");
  cumulative = cumulative.contiguous();
  const double* cw = weighted ? cumulative.data_ptr<double>() : nullptr;
  int64_t* out = walks.data_ptr<int64_t>();
  const bool biased = p != 1.0 || q != 1.0;
  const double max_weight = std::max({1.0 / p, 1.0, 1.0 / q});
  const double w_back = (1.0 / p) / max_weight, w_near = 1.0 / max_weight, w_far = (1.0 / q) / max_weight;
  at::parallel_for(0, W, 256, [&](int64_t begin, int64_t end) {
    for (int64_t w = begin; w < end; ++w) {
      SplitMix64 rng{static_cast<uint64_t>(seed) * 0xD1B54A32D192ED03ull ^ static_cast<uint64_t>(w)};
      rng.next();
      int64_t* walk = out + w * length;
      int64_t prev = -1, cur = sp[w];
      if (length > 0) walk[0] = cur;
      for (int64_t k = 1; k < length; ++k) {
        const int64_t begin = rp[cur], deg = rp[cur + 1] - begin;
        if (deg == 0) break;
        auto propose = [&]() -> int64_t {
          if (!weighted) return cp[begin + rng.below(deg)];
          const double u = cw[begin] + rng.uniform() * (cw[begin + deg] - cw[begin]);
          const int64_t e = std::upper_bound(cw + begin + 1, cw + begin + deg + 1, u) - (cw + 1);
          return cp[std::min(e, begin + deg - 1)];
        };
        int64_t next = propose();
        if (biased && prev >= 0) {
          while (true) {
            const double weight = next == prev ? w_back : (has_edge(rp, cp, prev, next) ? w_near : w_far);
            if (rng.uniform() < weight) break;
            next = propose();
          }
        }
        walk[k] = next;
        prev = cur;
        cur = next;
      }
    }
  });
  return walks;
}

// One hop of neighbour sampling. Row i of the block is nodes[i]; it keeps all of its d incoming
// edges when d <= fanout (or fanout < 0), else `fanout` of them: distinct ones chosen uniformly
// (Floyd's algorithm, "Programming pearls: a sample of brilliance", CACM 1987) or, with
// `replace`, `fanout` independent uniform draws. The block's inputs are `nodes` followed by the
// other sources in order of first appearance, and `positions` ([N] int64, all -1) maps node ids to
// input positions while the hop is built (it is all -1 again on return).
// Returns (rowptr [R + 1], local column of each sampled edge, input node ids, sampled edge ids).
std::vector<torch::Tensor> sample_hop(torch::Tensor rowptr, torch::Tensor col, torch::Tensor nodes, int64_t fanout,
                                      bool replace, int64_t seed, torch::Tensor positions) {
  TORCH_CHECK(rowptr.dtype() == torch::kInt64 && col.dtype() == torch::kInt64 && nodes.dtype() == torch::kInt64 &&
                  positions.dtype() == torch::kInt64,
              "sample_hop: rowptr, col, nodes and positions must be int64");
  TORCH_CHECK(positions.is_contiguous() && positions.numel() == rowptr.numel() - 1,
              "sample_hop: positions must be a contiguous [num_nodes] buffer");
  rowptr = rowptr.contiguous();
  col = col.contiguous();
  nodes = nodes.contiguous();
  const int64_t R = nodes.numel();
  const int64_t* rp = rowptr.data_ptr<int64_t>();
  const int64_t* cp = col.data_ptr<int64_t>();
  const int64_t* np = nodes.data_ptr<int64_t>();
  auto out_rowptr = torch::empty({R + 1}, torch::kInt64);
  int64_t* orp = out_rowptr.data_ptr<int64_t>();
  orp[0] = 0;
  for (int64_t i = 0; i < R; ++i) {
    const int64_t degree = rp[np[i] + 1] - rp[np[i]];
    const int64_t take = fanout < 0 || (degree <= fanout && !replace) ? degree : (degree == 0 ? 0 : fanout);
    orp[i + 1] = orp[i] + take;
  }
  const int64_t S = orp[R];
  auto edges = torch::empty({S}, torch::kInt64);
  int64_t* ep = edges.data_ptr<int64_t>();
  auto sources_buffer = torch::empty({S}, torch::kInt64);  // gathered in parallel: the random reads of `col`
  int64_t* sources = sources_buffer.data_ptr<int64_t>();
  at::parallel_for(0, R, 64, [&](int64_t begin, int64_t end) {
    std::vector<int64_t> pool;
    for (int64_t i = begin; i < end; ++i) {
      const int64_t first = rp[np[i]], degree = rp[np[i] + 1] - first, take = orp[i + 1] - orp[i];
      int64_t* out = ep + orp[i];
      if (take == degree && !(replace && fanout >= 0)) {
        for (int64_t k = 0; k < degree; ++k) out[k] = first + k;
        std::copy(cp + first, cp + first + degree, sources + orp[i]);
        continue;
      }
      SplitMix64 rng{static_cast<uint64_t>(seed) * 0xD1B54A32D192ED03ull ^ static_cast<uint64_t>(i)};
      rng.next();
      if (replace) {
        for (int64_t k = 0; k < take; ++k) out[k] = first + rng.below(degree);
      } else if (take <= 64) {  // Floyd: each take-subset of [0, degree) equally likely
        int64_t n = 0;
        for (int64_t j = degree - take; j < degree; ++j) {
          const int64_t t = rng.below(j + 1);
          const bool seen = std::find(out, out + n, first + t) != out + n;
          out[n++] = first + (seen ? j : t);
        }
      } else {  // partial Fisher-Yates shuffle of the row's edge offsets
        pool.resize(degree);
        for (int64_t k = 0; k < degree; ++k) pool[k] = k;
        for (int64_t k = 0; k < take; ++k) {
          std::swap(pool[k], pool[k + rng.below(degree - k)]);
          out[k] = first + pool[k];
        }
      }
      for (int64_t k = orp[i]; k < orp[i + 1]; ++k) sources[k] = cp[ep[k]];
    }
  });
  // Relabel in parallel, the same for any thread count: a source that is not a row claims, by an
  // atomic min, the first edge that names it (claim -2 - (S - k) is smaller for smaller k); the
  // claimed edges, counted in edge order, number the new inputs R, R + 1, ...
  int64_t* pos = positions.data_ptr<int64_t>();
  at::parallel_for(0, R, 4096, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) pos[np[i]] = i;
  });
  std::atomic<int64_t> repeated{-1};
  at::parallel_for(0, R, 4096, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      if (pos[np[i]] != i) repeated.store(np[i]);
    }
  });
  if (repeated.load() >= 0) {
    for (int64_t j = 0; j < R; ++j) pos[np[j]] = -1;
    TORCH_CHECK(false, "sample_hop: node ", repeated.load(), " is listed twice");
  }
  auto claim = [S](int64_t k) { return -2 - (S - k); };
  at::parallel_for(0, S, 4096, [&](int64_t begin, int64_t end) {
    for (int64_t k = begin; k < end; ++k) {
      int64_t* slot = pos + sources[k];
      int64_t seen = __atomic_load_n(slot, __ATOMIC_RELAXED);
      while (seen < 0 && claim(k) < seen &&
             !__atomic_compare_exchange_n(slot, &seen, claim(k), true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
      }
    }
  });
  auto fresh_buffer = torch::empty({S + 1}, torch::kInt64);  // fresh[k + 1]: new inputs claimed by edges 0..k
  int64_t* fresh = fresh_buffer.data_ptr<int64_t>();
  fresh[0] = 0;
  at::parallel_for(0, S, 4096, [&](int64_t begin, int64_t end) {
    for (int64_t k = begin; k < end; ++k) fresh[k + 1] = pos[sources[k]] == claim(k);
  });
  for (int64_t k = 0; k < S; ++k) fresh[k + 1] += fresh[k];
  const int64_t M = R + fresh[S];
  auto input_nodes = torch::empty({M}, torch::kInt64);
  int64_t* ip = input_nodes.data_ptr<int64_t>();
  std::copy(np, np + R, ip);
  at::parallel_for(0, S, 4096, [&](int64_t begin, int64_t end) {
    for (int64_t k = begin; k < end; ++k) {
      if (fresh[k + 1] != fresh[k]) ip[R + fresh[k]] = sources[k];
    }
  });
  at::parallel_for(R, M, 4096, [&](int64_t begin, int64_t end) {
    for (int64_t j = begin; j < end; ++j) pos[ip[j]] = j;
  });
  auto local = torch::empty({S}, torch::kInt64);
  int64_t* lp = local.data_ptr<int64_t>();
  at::parallel_for(0, S, 4096, [&](int64_t begin, int64_t end) {
    for (int64_t k = begin; k < end; ++k) lp[k] = pos[sources[k]];
  });
  at::parallel_for(0, M, 4096, [&](int64_t begin, int64_t end) {
    for (int64_t j = begin; j < end; ++j) pos[ip[j]] = -1;
  });
  return {out_rowptr, local, input_nodes, edges};
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("random_walks", &random_walks, "uniform or node2vec-biased random walks on a CSR graph");
  m.def("sample_hop", &sample_hop, "one hop of uniform neighbour sampling with relabelled inputs");
}
