import gzip
import json
import os
import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from skbnn.datasets import load_mnist

pytest.importorskip("matplotlib")

EXAMPLES = Path(__file__).parent.parent / "examples"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _main(name):
    return runpy.run_path(str(EXAMPLES / name))["main"]


def _assert_png(path):
    assert path.read_bytes()[:8] == PNG_SIGNATURE


def _run_script(name, tmp_path):
    """Run an example as a command-line script from another folder."""
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name), "--output-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    return done.stdout, done.stderr


def test_moons_example_beats_the_pymc_tutorial(tmp_path):
    printed, err = _run_script("moons.py", tmp_path)
    figures = json.loads(printed.strip().splitlines()[-1])
    assert figures["test_accuracy"] >= 0.94
    assert figures["default_test_accuracy"] >= 0.94
    assert figures["fit_seconds"] > 0
    _assert_png(tmp_path / "moons_probability.png")
    _assert_png(tmp_path / "moons_uncertainty.png")
    assert f"test accuracy: {figures['test_accuracy']:.1%}" in printed
    assert "fit time:" in printed
    assert "Warning" not in err


def test_regression_example_band_widens_outside_the_data(tmp_path):
    printed, err = _run_script("regression_1d.py", tmp_path)
    figures = json.loads(printed.strip().splitlines()[-1])
    assert figures["band_width_outside"] > 1.2 * figures["band_width_inside"]
    # The cubic leaves the band beyond the data, not inside it.
    left, right = figures["true_mean_leaves_band_at"]
    assert left <= -2 and right >= 2
    _assert_png(tmp_path / "regression_1d.png")
    assert "Warning" not in err


def _last_json_line(capsys):
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_digits_conv_example_flags_its_mistakes(tmp_path):
    printed, err = _run_script("digits_conv.py", tmp_path)
    figures = json.loads(printed.strip().splitlines()[-1])
    assert figures["test_accuracy"] > 0.93
    # The mutual information ranks the misclassified digits above the rest.
    assert figures["misclassified_auroc"] > 0.75
    assert 0 <= figures["test_ece"] < 0.15
    _assert_png(tmp_path / "digits_conv.png")
    assert "Warning" not in err


def test_regression_intervals_example_covers_the_held_out_targets(tmp_path):
    printed, err = _run_script("regression_intervals.py", tmp_path)
    figures = json.loads(printed.strip().splitlines()[-1])
    bnn = figures["skbnn BayesianMLPRegressor"]
    # Diabetes' target has a std of 77; a linear model's RMSE is about 55.
    assert bnn["rmse"] < 65
    assert 0.85 <= bnn["coverage_2std"] <= 1.0
    # The distribution's own 90% intervals, on 148 held-out rows.
    assert 0.8 <= bnn["coverage_90"] <= 0.97
    assert bnn["crps"] < 40
    # Wider intervals hold more targets.
    assert np.all(np.diff(bnn["coverage_by_level"]) >= 0)
    assert bnn["coverage_by_level"][0] < 0.3 < 0.9 < bnn["coverage_by_level"][-1]
    _assert_png(tmp_path / "regression_intervals.png")
    assert "Warning" not in err


def test_conformal_example_covers_at_each_level(tmp_path, capsys):
    pytest.importorskip("mapie")
    summary = _main("regression_conformal.py")(tmp_path, repeats=1)
    levels = np.array(summary["levels"])
    for kind in ("skbnn alone", "MAPIE, absolute", "MAPIE, std-normalised"):
        coverage, width = (
            np.array(summary[kind][key]) for key in ("coverage", "width")
        )
        assert np.all(np.diff(coverage) >= 0) and np.all(np.diff(width) > 0)
    # Conformal coverage is at least the level, up to the sampling error of
    # 111 test rows.
    for kind in ("MAPIE, absolute", "MAPIE, std-normalised"):
        assert np.all(np.array(summary[kind]["coverage"]) >= levels - 0.1)
    _assert_png(tmp_path / "regression_conformal.png")
    assert _last_json_line(capsys)["levels"] == summary["levels"]


def test_digits_shift_example_measures_rotation_and_unfamiliar_images(tmp_path):
    printed, err = _run_script("digits_shift.py", tmp_path)
    results = json.loads(printed.strip().splitlines()[-1])
    for result in results.values():
        assert len(result["accuracy"]) == len(result["ece"]) == 13
        # Digits turned on their side are no longer recognised.
        assert result["accuracy"][0] > 0.9 > 0.5 > result["accuracy"][6]
    bayesian = results["skbnn BayesianMLPClassifier"]["auroc"]
    assert set(bayesian) == {"uniform noise", "permuted pixels", "inverted"}
    assert min(bayesian["uniform noise"].values()) > 0.9
    assert set(results["MLPClassifier"]["auroc"]["inverted"]) == {"entropy"}
    _assert_png(tmp_path / "digits_shift.png")
    assert "accuracy by rotation" in printed
    assert "Warning" not in err


def test_mnist_reader_scales_pixels_and_keeps_labels(tiny_mnist):
    X, y = load_mnist(tiny_mnist, "test")
    assert X.shape == (100, 784) and X.dtype == np.float32
    assert X.min() >= 0 and X.max() == 1
    assert_rows = X.reshape(-1, 28, 28)[np.arange(100), 2 * y + 4]
    assert (assert_rows == 1).all()


def test_mnist_reader_names_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte.gz"):
        load_mnist(tmp_path)


def test_mnist_example_prints_its_figures_and_a_json_line(tiny_mnist, tmp_path, capsys):
    figures = _main("mnist_mlp.py")(
        tiny_mnist, tmp_path, hidden_layer_sizes=(16,), epochs=30, batch_size=64
    )
    assert figures["accuracy"] > 0.9
    assert set(figures["auroc"]) == {"uniform_noise", "permuted", "inverted"}
    assert all(0 <= value <= 1 for value in figures["auroc"].values())
    assert figures["fit_seconds"] > 0 and figures["steps_per_second"] > 0
    _assert_png(tmp_path / "mnist_mlp_uncertain.png")
    last_line = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(last_line) == figures


def test_mnist_example_with_the_hierarchical_prior_and_early_stopping(
    tiny_mnist, tmp_path
):
    figures = _main("mnist_mlp.py")(
        tiny_mnist,
        tmp_path,
        prior="hierarchical",
        early_stopping=True,
        hidden_layer_sizes=(16,),
        epochs=30,
        batch_size=64,
    )
    assert figures["prior"] == "hierarchical" and figures["early_stopping"]
    assert figures["accuracy"] > 0.85
    assert figures["epochs"] <= 30


def test_mnist_conv_example_prints_its_figures_and_a_json_line(
    tiny_mnist, tmp_path, capsys
):
    figures = _main("mnist_conv.py")(
        tiny_mnist, tmp_path, epochs=10, batch_size=64, n_posterior_draws=10
    )
    assert figures["accuracy"] > 0.9
    assert set(figures["auroc"]) == {"uniform_noise", "permuted", "inverted"}
    misclassified = figures["misclassified"]
    if misclassified["count"]:
        assert 0 <= misclassified["auroc"] <= 1
    else:
        assert misclassified["auroc"] is None
    assert figures["predict_seconds"] > 0
    _assert_png(tmp_path / "mnist_conv_uncertainty.png")
    last_line = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(last_line) == figures


MNIST_DIR = Path(__file__).parent.parent.parent / "shared" / "data" / "mnist"


@pytest.mark.slow
@pytest.mark.skipif(not MNIST_DIR.is_dir(), reason="needs ../shared/data/mnist")
def test_mnist_mlp_example_on_full_mnist(tmp_path):
    # About 4 minutes on two cores: the 15-epoch run of the results page's table.
    figures = _main("mnist_mlp.py")(MNIST_DIR, tmp_path, epochs=15)
    assert figures["accuracy"] >= 0.98
    assert min(figures["auroc"].values()) > 0.99


@pytest.mark.slow
@pytest.mark.skipif(not MNIST_DIR.is_dir(), reason="needs ../shared/data/mnist")
def test_mnist_mlp_example_hierarchical_on_full_mnist(tmp_path):
    # About 8 minutes on two cores: the results page's hierarchical run, whose
    # early stopping ended it after 23 of at most 40 epochs.
    figures = _main("mnist_mlp.py")(
        MNIST_DIR, tmp_path, prior="hierarchical", early_stopping=True, epochs=40
    )
    assert figures["accuracy"] >= 0.98
    assert min(figures["auroc"].values()) > 0.99


@pytest.mark.slow
@pytest.mark.skipif(not MNIST_DIR.is_dir(), reason="needs ../shared/data/mnist")
def test_mnist_conv_example_on_full_mnist(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLES))
    figures = _main("mnist_conv.py")(MNIST_DIR, tmp_path)
    assert figures["accuracy"] >= 0.99


def test_stream_example_fits_chunks_from_disk(tmp_path, capsys):
    figures = _main("stream.py")(tmp_path, n_samples=2000, chunk_rows=400, passes=60)
    assert (tmp_path / "stream.npy").is_file()
    _assert_png(tmp_path / "stream.png")
    assert figures["stream_calls"] == 60 * 4
    assert figures["stream_accuracy"] > figures["fit_accuracy"] - 0.05
    assert figures["stream_accuracy"] > 0.8
    printed = capsys.readouterr().out.strip().splitlines()
    assert printed[0].startswith("pass 1: test accuracy")
    assert json.loads(printed[-1]) == figures


def test_the_bundled_tables_are_the_shared_ones():
    import hashlib

    from skbnn.datasets import load_ames, load_taxi

    taxi = load_taxi()
    assert taxi.shape == (10000, 7)
    X, y = load_taxi(return_X_y=True)
    assert list(X.columns) == [c for c in taxi.columns if c != "tip"]
    assert set(y) == {"yes", "no"}
    X, y = load_ames(return_X_y=True)
    assert X.shape == (2930, 73) and y.name == "Sale_Price"
    assert X["Misc_Feature"].isna().sum() > 0
    # The bytes are the shared tables' (their SHA256SUMS), unchanged.
    shared_sums = {
        "taxi": "64e6123353cd620473075a1cf81e708fada43399474ed3d13d31be46e33f176a",
        "ames": "dc27fa1fc372a976b35142e88a9d8f86f31500efe45a3935999bbeddef0b8a98",
    }
    for name, expected in shared_sums.items():
        bundled = Path(__file__).parent.parent / "skbnn" / "_data" / f"{name}.csv.gz"
        digest = hashlib.sha256(gzip.decompress(bundled.read_bytes())).hexdigest()
        assert digest == expected


def test_tabular_classification_tutorial_compares_three_models(tmp_path):
    out, err = _run_script("tabular_classification.py", tmp_path)
    figures = json.loads(out.strip().splitlines()[-1])
    assert set(figures) == {"skbnn", "gradient boosting", "logistic regression"}
    for scores in figures.values():
        # A table that tells little about tips: every model near the base
        # rate's log loss (0.277), none far worse.
        assert 0.25 < scores["log loss"] < 0.30
        assert 0 <= scores["ECE"] < 0.1
    assert "mutual_information" in out
    _assert_png(tmp_path / "tabular_classification.png")
    assert "Warning" not in err


@pytest.mark.slow
def test_tabular_regression_tutorial_intervals_hold_their_share(tmp_path):
    out, err = _run_script("tabular_regression.py", tmp_path)
    figures = json.loads(out.strip().splitlines()[-1])
    assert 0.85 < figures["skbnn"]["coverage"] < 0.97
    assert figures["skbnn"]["median abs. error ($)"] < 15000
    _assert_png(tmp_path / "tabular_regression.png")
    assert "Warning" not in err
