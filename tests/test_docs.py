import subprocess
import sys

import yaml

from helpers import REPO


def test_generated_doc_pages_are_current():
    from cogdl.docs import pages

    for relative, text in pages().items():
        path = REPO / "docs" / relative
        assert path.is_file() and path.read_text() == text, f"docs/{relative} is stale: run `cogdl docs`"


def test_every_doc_page_is_in_the_mkdocs_nav():
    def listed(nav):
        for item in nav:
            value = next(iter(item.values())) if isinstance(item, dict) else item
            yield from listed(value) if isinstance(value, list) else [value]

    nav = set(listed(yaml.safe_load((REPO / "mkdocs.yml").read_text())["nav"]))
    pages = {str(p.relative_to(REPO / "docs")) for p in (REPO / "docs").rglob("*.md")}
    assert pages == nav


def test_docs_build_with_warnings_as_errors(tmp_path):
    build = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(REPO / "mkdocs.yml"),
                            "-d", str(tmp_path / "site")], capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr
    assert (tmp_path / "site" / "tasks" / "node_classification" / "index.html").is_file()
