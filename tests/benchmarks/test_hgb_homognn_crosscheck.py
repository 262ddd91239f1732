"""benchmarks/hgb_homognn_crosscheck.py runs a script of HGB's LP layout per seed, with its stand-ins, and reads its scores."""

import pytest
from helpers import benchmark_script

DATA_LOADER = '''
import os


class data_loader:
    def __init__(self, path):
        open(os.path.join(path, "dl_pickle"), "w").close()  # HGB caches its split beside the data

    def gen_file_for_evaluate(self, edge_list, confidence, edge_type, file_path, flag):
        raise AssertionError("the stand-in should have replaced this")
'''

HOMO_GNN = '''
import os
import random
import sys

import numpy as np
import torch

sys.path.append("../../")
from scripts.data_loader import data_loader
from torch_geometric.nn import GATConv

args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
folder = os.path.join("../../data", args["--data"])
assert sorted(os.listdir(folder)) == ["info.dat", "link.dat", "link.dat.test", "node.dat"], os.listdir(folder)
dl = data_loader(folder)
dl.gen_file_for_evaluate([[0], [1]], [0.5], 0, file_path="./preds/x")  # called without `flag`, as homoGNN.py does
assert GATConv(4, 4, 1).lin_l.weight.shape == (4, 4)
print("epoch 0 | batch 0 |train loss 0.69")
print(f"Sec neigh test: score list: defaultdict(<class 'list'>, {{'roc_auc': [{random.random()}], "
      f"'MRR': [np.float64({np.random.rand()})]}})")
print(f"Random test: score list: defaultdict(<class 'list'>, {{'roc_auc': [{torch.rand(1).item()}], "
      f"'MRR': [np.float64({torch.get_num_threads() / 10})]}})")
'''


@pytest.fixture(scope="module")
def script():
    return benchmark_script("hgb_homognn_crosscheck")


def test_each_seed_runs_in_hgb_layout_with_its_stand_ins_and_repeats(script, tmp_path, data_root):
    benchmark = tmp_path / "HGB" / "LP" / "benchmark"
    (benchmark / "scripts").mkdir(parents=True)
    (benchmark / "scripts" / "__init__.py").write_text("")
    (benchmark / "scripts" / "data_loader.py").write_text(DATA_LOADER)
    (benchmark / "methods" / "GNN").mkdir(parents=True)
    (benchmark / "methods" / "GNN" / "homoGNN.py").write_text(HOMO_GNN)
    before = sorted(p.name for p in (data_root / "hgb-lastfm").iterdir())

    first, again, other = script.crosscheck(tmp_path / "HGB", "hgb-lastfm", [3, 3, 4], "GAT", data_root)

    assert first == again and first != other  # Python's, NumPy's and torch's seeds are set
    assert first["MRR_random"] == 0.1  # one thread
    assert sorted(p.name for p in (data_root / "hgb-lastfm").iterdir()) == before  # dl_pickle went elsewhere


def test_scores_are_read_from_the_lines_homognn_prints(script):
    output = ("Sec neigh test: score list: defaultdict(<class 'list'>, {'roc_auc': [0.582061618330327], "
              "'MRR': [np.float64(0.748698167587944)]})\n"
              "Random test: score list: defaultdict(<class 'list'>, {'roc_auc': [0.8319107184274749], "
              "'MRR': [np.float64(0.9208083346661622)]})\n"
              "Sec neigh test:average score: defaultdict(<class 'list'>, {'roc_auc': np.float64(0.5821)})\n")
    assert script.printed_scores(output) == {"roc_auc_2hop": 0.582061618330327, "MRR_2hop": 0.748698167587944,
                                             "roc_auc_random": 0.8319107184274749, "MRR_random": 0.9208083346661622}
