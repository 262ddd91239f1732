"""docs/writing-a-model.md runs: its code blocks, in order, in one namespace; what they train learns."""

import re

import pytest

from cogdl.registry import MODELS
from helpers import REPO

PAGE = REPO / "docs" / "writing-a-model.md"


@pytest.fixture(scope="module")
def page_namespace(data_root):
    import os

    os.environ.setdefault("COGDL_DATA", str(data_root))
    MODELS.entries()  # the built-ins and plugins first; the page's models are removed afterwards
    before = dict(MODELS._entries)
    namespace = {"__name__": "writing_a_model"}
    try:
        for block in re.findall(r"```python\n(.*?)```", PAGE.read_text(), flags=re.S):
            exec(compile(block, str(PAGE), "exec"), namespace)
        yield namespace
    finally:
        MODELS._entries.clear()
        MODELS._entries.update(before)


def test_page_node_model_trains_on_the_three_planetoid_graphs(page_namespace):
    accuracy = page_namespace["accuracy"]
    assert accuracy["cora"] >= 0.78 and accuracy["citeseer"] >= 0.66 and accuracy["pubmed"] >= 0.76, accuracy


def test_page_sparse_graph_level_hetero_and_embedding_models_learn(page_namespace):
    assert page_namespace["sparse_accuracy"] >= 0.78
    assert page_namespace["graph_accuracy"] >= 0.65
    assert page_namespace["hetero_f1"] >= 0.5
    assert page_namespace["probe_accuracy"] >= 0.65


def test_page_shallow_embedding_learns_ppi_labels(page_namespace):
    assert page_namespace["micro_f1"] >= 0.15  # random vectors score some 0.08 here
