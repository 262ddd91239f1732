// Random walks on a CSR graph: uniform (DeepWalk) and second-order biased (node2vec).
// Each walk draws from its own counter-based generator, seeded by (seed, walk index), so the
// walks are the same for any number of threads. node2vec's biased step uses rejection sampling
// (propose a uniform neighbour x of v, accept with weight(x) / max weight), which needs no
// per-edge alias tables: weight(x) = 1/p if x is the previous node t, 1 if x is a neighbour of t
// (binary search in t's sorted row), else 1/q. The columns of each row must be sorted.
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
torch::Tensor random_walks(torch::Tensor rowptr, torch::Tensor col, torch::Tensor starts, int64_t length, double p,
                           double q, int64_t seed) {
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
        const int64_t deg = rp[cur + 1] - rp[cur];
        if (deg == 0) break;
        int64_t next = cp[rp[cur] + rng.below(deg)];
        if (biased && prev >= 0) {
          while (true) {
            const double weight = next == prev ? w_back : (has_edge(rp, cp, prev, next) ? w_near : w_far);
            if (rng.uniform() < weight) break;
            next = cp[rp[cur] + rng.below(deg)];
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
