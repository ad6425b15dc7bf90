"""The documentation covers the public API, and the README stays one page."""

import inspect
import re
from pathlib import Path

import skbnn
import skbnn.datasets
import skbnn.metrics

ROOT = Path(__file__).parent.parent
DOCS = ROOT / "docs"


def _api_reference_names():
    """Fully qualified names that docs/api.rst's autosummary tables list."""
    names, module, in_table = set(), None, False
    for line in (DOCS / "api.rst").read_text().splitlines():
        if match := re.match(r"\.\. currentmodule:: (\S+)", line):
            module = match.group(1)
        elif line.startswith(".. autosummary::"):
            in_table = True
        elif in_table and re.match(r"   [A-Za-z_]\w*$", line):
            names.add(f"{module}.{line.strip()}")
        elif in_table and line and not line.startswith(" "):
            in_table = False
    return names


PUBLIC_MODULES = {"skbnn.datasets": skbnn.datasets, "skbnn.metrics": skbnn.metrics}


def _public_names():
    names = {f"skbnn.{name}" for name in skbnn.__all__ if name != "__version__"}
    names |= {
        f"{module_name}.{name}"
        for module_name, module in PUBLIC_MODULES.items()
        for name, value in vars(module).items()
        if not name.startswith("_")
        and inspect.isfunction(value)
        and value.__module__ == module_name
    }
    return names


def test_api_reference_lists_every_public_name():
    assert _api_reference_names() == _public_names()


def test_every_public_name_has_a_docstring():
    for qualified in _public_names():
        module, _, name = qualified.rpartition(".")
        value = getattr(PUBLIC_MODULES.get(module, skbnn), name)
        assert inspect.getdoc(value), qualified


def test_readme_is_one_page_whose_links_exist():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 150
    targets = re.findall(r"\]\(([^)#]+)\)", readme)
    assert targets, "the README links into the docs"
    for target in targets:
        assert (ROOT / target).exists(), target


def test_every_user_guide_page_is_in_its_table_of_contents():
    index = (DOCS / "user_guide" / "index.rst").read_text()
    for page in (DOCS / "user_guide").glob("*.rst"):
        if page.stem != "index":
            assert f"   {page.stem}\n" in index, page.name


def test_the_citation_names_this_version():
    citation = (ROOT / "CITATION.cff").read_text()
    assert f'version: "{skbnn.__version__}"' in citation
