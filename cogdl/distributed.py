"""Data parallelism over processes with PyTorch's DistributedDataParallel (gloo on CPU, NCCL on CUDA).

`torchrun --nproc-per-node N -m cogdl train ...` (or `cogdl train --nproc N ...`, which launches
exactly that on this machine) starts N processes with `RANK`, `WORLD_SIZE` and a rendezvous
address in their environment; `init_from_environment` joins them into one process group. Every
process loads the dataset, builds the same model (same seed; DDP also broadcasts rank 0's weights)
and trains on its own shard of the training nodes (`shard`); DDP averages the gradients, so each
step is the step of the mean of the processes' losses. Validation and test run on every process
with the same weights, so selection and early stopping agree; rank 0 alone writes the run folder
and prints (`is_main`).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import torch
import torch.distributed as dist

from cogdl.threads import threads_for


def world() -> tuple[int, int]:
    """`(rank, world_size)` of this process; `(0, 1)` outside a process group."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def backend() -> str | None:
    return dist.get_backend() if dist.is_available() and dist.is_initialized() else None


def is_main() -> bool:
    return world()[0] == 0


def init_from_environment(device: torch.device) -> bool:
    """Join the process group that `torchrun` describes in the environment (once); False when this
    process was not started as one of several."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return False
    if not dist.is_initialized():
        if device.type == "cuda":
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return True


def local_device(device: torch.device) -> torch.device:
    """This process's device: its own GPU (`LOCAL_RANK`) when training on CUDA over several processes."""
    if device.type == "cuda" and world()[1] > 1:
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    return device


def shard(indices: torch.Tensor) -> torch.Tensor:
    """This process's share of `indices` (every `world_size`-th, from its rank)."""
    rank, size = world()
    return indices if size == 1 else indices[rank::size]


def parallel(model: torch.nn.Module) -> torch.nn.Module:
    """`model` wrapped in DistributedDataParallel in a process group of several, else itself."""
    if world()[1] == 1:
        return model
    from torch.nn.parallel import DistributedDataParallel

    device = next(model.parameters()).device
    return DistributedDataParallel(model, device_ids=[device] if device.type == "cuda" else None)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def launch(nproc: int, argv: list[str]) -> int:
    """Run `cogdl <argv>` as `nproc` processes on this machine under torchrun (loopback rendezvous);
    the exit status of the group. The processes share the thread budget (`cogdl.threads`)."""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads_for(nproc))}
    command = [sys.executable, "-m", "torch.distributed.run", f"--nproc-per-node={nproc}", "--nnodes=1",
               "--master-addr=127.0.0.1", f"--master-port={free_port()}", "-m", "cogdl", *argv]
    return subprocess.call(command, env=env)
