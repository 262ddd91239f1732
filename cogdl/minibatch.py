"""Mini-batches of sampled blocks, and exact layer-wise inference, for `LayerWise` models.

`NeighborLoader` iterates over seed nodes in shuffled batches and gives, per batch, the seeds and
their blocks (`cogdl.ops.sampling.sample_blocks`, drawn from the model's `message_graph`). Batch
b of epoch e is drawn with a seed of (run seed, e, b), so an epoch's batches are the same whatever
`num_workers` (background processes that sample ahead while the model trains) and whatever the
thread count. Under data parallelism each process iterates over its own shard of every epoch's
batches (`rank`, `world_size`), the same number for every process.

`layerwise_inference` computes a model's output for every node exactly, layer by layer: each layer
over all nodes, `batch_size` rows at a time, from the previous layer's output, each row with all
of its edges (a block of fan-out -1). Its memory is two `[N, hidden]` matrices and one block, not
the activations of a full-batch forward; its result equals the full-batch forward in eval mode.
"""

from __future__ import annotations

import math

import torch

from cogdl.data.graph import Graph
from cogdl.errors import ConfigError
from cogdl.ops.sampling import sample_blocks


def parse_fanouts(text: str, num_layers: int) -> list[int]:
    """`"15,10,5"` -> [15, 10, 5] (hop 1 from the seeds first); `""` -> all edges at every layer."""
    if not text.strip():
        return [-1] * num_layers
    try:
        fanouts = [int(part) for part in text.split(",")]
    except ValueError:
        raise ConfigError(f"fanouts={text!r}: expected comma-separated integers such as 15,10,5") from None
    if any(f == 0 or f < -1 for f in fanouts):
        raise ConfigError(f"fanouts={text!r}: each fan-out must be a positive number of edges, or -1 for all")
    if len(fanouts) != num_layers:
        raise ConfigError(f"fanouts={text!r} gives {len(fanouts)} hops for a model of {num_layers} layers; "
                          "give one fan-out per layer")
    return fanouts


def batch_seed(seed: int, epoch: int, index: int) -> int:
    return (seed * 1_000_003 + epoch) * 1_000_033 % (2 ** 61) + index


class _Batches(torch.utils.data.Dataset):
    """Batch `i` of one epoch, sampled where it is asked for (in a worker process, or here)."""

    def __init__(self, graph: Graph, batches: list[torch.Tensor], fanouts, replace: bool, seeds: list[int]):
        self.graph, self.batches, self.fanouts, self.replace, self.seeds = graph, batches, fanouts, replace, seeds
        self.positions = None

    def __len__(self) -> int:
        return len(self.batches)

    def __getitem__(self, i: int):
        if self.positions is None:  # one buffer per process, made where it is used
            self.positions = torch.full((self.graph.num_nodes,), -1, dtype=torch.long)
        blocks = sample_blocks(self.graph, self.batches[i], self.fanouts, self.replace, self.seeds[i],
                               positions=self.positions)
        return self.batches[i], blocks


class NeighborLoader:
    """Seed nodes in shuffled batches, each with its sampled blocks.

    Args:
        graph: the graph the blocks are drawn from (a model's `message_graph`).
        nodes: `[S]` seed node ids (e.g. the training nodes).
        batch_size: seeds per batch (the last batch of an epoch may be smaller).
        fanouts: edges kept per row at each hop from the seeds (-1: all), one per layer.
        replace: draw with replacement.
        seed: the run seed; with the epoch and the batch index it fixes every draw.
        num_workers: background sampling processes (0: sample in this process).
        rank, world_size: this process's shard under data parallelism.
    """

    def __init__(self, graph: Graph, nodes: torch.Tensor, batch_size: int, fanouts, replace: bool = False,
                 seed: int = 0, num_workers: int = 0, rank: int = 0, world_size: int = 1):
        self.graph, self.nodes, self.batch_size = graph, nodes.long().cpu(), batch_size
        self.fanouts, self.replace, self.seed, self.num_workers = list(fanouts), replace, seed, num_workers
        self.rank, self.world_size = rank, world_size
        self.epoch = 0

    def __len__(self) -> int:
        """Batches per epoch for this process."""
        return math.ceil(self.nodes.numel() / self.batch_size) // self.world_size or 1

    def __iter__(self):
        self.epoch += 1
        generator = torch.Generator().manual_seed(batch_seed(self.seed, self.epoch, 0))
        order = self.nodes[torch.randperm(self.nodes.numel(), generator=generator)]
        batches = list(order.split(self.batch_size))
        indices = list(range(len(batches)))[self.rank::self.world_size][:len(self)]
        dataset = _Batches(self.graph, [batches[i] for i in indices], self.fanouts, self.replace,
                           [batch_seed(self.seed, self.epoch, i + 1) for i in indices])
        if self.num_workers == 0:
            yield from (dataset[i] for i in range(len(dataset)))
            return
        yield from torch.utils.data.DataLoader(dataset, batch_size=None, shuffle=False, num_workers=self.num_workers,
                                               collate_fn=lambda item: item, multiprocessing_context="fork")


@torch.no_grad()
def layerwise_inference(model, graph: Graph, x: torch.Tensor, batch_size: int, device=None) -> torch.Tensor:
    """The output of `LayerWise` `model` for every node of `graph` (its `message_graph`), layer by
    layer in batches of `batch_size` rows (see the module docstring); `x` and the outputs stay
    on the CPU, each batch runs on `device` (default: the model's)."""
    device = device or next(model.parameters()).device
    positions = torch.full((graph.num_nodes,), -1, dtype=torch.long)
    h = x
    for k in range(model.num_layers):
        parts = []
        for rows in torch.arange(graph.num_nodes).split(batch_size):
            block, = sample_blocks(graph, rows, [-1], positions=positions)  # every edge: scale 1
            parts.append(model.layer(k, block.to(device), h[block.input_nodes].to(device)).cpu())
        h = torch.cat(parts)
    return h
