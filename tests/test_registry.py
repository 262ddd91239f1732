import json
import os
import subprocess
import sys

import pytest

from cogdl.errors import CogDLError, UnknownName
from cogdl.registry import BUILTIN, MODELS, Registry


def test_registry_unknown_model_suggests_close_names():
    with pytest.raises(UnknownName, match=r"unknown model 'gnc' \(did you mean .*'gcn'"):
        MODELS.get("gnc")


@pytest.mark.parametrize("flag,value,expected", [
    ("--model", "gcnn", "unknown model 'gcnn' (did you mean 'gcn'"),
    ("--dataset", "corra", "unknown dataset 'corra' (did you mean 'cora'"),
    ("--task", "node_clasification", "unknown task 'node_clasification' (did you mean 'node_classification'"),
])
def test_cli_train_misspelled_name_is_one_line_exit_2(cli, flag, value, expected):
    args = {"--task": "node_classification", "--model": "gcn", "--dataset": "cora", flag: value}
    status, out, err = cli("train", *[x for kv in args.items() for x in kv])
    assert status == 2
    assert err.count("\n") == 1 and expected in err
    assert out == ""


def test_registry_duplicate_name_names_both_sources():
    registry = Registry("models", "cogdl.models")

    class First:
        pass

    class Second:
        pass

    registry.add("dup", First, "package-a")
    with pytest.raises(CogDLError, match=r"registered twice: by package-a .*First.* and by package-b .*Second"):
        registry.add("dup", Second, "package-b")


def test_registry_builtin_name_is_reserved_against_user_code():
    class NotGCN:
        supported_tasks = ()

    with pytest.raises(CogDLError, match=r"'gcn' is registered twice: by built-in"):
        MODELS.register("gcn")(NotGCN)


def test_registry_user_registration_records_its_module():
    registry = Registry("models", "cogdl.models")

    @registry.register("mine")
    class Mine:
        pass

    assert registry.entry("mine").source == __name__
    assert MODELS.entry("gcn").source == BUILTIN


def test_cli_list_models_json_shows_source_and_tasks(cli):
    status, out, _ = cli("list", "models", "--json")
    assert status == 0
    rows = {row["name"]: row for row in json.loads(out)}
    assert rows["gcn"]["source"] == BUILTIN
    assert rows["gat"]["tasks"] == ["node_classification", "hetero_node_classification", "hetero_link_prediction",
                                    "link_prediction"]


def test_cli_list_all_kinds_in_text(cli):
    status, out, _ = cli("list")
    assert status == 0
    for line in ("models:", "datasets:", "tasks:", "  cora", "  node_classification"):
        assert line in out


def test_a_plugin_taking_a_builtin_name_is_skipped_with_a_warning_and_the_rest_works(tmp_path):
    """A real distribution on the path (dist-info with entry points): its `gcn` clashes with the
    built-in, its `../escape` cannot name a run folder, its `clash_ok` is fine; every command still
    works and `gcn` stays the built-in."""
    (tmp_path / "clash_plugin.py").write_text("from cogdl.models.mlp import MLP\n\n\nclass Impostor(MLP):\n    pass\n\n\n"
                                              "class Fine(MLP):\n    pass\n")
    info = tmp_path / "cogdl_clash-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: cogdl-clash\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[cogdl.models]\ngcn = clash_plugin:Impostor\nclash_ok = clash_plugin:Fine\n"
                                           "../escape = clash_plugin:Fine\n")
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    done = subprocess.run([sys.executable, "-m", "cogdl", "list", "models", "--json"], capture_output=True, text=True,
                          env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "plugin 'cogdl-clash' entry point 'gcn' (clash_plugin:Impostor) is skipped: model name 'gcn' is " \
        "registered twice: by built-in (cogdl.models.gcn.GCN) and by cogdl-clash" in done.stderr
    assert "entry point '../escape' (clash_plugin:Fine) is skipped: model name (registered by cogdl-clash) " \
        "'../escape' cannot name a file" in done.stderr
    assert done.stderr.splitlines()[0].startswith("cogdl: warning: plugin 'cogdl-clash' entry point 'gcn'")
    assert len(done.stderr.splitlines()) == 2  # one line per skipped entry point
    models = {m["name"]: m for m in json.loads(done.stdout)}
    assert models["gcn"]["source"] == "built-in" and models["clash_ok"]["source"] == "cogdl-clash"
