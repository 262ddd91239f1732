"""`cogdl bench ops` and `cogdl bench train`: our kernels and layers against their peers.

Every case is timed in interleaved rounds (one run of each case per round, so background noise
hits all of them alike) after a warm-up; we report the median, its ratio to the baseline of its
group (torch.sparse CSR for SpMM, PyG for layers and models), achieved GB/s for SpMM, and peak
memory of one forward+backward, measured in a fresh process per case on the CPU
(peak RSS growth) or with `torch.cuda.max_memory_allocated` on a GPU.

Graphs are seeded Chung-Lu power-law graphs: expected degree of node i proportional to
(i + 1) ** (-1 / (gamma - 1)) with gamma = 2.5, edges drawn with replacement, self loops and
repeats dropped.
"""

from __future__ import annotations

import multiprocessing
import platform
import os
import statistics
import time
from dataclasses import asdict, dataclass, field
from typing import Callable

import torch

from cogdl.data.graph import Graph
from cogdl.errors import ConfigError
from cogdl.peak_memory import PeakMemory, reset_peak_rss, status_mb


def chung_lu_graph(num_nodes: int, num_edges: int, seed: int = 0, gamma: float = 2.5) -> Graph:
    """A power-law graph with about `num_edges` distinct directed edges, fully determined by `seed`."""
    generator = torch.Generator().manual_seed(seed)
    weight = torch.arange(1, num_nodes + 1, dtype=torch.float64).pow(-1.0 / (gamma - 1.0))
    draws = int(num_edges * 1.1) + 16
    src = torch.multinomial(weight, draws, replacement=True, generator=generator)
    dst = torch.multinomial(weight, draws, replacement=True, generator=generator)
    keep = src != dst
    key = torch.unique(dst[keep] * num_nodes + src[keep])
    key = key[torch.randperm(key.numel(), generator=generator)[:num_edges]]
    return Graph.from_coo(key // num_nodes, key % num_nodes, num_nodes)


@dataclass
class Case:
    group: str
    name: str
    mode: str  # "forward" or "forward+backward"
    run: Callable[[], object] = field(repr=False)
    bytes_moved: int = 0
    baseline: bool = False
    seconds: list[float] = field(default_factory=list)
    memory_mb: float | None = None
    max_rounds: int | None = None  # a case of minutes runs fewer rounds (and no warm-up)
    edges: int = 0  # sampled edges per run, for a sampler's throughput


def time_interleaved(cases: list[Case], rounds: int, warmup: int = 2, device: str = "cpu") -> None:
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    for case in cases:
        for _ in range(warmup if case.max_rounds is None else 0):
            case.run()
    sync()
    for _ in range(rounds):
        for case in cases:
            if case.max_rounds is not None and len(case.seconds) >= case.max_rounds:
                continue
            start = time.perf_counter()
            case.run()
            sync()
            case.seconds.append(time.perf_counter() - start)


def triad_case(group: str, device: str, numel: int = 1 << 25) -> Case:
    """STREAM's triad `a = b + s c` on three float32 arrays of `numel` values (128 MiB each by
    default, far beyond the caches), with the threads the kernels use: the memory bandwidth this
    machine gives a streaming kernel, timed in the same interleaved rounds as the cases it measures."""
    generator = torch.Generator().manual_seed(0)
    a = torch.empty(numel, device=device)
    b, c = torch.rand(numel, generator=generator).to(device), torch.rand(numel, generator=generator).to(device)
    return Case(group, "STREAM triad", "forward", lambda: torch.add(b, c, alpha=3.0, out=a), 3 * numel * 4)


def _backward(make_output: Callable[[], torch.Tensor], params: list[torch.Tensor]):
    def run():
        for p in params:
            p.grad = None
        make_output().sum().backward()

    return run


def _require_grad(*tensors):
    return [t.detach().clone().requires_grad_() for t in tensors]


# -- op-level cases -------------------------------------------------------------------------------
def ops_cases(graph_name: str, graph: Graph, width: int, device: str, layers: bool = True) -> list[Case]:
    """SpMM at feature width `width`, and (with `layers`) the GCN and GAT layers, on `graph`."""
    import torch_geometric.nn as pyg_nn

    from cogdl.nn import GATConv, GCNConv
    from cogdl.ops import backends, spmm

    graph = graph.to(device)
    n, e = graph.num_nodes, graph.num_edges
    dgl = _optional_dgl()
    if dgl is not None:
        dgl_graph = dgl.graph((graph.col, graph.row), num_nodes=n)
        dgl_looped = dgl.add_self_loop(dgl.remove_self_loop(dgl_graph))
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(n, width, generator=generator).to(device)
    weight = torch.rand(e, generator=generator).to(device)
    edge_index = torch.stack([graph.col, graph.row])
    adjacency = torch.sparse_csr_tensor(graph.rowptr, graph.col, weight, (n, n), check_invariants=False)
    graph.transposed()
    spmm_bytes = e * (8 + 4 + 4 * width) + n * 4 * width + (n + 1) * 8  # index, weight, gathered row; output; rowptr
    bf16_bytes = e * (8 + 4 + 2 * width) + n * 2 * width + (n + 1) * 8
    cases = []
    group = f"spmm F={width} {graph_name}"
    for mode in ("forward", "forward+backward"):
        xg, = _require_grad(x)
        if mode == "forward":
            cases.append(Case(group, "torch.sparse CSR", mode, lambda: adjacency @ x, spmm_bytes, baseline=True))
        else:
            cases.append(Case(group, "torch.sparse CSR", mode, _backward(lambda: adjacency @ xg, [xg]), 2 * spmm_bytes,
                              baseline=True))
        for backend in ("reference", "triton" if x.is_cuda else "cpu"):
            if backends.load(backend) is None:
                continue

            def forward(backend=backend, inp=(x if mode == "forward" else xg)):
                with _forced(backend):
                    return spmm(graph, inp, weight)

            run = forward if mode == "forward" else _backward(forward, [xg])
            cases.append(Case(group, f"cogdl {backend}", mode, run, spmm_bytes * (1 if mode == "forward" else 2)))
        if not x.is_cuda and backends.load("cpu") is not None:  # mixed precision: bfloat16 features, float32 sums
            xb = x.bfloat16().requires_grad_(mode != "forward")

            def forward_bf16(inp=xb):
                with _forced("cpu"):
                    return spmm(graph, inp, weight)

            run = forward_bf16 if mode == "forward" else _backward(forward_bf16, [xb])
            cases.append(Case(group, "cogdl cpu bf16", mode, run, bf16_bytes * (1 if mode == "forward" else 2)))
        if dgl is not None:
            def dgl_spmm(inp=(x if mode == "forward" else xg)):
                return dgl.ops.gspmm(dgl_graph, "mul", "sum", inp, weight)

            run = dgl_spmm if mode == "forward" else _backward(dgl_spmm, [xg])
            cases.append(Case(group, "DGL gspmm", mode, run, spmm_bytes * (1 if mode == "forward" else 2)))

    if not layers:
        return cases
    in_width = 64
    h = torch.randn(n, in_width, generator=generator).to(device)
    for layer_group, ours, theirs in (
        (f"GAT layer 8x8 {graph_name}", GATConv(in_width, 8, num_heads=8), pyg_nn.GATConv(in_width, 8, heads=8)),
        (f"GCN layer 64 {graph_name}", GCNConv(in_width, 64), pyg_nn.GCNConv(in_width, 64)),
    ):
        ours, theirs = ours.to(device), theirs.to(device)
        peers = [("PyG edge_index", lambda m=theirs: m(h, edge_index), list(theirs.parameters()), True)]
        if "GCN" in layer_group:
            adj_t = torch.sparse_csr_tensor(graph.rowptr, graph.col, torch.ones(e, device=device), (n, n), check_invariants=False)
            peers.append(("PyG CSR adj_t", lambda m=theirs: m(h, adj_t), list(theirs.parameters()), False))
        if dgl is not None:
            import dgl.nn as dgl_nn

            theirs_dgl = (dgl_nn.GATConv(in_width, 8, num_heads=8) if "GAT" in layer_group
                          else dgl_nn.GraphConv(in_width, 64, norm="both")).to(device)
            peers.append(("DGL", lambda m=theirs_dgl: m(dgl_looped, h), list(theirs_dgl.parameters()), False))
        peers.append(("cogdl", lambda m=ours: m(graph, h), list(ours.parameters()), False))
        if h.is_cuda:  # which kernels serve a layer best on a GPU: Triton's or the torch.sparse reference
            peers.append(("cogdl reference ops", lambda m=ours: _with_backend("reference", m, graph, h),
                          list(ours.parameters()), False))
        for mode in ("forward", "forward+backward"):
            for name, forward, params, baseline in peers:
                if mode == "forward":
                    run = (lambda f=forward: _no_grad(f))
                else:
                    run = _backward(forward, params)
                cases.append(Case(layer_group, name, mode, run, baseline=baseline))
    return cases


def _optional_dgl():
    """DGL when it imports here (an optional cross-check, never a dependency), else None."""
    try:
        import dgl

        return dgl
    except Exception:
        return None


class _forced:
    """Temporarily force `COGDL_OPS` (benchmarks compare backends in one process)."""

    def __init__(self, backend: str):
        self.backend = backend

    def __enter__(self):
        self.old = os.environ.get("COGDL_OPS")
        os.environ["COGDL_OPS"] = self.backend

    def __exit__(self, *exc):
        if self.old is None:
            os.environ.pop("COGDL_OPS", None)
        else:
            os.environ["COGDL_OPS"] = self.old


def _with_backend(backend: str, module, *args):
    with _forced(backend):
        return module(*args)


def _no_grad(forward):
    with torch.no_grad():
        return forward()


# -- training epochs ------------------------------------------------------------------------------
def train_cases(device: str, data_root=None) -> list[Case]:
    """One training epoch (forward, loss, backward, Adam step) of the two-layer GCN and GAT of the
    Planetoid leaderboard on PubMed: ours against the same models in PyG and, where it imports, DGL;
    then ours with compressed activations (`compression_cases`)."""
    import torch.nn.functional as F
    import torch_geometric.nn as pyg_nn

    from cogdl.data.root import data_root as resolve_root
    from cogdl.datasets.planetoid import load_planetoid
    from cogdl.models.base import ModelSizes
    from cogdl.models.gat import GAT, GATConfig
    from cogdl.models.gcn import GCN, GCNConfig
    from cogdl.nn.functional import maybe_sparse
    from cogdl.tasks.node_classification import cross_entropy_step, row_normalize
    from cogdl.trainer import LoopConfig, Trainer

    dataset = load_planetoid("pubmed", resolve_root(data_root))
    graph = dataset.graph.to(device)
    x_dense = row_normalize(graph.x)
    x_ours = maybe_sparse(x_dense)
    y, train = graph.y, graph.masks["train"]
    n = graph.num_nodes
    edge_index = torch.stack([graph.col, graph.row])
    adj_t = torch.sparse_csr_tensor(graph.rowptr, graph.col, torch.ones(graph.num_edges, device=device), (n, n),
                                    check_invariants=False)
    info = dataset.info

    class PyGGCN(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1, self.conv2 = pyg_nn.GCNConv(info.num_features, 64), pyg_nn.GCNConv(64, info.num_classes)

        def forward(self, x, adjacency):
            x = F.relu(self.conv1(F.dropout(x, 0.5, self.training), adjacency))
            return self.conv2(F.dropout(x, 0.5, self.training), adjacency)

    class PyGGAT(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = pyg_nn.GATConv(info.num_features, 8, heads=8, dropout=0.6)
            self.conv2 = pyg_nn.GATConv(64, info.num_classes, heads=1, concat=False, dropout=0.6)

        def forward(self, x, adjacency):
            x = F.elu(self.conv1(F.dropout(x, 0.6, self.training), adjacency))
            return self.conv2(F.dropout(x, 0.6, self.training), adjacency)

    def epoch(model, forward):
        optimizer = torch.optim.Adam(model.parameters(), lr=0.01)

        def run():
            model.train()
            optimizer.zero_grad()
            F.cross_entropy(forward()[train], y[train]).backward()
            optimizer.step()

        return run

    trainer = Trainer(LoopConfig(lr=0.01), device)

    def our_epoch(model):
        """One epoch of the node task's own loop: its step under the trainer's optimizer."""
        optimizer = trainer.optimizer(model)

        def run():
            model.train()
            cross_entropy_step(model, graph, x_ours, train, optimizer)

        return run

    sizes = ModelSizes(info.num_features, info.num_classes)
    gcn, pyg_gcn = GCN(GCNConfig(), sizes).to(device), PyGGCN().to(device)
    gat, pyg_gat = GAT(GATConfig(), sizes).to(device), PyGGAT().to(device)
    group_gcn, group_gat = "GCN epoch PubMed (hidden 64)", "GAT epoch PubMed (8 heads x 8)"
    cases = [
        Case(group_gcn, "PyG CSR adj_t", "train epoch", epoch(pyg_gcn, lambda: pyg_gcn(x_dense, adj_t)), baseline=True),
        Case(group_gcn, "PyG edge_index", "train epoch", epoch(pyg_gcn, lambda: pyg_gcn(x_dense, edge_index))),
        Case(group_gcn, "cogdl", "train epoch", our_epoch(gcn)),
        Case(group_gat, "PyG edge_index", "train epoch", epoch(pyg_gat, lambda: pyg_gat(x_dense, edge_index)),
             baseline=True),
        Case(group_gat, "cogdl", "train epoch", our_epoch(gat)),
    ]
    dgl = _optional_dgl()
    if dgl is not None:  # the same two models in DGL's layers, on its graph with self loops
        import dgl.nn as dgl_nn

        looped = dgl.add_self_loop(dgl.remove_self_loop(dgl.graph((graph.col, graph.row), num_nodes=n))).to(device)

        class DGLGCN(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = dgl_nn.GraphConv(info.num_features, 64, activation=F.relu)
                self.conv2 = dgl_nn.GraphConv(64, info.num_classes)

            def forward(self, x):
                x = self.conv1(looped, F.dropout(x, 0.5, self.training))
                return self.conv2(looped, F.dropout(x, 0.5, self.training))

        class DGLGAT(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = dgl_nn.GATConv(info.num_features, 8, 8, feat_drop=0.6, attn_drop=0.6, activation=F.elu)
                self.conv2 = dgl_nn.GATConv(64, info.num_classes, 1, feat_drop=0.6, attn_drop=0.6)

            def forward(self, x):
                return self.conv2(looped, self.conv1(looped, x).flatten(1)).mean(1)

        dgl_gcn, dgl_gat = DGLGCN().to(device), DGLGAT().to(device)
        cases.insert(2, Case(group_gcn, f"DGL {dgl.__version__}", "train epoch", epoch(dgl_gcn, lambda: dgl_gcn(x_dense))))
        cases.insert(-1, Case(group_gat, f"DGL {dgl.__version__}", "train epoch", epoch(dgl_gat, lambda: dgl_gat(x_dense))))
    return cases + compression_cases(device, data_root)


#: GACT's GNN benchmark: three layers of width 256
COMPRESSION_MODELS = ("gcn", "graphsage", "gat")
COMPRESSION_SETTINGS = {"hidden_size": 256, "num_layers": 3}


def _pubmed_epoch(device: str, data_root=None):
    """`make_epoch(model_name, bits, **settings)`, which builds that model on PubMed
    and returns one training epoch of the node task's loop (`cross_entropy_step` under the trainer's
    optimizer) with the activations saved for backward in `bits` bits (32: as they are)."""
    from cogdl.data.root import data_root as resolve_root
    from cogdl.datasets.planetoid import load_planetoid
    from cogdl.models.base import ModelSizes
    from cogdl.nn.activation_compression import compressed_activations
    from cogdl.nn.functional import maybe_sparse
    from cogdl.registry import MODELS
    from cogdl.tasks.node_classification import cross_entropy_step, row_normalize
    from cogdl.trainer import LoopConfig, Trainer

    dataset = load_planetoid("pubmed", resolve_root(data_root))
    graph = dataset.graph.to(device)
    x, train = maybe_sparse(row_normalize(graph.x)), graph.masks["train"]
    trainer = Trainer(LoopConfig(lr=0.01), device)
    sizes = ModelSizes(dataset.info.num_features, dataset.info.num_classes)

    def make_epoch(model_name: str, bits: int, **settings):
        model_class = MODELS.get(model_name)
        model = model_class(model_class.Config(**settings), sizes).to(device)
        optimizer = trainer.optimizer(model)

        def run():
            model.train()
            with compressed_activations(bits if bits < 32 else None):
                cross_entropy_step(model, graph, x, train, optimizer)

        return run

    return make_epoch


def compression_cases(device: str, data_root=None, bits=(32, 8, 4, 2)) -> list[Case]:
    """A training epoch of GCN, GraphSAGE and GAT (3 layers, hidden 256) on PubMed with the
    activations saved for backward as they are and in 8, 4 and 2 bits (`cogdl.nn.activation_compression`):
    what compression costs in time and saves in peak memory."""
    make_epoch = _pubmed_epoch(device, data_root)
    epochs = [Case(f"{name} epoch PubMed (3 x 256), activations in", f"{b} bits", "train epoch",
                   make_epoch(name, b, **COMPRESSION_SETTINGS), baseline=b == 32)
              for name in COMPRESSION_MODELS for b in bits]
    return epochs + quantize_cases(device)


def quantize_cases(device: str, shape=(19717, 256), bits: int = 2) -> list[Case]:
    """Quantising and restoring one activation of PubMed's size (`cogdl.ops.quantize`, groups of
    256), and packing and restoring where it is positive (what relu keeps), with each backend that
    runs here; the reference is the baseline."""
    from cogdl.ops import backends, reference

    x = torch.randn(*shape, device=device).view(-1)
    n, seed = x.numel(), 12345
    stored = reference.quantize(x, bits, 256, seed)
    loaded = [(name, kernels) for name in ("reference", "triton" if device.startswith("cuda") else "cpu")
              if (kernels := backends.load(name)) is not None]
    signs = reference.pack_positive(x)
    size, moved = f"{bits} bits {shape[0]} x {shape[1]}", 4 * n + n * bits // 8
    runs = {f"quantize {size}": (lambda k: lambda: k.quantize(x, bits, 256, seed), moved),
            f"dequantize {size}": (lambda k: lambda: k.dequantize(*stored, bits, 256, n), moved),
            f"pack where positive (relu's sign) {shape[0]} x {shape[1]}":
                (lambda k: lambda: k.pack_positive(x), 4 * n + n // 8),
            f"unpack where positive {shape[0]} x {shape[1]}":
                (lambda k: lambda: k.unpack_positive(signs, n, torch.float32), 4 * n + n // 8)}
    return [Case(what, name, "forward", run(kernels), bytes_moved=bytes_moved, baseline=name == "reference")
            for what, (run, bytes_moved) in runs.items() for name, kernels in loaded]


#: the official GraphMAE pretraining settings timed by `cogdl bench graphmae` (over the defaults)
GRAPHMAE_SETTINGS = {"cora": {}, "pubmed": {"hidden_size": 1024, "num_heads": 4, "mask_rate": 0.75, "replace_rate": 0.0}}


def graphmae_cases(device: str, data_root=None, settings: dict = GRAPHMAE_SETTINGS) -> list[Case]:
    """One GraphMAE pretraining step (loss, backward, fused Adam) per dataset of `settings` (the
    official ones by default): `loss` (needed rows, sparse input) against `plain_loss` (eq. 3 as
    written, dense input)."""
    from cogdl.data.root import data_root as resolve_root
    from cogdl.datasets.planetoid import load_planetoid
    from cogdl.models.graphmae import GraphMAE
    from cogdl.nn.functional import maybe_sparse
    from cogdl.tasks.ssl_node_classification import SSLNodeClassification, SSLNodeClassificationConfig
    from cogdl.trainer import LoopConfig, Trainer

    cases, task, config = [], SSLNodeClassification(), SSLNodeClassificationConfig()
    trainer = Trainer(LoopConfig(lr=1e-3), device, fused_adam=True)  # the pretraining loop's optimizer
    for name, overrides in settings.items():
        data = task.prepare(load_planetoid(name, resolve_root(data_root)), config)
        graph = data.graph.to(device)
        group = f"GraphMAE step {name} (official setting)"
        for label, loss_name, x, baseline in (("plain eq. 3", "plain_loss", graph.x, True),
                                              ("cogdl", "loss", maybe_sparse(graph.x), False)):
            model = GraphMAE(GraphMAE.Config(**overrides), task.model_sizes(data, config)).to(device).train()
            optimizer = trainer.optimizer(model)

            def step(loss=getattr(model, loss_name), graph=graph, x=x, optimizer=optimizer):
                optimizer.zero_grad()
                loss(graph, x).backward()
                optimizer.step()

            cases.append(Case(group, label, "train step", step, baseline=baseline))
    return cases


def feature_cases(device: str, data_root=None) -> list[Case]:
    """A first layer on bag-of-words features, dropout 0.5 then `X W^T` (64 outputs), forward and
    backward, for a model that takes sparse input (`SparseInput`): our `SparseFeatures` (CSR with
    its transpose's structure cached) against torch's sparse CSR tensor and the dense matrix."""
    from cogdl.data.root import data_root as resolve_root
    from cogdl.datasets.planetoid import load_planetoid
    from cogdl.nn.functional import SparseFeatures, dropout, project
    from cogdl.tasks.node_classification import row_normalize

    cases = []
    for name in ("cora", "pubmed"):
        x = row_normalize(load_planetoid(name, resolve_root(data_root)).graph.x).to(device)
        ours, csr = SparseFeatures.from_dense(x), x.to_sparse_csr()
        weight = torch.randn(64, x.shape[1], device=device, requires_grad=True)
        density = f"{100 * csr.values().numel() / x.numel():.1f}% non-zero"
        group = f"input layer {name} ({x.shape[1]} features, {density})"

        def torch_csr(csr=csr, weight=weight):
            values = torch.nn.functional.dropout(csr.values(), 0.5, True)
            dropped = torch.sparse_csr_tensor(csr.crow_indices(), csr.col_indices(), values, csr.shape)
            return torch.sparse.mm(dropped, weight.t())

        cases += [
            Case(group, "dense", "forward+backward",
                 _backward(lambda x=x, weight=weight: dropout(x, 0.5, True) @ weight.t(), [weight]), baseline=True),
            Case(group, "torch sparse CSR", "forward+backward", _backward(torch_csr, [weight])),
            Case(group, "SparseFeatures", "forward+backward",
                 _backward(lambda ours=ours, weight=weight: project(dropout(ours, 0.5, True), weight), [weight])),
        ]
    return cases


def embedding_cases(device: str, data_root=None) -> list[Case]:
    """Network embedding on BlogCatalog (10,312 nodes, 667,966 adjacency entries), on the CPU:
    node2vec walks (length 40, p = 0.25, q = 4) from our C++ kernel against the pure-PyTorch
    exact-draw sampler (`random_walks_reference`; PyG's `Node2Vec` needs pyg-lib or torch-cluster
    to sample at all), at 8 walks per node; the kernel alone at the target's 80 walks per node;
    ProNE (d = 128); and DeepWalk end to end (80 walks of 40 per node, skip-gram window 10, every
    core; one round: it takes minutes)."""
    from cogdl.data.root import data_root as resolve_root
    from cogdl.datasets.network_embedding import load_ne_card
    from cogdl.models.base import ModelSizes
    from cogdl.models.deepwalk import DeepWalk
    from cogdl.models.prone import ProNE
    from cogdl.ops.walks import random_walks, random_walks_reference

    graph = load_ne_card("blogcatalog", resolve_root(data_root)).graph
    few, many = torch.arange(graph.num_nodes).repeat(8), torch.arange(graph.num_nodes).repeat(80)
    walks = lambda starts, walker: lambda: walker(graph.rowptr, graph.col, starts, 40, 0.25, 4.0, 0)  # noqa: E731
    group = "node2vec walks BlogCatalog 8/node"
    deepwalk = DeepWalk(DeepWalk.Config(workers=0), ModelSizes(0, None))
    prone = ProNE(ProNE.Config(), ModelSizes(0, None))
    return [
        Case(group, "PyTorch reference", "forward", walks(few, random_walks_reference), baseline=True),
        Case(group, "cogdl cpu kernel", "forward", walks(few, random_walks)),
        Case("node2vec walks BlogCatalog 80/node", "cogdl cpu kernel", "forward", walks(many, random_walks)),
        Case("ProNE BlogCatalog d=128", "prone", "forward", lambda: prone.fit_embed(graph, 0)),
        Case("DeepWalk BlogCatalog end to end", "deepwalk", "forward", lambda: deepwalk.fit_embed(graph, 0),
             max_rounds=1),
    ]


def sampling_cases(device: str, data_root=None, batch: int = 1024, fanouts=(15, 10, 5)) -> list[Case]:
    """Neighbour sampling for a mini-batch: `batch` seed nodes, fan-outs 15, 10, 5 from the seeds,
    the three blocks relabelled, on the synthetic DC-SBM graph (`synthetic-2m` where it is built in
    the data root, else `synthetic-200k` generated in memory). Our C++ kernel and PyTorch reference
    against DGL's `NeighborSampler` (`sample_neighbors` + `to_block` per hop, the same work) where
    dgl imports; PyG's `NeighborLoader` needs pyg-lib or torch-sparse to sample at all, and is timed
    only where one of them is installed. Each round draws a fresh batch of seeds (the same for
    every implementation); throughput is sampled edges per second."""
    import numpy as np

    from cogdl.data.root import data_root as resolve_root
    from cogdl.datasets.synthetic import SIZES, generate_structure, load_synthetic
    from cogdl.ops.sampling import sample_blocks

    try:
        graph, name = load_synthetic("synthetic-2m", resolve_root(data_root)).graph, "synthetic-2m"
    except Exception:
        _, rowptr, col = generate_structure(SIZES["synthetic-200k"], np.random.default_rng(0))
        graph, name = Graph(rowptr, col), "synthetic-200k"
    group = f"sampling {','.join(map(str, fanouts))} batch {batch} {name}"
    state = {"round": 0}
    positions = torch.full((graph.num_nodes,), -1, dtype=torch.long)

    def seeds():
        return torch.randperm(graph.num_nodes, generator=torch.Generator().manual_seed(state["round"]))[:batch]

    def ours(backend: str):
        def run():
            blocks = sample_blocks(graph, seeds(), fanouts, seed=state["round"], backend=backend, positions=positions)
            return sum(b.graph.num_edges for b in blocks)
        return run

    cases = [Case(group, "cogdl cpu kernel", "forward", ours("cpu")),
             Case(group, "PyTorch reference", "forward", ours("reference"))]
    dgl = _optional_dgl()
    if dgl is not None:
        dgl_graph = dgl.graph(("csc", (graph.rowptr, graph.col, torch.tensor([], dtype=torch.long))),
                              num_nodes=graph.num_nodes)
        sampler = dgl.dataloading.NeighborSampler(list(reversed(fanouts)))

        def dgl_run():
            _, _, blocks = sampler.sample_blocks(dgl_graph, seeds())
            return sum(b.num_edges() for b in blocks)

        cases.append(Case(group, f"DGL {dgl.__version__}", "forward", dgl_run, baseline=True))
    else:
        cases[1].baseline = True
    try:
        import torch_geometric.typing as pyg_typing

        if pyg_typing.WITH_PYG_LIB or pyg_typing.WITH_TORCH_SPARSE:
            from torch_geometric.data import Data
            from torch_geometric.loader import NeighborLoader

            data = Data(edge_index=torch.stack([graph.col, graph.row]), num_nodes=graph.num_nodes)

            def pyg_run():
                loader = NeighborLoader(data, num_neighbors=list(fanouts), input_nodes=seeds(), batch_size=batch)
                return int(next(iter(loader)).edge_index.shape[1])

            cases.append(Case(group, "PyG NeighborLoader", "forward", pyg_run))
    except ImportError:
        pass
    for case in cases:  # the edges each implementation draws for one batch (fan-outs make it near constant)
        case.edges = int(case.run())
    first = cases[0].run

    def next_batch_then_first():  # the first case of a round moves every case on to the next batch
        state["round"] += 1
        return first()

    cases[0].run = next_batch_then_first
    return cases


#: `cogdl bench <what>` for the model-level benchmarks: the builder of its cases from (device, data_root)
MODEL_CASES = {"train": train_cases, "graphmae": graphmae_cases, "features": feature_cases,
               "embedding": embedding_cases, "sampling": sampling_cases}


# -- memory, one case per fresh process on the CPU -----------------------------------------------
def _memory_worker(spec, queue):
    kind, index, device, args = spec
    cases = ops_cases(*args[:3], device, *args[3:]) if kind == "ops" else MODEL_CASES[kind](device, *args)
    case = cases[index]
    case.run()  # warm-up: lazy initialisation is not the case's memory
    base = reset_peak_rss()
    case.run()
    queue.put(max(0.0, status_mb("VmHWM") - base))


def _cuda_peak_mb(run) -> float:
    """Peak CUDA memory allocated during one call of `run`, above what was allocated before it."""
    run()  # warm-up: lazy initialisation is not the case's memory
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    base = torch.cuda.memory_allocated()
    run()
    torch.cuda.synchronize()
    return (torch.cuda.max_memory_allocated() - base) / 2**20


def measure_memory(kind: str, cases: list[Case], device: str, args: tuple) -> None:
    """Peak memory of each forward+backward case (or training epoch).

    On the CPU: in a fresh process per case, growth of the resident set over one run after a
    warm-up. Large buffers are forced to be mmapped (MALLOC_MMAP_THRESHOLD_) so that freed memory
    leaves the resident set at once.
    On a GPU: `torch.cuda.max_memory_allocated` over one run, in this process (the caching
    allocator counts exactly what each case allocates).
    """
    if device.startswith("cuda"):
        for case in cases:
            if case.mode != "forward":
                case.memory_mb = _cuda_peak_mb(case.run)
        return
    os.environ.setdefault("MALLOC_MMAP_THRESHOLD_", "65536")
    context = multiprocessing.get_context("spawn")
    for index, case in enumerate(cases):
        if case.mode == "forward":
            continue
        queue = context.Queue()
        process = context.Process(target=_memory_worker, args=((kind, index, device, args), queue))
        process.start()
        process.join()
        case.memory_mb = queue.get() if process.exitcode == 0 else None


# -- the widest model a memory budget holds (GACT's exp_mem_speed.py), one fresh process a probe ---
def _capacity_worker(spec, queue):
    model_name, bits, hidden, num_layers, device, data_root = spec
    make_epoch = _pubmed_epoch(device, data_root)
    warm_up = make_epoch(model_name, bits, hidden_size=8, num_layers=num_layers)
    warm_up()  # the libraries' lazy initialisation is not the model's memory
    del warm_up
    peak = PeakMemory(device)
    run = make_epoch(model_name, bits, hidden_size=hidden, num_layers=num_layers)
    run()
    run()  # the second epoch has the optimiser's state as well
    queue.put(peak.mb())


def training_peak_mb(model_name: str, bits: int, hidden: int, device: str, data_root=None,
                     num_layers: int = COMPRESSION_SETTINGS["num_layers"]) -> float | None:
    """Peak memory that building `model_name` (`num_layers` layers of width `hidden`) and training it two
    epochs on PubMed add to a fresh process after the data is loaded: weights, gradients, optimiser
    state, activations (in `bits` bits) and temporaries (peak RSS growth, or CUDA's peak allocation)."""
    os.environ.setdefault("MALLOC_MMAP_THRESHOLD_", "65536")
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_capacity_worker, args=((model_name, bits, hidden, num_layers, device, data_root),
                                                                        queue))
    process.start()
    process.join()
    return queue.get() if process.exitcode == 0 else None


def largest_fitting(fits, start: int, step: int) -> int | None:
    """The largest size (a multiple of `step`, to within 1/16) for which `fits(size)` holds: by
    doubling from `start` (or, where `start` does not fit, halving down to `step`) and then
    bisection; None where not even `step` fits."""
    if fits(start):
        low, high = start, 2 * start
        while fits(high):
            low, high = high, 2 * high
    else:
        low, high = start // 2, start
        while not fits(low):
            if low <= step:
                return None
            low, high = max(step, low // 2), low
    while high - low > max(step, low // 16):
        middle = (low + high) // 2 // step * step
        low, high = (middle, high) if fits(middle) else (low, middle)
    return low


def largest_model(model_name: str, bits: int, budget_mb: float, device: str, data_root=None, grow: str = "width",
                  num_layers: int = COMPRESSION_SETTINGS["num_layers"],
                  hidden: int = COMPRESSION_SETTINGS["hidden_size"]) -> tuple[int, list[tuple[int, float]]]:
    """The widest model of `num_layers` layers (`grow="width"`, from 64 in steps of 8) or the
    deepest of width `hidden` (`grow="depth"`, from 2 layers in steps of 1) whose
    `training_peak_mb` stays within `budget_mb`; returns it and the probes (size, peak MB)."""
    probes = []

    def fits(size: int) -> bool:
        width, layers = (size, num_layers) if grow == "width" else (hidden, size)
        peak = training_peak_mb(model_name, bits, width, device, data_root, layers)
        probes.append((size, peak))
        return peak is not None and peak <= budget_mb

    start, step = (64, 8) if grow == "width" else (2, 1)
    largest = largest_fitting(fits, start, step)
    if largest is None:
        peak = probes[-1][1]
        raise ConfigError(f"--budget-mb {budget_mb:g}: {model_name} at {bits} bits needs more already at {grow} {step}"
                          + ("" if peak is None else f" ({peak:.1f} MB)") + "; give a larger budget")
    return largest, probes


def run_capacity(device: str, budget_mb: float, data_root=None, models=COMPRESSION_MODELS, bits=(32, 2),
                 num_layers: int = COMPRESSION_SETTINGS["num_layers"], grow: str = "width",
                 hidden: int = COMPRESSION_SETTINGS["hidden_size"]) -> dict:
    """`cogdl bench capacity`: for each model, the widest (`num_layers` layers) or the deepest
    (width `hidden`) that trains within `budget_mb` with the activations as they are and
    compressed, and their ratio: the two searches of GACT's `exp_mem_speed.py`."""
    started, rows = machine(), []
    for name in models:
        sizes = {}
        for b in bits:
            sizes[b], probes = largest_model(name, b, budget_mb, device, data_root, grow, num_layers, hidden)
            rows.append({"model": name, "bits": b, "grow": grow, "largest": sizes[b], "growth": sizes[b] / sizes[bits[0]],
                         "probes": probes})
    return {"machine": started, "device": device, "budget_mb": budget_mb, "grow": grow,
            "num_layers": num_layers if grow == "width" else None, "hidden": hidden if grow == "depth" else None,
            "results": rows}


def capacity_setting(report: dict) -> str:
    """What a capacity search held fixed, in words."""
    held = f"{report['num_layers']} layers" if report["grow"] == "width" else f"width {report['hidden']}"
    return f"{held}, budget {report['budget_mb']:g} MB"


def capacity_table(rows: list[dict]) -> str:
    from cogdl.markdown import table

    size = "largest width" if rows[0]["grow"] == "width" else "most layers"
    cells = [[r["model"], str(r["bits"]), str(r["largest"]), f"{r['growth']:.2f}",
              ", ".join(f"{h}: {'-' if mb is None else f'{mb:.0f}'}" for h, mb in r["probes"])] for r in rows]
    return table(["model", "activation bits", size, "x at 32 bits", f"probes ({size.split()[1]}: peak MB)"],
                 cells, right=[size, "x at 32 bits"])


# -- report ---------------------------------------------------------------------------------------
def summarize(cases: list[Case]) -> list[dict]:
    rows = []
    for case in cases:
        baseline = next((c for c in cases if c.group == case.group and c.mode == case.mode and c.baseline), None)
        median = statistics.median(case.seconds)
        row = {k: v for k, v in asdict(case).items() if k not in ("run", "seconds", "bytes_moved", "baseline", "edges")}
        row.update(median_ms=median * 1e3, rounds=len(case.seconds),
                   speedup_vs_baseline=(statistics.median(baseline.seconds) / median) if baseline else None,
                   baseline=baseline.name if baseline else None,
                   gb_per_s=(case.bytes_moved / median / 1e9) if case.bytes_moved else None,
                   edges_per_s=(case.edges / median) if case.edges else None)
        base_memory = baseline.memory_mb if baseline else None
        row["memory_vs_baseline"] = (case.memory_mb / base_memory) if case.memory_mb and base_memory else None
        rows.append(row)
    return rows


def with_bandwidth_fraction(rows: list[dict]) -> list[dict]:
    """Each row's achieved GB/s as a fraction of its group's STREAM triad (timed in the same rounds)."""
    triads = {r["group"]: r["gb_per_s"] for r in rows if r["name"] == "STREAM triad"}
    for row in rows:
        triad = triads.get(row["group"])
        row["bandwidth_fraction"] = row["gb_per_s"] / triad if row["gb_per_s"] and triad else None
    return rows


def format_rows(rows: list[dict]) -> str:
    lines = [f"{'group':<34} {'mode':<17} {'implementation':<18} {'median ms':>10} {'x baseline':>10} "
             f"{'GB/s':>6} {'% triad':>7} {'peak MB':>8} {'mem x':>6} {'M edges/s':>9}"]
    for r in rows:
        fmt = lambda v, spec: "" if v is None else format(v, spec)  # noqa: E731
        lines.append(f"{r['group']:<34} {r['mode']:<17} {r['name']:<18} {r['median_ms']:>10.2f} "
                     f"{fmt(r['speedup_vs_baseline'], '>10.2f')} {fmt(r['gb_per_s'], '>6.1f')} "
                     f"{fmt(r.get('bandwidth_fraction') and 100 * r['bandwidth_fraction'], '>7.0f')} "
                     f"{fmt(r['memory_mb'], '>8.1f')} {fmt(r['memory_vs_baseline'], '>6.2f')} "
                     f"{fmt(r['edges_per_s'] and r['edges_per_s'] / 1e6, '>9.2f')}")
    return "\n".join(lines)


def markdown_table(rows: list[dict]) -> str:
    from cogdl.markdown import table

    fmt = lambda v, spec: "" if v is None else format(v, spec)  # noqa: E731
    cells = [[r["group"], r["mode"], r["name"], f"{r['median_ms']:.2f}",
              fmt(r["speedup_vs_baseline"], ".2f") + (f" (vs {r['baseline']})" if r["baseline"] else ""),
              fmt(r["gb_per_s"], ".1f"), fmt(r.get("bandwidth_fraction") and 100 * r["bandwidth_fraction"], ".0f"),
              fmt(r["memory_mb"], ".1f"), fmt(r["memory_vs_baseline"], ".2f"),
              fmt(r.get("edges_per_s") and r["edges_per_s"] / 1e6, ".2f")] for r in rows]
    columns = ["group", "mode", "implementation", "median ms", "speed-up vs baseline", "GB/s", "% of triad GB/s",
               "peak MB", "memory vs baseline", "M sampled edges/s"]
    return table(columns, cells, right=columns[3:])


def write_markdown_section(path, name: str, report: dict, command: str) -> None:
    """Replace the block between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->` in `path`."""
    from pathlib import Path

    m = report["machine"]
    if "budget_mb" in report:
        how = f"{capacity_setting(report)}, one fresh process per probe"
        table = capacity_table(report["results"])
    else:
        how, table = f"{report['rounds']} interleaved rounds, medians", markdown_table(report["results"])
    body = (f"<!-- bench:{name} -->\n`{command}` - {m['date']}, {', '.join(m['devices'])}, torch threads "
            f"{m['torch_threads']}, torch {m['packages']['torch']}, torch-geometric {m['packages']['torch-geometric']}, "
            f"commit {m['git_commit']}, {how}.\n\n{table}\n<!-- /bench:{name} -->")
    path = Path(path)
    text = path.read_text() if path.exists() else ""
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    if start in text and end in text:
        text = text[:text.index(start)] + body + text[text.index(end) + len(end):]
    else:
        text = text.rstrip() + ("\n\n" if text else "") + body + "\n"
    path.write_text(text)


def machine() -> dict:
    from cogdl.environment import environment

    env = environment()
    return {"date": time.strftime("%Y-%m-%d %H:%M"), "platform": platform.platform(), "devices": env["devices"],
            "torch_threads": env["torch_threads"], "packages": env["packages"], "git_commit": env["git_commit"]}


def run_ops(device: str, rounds: int, large: bool = True, widths=(64,), memory: bool = True) -> dict:
    graphs = [("cora-sized", 2708, 10556)] + ([("100k/1M", 100_000, 1_000_000)] if large else [])
    if large and device.startswith("cuda"):  # a GPU needs a larger graph to leave launch overhead behind
        graphs.append(("1M/10M", 1_000_000, 10_000_000))
    started, all_rows = machine(), []
    for graph_name, nodes, edges in graphs:
        graph = chung_lu_graph(nodes, edges)
        for width in widths:
            cases = ops_cases(graph_name, graph, width, device, layers=width == widths[0])
            cases.append(triad_case(f"spmm F={width} {graph_name}", device))
            time_interleaved(cases, rounds, device=device)
            if memory:
                measure_memory("ops", cases, device, (graph_name, graph, width, width == widths[0]))
            all_rows += with_bandwidth_fraction(summarize(cases))
    return {"machine": started, "device": device, "rounds": rounds, "results": all_rows}


def run_model_cases(what: str, device: str, rounds: int, data_root=None, memory: bool = True) -> dict:
    """`cogdl bench train` (GCN and GAT epochs against PyG), `graphmae`, `features` or `embedding`."""
    started, cases = machine(), MODEL_CASES[what](device, data_root)
    time_interleaved(cases, rounds, device=device)
    if memory:
        measure_memory(what, cases, device, (data_root,))
    return {"machine": started, "device": device, "rounds": rounds, "results": summarize(cases)}
