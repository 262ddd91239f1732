// Random walks on a CSR graph: uniform (DeepWalk) and second-order biased (node2vec).
// Each walk draws from its own counter-based generator, seeded by (seed, walk index), so the
// walks are the same for any number of threads. A step proposes a neighbour x of v uniformly, or,
// given `cumulative` edge weights (cumulative[e] = sum of the weights of edges before e), in
// proportion to w_vx by binary search. node2vec's bias is rejection sampling on top, which needs
// no per-edge alias tables: accept x with alpha(x) / max alpha, where alpha(x) = 1/p if x is the
// previous node t, 1 if x is a neighbour of t (binary search in t's sorted row), else 1/q.
// The columns of each row must be sorted.
#include <torch/extension.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cstdint>

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

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("random_walks", &random_walks, "uniform or node2vec-biased random walks on a CSR graph");
}
