"""The data helpers of skbnn.datasets that need no files."""

import numpy as np
import pytest

from skbnn.datasets import out_of_distribution_images


def test_out_of_distribution_images_are_shaped_like_the_images_and_seeded():
    rng = np.random.default_rng(1)
    X = rng.uniform(size=(30, 16)).astype(np.float32)
    sets = out_of_distribution_images(X, random_state=3)
    assert sorted(sets) == ["inverted", "permuted", "uniform_noise"]
    for images in sets.values():
        assert images.shape == X.shape and images.dtype == X.dtype
    np.testing.assert_array_equal(sets["inverted"], 1 - X)
    # One permutation of the pixels, the same for every row: same ink per row.
    np.testing.assert_allclose(np.sort(sets["permuted"], axis=1), np.sort(X, axis=1))
    assert not np.array_equal(sets["permuted"], X)
    columns = [
        np.flatnonzero((X == sets["permuted"][:, [j]]).all(axis=0)) for j in range(16)
    ]
    assert sorted(int(c[0]) for c in columns) == list(range(16))
    assert 0 <= sets["uniform_noise"].min() and sets["uniform_noise"].max() <= 1
    again = out_of_distribution_images(X, random_state=3)
    other = out_of_distribution_images(X, random_state=4)
    np.testing.assert_array_equal(again["uniform_noise"], sets["uniform_noise"])
    assert not np.array_equal(other["permuted"], sets["permuted"])


def test_out_of_distribution_images_want_rows_of_pixels():
    with pytest.raises(ValueError, match="rows of pixels"):
        out_of_distribution_images(np.zeros((2, 28, 28)))
