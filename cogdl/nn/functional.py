"""Input-layer helpers: dropout and projection for dense or `SparseFeatures` node features.

Bag-of-words features (Planetoid: 1-10% non-zero) are kept sparse on the input layer, as in the
GCN reference code. Dropout then draws only for the stored values (zeros stay zero either way, so
the result has the distribution of dense dropout), and the projection `X W^T` is a CSR product
whose backward `X^T G` uses a transposed CSR built once.
"""

from __future__ import annotations

import torch

from cogdl.data.graph import concat_ranges, csr_from_coo
from cogdl.ops import reference
from cogdl.ops.backends import kernels_for

#: features with at most this share of non-zeros are made `SparseFeatures` by `maybe_sparse`
SPARSE_DENSITY = 0.25


class SparseFeatures:
    """An `[N, F]` feature matrix in CSR, with its transpose's structure cached for backward.

    `values` may change (dropout) while the structure is shared.
    """

    def __init__(self, crow, col, values, shape, t_crow, t_col, t_perm):
        self.crow, self.col, self.values, self.shape = crow, col, values, shape
        self.t_crow, self.t_col, self.t_perm = t_crow, t_col, t_perm

    @classmethod
    def from_dense(cls, x: torch.Tensor) -> "SparseFeatures":
        row, col = x.nonzero(as_tuple=True)
        return cls.from_coo(row, col, x[row, col], tuple(x.shape))

    @classmethod
    def from_coo(cls, row, col, values, shape: tuple[int, int]) -> "SparseFeatures":
        order = torch.arange(row.numel(), device=row.device)
        crow, col_sorted, perm = csr_from_coo(row, col, shape[0], order, False, shape[1])
        t_crow, t_col, t_perm = csr_from_coo(col, row, shape[1], order, False, shape[0])
        return cls(crow, col_sorted, values[perm], tuple(shape), t_crow, t_col, torch.argsort(perm)[t_perm])

    def gather_rows(self, index: torch.Tensor) -> "SparseFeatures":
        """Row `i` of the result is row `index[i]` of this matrix, or zeros where `index[i] < 0`."""
        source = index.clamp(min=0)
        counts = torch.where(index >= 0, self.crow.diff()[source], 0)
        positions = concat_ranges(self.crow[source], counts)
        row = torch.repeat_interleave(torch.arange(index.numel(), device=index.device), counts)
        return SparseFeatures.from_coo(row, self.col[positions], self.values[positions], (index.numel(), self.shape[1]))

    def row_norms(self) -> torch.Tensor:
        """The Euclidean norm of each row, `[N]`."""
        rows = torch.repeat_interleave(torch.arange(self.shape[0], device=self.crow.device), self.crow.diff())
        return self.values.new_zeros(self.shape[0]).index_add(0, rows, self.values.square()).sqrt()

    def with_values(self, values: torch.Tensor) -> "SparseFeatures":
        return SparseFeatures(self.crow, self.col, values, self.shape, self.t_crow, self.t_col, self.t_perm)

    def to(self, device) -> "SparseFeatures":
        moved = [t.to(device) for t in (self.crow, self.col, self.values, self.t_crow, self.t_col, self.t_perm)]
        return SparseFeatures(*moved[:3], self.shape, *moved[3:])

    def csr(self) -> torch.Tensor:
        return torch.sparse_csr_tensor(self.crow, self.col, self.values, self.shape, check_invariants=False)

    def csr_transposed(self) -> torch.Tensor:
        return torch.sparse_csr_tensor(self.t_crow, self.t_col, self.values[self.t_perm], self.shape[::-1],
                                       check_invariants=False)

    def to_dense(self) -> torch.Tensor:
        return self.csr().to_dense()


def maybe_sparse(x: torch.Tensor):
    """`SparseFeatures` of `x` when at most `SPARSE_DENSITY` of it is non-zero, else `x` itself."""
    if x.dim() == 2 and x.numel() and (x != 0).sum().item() <= SPARSE_DENSITY * x.numel():
        return SparseFeatures.from_dense(x)
    return x


def dropout(x, p: float, training: bool):
    """Inverted dropout; for `SparseFeatures`, only the stored values are dropped.

    NOTE: the keep decisions come from the counter hash of `cogdl.ops.reference.keep_mask` with
    a seed drawn from torch's generator, computed by the backend's `dropout_scale` (the C++ one
    on CPU), not from `torch.rand`: on CPU that makes the mask several times cheaper, and the
    backward regenerates the multipliers from the seed, so nothing of the mask is kept between
    forward and backward. Each value is kept with probability 1 - p.
    """
    if not training or p == 0.0:
        return x
    values = x.values if isinstance(x, SparseFeatures) else x
    seed = int(torch.randint(0, 2**31 - 1, (1,)).item())
    dropped = _HashedDropout.apply(values, seed, p)
    return x.with_values(dropped) if isinstance(x, SparseFeatures) else dropped


def _dropout_scale(seed: int, p: float, like: torch.Tensor) -> torch.Tensor:
    make = getattr(kernels_for(like), "dropout_scale", reference.dropout_scale)
    return make(seed, like.numel(), p, like.device).view(like.shape).to(like.dtype)


class _HashedDropout(torch.autograd.Function):
    """`x * scale`, `scale = 1 / (1 - p)` where the hash of (seed, index) keeps the value, else 0;
    the backward multiplies by the regenerated `scale` (saves the seed, not an `[N, F]` mask)."""

    @staticmethod
    def forward(ctx, x, seed: int, p: float):
        ctx.seed, ctx.p = seed, p
        return _dropout_scale(seed, p, x).mul_(x)  # into the multipliers' own buffer: no third [N, F] tensor

    @staticmethod
    def backward(ctx, grad):
        return _dropout_scale(ctx.seed, ctx.p, grad).mul_(grad), None, None


class _SparseProject(torch.autograd.Function):
    """In the features' dtype even under autocast (torch's sparse CSR product has no bfloat16
    kernel on the CPU)."""

    @staticmethod
    def forward(ctx, weight, features: SparseFeatures):
        csr = features.csr()
        ctx.features, ctx.dtype = features, csr.dtype
        with torch.autocast(weight.device.type, enabled=False):
            return csr @ weight.to(csr.dtype).t()

    @staticmethod
    def backward(ctx, grad_out):
        with torch.autocast(grad_out.device.type, enabled=False):
            return (ctx.features.csr_transposed() @ grad_out.to(ctx.dtype)).t(), None


def project(x, weight: torch.Tensor) -> torch.Tensor:
    """`x @ weight.T` for a dense tensor or `SparseFeatures` `x` (`weight` is `[F_out, F_in]`)."""
    if isinstance(x, SparseFeatures):
        return _SparseProject.apply(weight, x)
    return x @ weight.t()


class _ProjectScaledToken(torch.autograd.Function):
    @staticmethod
    def forward(ctx, token, weight, scale):
        ctx.save_for_backward(token, weight, scale)
        return scale @ (weight * token).t()

    @staticmethod
    def backward(ctx, grad_out):
        token, weight, scale = ctx.saved_tensors
        per_feature = (scale.t() @ grad_out).t()  # [F_out, F_in]: d loss / d (weight * token)
        return (per_feature * weight).sum(0), per_feature * token, None


def project_scaled_token(token: torch.Tensor, weight: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """Row r: `(scale_r * token) @ weight.T`, for one shared `token` `[F_in]` and per-row element
    scales `scale` `[R, F_in]` (e.g. a dropout mask; no gradient). Because every row holds the same
    vector, (scale_r * t) W^T = scale_r (W diag(t))^T, and both gradients follow from the one
    product scale^T G `[F_in, F_out]`: backward costs one `[F_in, R] x [R, F_out]` product, not the
    two (input and weight gradients) of projecting an `[R, F_in]` tensor that requires grad."""
    return _ProjectScaledToken.apply(token, weight, scale)
