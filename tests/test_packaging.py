"""The wheel lists its packages by hand: a package missing there breaks non-editable installs."""

import tomllib

from helpers import REPO


def test_every_cogdl_package_is_listed_in_pyproject():
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "cogdl").rglob("__init__.py")}
    assert found - listed == set()
