"""benchmarks/cogdl_prone_crosscheck.py runs a model file of CogDL's old layout unchanged and scores it."""

import numpy as np
import torch
from helpers import benchmark_script

MODEL_FILE = '''
import numpy as np
import torch
from .. import BaseModel, register_model


@register_model("prone")
class ProNE(BaseModel):
    def __init__(self, dimension, step, mu, theta):
        super(ProNE, self).__init__()
        self.dimension = dimension

    def train(self, G):  # each node's degree, in the order of G.nodes()
        return np.array([[G.degree(node)] + [0] * (self.dimension - 1) for node in G.nodes()], dtype=float)
'''


def crosscheck():
    return benchmark_script("cogdl_prone_crosscheck")


def test_the_reference_file_runs_unchanged_and_its_rows_land_on_their_node_ids(tmp_path, data_root):
    from cogdl.protocols.base import load_dataset

    script = crosscheck()
    (tmp_path / "prone.py").write_text(MODEL_FILE)
    embeddings = script.reference_embedding(script.load_reference_model(tmp_path / "prone.py"), "ppi-ne", 10, 0.2,
                                            0.5, 4)
    graph = load_dataset("ppi-ne").graph
    assert embeddings.shape == (graph.num_nodes, 4)
    loops = graph.row[graph.row == graph.col]  # networkx counts a self loop twice in a degree
    degree = graph.in_degree() + torch.bincount(loops, minlength=graph.num_nodes)
    assert loops.numel() > 0 and np.array_equal(embeddings[:, 0], degree.numpy())


def test_liblinear_scores_labels_that_are_their_own_features_perfectly():
    labels = np.random.default_rng(0).random((300, 5)) < 0.3
    labels[labels.sum(1) == 0, 0] = True
    assert crosscheck().liblinear_micro_f1(labels.astype(float) * 4, labels.astype(np.int64), shuffles=2) == 1.0
