import runpy
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

EXAMPLES = Path(__file__).parent.parent / "examples"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _main(name):
    return runpy.run_path(str(EXAMPLES / name))["main"]


def _assert_png(path):
    assert path.read_bytes()[:8] == PNG_SIGNATURE


def test_moons_example_beats_the_pymc_tutorial(tmp_path, capsys):
    accuracy, fit_seconds = _main("moons.py")(tmp_path)
    assert accuracy >= 0.94
    assert fit_seconds > 0
    _assert_png(tmp_path / "moons_probability.png")
    _assert_png(tmp_path / "moons_uncertainty.png")
    printed = capsys.readouterr().out
    assert f"test accuracy: {accuracy:.1%}" in printed
    assert "fit time:" in printed


def test_regression_example_band_widens_outside_the_data(tmp_path):
    width_inside, width_outside = _main("regression_1d.py")(tmp_path)
    assert width_outside > 1.2 * width_inside
    _assert_png(tmp_path / "regression_1d.png")
