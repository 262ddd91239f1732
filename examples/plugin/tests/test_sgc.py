"""The plugin's own test: its model meets CogDL's model contract (`cogdl.testing.check_model`)."""

from cogdl.testing import check_model
from cogdl_plugin_example.sgc import SGC


def test_sgc_meets_the_cogdl_model_contract():
    check_model(SGC)


def test_sgc_is_registered_under_its_entry_point_name():
    check_model("example_sgc")
