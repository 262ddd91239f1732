"""Every op and layer on a CUDA device (Triton kernels) against the reference kernels on the CPU.

The test suite checks the Triton kernels in Triton's interpreter on CPU tensors; this script checks
the compiled kernels on a real GPU: each op of `cogdl.ops` (forward and every gradient) and the
GCN and GAT layers, on the test catalogue (`tests/graphs.py`) and a 20k-node power-law graph, in
float64 (tight tolerance) and float32, with int64 and int32 indices. One line per check; exit
status 1 if any check fails. Without a GPU it runs the same checks in Triton's interpreter on the
CPU (with a 200-node graph), as a dry run of the script itself.

    python3 benchmarks/gpu_parity.py          (run by benchmarks/gpu.sh)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import torch

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
if DEVICE == "cpu":
    os.environ.setdefault("TRITON_INTERPRET", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from graphs import CATALOGUE, catalogue_graph, with_index_dtype  # noqa: E402

from cogdl.bench import chung_lu_graph  # noqa: E402
from cogdl.ops import edge_softmax, gat_aggregate, sddmm, spmm  # noqa: E402


def on(backend: str):
    os.environ["COGDL_OPS"] = backend


def run_op(name, graph, inputs, device, backend):
    """Forward output and the gradients of every float input, on `device` with `backend`."""
    on(backend)
    graph = graph.to(device)
    leaves = [t.detach().to(device).requires_grad_() if t is not None and t.is_floating_point() else t
              for t in inputs]
    if name.startswith("spmm"):
        out = spmm(graph, leaves[0], leaves[1], name.split("-")[1])
    elif name == "sddmm":
        out = sddmm(graph, leaves[0], leaves[1])
    elif name == "edge_softmax":
        out = edge_softmax(graph, leaves[0])
    else:  # gat, with an edge bias and attention dropout (the mask is the same on every backend)
        torch.manual_seed(5)
        out = gat_aggregate(graph, *leaves[:3], attn_dropout=0.3, training=True, edge_bias=leaves[3])
    weight = torch.randn(out.shape, generator=torch.Generator().manual_seed(9), dtype=out.dtype).to(device)
    (out * weight).sum().backward()
    return [out.detach().cpu()] + [t.grad.cpu() for t in leaves if t is not None and t.grad is not None]


def op_inputs(name, graph, dtype):
    g = torch.Generator().manual_seed(3)
    n, e = graph.num_nodes, graph.num_edges
    rand = lambda *shape: torch.randn(*shape, generator=g, dtype=dtype)  # noqa: E731
    if name.startswith("spmm"):
        return [rand(n, 2, 37), torch.rand(e, 2, generator=g, dtype=dtype)]
    if name == "sddmm":
        return [rand(n, 2, 37), rand(n, 2, 37)]
    if name == "edge_softmax":
        return [rand(e, 4)]
    return [rand(n, 4, 37), rand(n, 4), rand(n, 4), rand(e, 4)]


def layers_match(graph, dtype) -> float:
    """Largest difference of the GCN and GAT layers' outputs and weight gradients, CUDA vs CPU."""
    from cogdl.nn import GATConv, GCNConv

    worst = 0.0
    x = torch.randn(graph.num_nodes, 48, generator=torch.Generator().manual_seed(4), dtype=dtype)
    for make in (lambda: GCNConv(48, 32), lambda: GATConv(48, 8, num_heads=4)):
        results = []
        for device, backend in (("cpu", "reference"), (DEVICE, "triton")):
            on(backend)
            torch.manual_seed(0)
            layer = make().to(dtype).to(device)
            out = layer(graph.to(device), x.to(device))
            out.square().sum().backward()
            results.append([out.detach().cpu()] + [p.grad.detach().cpu() for p in layer.parameters()])
        worst = max(worst, max((a - b).abs().max().item() / max(1.0, a.abs().max().item())
                               for a, b in zip(*results)))
    return worst


def main() -> int:
    graphs = {name: catalogue_graph(name) for name in sorted(CATALOGUE)}
    large = "chung-lu 20k/200k" if DEVICE == "cuda" else "chung-lu 200/1k"
    graphs[large] = chung_lu_graph(20_000, 200_000, seed=2) if DEVICE == "cuda" else chung_lu_graph(200, 1000)
    failures = 0
    for dtype, tol in ((torch.float64, 1e-10), (torch.float32, 2e-4)):
        for index_dtype in (torch.int64, torch.int32):
            for graph_name, graph in graphs.items():
                graph = with_index_dtype(graph, index_dtype)
                for op in ("spmm-sum", "spmm-mean", "spmm-max", "sddmm", "edge_softmax", "gat"):
                    inputs = op_inputs(op, graph, dtype)
                    ours = run_op(op, graph, inputs, DEVICE, "triton")
                    ref = run_op(op, graph, inputs, "cpu", "reference")
                    error = max((a - b).abs().max().item() / max(1.0, b.abs().max().item()) if a.numel() else 0.0
                                for a, b in zip(ours, ref))
                    ok = error <= tol and len(ours) == len(ref)
                    failures += not ok
                    print(f"{'ok  ' if ok else 'FAIL'} {op:<13} {graph_name:<22} {str(dtype)[6:]:<8} "
                          f"{str(index_dtype)[6:]:<6} max rel. error {error:.2e}", flush=True)
        error = layers_match(graphs[large], dtype)
        ok = error <= tol * 10
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} GCN+GAT layers {large} {str(dtype)[6:]} max rel. error {error:.2e}")
    print(f"{failures} failures on {torch.cuda.get_device_name() if DEVICE == 'cuda' else 'the CPU (Triton interpreter)'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
