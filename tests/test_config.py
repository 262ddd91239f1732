import dataclasses

import pytest

from cogdl.config import Choice, Interval, coerce, load_config_file, parse_set, resolve
from cogdl.errors import ConfigError
from cogdl.models.gcn import GCNConfig
from cogdl.tasks.node_classification import NodeClassificationConfig


def test_config_resolution_order_later_layers_win():
    resolved = resolve(GCNConfig, NodeClassificationConfig, [
        ("best", {"lr": 0.1, "hidden_size": 32}),
        ("file.yaml", {"lr": 0.2}),
        ("--set", {"lr": "0.3"}),
    ])
    assert resolved.task.lr == 0.3 and resolved.model.hidden_size == 32
    assert resolved.origin["lr"] == "--set" and resolved.origin["dropout"] == "model default"


def test_config_unknown_key_suggests_the_known_one():
    with pytest.raises(ConfigError, match=r"--set: unknown key 'hiden_size' \(did you mean 'hidden_size'"):
        resolve(GCNConfig, NodeClassificationConfig, [("--set", {"hiden_size": 3})])


@pytest.mark.parametrize("key,value,message", [
    ("hidden_size", "big", r"hidden_size: expected int, found 'big'"),
    ("hidden_size", 2.5, r"hidden_size: expected int, found 2.5"),
    ("lr", True, r"lr: expected float, found True"),
    ("dropout", 1.0, r"dropout=1.0 must be in \[0.0, 1.0\)"),
    ("epochs", 0, r"epochs=0 must be in \[1, inf\)"),
    ("lr", 0, r"lr=0.0 must be in \(0.0, inf\)"),
])
def test_config_bad_value_is_rejected(key, value, message):
    with pytest.raises(ConfigError, match=message):
        resolve(GCNConfig, NodeClassificationConfig, [("--set", {key: value})])


def test_config_coerce_optional_and_bool():
    assert coerce("true", bool, "x") is True
    assert coerce("null", int | None, "x") is None
    assert coerce("1e-3", float, "x") == 0.001
    with pytest.raises(ConfigError):
        coerce("nan", float, "x")


def test_config_constraint_types():
    assert Interval(0, 1).check(0.5) is None and "must be in" in Interval(0, 1).check(2)
    assert Choice("a", "b").check("c") == "must be one of 'a', 'b'"


def test_config_duplicate_yaml_key_names_the_line(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("lr: 0.1\ndropout: 0.5\nlr: 0.2\n")
    with pytest.raises(ConfigError, match=r"c.yaml:3: invalid YAML: duplicate key 'lr' \(first on line 1\)"):
        load_config_file(path)


def test_config_malformed_yaml_names_file_and_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("lr: 0.1\nhidden_size: [1, 2\n")
    with pytest.raises(ConfigError, match=r"bad.yaml:\d+: invalid YAML"):
        load_config_file(path)


def test_config_file_must_be_a_flat_mapping(tmp_path):
    path = tmp_path / "nested.yaml"
    path.write_text("model:\n  lr: 0.1\n")
    with pytest.raises(ConfigError, match=r"key 'model': expected a scalar value"):
        load_config_file(path)


def test_parse_set_values_and_errors():
    assert parse_set(["lr=0.01", "normalize_features=false", "hidden_size=16"]) == {
        "lr": 0.01, "normalize_features": False, "hidden_size": 16}
    with pytest.raises(ConfigError, match=r"--set 'lr': expected key=value"):
        parse_set(["lr"])
    with pytest.raises(ConfigError, match=r"--set gives 'lr' twice \('lr=0.01' and ' lr=0.02'\)"):
        parse_set(["lr=0.01", "dropout=0.5", " lr=0.02"])


def test_cli_malformed_config_exits_2_and_writes_no_run_folder(cli, tmp_path, data_root):
    path = tmp_path / "bad.yaml"
    path.write_text("lr: 0.1\nlr: 0.2\n")
    out = tmp_path / "runs"
    status, stdout, err = cli("train", "--task", "node_classification", "--model", "gcn", "--dataset", "cora",
                              "--config", str(path), "--out", str(out), "--data-root", str(data_root))
    assert status == 2 and err.count("\n") == 1 and "bad.yaml:2" in err and "duplicate key 'lr'" in err
    assert not out.exists()


def test_every_config_field_is_documented():
    for cls in (GCNConfig, NodeClassificationConfig):
        for f in dataclasses.fields(cls):
            assert f.metadata.get("help"), f"{cls.__name__}.{f.name} has no help text"
