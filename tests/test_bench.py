import pytest
import torch

from cogdl.bench import Case, chung_lu_graph, format_rows, ops_cases, summarize, time_interleaved
from cogdl.errors import ConfigError


def test_chung_lu_graph_is_seeded_power_law_without_loops():
    graph = chung_lu_graph(2000, 8000, seed=3)
    again = chung_lu_graph(2000, 8000, seed=3)
    assert torch.equal(graph.col, again.col) and torch.equal(graph.rowptr, again.rowptr)
    assert not torch.equal(graph.col, chung_lu_graph(2000, 8000, seed=4).col)
    assert graph.num_edges == 8000 and bool((graph.row != graph.col).all())
    degree = graph.in_degree().float()
    assert degree.max() > 20 * degree.mean()  # hubs: a heavy tail, unlike a uniform random graph


def test_summarize_ratios_against_the_group_baseline():
    slow = Case("g", "peer", "forward", lambda: None, baseline=True, seconds=[2.0, 4.0, 3.0])
    fast = Case("g", "ours", "forward", lambda: None, bytes_moved=3_000_000_000, seconds=[1.0, 1.0, 1.5])
    rows = {r["name"]: r for r in summarize([slow, fast])}
    assert rows["ours"]["speedup_vs_baseline"] == 3.0 and rows["ours"]["gb_per_s"] == 3.0
    assert "ours" in format_rows(list(rows.values()))


def test_bandwidth_fraction_is_against_the_triad_of_the_same_group():
    from cogdl.bench import triad_case, with_bandwidth_fraction

    triad = triad_case("g", "cpu", numel=1 << 16)
    triad.run()
    assert triad.bytes_moved == 3 * (1 << 16) * 4
    triad.seconds = [1.0]
    ours = Case("g", "ours", "forward", lambda: None, bytes_moved=triad.bytes_moved // 2, seconds=[1.0])
    other = Case("h", "ours", "forward", lambda: None, bytes_moved=10, seconds=[1.0])
    rows = {(r["group"], r["name"]): r for r in with_bandwidth_fraction(summarize([triad, ours, other]))}
    assert rows["g", "ours"]["bandwidth_fraction"] == 0.5 and rows["g", "STREAM triad"]["bandwidth_fraction"] == 1.0
    assert rows["h", "ours"]["bandwidth_fraction"] is None  # no triad in its group
    assert " 50 " in format_rows(list(rows.values()))


def test_ops_cases_run_every_peer_on_a_small_graph():
    cases = ops_cases("tiny", chung_lu_graph(300, 1500), 16, "cpu")
    time_interleaved(cases, rounds=1, warmup=1)
    names = {(c.group.split()[0], c.name) for c in cases}
    assert ("spmm", "torch.sparse CSR") in names and ("spmm", "cogdl cpu") in names
    assert ("spmm", "cogdl cpu bf16") in names
    assert ("GAT", "PyG edge_index") in names and ("GCN", "PyG CSR adj_t") in names
    assert all(len(c.seconds) == 1 for c in cases)


def test_graphmae_cases_time_the_loss_against_the_plain_form(data_root):
    from cogdl.bench import graphmae_cases

    cases = graphmae_cases("cpu", data_root, {"cora": {"hidden_size": 32, "num_heads": 2}})
    time_interleaved(cases, rounds=1, warmup=1)
    assert [(c.name, c.baseline) for c in cases] == [("plain eq. 3", True), ("cogdl", False)]
    assert all(len(c.seconds) == 1 for c in cases)
    rows = summarize(cases)
    assert rows[1]["baseline"] == "plain eq. 3" and rows[1]["speedup_vs_baseline"] > 0


def test_markdown_section_is_replaced_in_place(tmp_path):
    from cogdl.bench import write_markdown_section

    doc = tmp_path / "performance.md"
    doc.write_text("# Performance\n\nprose\n")
    row = {"group": "g", "mode": "forward", "name": "ours", "median_ms": 1.0, "speedup_vs_baseline": 2.0,
           "baseline": "peer", "gb_per_s": None, "memory_mb": None, "memory_vs_baseline": None}
    report = {"machine": {"date": "d", "devices": ["cpu"], "torch_threads": 2, "git_commit": "c",
                          "packages": {"torch": "t", "torch-geometric": "p"}}, "rounds": 3, "results": [row]}
    write_markdown_section(doc, "ops", report, "cogdl bench ops")
    write_markdown_section(doc, "ops", report, "cogdl bench ops --again")
    text = doc.read_text()
    assert text.count("<!-- bench:ops -->") == 1 and "--again" in text and "prose" in text
    assert "| g | forward | ours | 1.00 | 2.00 (vs peer) |" in text


def test_a_case_of_minutes_runs_its_rounds_without_warm_up():
    from cogdl.bench import Case, time_interleaved

    calls = {"quick": 0, "slow": 0}
    cases = [Case("g", "quick", "forward", lambda: calls.__setitem__("quick", calls["quick"] + 1), baseline=True),
             Case("g", "slow", "forward", lambda: calls.__setitem__("slow", calls["slow"] + 1), max_rounds=1)]
    time_interleaved(cases, rounds=3, warmup=2)
    assert calls == {"quick": 5, "slow": 1}
    assert [len(c.seconds) for c in cases] == [3, 1]


def test_sampling_cases_time_every_sampler_on_the_same_batches(tmp_path):
    from cogdl.bench import sampling_cases, summarize, time_interleaved

    cases = sampling_cases("cpu", tmp_path, batch=64)  # no synthetic-2m there: synthetic-200k in memory
    names = [c.name for c in cases]
    assert names[:2] == ["cogdl cpu kernel", "PyTorch reference"] and "synthetic-200k" in cases[0].group
    kernel, reference = cases[0].edges, cases[1].edges
    assert kernel > 64 * 15 and abs(kernel - reference) < 0.1 * kernel  # the same law, similar counts
    time_interleaved(cases, rounds=2, warmup=0)
    rows = summarize(cases)
    assert all(r["edges_per_s"] > 0 for r in rows) and sum(r["speedup_vs_baseline"] == 1.0 for r in rows) == 1


def test_largest_model_doubles_then_bisects_to_the_budget(monkeypatch):
    from cogdl import bench

    monkeypatch.setattr(bench, "training_peak_mb", lambda model, bits, hidden, device, root, layers: 0.5 * hidden + 10)
    width, probes = bench.largest_model("gcn", 32, budget_mb=500, device="cpu")
    assert width <= 980 and 0.5 * (width + max(8, width // 16)) + 10 > 500  # within a step (or 1/16) of 980
    assert [h for h, _ in probes[:5]] == [64, 128, 256, 512, 1024]
    monkeypatch.setattr(bench, "training_peak_mb", lambda model, bits, hidden, device, root, layers: hidden / 8 * layers)
    depth, probes = bench.largest_model("gcn", 2, budget_mb=1000, device="cpu", grow="depth", hidden=256)
    assert depth == 31 and [n for n, _ in probes[:5]] == [2, 4, 8, 16, 32]  # 32 x 256 / 8 = 1024 > 1000
    monkeypatch.setattr(bench, "training_peak_mb", lambda model, bits, hidden, device, root, layers: 0.5 * hidden + 40)
    width, probes = bench.largest_model("gat", 32, budget_mb=50, device="cpu", num_layers=16)
    assert width == 16 and [h for h, _ in probes] == [64, 32, 16, 24]  # halved until it fits, then bisected
    with pytest.raises(ConfigError, match=r"--budget-mb 30: gat at 32 bits needs more already at width 8 \(44.0 MB\)"):
        bench.largest_model("gat", 32, budget_mb=30, device="cpu", num_layers=16)


def test_compression_cases_train_every_model_at_every_width(data_root):
    from cogdl.bench import compression_cases

    cases = compression_cases("cpu", data_root, bits=(32, 2))
    assert [(c.group.split()[0], c.name) for c in cases if "epoch" in c.group] == [
        (m, b) for m in ("gcn", "graphsage", "gat") for b in ("32 bits", "2 bits")]
    assert [(c.group.split()[0], c.name) for c in cases if "epoch" not in c.group] == [
        (op, backend) for op in ("quantize", "dequantize", "pack", "unpack") for backend in ("reference", "cpu")]
    cases[1].run()


def test_quantize_cases_time_each_backend_against_the_reference():
    from cogdl.bench import quantize_cases

    cases = quantize_cases("cpu", shape=(300, 64))
    for case in cases:
        case.run()
    assert [c.baseline for c in cases] == [True, False] * 4
