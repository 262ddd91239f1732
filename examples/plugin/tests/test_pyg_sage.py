"""The PyG-wrapped GraphSAGE meets CogDL's model contract (`cogdl.testing.check_model`)."""

from cogdl.testing import check_model
from cogdl_plugin_example.pyg_sage import PyGGraphSAGE


def test_pyg_graphsage_meets_the_cogdl_model_contract():
    check_model(PyGGraphSAGE)


def test_pyg_graphsage_is_registered_under_its_entry_point_name():
    check_model("example_pyg_sage")
