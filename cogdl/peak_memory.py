"""Peak memory of a stretch of work, above what the process held when it began.

On the CPU: the growth of the peak resident set (Linux: `VmHWM` in `/proc/self/status`, reset to
the current resident set through `/proc/self/clear_refs` after freeing what can be freed). On a
GPU: `torch.cuda.max_memory_allocated` above the memory allocated at the start. Elsewhere (no
`/proc`): not measured (None).
"""

from __future__ import annotations

import ctypes
import gc

import torch


def status_mb(key: str) -> float:
    """A `kB` line of `/proc/self/status` (e.g. `VmRSS`, `VmHWM`) in MB."""
    with open("/proc/self/status") as handle:
        line = next(line for line in handle if line.startswith(key + ":"))
    return int(line.split()[1]) / 1024


def reset_peak_rss() -> float:
    """Free what can be freed, reset the peak RSS (VmHWM) to the current RSS, and return that in MB."""
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")
    return status_mb("VmRSS")


class PeakMemory:
    """`PeakMemory(device)` starts the count; `.mb()` is the peak since then, above the start."""

    def __init__(self, device: str | torch.device):
        self.cuda = torch.device(device).type == "cuda"
        if self.cuda:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            self.base = torch.cuda.memory_allocated()
            return
        try:
            self.base = reset_peak_rss()
        except OSError:
            self.base = None

    def mb(self) -> float | None:
        if self.cuda:
            torch.cuda.synchronize()
            return (torch.cuda.max_memory_allocated() - self.base) / 2**20
        return None if self.base is None else status_mb("VmHWM") - self.base
