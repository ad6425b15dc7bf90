import numpy as np
import pytest

from skbnn.metrics import expected_calibration_error


def _ece_by_bins(y_prob, y_true, n_bins):
    # The definition, bin by bin: |mean confidence - accuracy| x share.
    confidence = y_prob.max(axis=1)
    correct = y_prob.argmax(axis=1) == y_true
    bins = np.minimum((confidence * n_bins).astype(int), n_bins - 1)
    return sum(
        abs(confidence[bins == b].mean() - correct[bins == b].mean())
        * np.mean(bins == b)
        for b in np.unique(bins)
    )


def test_expected_calibration_error_follows_its_definition():
    rng = np.random.default_rng(0)
    y_prob = rng.dirichlet(np.ones(4), size=500)
    y_true = rng.integers(4, size=500)
    for n_bins in (1, 5, 15):
        assert expected_calibration_error(
            y_true, y_prob, n_bins=n_bins
        ) == pytest.approx(_ece_by_bins(y_prob, y_true, n_bins))


def test_calibrated_probabilities_score_near_zero_and_overconfident_ones_do_not():
    rng = np.random.default_rng(1)
    p = rng.uniform(0.5, 1.0, size=20_000)
    y_prob = np.c_[p, 1 - p]
    y_true = (rng.uniform(size=p.size) > p).astype(int)  # class 0 with chance p
    assert expected_calibration_error(y_true, y_prob) < 0.01
    overconfident = np.c_[np.full(p.size, 0.99), np.full(p.size, 0.01)]
    assert expected_calibration_error(y_true, overconfident) == pytest.approx(
        0.99 - np.mean(y_true == 0)
    )


def test_labels_name_the_columns():
    y_prob = np.array([[0.9, 0.1], [0.3, 0.7]])
    with pytest.raises(ValueError, match="labels=estimator.classes_"):
        expected_calibration_error(["cat", "dog"], y_prob)
    assert expected_calibration_error(
        ["cat", "dog"], y_prob, labels=["cat", "dog"]
    ) == pytest.approx(expected_calibration_error([0, 1], y_prob))


@pytest.mark.parametrize(
    "y_true, y_prob, kwargs, message",
    [
        ([0, 1], [[0.5, 0.5]], {}, "inconsistent numbers of samples"),
        ([0, 1], [[0.5, 0.5], [0.5, 0.5]], {"n_bins": 0}, "n_bins"),
        ([0, 1], [[0.5, 0.5], [0.5, 0.5]], {"labels": [0, 1, 2]}, "3 classes"),
        ([[0], [1]], [[0.5, 0.5], [0.5, 0.5]], {}, "1-dimensional"),
    ],
)
def test_bad_inputs_are_refused(y_true, y_prob, kwargs, message):
    with pytest.raises(ValueError, match=message):
        expected_calibration_error(y_true, y_prob, **kwargs)
