import json
import shutil

import pytest
import yaml

from cogdl.config import load_yaml
from cogdl.environment import cpu_model
from cogdl.errors import ConfigError
from cogdl.leaderboard.files import entry_label, wall_time_label
from helpers import REPO

PLANETOID = REPO / "leaderboard" / "planetoid" / "node_classification.yaml"


def test_leaderboard_record_copies_the_run_folder(cli, tmp_path, data_root):
    board = tmp_path / "board.yaml"
    data = load_yaml(PLANETOID)
    old = next(e for e in data["entries"] if (e["dataset"], e["model"]) == ("citeseer", "gcn"))
    old["miss"] = {"reason": "explains the result the record replaces", "evidence": ["cogdl train ... printed 91.0"]}
    board.write_text(yaml.safe_dump(data, sort_keys=False))
    status, out, _ = cli("train", "--task", "node_classification", "--model", "gcn", "--dataset", "citeseer",
                         "--seed", "0", "1", "--set", "epochs=5", "--out", str(tmp_path / "runs"),
                         "--data-root", str(data_root))
    assert status == 0
    run_dir = out.strip().splitlines()[-1]
    status, out, err = cli("leaderboard", "record", run_dir, str(board))
    assert status == 0, err
    entry = next(e for e in load_yaml(board)["entries"] if (e["dataset"], e["model"]) == ("citeseer", "gcn"))
    summary = json.loads((tmp_path / run_dir / "summary.json").read_text())
    assert entry["measured"]["mean"] == round(100 * summary["metrics"]["test_acc"]["mean"], 2)
    assert entry["measured"]["n"] == 2 and entry["measured"]["seeds"] == [0, 1]
    assert entry["measured"]["command"].startswith("cogdl train --task node_classification --model gcn")
    assert entry["config"]["epochs"] == 5
    assert entry["reference"]["mean"] == 70.3
    env = json.loads((tmp_path / run_dir / "env.json").read_text())  # how the wall time was taken
    assert entry["measured"]["threads"] == env["torch_threads"] >= 1 and entry["measured"]["cpu"] == env["cpu_model"]
    assert entry["measured"]["load_average"] == env["load_average"]
    assert "miss" not in entry  # the explanation of the replaced result went with it


@pytest.mark.parametrize("recorded, label", [
    ({}, "1.5 min (threads and load not recorded)"),  # recorded before these were
    ({"threads": 2, "cpu": "x", "load_average": 0.1}, "1.5 min (2 threads, idle)"),
    ({"threads": 1, "cpu": "x", "load_average": 2.31}, "1.5 min (1 thread, busy, load 2.3)"),
    ({"threads": [2, 1], "cpu": "x", "load_average": [0.2, None]}, "1.5 min (2/1 threads, idle)"),
    ({"threads": 2, "cpu": "x", "load_average": None}, "1.5 min (2 threads, load not recorded)"),
])
def test_the_wall_time_says_how_it_was_taken(recorded, label):
    assert wall_time_label({"wall_seconds": 90.0, **recorded}) == label


def _train_citeseer_gcn(cli, tmp_path, data_root, seeds: str, *settings) -> str:
    """A 5-epoch GCN run on CiteSeer with `seeds`; its run folder."""
    status, out, err = cli("train", "--task", "node_classification", "--model", "gcn", "--dataset", "citeseer",
                           "--seeds", seeds, "--set", "epochs=5", *settings, "--out", str(tmp_path / "runs"),
                           "--data-root", str(data_root))
    assert status == 0, err
    return out.strip().splitlines()[-1]


def test_a_run_continued_over_invocations_records_their_wall_time_too(cli, tmp_path, data_root):
    from cogdl.leaderboard.record import measured_block

    run_dir = tmp_path / _train_citeseer_gcn(cli, tmp_path, data_root, "0")
    summary = json.loads((run_dir / "summary.json").read_text())
    summary["kept_runs"] = {"folder": "kept", "read_back": 3, "commits": ["abc"], "cpus": ["Older CPU", "unknown"],
                            "earlier_wall_seconds": 100.0}
    (run_dir / "summary.json").write_text(json.dumps(summary))
    measured = measured_block([run_dir], ["test_acc"])[2]
    assert measured["wall_seconds"] == round(summary["wall_seconds"] + 100.0, 1)
    # the CPU of this invocation and those of the kept runs it read back (unknown: kept before runs named it)
    assert measured["cpu"] == [cpu_model(), "Older CPU", "unknown"]


def test_leaderboard_record_pools_the_seeds_of_several_run_folders(cli, tmp_path, data_root):
    board = tmp_path / "board.yaml"
    shutil.copy(PLANETOID, board)

    def train(seeds, *settings):
        return _train_citeseer_gcn(cli, tmp_path, data_root, seeds, *settings)

    apart, together = [train("0"), train("1-2")], train("0-2")
    status, _, err = cli("leaderboard", "record", *apart, str(board))
    assert status == 0, err
    pooled = next(e for e in load_yaml(board)["entries"] if (e["dataset"], e["model"]) == ("citeseer", "gcn"))
    cli("leaderboard", "record", together, str(board))
    single = next(e for e in load_yaml(board)["entries"] if (e["dataset"], e["model"]) == ("citeseer", "gcn"))
    assert pooled["measured"]["seeds"] == [0, 1, 2] and pooled["measured"]["n"] == 3
    for key in ("mean", "std", "metrics"):
        assert pooled["measured"][key] == single["measured"][key]  # the same seeds, run apart or together

    status, _, err = cli("leaderboard", "record", apart[0], together, str(board))
    assert status == 2 and "seed 0 is also in another" in err
    status, _, err = cli("leaderboard", "record", apart[0], train("5", "lr=0.02"), str(board))
    assert status == 2 and "not the same task, model, dataset and config" in err


def test_leaderboard_record_pool_adds_seeds_to_the_recorded_entry(cli, tmp_path, data_root):
    board = tmp_path / "board.yaml"
    shutil.copy(PLANETOID, board)

    def train(seeds, *settings):
        return _train_citeseer_gcn(cli, tmp_path, data_root, seeds, *settings)

    def entry():
        return next(e for e in load_yaml(board)["entries"] if (e["dataset"], e["model"]) == ("citeseer", "gcn"))

    first, later, together = train("0"), train("1-3"), train("0-3")
    cli("leaderboard", "record", together, str(board))
    single = entry()["measured"]
    assert cli("leaderboard", "record", first, str(board))[0] == 0
    status, out, err = cli("leaderboard", "record", "--pool", later, str(board))
    assert status == 0, err
    pooled = entry()["measured"]
    assert pooled["seeds"] == [0, 1, 2, 3] and pooled["n"] == 4
    assert pooled["wall_seconds"] > single["wall_seconds"] / 4
    for name, stats in single["metrics"].items():  # pooled from rounded summaries: within 0.01 points
        assert abs(pooled["metrics"][name]["mean"] - stats["mean"]) <= 0.011, name
        assert abs(pooled["metrics"][name]["std"] - stats["std"]) <= 0.011, name

    status, _, err = cli("leaderboard", "record", "--pool", later, str(board))
    assert status == 2 and "citeseer / gcn: seed 1 is already recorded" in err
    status, _, err = cli("leaderboard", "record", "--pool", train("7", "lr=0.02"), str(board))
    assert status == 2 and "the recorded config differs" in err
    assert entry()["measured"] == pooled  # refused pools leave the file as it was


def test_leaderboard_record_rejects_a_folder_that_is_not_a_run(cli, tmp_path):
    status, _, err = cli("leaderboard", "record", str(tmp_path), str(PLANETOID))
    assert status == 2 and "not a complete run folder" in err


@pytest.mark.parametrize("entry", load_yaml(PLANETOID)["entries"], ids=lambda e: f"{e['dataset']}-{e['model']}")
def test_planetoid_leaderboard_entry_is_measured_over_ten_seeds(entry):
    measured = entry["measured"]
    assert measured["n"] == 10 and measured["seeds"] == list(range(10))
    assert measured["commit"] and measured["command"].startswith("cogdl train")
    assert set(measured["metrics"]) == {"test_acc", "test_macro_f1", "test_micro_f1"}
    assert entry["config"] and entry["reference"]["source"]


HGB = REPO / "leaderboard" / "hgb" / "node_classification.yaml"


@pytest.mark.parametrize("entry", load_yaml(HGB)["entries"], ids=lambda e: f"{e['dataset']}-{e['model']}")
def test_hgb_leaderboard_entry_has_a_reference_and_measured_blocks_over_five_seeds(entry):
    assert entry["reference"]["source"] and entry["reference"]["n"] == 5
    if "measured" not in entry:  # not run yet: no config may be claimed for it either
        assert "config" not in entry
        return
    measured = entry["measured"]
    assert measured["n"] == 5 and measured["seeds"] == list(range(5))
    assert measured["commit"] and measured["command"].startswith("cogdl train ")
    assert "--task hetero_node_classification" in measured["command"]
    assert set(measured["metrics"]) == {"test_macro_f1", "test_micro_f1"} and entry["config"]


# -- strict reading and --best-config ----------------------------------------------------------------
def _shipped_boards():
    from cogdl.leaderboard import leaderboard_files

    return leaderboard_files()


@pytest.mark.parametrize("path", _shipped_boards(), ids=lambda p: f"{p.parent.name}-{p.stem}")
def test_leaderboard_file_loads_strictly_and_its_configs_resolve(path):
    from cogdl.config import resolve
    from cogdl.leaderboard import load_leaderboard
    from cogdl.registry import MODELS, TASKS

    board = load_leaderboard(path)
    task = TASKS.get(board["protocol"]["task"])
    for entry in board["entries"]:
        if "config" in entry:  # every stored config is still a valid --best-config layer
            resolve(MODELS.get(entry["model"]).Config, task.Config, [(str(path), entry["config"])])


def _broken_board(tmp_path, edit) -> tuple:
    board = load_yaml(PLANETOID)
    edit(board)
    path = tmp_path / "board.yaml"
    path.write_text(yaml.safe_dump(board, sort_keys=False))
    return path


@pytest.mark.parametrize("edit, message", [
    (lambda b: b["entries"][1].update(tolerence={"abs": 1}), "entries[1] (citeseer / gcn): unknown key 'tolerence'"),
    (lambda b: b["entries"][0]["measured"].pop("commit"), "entries[0] (cora / gcn) measured: missing key 'commit'"),
    (lambda b: b["protocol"].pop("metrics"), "protocol: missing key 'metrics'"),
    (lambda b: b["entries"].append(dict(b["entries"][0])), "a second entry for cora / gcn (the first is entries[0])"),
    (lambda b: b["entries"][0].pop("config"), "entries[0] (cora / gcn): a 'measured' block needs the 'config'"),
    (lambda b: b["entries"][0].update(tolerance={"abs": 2.0}),
     "entries[0] (cora / gcn) tolerance: 'abs' 2.0 is wider than the default 0.5 and needs a 'reason'"),
    (lambda b: b["entries"][0].update(tolerance={"abs": 2.0, "reason": " "}), "needs a 'reason'"),
    (lambda b: b["entries"][0].update(grid={"lr": []}), "entries[0] (cora / gcn) grid: expected a mapping"),
])
def test_leaderboard_load_rejects_a_malformed_file(tmp_path, edit, message):
    from cogdl.leaderboard import load_leaderboard

    path = _broken_board(tmp_path, edit)
    with pytest.raises(ConfigError) as caught:
        load_leaderboard(path)
    assert str(caught.value).startswith(str(path)) and message in str(caught.value)


def test_leaderboard_record_refuses_a_malformed_file(cli, tmp_path):
    path = _broken_board(tmp_path, lambda b: b["entries"][0].update(note="typed in"))
    status, _, err = cli("leaderboard", "record", str(tmp_path), str(path))
    assert status == 2 and "unknown key 'note'" in err and len(err.strip().splitlines()) == 1


def test_train_best_config_is_the_entry_config_under_config_file_and_set(cli, tmp_path, data_root):
    from cogdl.config import resolve
    from cogdl.models.graphmae import GraphMAE
    from cogdl.tasks.ssl_node_classification import SSLNodeClassification

    board = load_yaml(REPO / "leaderboard" / "planetoid" / "ssl_node_classification.yaml")
    entry = next(e for e in board["entries"] if (e["dataset"], e["model"]) == ("citeseer", "graphmae"))
    defaults = resolve(GraphMAE.Config, SSLNodeClassification.Config, []).flat
    assert {k for k, v in entry["config"].items() if defaults[k] != v} >= {"num_heads", "alpha_l", "replace_rate"}
    override = tmp_path / "override.yaml"
    override.write_text("lr: 0.002\nepochs: 7\n")
    status, out, err = cli("train", "--best-config", "--task", "ssl_node_classification", "--model", "graphmae",
                           "--dataset", "citeseer", "--config", str(override), "--set", "epochs=2", "probe_epochs=3",
                           "--out", str(tmp_path / "runs"), "--data-root", str(data_root))
    assert status == 0, err
    resolved = load_yaml(tmp_path / out.strip().splitlines()[-1] / "config.resolved.yaml")
    # the entry over the defaults, --config over the entry, --set over both
    assert resolved == {**entry["config"], "lr": 0.002, "epochs": 2, "probe_epochs": 3}


def test_train_best_config_without_an_entry_lists_the_entries(cli, tmp_path, data_root):
    status, _, err = cli("train", "--best-config", "--task", "node_classification", "--model", "mlp",
                         "--dataset", "cora", "--out", str(tmp_path), "--data-root", str(data_root))
    assert status == 2 and len(err.strip().splitlines()) == 1
    assert "no leaderboard entry for model 'mlp' on dataset 'cora'" in err and "gcn on cora" in err
    assert not any(tmp_path.iterdir())


# -- rendering -----------------------------------------------------------------------------------------
def _copy_of_leaderboard(tmp_path):
    root = tmp_path / "leaderboard"
    for path in (REPO / "leaderboard").glob("*/*.yaml"):
        (root / path.parent.name).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, root / path.parent.name / path.name)
    return root


def test_committed_leaderboard_readme_is_the_rendered_one(tmp_path):
    from cogdl.leaderboard.render import render

    root = _copy_of_leaderboard(tmp_path)
    render(root, charts=False)
    assert (root / "README.md").read_text() == (REPO / "leaderboard" / "README.md").read_text(), \
        "leaderboard/README.md is stale: run `cogdl leaderboard render`"


def test_leaderboard_render_writes_every_entry_and_a_chart_per_file(cli, tmp_path):
    root = _copy_of_leaderboard(tmp_path)
    status, out, err = cli("leaderboard", "render", "--root", str(root))
    assert status == 0, err
    readme = (root / "README.md").read_text()
    files = sorted(root.glob("*/*.yaml"))
    for path in files:
        for entry in load_yaml(path)["entries"]:
            variant = f" [{entry['variant']}]" if entry.get("variant") else ""
            assert f"| {entry['dataset']} | {entry['model']}{variant} |" in readme
            if entry["tolerance"].get("reason"):
                assert f"- {entry_label(entry)}: tolerance {entry['tolerance']['abs']} points. " \
                       f"{entry['tolerance']['reason']}" in readme
    charts = sorted(root.glob("charts/*.png"))
    assert [c.stem for c in charts] == [f"{p.parent.name}-{p.stem}" for p in files]
    assert all(c.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") for c in charts)
    assert len(out.strip().splitlines()) == 1 + len(charts)


def test_a_variant_is_a_second_entry_of_one_dataset_and_model(tmp_path):
    from cogdl.leaderboard.files import entry_in, find_entry, load_leaderboard

    root = _copy_of_leaderboard(tmp_path)
    path = root / "planetoid" / "node_classification.yaml"
    board = load_yaml(path)
    plain = next(e for e in board["entries"] if (e["dataset"], e["model"]) == ("cora", "gcn"))
    board["entries"].append({**plain, "variant": "2-bit activations", "config": {**plain["config"], "lr": 0.5}})
    path.write_text(yaml.safe_dump(board, sort_keys=False))
    loaded = load_leaderboard(path)["entries"]
    assert entry_in(loaded, "gcn", "cora", "2-bit activations")["config"]["lr"] == 0.5
    assert find_entry("node_classification", "gcn", "cora", root)[1]["config"]["lr"] == plain["config"]["lr"]
    board["entries"].append(board["entries"][-1])
    path.write_text(yaml.safe_dump(board, sort_keys=False))
    with pytest.raises(ConfigError, match=r"second entry for cora / gcn \[2-bit activations\]"):
        load_leaderboard(path)


def test_a_reference_measured_under_another_protocol_is_shown_but_never_checked():
    from cogdl.leaderboard.files import recorded_check
    from cogdl.leaderboard.render import entries_table
    from cogdl.leaderboard.reproduce import Planned, compare

    board = load_yaml(PLANETOID)
    entry = board["entries"][0]
    assert recorded_check(entry) is not None
    entry["reference"] = {**entry["reference"], "mean": entry["measured"]["mean"] + 10, "protocol": "test-fold selection"}
    assert recorded_check(entry) is None
    text = entries_table(board)
    row = next(line for line in text.splitlines() if line.startswith(f"| {entry['dataset']} | {entry['model']} |"))
    assert "| other protocol |" in row and f"- {entry['dataset']} / {entry['model']}: test-fold selection" in text
    item = Planned(PLANETOID, "node_classification", "test_acc", entry, entry["measured"]["seeds"], entry["config"])
    values = [{"test_acc": entry["measured"]["mean"] / 100, "seconds": 1.0}] * 3
    assert compare(item, values, "full")["target"] == "recorded"


def test_a_miss_explained_with_evidence_is_flagged_and_reproduced_against_the_recorded_result():
    from cogdl.leaderboard.files import recorded_check
    from cogdl.leaderboard.render import entries_table
    from cogdl.leaderboard.reproduce import Planned, compare

    board = load_yaml(PLANETOID)
    entry = board["entries"][0]
    entry["reference"] = {**entry["reference"], "mean": entry["measured"]["mean"] + 10, "std": 0.1}
    assert recorded_check(entry)[1] == "miss"
    entry["miss"] = {"reason": "The paper tuned another setting.", "evidence": ["cogdl train ... printed 91.0"]}
    text = entries_table(board)
    row = next(line for line in text.splitlines() if line.startswith(f"| {entry['dataset']} | {entry['model']} |"))
    assert "| miss (explained) |" in row
    assert f"- {entry['dataset']} / {entry['model']}: The paper tuned another setting. Evidence: cogdl train" in text
    item = Planned(PLANETOID, "node_classification", "test_acc", entry, entry["measured"]["seeds"], entry["config"])
    values = [{"test_acc": entry["measured"]["mean"] / 100, "seconds": 1.0}] * 3
    assert compare(item, values, "full")["target"] == "recorded"


@pytest.mark.parametrize("miss, message", [
    ({"reason": "tuned elsewhere"}, "missing key 'evidence'"),
    ({"reason": " ", "evidence": ["cogdl train ..."]}, "'reason' must say why"),
    ({"reason": "tuned elsewhere", "evidence": []}, "'evidence' must list"),
])
def test_a_miss_without_its_reason_or_evidence_is_refused_naming_the_entry(tmp_path, miss, message):
    from cogdl.leaderboard.files import load_leaderboard

    board = load_yaml(PLANETOID)
    board["entries"][0]["miss"] = miss
    path = tmp_path / "node_classification.yaml"
    path.write_text(yaml.safe_dump(board, sort_keys=False))
    entry = board["entries"][0]
    with pytest.raises(ConfigError, match=rf"\({entry['dataset']} / {entry['model']}\) miss: .*{message}"):
        load_leaderboard(path)


#: recorded results outside their bound whose reason has no evidence yet; the list may only shrink
#: (the last two, GAT on HGB LastFM and HGT on HGB DBLP, were settled by following HGB's code)
OPEN_MISSES: set = set()


def test_a_recorded_result_misses_its_bound_only_with_an_evidenced_reason():
    from cogdl.leaderboard import leaderboard_files, load_leaderboard
    from cogdl.leaderboard.files import recorded_check

    missed, explained = set(), set()
    for path in leaderboard_files():
        for entry in load_leaderboard(path)["entries"]:
            key = (path.parent.name, entry["dataset"], entry["model"], entry.get("variant"))
            if (recorded_check(entry) or (0, "pass"))[1] == "miss":
                missed.add(key)
            if "miss" in entry:
                explained.add(key)
    assert missed - explained - OPEN_MISSES == set(), "recorded results outside their bound: explain them or fix them"
    assert explained - missed == set(), "an explained miss that is within its bound now: drop its 'miss'"
    assert OPEN_MISSES - (missed - explained) == set(), "listed as open misses but explained or within bound now"


@pytest.mark.parametrize("env, threads", [
    ({"torch_threads": 2, "threads_per_run": 1, "command": "cogdl train --jobs 2"}, 1),
    ({"torch_threads": 2, "command": "cogdl train --protocol errica --jobs 2 --out runs"}, 1),  # written before the key
    ({"torch_threads": 4, "command": "cogdl train --jobs=3"}, 1),
    ({"torch_threads": 2, "command": "cogdl train --seeds 0-4"}, 2),
    ({}, None),
])
def test_a_record_says_how_many_threads_each_run_computed_with(env, threads):
    from cogdl.leaderboard.record import threads_per_run

    assert threads_per_run(env) == threads
