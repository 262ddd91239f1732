// CPU kernels of cogdl.ops: CSR SpMM (sum/mean/max), SDDMM, edge softmax and the fused GAT step.
// Rows of the CSR are destination nodes; node tensors are [nodes, H, D], edge tensors [E, H].
// Every kernel parallelises over rows (or over columns of the transposed CSR), so no two threads
// write the same output row and no atomics are needed.
#include <torch/extension.h>
#include <ATen/OpMathType.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <tuple>
#include <type_traits>
#include <vector>

namespace {

// Split rows [0, n) into tasks of about equal work, counting each row as (its edges + 1), and
// run body(begin, end) on them in parallel. Power-law graphs put most edges in a few rows, so an
// even split of the rows would leave one thread with most of the work.
template <typename index_t, typename Body>
void parallel_rows(const index_t* rowptr, int64_t n, const Body& body) {
  if (n <= 0) return;
  const int64_t total = static_cast<int64_t>(rowptr[n] - rowptr[0]) + n;
  const int64_t tasks = std::max<int64_t>(1, std::min<int64_t>(n, 8 * at::get_num_threads()));
  auto boundary = [&](int64_t t) {  // first row r with work(r) = rowptr[r] - rowptr[0] + r >= t * total / tasks
    const int64_t target = t * total / tasks;
    int64_t lo = 0, hi = n;
    while (lo < hi) {
      const int64_t mid = (lo + hi) / 2;
      if (static_cast<int64_t>(rowptr[mid] - rowptr[0]) + mid < target) lo = mid + 1; else hi = mid;
    }
    return lo;
  };
  at::parallel_for(0, tasks, 1, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t begin = boundary(t), end = t + 1 == tasks ? n : boundary(t + 1);
      if (begin < end) body(begin, end);
    }
  });
}

// The 32-bit counter hash of cogdl/ops/reference.py (hash32): dropout masks, stochastic rounding.
inline uint32_t hash32(uint32_t seed, uint32_t index) {
  uint32_t x = index ^ seed;
  x ^= x >> 16;
  x *= 0x7FEB352Du;
  x ^= x >> 15;
  x *= 0x5BD1E995u;
  return x ^ (x >> 16);
}

// Keep decision of (attention) dropout.
inline bool keep_edge(uint32_t seed, int64_t index, double p) {
  return static_cast<double>(hash32(seed, static_cast<uint32_t>(index))) * (1.0 / 4294967296.0) >= p;
}

// Gathers run kAhead edges ahead of their use: every cache line of that source row is requested,
// so the row has arrived by the time it is summed (one line ahead was not enough for 64 floats).
constexpr int64_t kAhead = 4;

template <typename scalar_t>
inline void prefetch_row(const scalar_t* row, int64_t n) {
  const char* p = reinterpret_cast<const char*>(row);
  for (int64_t b = 0; b < n * static_cast<int64_t>(sizeof(scalar_t)); b += 64) __builtin_prefetch(p + b);
}

template <typename scalar_t>
inline scalar_t leaky(scalar_t s, double slope) { return s > 0 ? s : static_cast<scalar_t>(slope) * s; }

template <typename scalar_t>
inline scalar_t dot(const scalar_t* __restrict__ a, const scalar_t* __restrict__ b, int64_t n) {
  scalar_t acc = 0;
#pragma omp simd reduction(+ : acc)
  for (int64_t d = 0; d < n; ++d) acc += a[d] * b[d];
  return acc;
}

template <typename scalar_t>
inline void axpy(scalar_t* __restrict__ out, scalar_t w, const scalar_t* __restrict__ x, int64_t n) {
#pragma omp simd
  for (int64_t d = 0; d < n; ++d) out[d] += w * x[d];
}

#define COGDL_DISPATCH(FLOAT_TYPE, INDEX_TYPE, NAME, ...)                                   \
  AT_DISPATCH_FLOATING_TYPES(FLOAT_TYPE, NAME, [&] {                                        \
    AT_DISPATCH_INDEX_TYPES(INDEX_TYPE, NAME, [&] { __VA_ARGS__(); });                      \
  })

// SpMM also takes bfloat16 features (summed in float32: at::opmath_type), for mixed precision.
#define COGDL_DISPATCH_WITH_BF16(FLOAT_TYPE, INDEX_TYPE, NAME, ...)                         \
  AT_DISPATCH_FLOATING_TYPES_AND(at::ScalarType::BFloat16, FLOAT_TYPE, NAME, [&] {          \
    AT_DISPATCH_INDEX_TYPES(INDEX_TYPE, NAME, [&] { __VA_ARGS__(); });                      \
  })

}  // namespace

// A feature value in the summation type: bfloat16 is the upper half of a float32, so widening is
// a shift of its bits (which the compiler vectorises; c10's conversion operator it does not).
inline float widen(c10::BFloat16 v) {
  const uint32_t bits = static_cast<uint32_t>(v.x) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}
inline float widen(float v) { return v; }
inline double widen(double v) { return v; }

// A float32 sum stored as bfloat16, rounded to nearest even (NaN stays NaN), in vectorisable steps.
inline void narrow(float f, c10::BFloat16* out) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  const uint32_t rounded = (bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16;
  out->x = static_cast<uint16_t>(f != f ? 0x7FC0u : rounded);
}
inline void narrow(float f, float* out) { *out = f; }
inline void narrow(double f, double* out) { *out = f; }

// Sum (or mean) SpMM of rows [begin, end) for one head of a width W known at compile time: the
// row's accumulator lives in registers and is stored once (the general loop adds into memory).
// Features may be bfloat16: then they are widened as they are read and summed in float32 (acc_t).
template <int W, typename scalar_t, typename index_t, typename acc_t = at::opmath_type<scalar_t>>
void sum_rows_of_width(const index_t* rp, const index_t* cp, const acc_t* wp, const scalar_t* xp,
                       scalar_t* op, int64_t begin, int64_t end, bool mean) {
  const int64_t end_edge = rp[end];
  for (int64_t i = begin; i < end; ++i) {
    const int64_t lo = rp[i], hi = rp[i + 1];
    acc_t acc[W] = {};
    for (int64_t e = lo; e < hi; ++e) {
      if (e + kAhead < end_edge) prefetch_row(xp + static_cast<int64_t>(cp[e + kAhead]) * W, W);
      const scalar_t* xr = xp + static_cast<int64_t>(cp[e]) * W;
      const acc_t we = wp ? wp[e] : acc_t(1);
#pragma omp simd
      for (int d = 0; d < W; ++d) acc[d] += we * widen(xr[d]);
    }
    const acc_t scale = mean && hi > lo ? acc_t(1) / static_cast<acc_t>(hi - lo) : acc_t(1);
#pragma omp simd
    for (int d = 0; d < W; ++d) narrow(mean ? acc[d] * scale : acc[d], op + i * W + d);
  }
}

// out[i, h] = reduce_{e in row i} w[e, h] * x[col[e], h]; returns (out, argmax or empty).
std::tuple<torch::Tensor, torch::Tensor> spmm(torch::Tensor rowptr, torch::Tensor col,
                                              c10::optional<torch::Tensor> weight, torch::Tensor x,
                                              int64_t num_rows, std::string reduce) {
  rowptr = rowptr.to(col.scalar_type()).contiguous();
  x = x.contiguous();
  const int64_t H = x.size(1), D = x.size(2);
  const int mode = reduce == "sum" ? 0 : reduce == "mean" ? 1 : 2;
  auto out = torch::empty({num_rows, H, D}, x.options());  // each row is initialised where it is computed
  torch::Tensor arg;
  if (mode == 2) arg = torch::full({num_rows, H, D}, -1, x.options().dtype(torch::kLong));
  COGDL_DISPATCH_WITH_BF16(x.scalar_type(), col.scalar_type(), "cogdl_spmm", [&] {
    using acc_t = at::opmath_type<scalar_t>;  // weights are kept (and rows summed) in this type
    constexpr bool widened = !std::is_same<acc_t, scalar_t>::value;
    // the register path (sum_rows_of_width); cogdl/ops/cpu.py's bf16_spmm states the same shapes
    const bool fixed_width = mode != 2 && H == 1 && (D == 16 || D == 32 || D == 64 || D == 128);
    TORCH_CHECK(!widened || fixed_width, "bfloat16 SpMM: sum or mean, one head of width 16, 32, 64 or 128 only");
    torch::Tensor w = weight.has_value() ? weight->to(c10::CppTypeToScalarType<acc_t>::value).contiguous() : torch::Tensor();
    const index_t* rp = rowptr.data_ptr<index_t>();
    const index_t* cp = col.data_ptr<index_t>();
    const acc_t* wp = w.defined() ? w.data_ptr<acc_t>() : nullptr;
    const scalar_t* xp = x.data_ptr<scalar_t>();
    scalar_t* op = out.data_ptr<scalar_t>();
    int64_t* ap = mode == 2 ? arg.data_ptr<int64_t>() : nullptr;
    if (fixed_width) {
      const auto sum_rows = D == 16 ? sum_rows_of_width<16, scalar_t, index_t>
                            : D == 32 ? sum_rows_of_width<32, scalar_t, index_t>
                            : D == 64 ? sum_rows_of_width<64, scalar_t, index_t>
                                      : sum_rows_of_width<128, scalar_t, index_t>;
      // (the general loop below is compiled for bfloat16 too, but never reached with it)
      parallel_rows(rp, num_rows, [&](int64_t begin, int64_t end) { sum_rows(rp, cp, wp, xp, op, begin, end, mode == 1); });
      return;
    }
    parallel_rows(rp, num_rows, [&](int64_t begin, int64_t end) {
      const int64_t end_edge = rp[end];  // prefetching runs on across the rows of this task
      for (int64_t i = begin; i < end; ++i) {
        scalar_t* o = op + i * H * D;
        const int64_t lo = rp[i], hi = rp[i + 1];
        std::fill(o, o + H * D, mode == 2 && hi > lo ? -std::numeric_limits<scalar_t>::infinity() : scalar_t(0));
        for (int64_t e = lo; e < hi; ++e) {
          const scalar_t* xr = xp + static_cast<int64_t>(cp[e]) * H * D;
          if (e + kAhead < end_edge) prefetch_row(xp + static_cast<int64_t>(cp[e + kAhead]) * H * D, H * D);
          for (int64_t h = 0; h < H; ++h) {
            const scalar_t we = wp ? static_cast<scalar_t>(wp[e * H + h]) : scalar_t(1);
            if (mode == 2) {
              int64_t* a = ap + i * H * D + h * D;
              for (int64_t d = 0; d < D; ++d) {
                const scalar_t v = we * xr[h * D + d];
                if (v > o[h * D + d]) { o[h * D + d] = v; a[d] = e; }
              }
            } else {
              axpy(o + h * D, we, xr + h * D, D);
            }
          }
        }
        if (mode == 1 && hi > lo) {
          const scalar_t inv = scalar_t(1) / static_cast<scalar_t>(hi - lo);
          for (int64_t k = 0; k < H * D; ++k) o[k] *= inv;
        }
      }
    });
  });
  return {out, arg};
}

// out[e, h] = <a[row(e), h], b[col(e), h]>
torch::Tensor sddmm(torch::Tensor rowptr, torch::Tensor col, torch::Tensor a, torch::Tensor b) {
  rowptr = rowptr.to(col.scalar_type()).contiguous();
  a = a.contiguous();
  b = b.to(a.scalar_type()).contiguous();
  const int64_t N = rowptr.size(0) - 1, H = a.size(1), D = a.size(2);
  auto out = torch::empty({col.size(0), H}, a.options());
  COGDL_DISPATCH(a.scalar_type(), col.scalar_type(), "cogdl_sddmm", [&] {
    const index_t* rp = rowptr.data_ptr<index_t>();
    const index_t* cp = col.data_ptr<index_t>();
    const scalar_t* ap = a.data_ptr<scalar_t>();
    const scalar_t* bp = b.data_ptr<scalar_t>();
    scalar_t* op = out.data_ptr<scalar_t>();
    parallel_rows(rp, N, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i)
        for (int64_t e = rp[i]; e < rp[i + 1]; ++e)
          for (int64_t h = 0; h < H; ++h)
            op[e * H + h] = dot(ap + (i * H + h) * D, bp + (static_cast<int64_t>(cp[e]) * H + h) * D, D);
    });
  });
  return out;
}

// alpha[e, h] = softmax of scores over the edges of row(e)
torch::Tensor edge_softmax(torch::Tensor rowptr, torch::Tensor scores) {
  rowptr = rowptr.contiguous();
  scores = scores.contiguous();
  const int64_t N = rowptr.size(0) - 1, H = scores.size(1);
  auto out = torch::empty_like(scores);
  COGDL_DISPATCH(scores.scalar_type(), rowptr.scalar_type(), "cogdl_edge_softmax", [&] {
    const index_t* rp = rowptr.data_ptr<index_t>();
    const scalar_t* sp = scores.data_ptr<scalar_t>();
    scalar_t* op = out.data_ptr<scalar_t>();
    parallel_rows(rp, N, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i)
        for (int64_t h = 0; h < H; ++h) {
          scalar_t m = -std::numeric_limits<scalar_t>::infinity(), total = 0;
          for (int64_t e = rp[i]; e < rp[i + 1]; ++e) m = std::max(m, sp[e * H + h]);
          for (int64_t e = rp[i]; e < rp[i + 1]; ++e) total += (op[e * H + h] = std::exp(sp[e * H + h] - m));
          for (int64_t e = rp[i]; e < rp[i + 1]; ++e) op[e * H + h] /= total;
        }
    });
  });
  return out;
}

// grad_s = alpha * (grad - sum_row(alpha * grad))
torch::Tensor edge_softmax_backward(torch::Tensor rowptr, torch::Tensor alpha, torch::Tensor grad) {
  rowptr = rowptr.contiguous();
  alpha = alpha.contiguous();
  grad = grad.to(alpha.scalar_type()).contiguous();
  const int64_t N = rowptr.size(0) - 1, H = alpha.size(1);
  auto out = torch::empty_like(alpha);
  COGDL_DISPATCH(alpha.scalar_type(), rowptr.scalar_type(), "cogdl_edge_softmax_backward", [&] {
    const index_t* rp = rowptr.data_ptr<index_t>();
    const scalar_t* al = alpha.data_ptr<scalar_t>();
    const scalar_t* gp = grad.data_ptr<scalar_t>();
    scalar_t* op = out.data_ptr<scalar_t>();
    parallel_rows(rp, N, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i)
        for (int64_t h = 0; h < H; ++h) {
          scalar_t total = 0;
          for (int64_t e = rp[i]; e < rp[i + 1]; ++e) total += al[e * H + h] * gp[e * H + h];
          for (int64_t e = rp[i]; e < rp[i + 1]; ++e) op[e * H + h] = al[e * H + h] * (gp[e * H + h] - total);
        }
    });
  });
  return out;
}

namespace {

// Everything the fused GAT kernels read, with raw pointers.
template <typename scalar_t, typename index_t>
struct GatView {
  const index_t *rp, *cp;
  const scalar_t *feat, *a_src, *a_dst, *bias;
  int64_t H, D;
  double slope, p;
  uint32_t seed;

  // the leaky-relu score of edge e = (j -> i), head h, and its pre-activation
  inline scalar_t score(int64_t e, int64_t i, int64_t j, int64_t h, scalar_t* pre = nullptr) const {
    scalar_t s = a_src[j * H + h] + a_dst[i * H + h] + (bias ? bias[e * H + h] : scalar_t(0));
    if (pre) *pre = s;
    return leaky(s, slope);
  }
  // dropout factor of edge e, head h: 0 or 1 / (1 - p)
  inline scalar_t drop(int64_t e, int64_t h) const {
    if (p <= 0) return scalar_t(1);
    return keep_edge(seed, e * H + h, p) ? static_cast<scalar_t>(1.0 / (1.0 - p)) : scalar_t(0);
  }
};

}  // namespace

// Fused GAT forward: out[i, h] = sum_e drop(softmax_e(leaky(a_src[j] + a_dst[i] + b_e))) * feat[j, h].
// Returns (out, row_max, row_sum); the row statistics let the backward recompute alpha per edge.
std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> gat_forward(
    torch::Tensor rowptr, torch::Tensor col, torch::Tensor feat, torch::Tensor a_src, torch::Tensor a_dst,
    c10::optional<torch::Tensor> bias, double slope, double p, int64_t seed) {
  rowptr = rowptr.to(col.scalar_type()).contiguous();
  feat = feat.contiguous();
  a_src = a_src.contiguous();
  a_dst = a_dst.contiguous();
  torch::Tensor b = bias.has_value() ? bias->contiguous() : torch::Tensor();
  const int64_t N = rowptr.size(0) - 1, H = feat.size(1), D = feat.size(2);
  auto out = torch::empty({N, H, D}, feat.options());
  auto row_max = torch::empty({N, H}, feat.options());
  auto row_sum = torch::empty({N, H}, feat.options());
  COGDL_DISPATCH(feat.scalar_type(), col.scalar_type(), "cogdl_gat_forward", [&] {
    GatView<scalar_t, index_t> g{rowptr.data_ptr<index_t>(), col.data_ptr<index_t>(), feat.data_ptr<scalar_t>(),
                                 a_src.data_ptr<scalar_t>(), a_dst.data_ptr<scalar_t>(),
                                 b.defined() ? b.data_ptr<scalar_t>() : nullptr, H, D, slope, p,
                                 static_cast<uint32_t>(seed)};
    scalar_t* op = out.data_ptr<scalar_t>();
    scalar_t* mp = row_max.data_ptr<scalar_t>();
    scalar_t* sp = row_sum.data_ptr<scalar_t>();
    parallel_rows(g.rp, N, [&](int64_t begin, int64_t end) {
      std::vector<scalar_t> weight;  // the current row's [edges, H] scores, then exp(score - max)
      const int64_t end_edge = g.rp[end];
      for (int64_t i = begin; i < end; ++i) {
        const int64_t lo = g.rp[i], hi = g.rp[i + 1];
        scalar_t* m = mp + i * H;
        scalar_t* total = sp + i * H;
        scalar_t* o = op + i * H * D;
        weight.resize((hi - lo) * H);
        std::fill(m, m + H, -std::numeric_limits<scalar_t>::infinity());
        std::fill(total, total + H, scalar_t(0));
        std::fill(o, o + H * D, scalar_t(0));
        for (int64_t e = lo; e < hi; ++e)
          for (int64_t h = 0; h < H; ++h) {
            const scalar_t s = g.score(e, i, g.cp[e], h);
            weight[(e - lo) * H + h] = s;
            m[h] = std::max(m[h], s);
          }
        for (int64_t e = lo; e < hi; ++e)
          for (int64_t h = 0; h < H; ++h) {
            scalar_t& w = weight[(e - lo) * H + h];
            w = std::exp(w - m[h]);
            total[h] += w;
          }
        for (int64_t e = lo; e < hi; ++e) {
          const int64_t j = g.cp[e];
          if (e + kAhead < end_edge) prefetch_row(g.feat + static_cast<int64_t>(g.cp[e + kAhead]) * H * D, H * D);
          for (int64_t h = 0; h < H; ++h) {
            const scalar_t alpha = weight[(e - lo) * H + h] / total[h] * g.drop(e, h);
            if (alpha != 0) axpy(o + h * D, alpha, g.feat + (j * H + h) * D, D);
          }
        }
      }
    });
  });
  return {out, row_max, row_sum};
}

// Fused GAT backward. With alpha_e the softmax weight, d_e its dropout factor, G_i = grad_out[i]:
//   g_e = d_e <G_i, feat_j>,  c_i = sum_e alpha_e g_e,  grad_s_e = alpha_e (g_e - c_i) leaky'(s_e)
//   grad_a_dst[i] = sum_{e in row i} grad_s_e          (pass over rows)
//   grad_a_src[j] = sum_{e from j} grad_s_e,  grad_feat[j] = sum_{e from j} alpha_e d_e G_i   (pass over columns)
// The row pass computes each edge's score and softmax weight once (the row's [edges, H] values in
// local buffers) and keeps alpha_e d_e and grad_s_e per edge ([E, H] each) for the column pass, so
// every edge takes one exp and one dot product (rows) and one axpy (columns); grad_s_e is also the
// edge-bias gradient.
std::vector<torch::Tensor> gat_backward(
    torch::Tensor rowptr, torch::Tensor col, torch::Tensor feat, torch::Tensor a_src, torch::Tensor a_dst,
    c10::optional<torch::Tensor> bias, double slope, double p, int64_t seed, torch::Tensor row_max,
    torch::Tensor row_sum, torch::Tensor grad_out, torch::Tensor t_rowptr, torch::Tensor t_col,
    torch::Tensor t_perm, bool need_bias_grad) {
  const auto index_type = col.scalar_type();
  rowptr = rowptr.to(index_type).contiguous();
  t_rowptr = t_rowptr.to(index_type).contiguous();
  t_col = t_col.to(index_type).contiguous();
  t_perm = t_perm.to(index_type).contiguous();
  feat = feat.contiguous();
  a_src = a_src.contiguous();
  a_dst = a_dst.contiguous();
  grad_out = grad_out.to(feat.scalar_type()).contiguous();
  torch::Tensor b = bias.has_value() ? bias->contiguous() : torch::Tensor();
  const int64_t N = rowptr.size(0) - 1, M = feat.size(0), H = feat.size(1), D = feat.size(2);
  auto grad_feat = torch::zeros_like(feat);
  auto grad_src = torch::zeros_like(a_src);
  auto grad_dst = torch::empty_like(a_dst);
  auto alpha_edge = torch::empty({col.size(0), H}, feat.options());
  auto grad_score = torch::empty({col.size(0), H}, feat.options());
  COGDL_DISPATCH(feat.scalar_type(), index_type, "cogdl_gat_backward", [&] {
    GatView<scalar_t, index_t> g{rowptr.data_ptr<index_t>(), col.data_ptr<index_t>(), feat.data_ptr<scalar_t>(),
                                 a_src.data_ptr<scalar_t>(), a_dst.data_ptr<scalar_t>(),
                                 b.defined() ? b.data_ptr<scalar_t>() : nullptr, H, D, slope, p,
                                 static_cast<uint32_t>(seed)};
    const scalar_t* mp = row_max.data_ptr<scalar_t>();
    const scalar_t* sp = row_sum.data_ptr<scalar_t>();
    const scalar_t* go = grad_out.data_ptr<scalar_t>();
    scalar_t* gd = grad_dst.data_ptr<scalar_t>();
    scalar_t* gs = grad_src.data_ptr<scalar_t>();
    scalar_t* gf = grad_feat.data_ptr<scalar_t>();
    scalar_t* ae = alpha_edge.data_ptr<scalar_t>();  // alpha_e d_e: what the column pass scales G_i by
    scalar_t* ge = grad_score.data_ptr<scalar_t>();
    parallel_rows(g.rp, N, [&](int64_t begin, int64_t end) {
      std::vector<scalar_t> c(H), alpha, slope_of;  // per row: c_i, and alpha_e, leaky'(s_e) per edge
      const int64_t end_edge = g.rp[end];
      for (int64_t i = begin; i < end; ++i) {
        const int64_t lo = g.rp[i], hi = g.rp[i + 1];
        alpha.resize((hi - lo) * H);
        slope_of.resize((hi - lo) * H);
        std::fill(c.begin(), c.end(), scalar_t(0));
        for (int64_t e = lo; e < hi; ++e) {
          const int64_t j = g.cp[e];
          if (e + kAhead < end_edge) prefetch_row(g.feat + static_cast<int64_t>(g.cp[e + kAhead]) * H * D, H * D);
          for (int64_t h = 0; h < H; ++h) {
            scalar_t pre;
            const scalar_t a = std::exp(g.score(e, i, j, h, &pre) - mp[i * H + h]) / sp[i * H + h];
            const scalar_t d = g.drop(e, h);
            const scalar_t g_e = d == 0 ? scalar_t(0) : d * dot(go + (i * H + h) * D, g.feat + (j * H + h) * D, D);
            const int64_t k = (e - lo) * H + h;
            alpha[k] = a;
            slope_of[k] = pre > 0 ? scalar_t(1) : static_cast<scalar_t>(slope);
            ae[e * H + h] = a * d;
            ge[e * H + h] = g_e;
            c[h] += a * g_e;
          }
        }
        for (int64_t h = 0; h < H; ++h) gd[i * H + h] = 0;
        for (int64_t e = lo; e < hi; ++e)
          for (int64_t h = 0; h < H; ++h) {
            const int64_t k = (e - lo) * H + h;
            const scalar_t s_e = alpha[k] * (ge[e * H + h] - c[h]) * slope_of[k];
            ge[e * H + h] = s_e;
            gd[i * H + h] += s_e;
          }
      }
    });
    const index_t* trp = t_rowptr.data_ptr<index_t>();
    const index_t* tcp = t_col.data_ptr<index_t>();
    const index_t* tpp = t_perm.data_ptr<index_t>();
    parallel_rows(trp, M, [&](int64_t begin, int64_t end) {
      const int64_t end_edge = trp[end];
      for (int64_t j = begin; j < end; ++j)
        for (int64_t k = trp[j]; k < trp[j + 1]; ++k) {
          const int64_t e = tpp[k], i = tcp[k];
          if (k + kAhead < end_edge) {  // the edge values and the gradient row that come kAhead edges on
            const int64_t e_next = tpp[k + kAhead];
            prefetch_row(ae + e_next * H, H);
            prefetch_row(ge + e_next * H, H);
            prefetch_row(go + static_cast<int64_t>(tcp[k + kAhead]) * H * D, H * D);
          }
          for (int64_t h = 0; h < H; ++h) {
            gs[j * H + h] += ge[e * H + h];
            const scalar_t weight = ae[e * H + h];
            if (weight != 0) axpy(gf + (j * H + h) * D, weight, go + (i * H + h) * D, D);
          }
        }
    });
  });
  return {grad_feat, grad_src, grad_dst, need_bias_grad ? grad_score : torch::Tensor()};
}

// Inverted-dropout multipliers of `numel` values: 1/(1-p) where keep_edge(seed, i, p), else 0.
torch::Tensor dropout_scale(int64_t seed, int64_t numel, double p) {
  auto out = torch::empty({numel}, torch::kFloat32);
  float* o = out.data_ptr<float>();
  const float scale = static_cast<float>(1.0 / (1.0 - p));
  const uint32_t s = static_cast<uint32_t>(seed);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < numel; ++i) o[i] = keep_edge(s, i, p) ? scale : 0.0f;
  return out;
}

// Stochastic per-group quantisation (cogdl/ops/quantize.py, oracle reference.quantize): value i
// of group g becomes floor((x_i - m_g) / s_g + u_i), u_i = (hash32(seed, i) >> 8) / 2^24, clamped to
// [0, 2^bits - 1] and packed 8 / bits to a byte, the first in the lowest bits. A group fills whole
// bytes (group_size is a multiple of 8), so groups run in parallel; the same float operations as
// the reference give the same bytes.
std::vector<torch::Tensor> quantize(torch::Tensor x, int64_t bits, int64_t group_size, int64_t seed) {
  TORCH_CHECK(x.dtype() == torch::kFloat32 && x.dim() == 1 && x.is_contiguous(), "quantize: x must be contiguous float32 [n]");
  const int64_t n = x.numel(), per_byte = 8 / bits, groups = (n + group_size - 1) / group_size;
  auto packed = torch::empty({(n + per_byte - 1) / per_byte}, x.options().dtype(torch::kUInt8));
  auto minimum = torch::empty({groups}, x.options()), step = torch::empty({groups}, x.options());
  const float* __restrict__ xp = x.data_ptr<float>();
  uint8_t* __restrict__ pp = packed.data_ptr<uint8_t>();
  float *mp = minimum.data_ptr<float>(), *sp = step.data_ptr<float>();
  const int32_t top = (1 << bits) - 1;
  const float levels = static_cast<float>(top);
  const uint32_t s = static_cast<uint32_t>(seed);
#pragma omp parallel
  {
    std::vector<int32_t> buffer(group_size);  // not uint8_t: a char store may alias x, which blocks vectorising
    int32_t* __restrict__ q = buffer.data();
#pragma omp for schedule(static)
    for (int64_t g = 0; g < groups; ++g) {
      const int64_t begin = g * group_size, len = std::min(group_size, n - begin);
      const float* __restrict__ v = xp + begin;
      float lo = v[0], hi = v[0];
      for (int64_t k = 1; k < len; ++k) {
        lo = std::min(lo, v[k]);
        hi = std::max(hi, v[k]);
      }
      const float width = (hi - lo) / levels, divisor = width > 0 ? width : 1.0f;
      mp[g] = lo;
      sp[g] = width;
      // (v - lo) / divisor + u >= 0, so truncation is the floor (std::floor would not vectorise);
      // the hash index in 32 bits (the hash's own width), so the loop runs in 32-bit lanes
      const uint32_t base = static_cast<uint32_t>(begin);
      for (int32_t k = 0; k < static_cast<int32_t>(len); ++k) {
        const int32_t r = static_cast<int32_t>(hash32(s, base + static_cast<uint32_t>(k)) >> 8);
        const float u = static_cast<float>(r) * (1.0f / 16777216.0f);
        q[k] = std::min(static_cast<int32_t>((v[k] - lo) / divisor + u), top);
      }
      std::fill(q + len, q + group_size, 0);
      for (int64_t b = 0; b * per_byte < len; ++b) {
        uint32_t byte = 0;
        for (int64_t k = 0; k < per_byte; ++k) byte |= static_cast<uint32_t>(q[b * per_byte + k]) << (k * bits);
        pp[begin / per_byte + b] = static_cast<uint8_t>(byte);
      }
    }
  }
  return {packed, minimum, step};
}

// float32 [numel]: m_g + q_i s_g.
torch::Tensor dequantize(torch::Tensor packed, torch::Tensor minimum, torch::Tensor step, int64_t bits,
                         int64_t group_size, int64_t numel) {
  auto out = torch::empty({numel}, minimum.options());
  const uint8_t* __restrict__ pp = packed.data_ptr<uint8_t>();
  const float *mp = minimum.data_ptr<float>(), *sp = step.data_ptr<float>();
  float* __restrict__ o = out.data_ptr<float>();
  const int64_t per_byte = 8 / bits, groups = minimum.numel();
  const uint32_t mask = (1u << bits) - 1;
#pragma omp parallel for schedule(static)
  for (int64_t g = 0; g < groups; ++g) {
    const int64_t begin = g * group_size, end = std::min(begin + group_size, numel);
    const float lo = mp[g], width = sp[g];
    for (int64_t b = begin / per_byte; b * per_byte < end; ++b) {
      const uint32_t byte = pp[b];
      for (int64_t k = 0; k < per_byte && b * per_byte + k < end; ++k)
        o[b * per_byte + k] = lo + static_cast<float>((byte >> (k * bits)) & mask) * width;
    }
  }
  return out;
}

// One bit per value, whether x_i > 0 (of a boolean tensor: whether it is true), packed 8 to a
// byte, the first in the lowest bit (reference.pack_positive): relu's output for relu's backward,
// dropout masks. Read straight from x, with no byte-per-value temporary.
template <typename T>
static void pack_positive_from(const T* __restrict__ v, uint8_t* __restrict__ pp, int64_t n) {
  const int64_t bytes = (n + 7) / 8;
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < bytes; ++b) {
    const int64_t len = std::min<int64_t>(8, n - 8 * b);
    uint32_t byte = 0;
    for (int64_t k = 0; k < len; ++k) byte |= static_cast<uint32_t>(v[8 * b + k] > 0) << k;
    pp[b] = static_cast<uint8_t>(byte);
  }
}

torch::Tensor pack_positive(torch::Tensor x) {
  TORCH_CHECK((x.dtype() == torch::kFloat32 || x.dtype() == torch::kBool) && x.dim() == 1 && x.is_contiguous(),
              "pack_positive: x must be contiguous float32 or bool [n]");
  const int64_t n = x.numel();
  auto packed = torch::empty({(n + 7) / 8}, x.options().dtype(torch::kUInt8));
  if (x.dtype() == torch::kBool)
    pack_positive_from(x.data_ptr<bool>(), packed.data_ptr<uint8_t>(), n);
  else
    pack_positive_from(x.data_ptr<float>(), packed.data_ptr<uint8_t>(), n);
  return packed;
}

// [numel] float32 1 / 0 (as_bool: true / false) from pack_positive's bytes.
template <typename T>
static void unpack_positive_to(const uint8_t* __restrict__ pp, T* __restrict__ o, int64_t numel) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < numel; ++i) o[i] = static_cast<T>((pp[i >> 3] >> (i & 7)) & 1);
}

torch::Tensor unpack_positive(torch::Tensor packed, int64_t numel, bool as_bool) {
  auto out = torch::empty({numel}, packed.options().dtype(as_bool ? torch::kBool : torch::kFloat32));
  if (as_bool)
    unpack_positive_to(packed.data_ptr<uint8_t>(), out.data_ptr<bool>(), numel);
  else
    unpack_positive_to(packed.data_ptr<uint8_t>(), out.data_ptr<float>(), numel);
  return out;
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("spmm", &spmm, "CSR SpMM with sum/mean/max reduction");
  m.def("sddmm", &sddmm, "per-edge dot products");
  m.def("edge_softmax", &edge_softmax, "softmax over each row's edges");
  m.def("edge_softmax_backward", &edge_softmax_backward, "softmax Jacobian-vector product");
  m.def("gat_forward", &gat_forward, "fused GAT forward");
  m.def("gat_backward", &gat_backward, "fused GAT backward");
  m.def("dropout_scale", &dropout_scale, "hashed inverted-dropout multipliers");
  m.def("quantize", &quantize, "stochastic per-group quantisation, packed");
  m.def("dequantize", &dequantize, "per-group dequantisation of packed values");
  m.def("pack_positive", &pack_positive, "one bit per value: whether it is positive");
  m.def("unpack_positive", &unpack_positive, "pack_positive's bits as 1 / 0");
}
