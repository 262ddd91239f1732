"""The HGB tasks end to end on generated folders: training, split files, exports, model listing."""

import json

import pytest

from cogdl import experiment
from hgb_fixtures import write_link_prediction_folder, write_node_classification_folder


def test_cli_hetero_node_classification_writes_split_and_hgb_submission(cli, tmp_path):
    folder = write_node_classification_folder(tmp_path / "papers")
    status, out, err = cli("train", "--task", "hetero_node_classification", "--model", "simple_hgn",
                           "--dataset", f"hgb:{folder}", "--seeds", "0-1", "--out", str(tmp_path / "runs"),
                           "--export-predictions", str(tmp_path / "submit"),
                           "--set", "feats_type=0", "epochs=60", "lr=0.01", "num_heads=2", "hidden_size=16")
    assert status == 0, err
    run_dir = tmp_path / "runs" / out.strip().splitlines()[-1].split("/runs/")[1]
    summary = json.loads((run_dir / "summary.json").read_text())["metrics"]
    assert summary["test_macro_f1"]["mean"] > 0.8  # planted communities are easy
    splits = [json.loads((run_dir / f"seed_{s}" / "split.json").read_text()) for s in (0, 1)]
    assert splits[0]["sha256"] != splits[1]["sha256"] and splits[0]["test"] == splits[1]["test"]
    assert len(splits[0]["val"]) == 12 and len(splits[0]["train"]) == 48
    for seed in (0, 1):
        lines = (tmp_path / "submit" / f"papers_{seed}.txt").read_text().splitlines()
        assert len(lines) == 60
        node, empty, node_type, label = lines[0].split("\t")
        assert int(node) in splits[0]["test"] and empty == "" and node_type == "0" and label in "012"


def test_multi_label_node_classification_predicts_label_sets(tmp_path):
    folder = write_node_classification_folder(tmp_path / "multi", multi_label=True)
    result = experiment("hetero_node_classification", "gat", f"hgb:{folder}", seeds=[0], out=None,
                        export_predictions=tmp_path / "submit", feats_type=0, epochs=60, lr=0.01,
                        hidden_size=8, num_heads=2)
    assert result.summary["test_micro_f1"]["mean"] > 0.6
    labels = [line.split("\t")[3] for line in (tmp_path / "submit" / "multi_0.txt").read_text().splitlines()]
    assert any("," in label for label in labels)


@pytest.mark.parametrize("model", ["gcn", "rgcn"])
def test_baselines_serve_hetero_node_classification(tmp_path, model):
    folder = write_node_classification_folder(tmp_path / "nc")
    result = experiment("hetero_node_classification", model, f"hgb:{folder}", seeds=[0], out=None,
                        feats_type=0, epochs=80, lr=0.01)
    assert result.summary["test_macro_f1"]["mean"] > 0.7


def test_link_prediction_recovers_planted_links_under_both_protocols(tmp_path):
    folder = write_link_prediction_folder(tmp_path / "ring")
    result = experiment("hetero_link_prediction", "simple_hgn", f"hgb:{folder}", seeds=[0], out=tmp_path / "runs",
                        export_predictions=tmp_path / "submit", feats_type=0, epochs=100, lr=0.005, num_heads=2)
    metrics = {k: v["mean"] for k, v in result.summary.items()}
    assert metrics["test_roc_auc_2hop"] > 0.9 and metrics["test_roc_auc_random"] > 0.9
    assert 0 < metrics["test_mrr_2hop"] <= 1 and 0 < metrics["test_mrr_random"] <= 1
    split = json.loads((result.run_dir / "seed_0" / "split.json").read_text())
    assert set(split) == {"sha256", "train_0", "val_0"}
    first = (tmp_path / "submit" / "ring_0.txt").read_text().splitlines()[0].split("\t")
    assert len(first) == 4 and first[2] == "0" and 0 <= float(first[3]) <= 1


def test_dot_decoder_and_gcn_encoder_run_link_prediction(tmp_path):
    folder = write_link_prediction_folder(tmp_path / "ring")
    result = experiment("hetero_link_prediction", "gcn", f"hgb:{folder}", seeds=[0], out=None,
                        feats_type=0, epochs=60, lr=0.01, decoder="dot")
    assert result.summary["test_roc_auc_random"]["mean"] > 0.8


def test_link_batches_walk_every_training_link_once_per_pass_with_negatives_of_its_type():
    import torch

    from cogdl.tasks.hetero_link_prediction import link_batches

    torch.manual_seed(0)
    links = {3: (torch.arange(5), torch.arange(10, 15)), 7: (torch.arange(20, 23), torch.arange(30, 33))}
    ranges = {3: range(10, 20), 7: range(40, 45)}
    batches = link_batches(links, ranges, 3)
    for _ in range(2):  # two passes of 8 links: batches of 3, 3 and 2
        seen = []
        for size in (3, 3, 2):
            batch, negatives = next(batches)
            assert sum(batch[r][0].numel() for r in links) == size
            for r in links:
                assert negatives[r].numel() == batch[r][0].numel()
                assert all(t in ranges[r] for t in negatives[r].tolist())
                seen += [(r, h, t) for h, t in zip(batch[r][0].tolist(), batch[r][1].tolist())]
        assert sorted(seen) == sorted((r, h, t) for r in links for h, t in zip(*(x.tolist() for x in links[r])))


def test_link_batch_training_takes_one_step_per_epoch_and_learns(tmp_path):
    folder = write_link_prediction_folder(tmp_path / "ring")
    batched, whole = (experiment("hetero_link_prediction", "gat", f"hgb:{folder}", seeds=[0], out=tmp_path / "runs",
                                 feats_type=0, epochs=150, lr=0.01, link_batch_size=size, select_on="last")
                      for size in (16, 0))
    assert batched.summary["test_roc_auc_random"]["mean"] > 0.8
    assert json.loads((batched.run_dir / "seed_0" / "metrics.json").read_text())["epochs_run"] == 150
    assert batched.summary["val_roc_auc"]["mean"] != whole.summary["val_roc_auc"]["mean"]  # other steps were taken


def test_cli_list_shows_models_of_the_hetero_tasks(cli):
    status, out, _ = cli("list", "models", "--json")
    assert status == 0
    tasks = {entry["name"]: entry["tasks"] for entry in json.loads(out)}
    for model in ("simple_hgn", "gcn", "gat", "rgcn"):
        assert {"hetero_node_classification", "hetero_link_prediction"} <= set(tasks[model])


def test_wrong_task_for_the_folder_is_a_one_line_error(cli, tmp_path):
    folder = write_link_prediction_folder(tmp_path / "ring")
    status, _, err = cli("train", "--task", "hetero_node_classification", "--model", "simple_hgn",
                         "--dataset", f"hgb:{folder}", "--out", str(tmp_path / "runs"))
    assert status == 2 and err.count("\n") == 1
    assert (f"task 'hetero_node_classification' does not take dataset 'hgb:{folder}' (a heterogeneous graph with "
            "test links); tasks that do: hetero_link_prediction") in err


def test_cli_link_prediction_runs_on_a_registered_lp_id_from_the_data_root(cli, tmp_path):
    write_link_prediction_folder(tmp_path / "data" / "hgb-amazon")
    status, out, err = cli("train", "--task", "hetero_link_prediction", "--model", "rgcn", "--dataset", "hgb-amazon",
                           "--data-root", str(tmp_path / "data"), "--out", str(tmp_path / "runs"),
                           "--set", "feats_type=0", "epochs=5")
    assert status == 0, err
    assert "test_roc_auc_2hop" in out and "test_mrr_random" in out
