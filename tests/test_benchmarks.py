import json
import runpy
from pathlib import Path

import numpy as np
import pandas as pd

BENCHMARKS = Path(__file__).parent.parent / "benchmarks"


def _write_uci_folder(folder, n=120, n_splits=2, link=lambda f: f):
    """A data set in the standard splits' format: y = link(3 x0 - x1 + noise)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 3))
    y = link(3 * X[:, 0] - X[:, 1] + 0.1 * rng.normal(size=n))
    folder.mkdir()
    np.savetxt(folder / "data.txt", np.c_[X, y])
    np.savetxt(folder / "index_features.txt", [0, 1, 2], fmt="%d")
    np.savetxt(folder / "index_target.txt", [3], fmt="%d")
    np.savetxt(folder / "n_splits.txt", [n_splits], fmt="%d")
    for split in range(n_splits):
        order = rng.permutation(n)
        np.savetxt(folder / f"index_train_{split}.txt", order[:90], fmt="%d")
        np.savetxt(folder / f"index_test_{split}.txt", order[90:], fmt="%d")


def test_uci_benchmark_runs_the_protocol(tmp_path, capsys):
    _write_uci_folder(tmp_path / "yacht")
    main = runpy.run_path(str(BENCHMARKS / "bench_uci.py"))["main"]
    # One member: the protocol is the point here, not the default's figures.
    results = main(
        tmp_path,
        n_splits=5,
        datasets=("yacht",),
        models=("skbnn", "gp"),
        skbnn_params={"ensemble_size": 1},
    )
    for model in ("skbnn", "gp"):
        summary = results["yacht"][model]
        assert summary["n_splits"] == 2  # as many as the folder has
        assert len(summary["ll_by_split"]) == 2
        assert summary["rmse"][0] < 0.5  # the noise std is 0.1, the signal's 3
        assert summary["ll"][0] > -1.0
        assert 0.8 <= summary["coverage"][0] <= 1.0
        # Each model's own central intervals nest; the CRPS is below the
        # target's spread (3) and above zero.
        coverages = [summary[f"coverage_{level}"][0] for level in (50, 80, 90, 95)]
        assert coverages == sorted(coverages) and coverages[0] > 0.1
        assert 0 < summary["crps"][0] < 0.5
    # The GP's predictive distribution is Normal, so its two LLs are one;
    # skbnn's is a mixture over posterior draws, with Student-t noise.
    assert results["yacht"]["gp"]["gaussian_ll"] == results["yacht"]["gp"]["ll"]
    skbnn = results["yacht"]["skbnn"]
    assert np.isfinite(skbnn["gaussian_ll"][0])
    assert skbnn["gaussian_ll"][0] != skbnn["ll"][0]
    # A linear target: the GP's RMSE is near the noise std.
    assert results["yacht"]["gp"]["rmse"][0] < 0.2
    assert results["yacht"]["published"]["ngboost"] == (0.50, -0.20)
    printed = capsys.readouterr().out.strip().splitlines()
    assert printed[0] == "yacht (2 splits)"
    assert printed[1].lstrip().startswith("skbnn")
    assert "published RMSE / LL" in printed[3] and "ngboost 0.5 / -0.2" in printed[3]
    assert json.loads(printed[-1]) == json.loads(json.dumps(results))


def test_uci_benchmark_measures_a_transformed_target_by_its_quantiles(tmp_path):
    # y = exp(linear + noise): skewed, positive.
    _write_uci_folder(tmp_path / "yacht", link=lambda f: np.exp(f / 3))
    main = runpy.run_path(str(BENCHMARKS / "bench_uci.py"))["main"]
    params = {"ensemble_size": 1, "target_transform": "yeo-johnson"}
    summary = main(tmp_path, datasets=("yacht",), skbnn_params=params)["yacht"]["skbnn"]
    # No predictive std: no Gaussian LL and no +/- 2 std coverage.
    assert "gaussian_ll" not in summary and "coverage" not in summary
    coverages = [summary[f"coverage_{level}"][0] for level in (50, 80, 90, 95)]
    assert coverages == sorted(coverages) and coverages[-1] >= 0.8
    assert 0 < summary["crps"][0] < summary["rmse"][0]
    assert np.isfinite(summary["ll"][0])


def test_uci_benchmark_runs_the_held_out_data_set(capsys):
    main = runpy.run_path(str(BENCHMARKS / "bench_uci.py"))["main"]
    results = main(
        n_splits=1, datasets=("diabetes",), skbnn_params={"ensemble_size": 1}
    )
    assert set(results["diabetes"]) == {"skbnn"}  # no published figures
    summary = results["diabetes"]["skbnn"]
    assert summary["n_splits"] == 1
    # Diabetes' target has a std of 77; a linear model's RMSE is about 54.
    assert summary["rmse"][0] < 70
    assert 0.5 <= summary["coverage"][0] <= 1.0
    printed = capsys.readouterr().out.strip().splitlines()
    assert printed[0] == "diabetes (1 splits)"
    assert printed[1].lstrip().startswith("skbnn    RMSE")
    assert not any("published" in line for line in printed)
    assert json.loads(printed[-1]) == results


def test_posterior_family_probe_fits_each_family(tmp_path, capsys):
    _write_uci_folder(tmp_path / "yacht")
    main = runpy.run_path(str(BENCHMARKS / "probe_posterior_family.py"))["main"]
    for variant in ("mf", "tlr2"):
        results = main(tmp_path, ["yacht"], [0], variant, 2000, [8])
        figures = results["yacht"]
        assert figures["rmse"] < 0.5  # the noise std is 0.1, the signal's 3
        assert figures["ll_mix"] > -1.0
        printed = capsys.readouterr().out.strip().splitlines()
        assert json.loads(printed[-1])["results"] == results
    assert figures["df_median"] > 2


def test_mnist_curve_times_to_accuracy_and_ensemble_points():
    module = runpy.run_path(str(BENCHMARKS / "bench_mnist.py"))
    points = [(1, 10.0, 0.97, 0.5), (2, 20.0, 0.981, 0.4), (3, 30.0, 0.979, 0.3)]
    assert module["seconds_to_reach"](points, 0.98) == 20.0
    assert module["seconds_to_reach"](points, 0.99) is None
    y_test = np.array([0, 1])
    confident = np.array([[0.9, 0.1], [0.2, 0.8]])
    wrong = np.array([[0.1, 0.9], [0.7, 0.3]])
    members = [
        ([(1, 5.0, 1.0, confident)], None),
        ([(1, 6.0, 0.0, wrong)], None),
        ([(1, 7.0, 1.0, confident)], None),
    ]
    # The ensemble averages its members' probabilities (two of three right
    # on each image) and counts their seconds together.
    assert module["_ensemble_points"](members, y_test) == [(1, 18.0, 1.0)]


def test_tabular_benchmark_runs_every_model_behind_the_same_preprocessing(
    tmp_path, capsys
):
    # A table with a text column and missing entries: y = 2 x + 5 [kind == b].
    rng = np.random.default_rng(0)
    n = 150
    x = rng.normal(size=n)
    kind = rng.choice(["a", "b", None], size=n)
    price = 2 * x + 5 * (kind == "b") + 0.2 * rng.normal(size=n)
    x[::17] = np.nan
    frame = {"x": x, "kind": kind, "price": price}
    pd.DataFrame(frame).to_csv(tmp_path / "sacramento.csv", index=False)
    main = runpy.run_path(str(BENCHMARKS / "bench_tabular.py"))["main"]
    results = main(
        tmp_path,
        tables=("sacramento",),
        models=("skbnn", "bayesian_ridge", "quantile_boosting", "gp"),
    )
    figures = results["sacramento"]
    for model in ("skbnn", "bayesian_ridge", "gp"):
        assert figures[model]["rmse"][0] < 2.5  # the target's std is above 3
        assert np.isfinite(figures[model]["ll"][0])
        assert 0 < figures[model]["crps"][0] < 2
        assert 0.6 <= figures[model]["coverage_90"][0] <= 1
    # Quantile boosting has an interval and a median, no density.
    assert "ll" not in figures["quantile_boosting"]
    assert 0.4 <= figures["quantile_boosting"]["coverage_90"][0] <= 1
    printed = capsys.readouterr().out.strip().splitlines()
    assert printed[0] == "sacramento (150 rows, 5 folds)"
    assert json.loads(printed[-1]) == json.loads(json.dumps(results))
    # skbnn's parameters reach it: a transformed target, scored by its median.
    params = {"target_transform": "yeo-johnson", "ensemble_size": 1}
    transformed = main(
        tmp_path, tables=("sacramento",), models=("skbnn",), skbnn_params=params
    )["sacramento"]["skbnn"]
    assert transformed["rmse"][0] < 2.5 and np.isfinite(transformed["ll"][0])
    assert transformed["ll"] != figures["skbnn"]["ll"]
