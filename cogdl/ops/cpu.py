"""The `cpu` backend: the C++ kernels of `csrc/cpu_ops.cpp`, built with OpenMP on first use
(`load_extension` builds the other C++ files of `csrc/` the same way, e.g. random walks and neighbour sampling).

The build (torch.utils.cpp_extension, 22-26 s on the project's 2-core CPU box) is cached under
`$COGDL_CACHE/extensions` (default `~/.cache/cogdl/extensions`) in a folder named after the
source, the torch version and install folder and the CPU, so it runs once per machine and Python environment.
The build compiles a copy of the source kept in that folder: ninja rebuilds whenever the source path
changes, and a checkout and an installed copy of cogdl (a test run's subprocesses and the test process)
would otherwise rebuild each other's build at every switch (about 40 s each); a failed build makes
`cogdl.ops` fall back to the reference kernels with one warning. Processes that load it at the
same time take turns on an OS lock, and a process killed while loading it does not block the next.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import platform
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path

import torch

SOURCE = Path(__file__).parent / "csrc" / "cpu_ops.cpp"
_extension = None
_sampling_extension = None


def _build_dir(source: Path = SOURCE) -> Path:
    cache = Path(os.environ.get("COGDL_CACHE", "~/.cache/cogdl")).expanduser() / "extensions"
    cpu = platform.processor() or platform.machine()
    try:
        flags = next(line for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("flags"))
    except (OSError, StopIteration):
        flags = ""
    torch_install = str(Path(torch.__file__).parent)  # its headers: another venv's torch is another build
    key = hashlib.sha256(source.read_bytes() + torch.__version__.encode() + torch_install.encode()
                         + (cpu + flags).encode()).hexdigest()[:16]
    return cache / f"{source.stem}-{key}"


def ensure_available():
    """Build (or load the cached build of) the extension; raises if that is impossible."""
    global _extension
    if _extension is None:
        _extension = load_extension(SOURCE)
    return _extension


def load_extension(source: Path):
    """Build (or load the cached build of) the C++ file `source` as module `cogdl_<stem>`."""
    from torch.utils.cpp_extension import load

    build_dir = _build_dir(source)
    build_dir.mkdir(parents=True, exist_ok=True)
    with _only_loader(build_dir):
        if not any(build_dir.glob("*.so")):
            print(f"cogdl: building the CPU kernels of {source.name} (once per machine, under a minute)...",
                  file=sys.stderr)
        kept_source = build_dir / source.name  # the same path whichever copy of cogdl asks
        if not kept_source.exists() or kept_source.read_bytes() != source.read_bytes():
            shutil.copyfile(source, kept_source)
        return load(name=f"cogdl_{source.stem}", sources=[str(kept_source)], build_directory=str(build_dir),
                    extra_cflags=["-O3", "-march=native", "-fopenmp"], extra_ldflags=["-fopenmp"], verbose=False)


@contextmanager
def _only_loader(build_dir: Path):
    """Run the body as the one process building or loading in `build_dir`.

    torch's `load` guards its build with a `lock` file that it creates and deletes itself; a process
    killed in between leaves the file, and every later `load` waits for it forever. An `flock` is
    dropped by the kernel when its holder dies, so the holder of ours knows that any `lock` file
    there is such a leftover, and removes it before `load` looks.
    """
    with open(build_dir / "loader.flock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes
        (build_dir / "lock").unlink(missing_ok=True)
        yield


def spmm(rowptr, col, weight, x, num_rows: int, reduce: str = "sum"):
    out, arg = _extension.spmm(rowptr, col, weight, x, num_rows, reduce)
    return out, (arg if reduce == "max" else None)


def bf16_spmm(reduce: str, heads: int, width: int) -> bool:
    """Whether `spmm` takes bfloat16 features as they are (summing in float32) for this shape."""
    return reduce in ("sum", "mean") and heads == 1 and width in (16, 32, 64, 128)


def sddmm(rowptr, col, a, b):
    return _extension.sddmm(rowptr, col, a, b)


def edge_softmax(rowptr, scores):
    return _extension.edge_softmax(rowptr, scores)


def edge_softmax_backward(rowptr, alpha, grad):
    return _extension.edge_softmax_backward(rowptr, alpha, grad)


def gat_forward(rowptr, col, h, a_src, a_dst, bias, slope: float, p: float, seed: int):
    out, row_max, row_sum = _extension.gat_forward(rowptr, col, h, a_src, a_dst, bias, slope, p, seed)
    return out, (row_max, row_sum)


def gat_backward(rowptr, col, h, a_src, a_dst, bias, slope, p, seed, state, grad_out, t_rowptr, t_col, t_perm,
                 need_bias_grad: bool):
    grads = _extension.gat_backward(rowptr, col, h, a_src, a_dst, bias, slope, p, seed, *state, grad_out,
                                    t_rowptr, t_col, t_perm, need_bias_grad)
    return grads[0], grads[1], grads[2], (grads[3] if need_bias_grad else None)


def dropout_scale(seed: int, numel: int, p: float, device):
    return _extension.dropout_scale(seed, numel, p)


def quantize(x, bits: int, group_size: int, seed: int):
    return _extension.quantize(x, bits, group_size, seed)


def dequantize(packed, minimum, step, bits: int, group_size: int, numel: int):
    return _extension.dequantize(packed, minimum, step, bits, group_size, numel)


def pack_positive(x):
    return _extension.pack_positive(x)


def unpack_positive(packed, numel: int, dtype: torch.dtype):
    return _extension.unpack_positive(packed, numel, dtype == torch.bool)


def _sampling():
    global _sampling_extension
    if _sampling_extension is None:
        _sampling_extension = load_extension(SOURCE.parent / "sampling.cpp")
    return _sampling_extension


def random_walks(rowptr, col, starts, cumulative, length: int, p: float, q: float, seed: int):
    return _sampling().random_walks(rowptr, col, starts, cumulative, length, p, q, seed)


def sample_hop(rowptr, col, nodes, fanout: int, replace: bool, seed: int, positions):
    return _sampling().sample_hop(rowptr, col, nodes, fanout, replace, seed, positions)
