"""The package's layout: layers that import downwards only, small modules.

``skbnn/_model`` (what PyMC builds) is the lowest layer, then
``skbnn/_inference`` (the ADVI step and the trainer), then
``skbnn/_prediction`` (the posterior and the draw engine), then the
estimators at the top (``skbnn/_*.py``). A module imports from its own layer
or below, never above: layers and priors know nothing of estimators.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "skbnn"
LAYERS = {"_model": 0, "_inference": 1, "_prediction": 2}
TOP = 3
MAX_MODULE_LINES = 450
MAX_FUNCTION_LINES = 60

MODULES = sorted(PACKAGE.rglob("*.py"))


def _layer(parts):
    """The layer of a module or package, from its parts inside the package."""
    return LAYERS.get(parts[0], TOP)


def _imported_modules(path, source=None):
    """The package's modules that ``path`` imports, as parts inside the package."""
    here = path.relative_to(PACKAGE).parent.parts
    source = path.read_text() if source is None else source
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = here[: len(here) - node.level + 1]
            target = (*base, *(node.module or "").split(".")) if node.module else base
            yield tuple(part for part in target if part)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_import_their_layer_or_below(path):
    assert _upward_imports(path) == []


def _upward_imports(path, source=None):
    layer = _layer(path.relative_to(PACKAGE).parts)
    return [
        ".".join(target)
        for target in _imported_modules(path, source)
        if _layer(target) > layer
    ]


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_and_functions_stay_small(path):
    source = path.read_text()
    assert source.count("\n") <= MAX_MODULE_LINES
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = node.end_lineno - node.lineno + 1
            assert length <= MAX_FUNCTION_LINES, f"{node.name} has {length} lines"


def test_the_layer_check_sees_an_upward_import():
    # A likelihood importing the estimators' base, or the draw engine
    # importing an estimator, is caught; importing downwards is not.
    likelihood = PACKAGE / "_model" / "likelihoods" / "normal.py"
    assert _upward_imports(likelihood, "from ..._base import X\n") == ["_base"]
    draws = PACKAGE / "_prediction" / "draws.py"
    assert _upward_imports(draws, "from .._regressor import X\n") == ["_regressor"]
    assert _upward_imports(draws, "from .._model.networks import X\n") == []
    assert _upward_imports(draws, "from .._inference import device\n") == []
