"""Fitting and predicting on arrays that stay on disk (np.memmap, Dask)."""

import sys

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_classification, make_regression

import skbnn._inference.out_of_core as out_of_core
from skbnn import BayesianConvClassifier, BayesianMLPClassifier, BayesianMLPRegressor
from skbnn._inference.out_of_core import OutOfCoreRows, validate_out_of_core

FAST = dict(hidden_layer_sizes=(8,), max_iter=15, random_state=0)


@pytest.fixture
def on_disk(tmp_path):
    """Save an array as .npy and return it memory-mapped read-only."""

    def save(array, name="X.npy"):
        path = tmp_path / name
        np.save(path, array)
        return np.load(path, mmap_mode="r")

    return save


@pytest.fixture
def small_buffers(monkeypatch):
    """Blocks of 20 rows of 10 float32 and buffers of 200 such rows."""
    monkeypatch.setattr(out_of_core, "BLOCK_BYTES", 20 * 10 * 4)
    monkeypatch.setattr(out_of_core, "BUFFER_BYTES", 200 * 10 * 4)


def classification_data(n_samples=2000):
    X, y = make_classification(n_samples, 10, n_informative=5, random_state=0)
    return X.astype(np.float32), y


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("early_stopping", [False, True])
def test_memmap_that_fits_a_buffer_fits_as_the_array_does(on_disk, early_stopping):
    X, y = classification_data()
    params = dict(FAST, early_stopping=early_stopping)
    in_memory = BayesianMLPClassifier(**params).fit(X, y)
    from_disk = BayesianMLPClassifier(**params).fit(on_disk(X), y)
    np.testing.assert_array_equal(
        from_disk.predict_proba(X), in_memory.predict_proba(X)
    )
    np.testing.assert_array_equal(
        from_disk.predict_proba(on_disk(X, "X_again.npy")), in_memory.predict_proba(X)
    )


@pytest.mark.parametrize("subset", [False, True])
def test_minibatches_read_a_buffer_at_a_time_and_use_every_row_once(
    on_disk, small_buffers, subset
):
    X = np.arange(1000 * 10, dtype=np.float32).reshape(1000, 10)
    rows = OutOfCoreRows(on_disk(X), np.float32)
    expected = X
    if subset:  # the training rows left by an early-stopping split
        indices = np.random.default_rng(0).permutation(1000)[:900]
        rows, expected = rows.subset(indices), X[indices]
    reads = []
    read_range = rows._read_range
    rows._read_range = lambda start, stop: (
        reads.append(stop - start) or read_range(start, stop)
    )
    batch_size = 64
    seen, buffers = [], set()
    for batch_indices, buffer, positions in rows.iter_minibatches(
        batch_size, np.random.default_rng(0)
    ):
        assert batch_indices.shape == positions.shape == (batch_size,)
        np.testing.assert_array_equal(buffer[positions], expected[batch_indices])
        buffers.add(id(buffer))
        seen.append(batch_indices)
    n_rows = expected.shape[0]
    assert max(reads) <= 20
    assert len(buffers) >= n_rows // (200 + batch_size)
    seen = np.concatenate(seen)
    assert seen.shape[0] == -(-n_rows // batch_size) * batch_size
    # Every row once, plus the rows that fill up the last batch.
    assert np.array_equal(np.unique(seen), np.arange(n_rows))


def test_minibatches_follow_the_seed(on_disk, small_buffers):
    rows = OutOfCoreRows(on_disk(np.ones((1000, 10), np.float32)), np.float32)

    def epoch(seed):
        batches = rows.iter_minibatches(50, np.random.default_rng(seed))
        return np.concatenate([indices for indices, _, _ in batches])

    np.testing.assert_array_equal(epoch(0), epoch(0))
    assert not np.array_equal(epoch(0), epoch(1))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_fit_streams_a_memmap_larger_than_its_buffer(on_disk, small_buffers):
    X, y = classification_data()
    X_disk = on_disk(X)
    in_memory = BayesianMLPClassifier(**FAST).fit(X, y)
    streamed = BayesianMLPClassifier(**FAST).fit(X_disk, y)
    again = BayesianMLPClassifier(**FAST).fit(X_disk, y)
    np.testing.assert_array_equal(streamed.predict_proba(X), again.predict_proba(X))
    # Other minibatches than in memory, a model as good.
    assert not np.array_equal(streamed.predict_proba(X), in_memory.predict_proba(X))
    assert streamed.score(X_disk, y) > in_memory.score(X, y) - 0.03
    with_validation = BayesianMLPClassifier(**FAST, early_stopping=True)
    assert with_validation.fit(X_disk, y).score(X, y) > in_memory.score(X, y) - 0.03


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_regressor_and_sample_weight_on_disk(on_disk, small_buffers):
    X, y = make_regression(1500, 10, noise=5.0, random_state=0)
    X = X.astype(np.float32)
    weight = np.random.default_rng(0).uniform(0.5, 2.0, X.shape[0])
    params = dict(FAST, max_iter=40)
    streamed = BayesianMLPRegressor(**params).fit(on_disk(X), y, sample_weight=weight)
    in_memory = BayesianMLPRegressor(**params).fit(X, y, sample_weight=weight)
    assert streamed.score(X, y) > 0.9
    assert streamed.score(X, y) > in_memory.score(X, y) - 0.05


def test_validation_reads_block_by_block_and_names_the_problem(
    on_disk, small_buffers, monkeypatch
):
    X, y = classification_data(500)
    reads = []
    read_range = OutOfCoreRows._read_range

    def recording_read(self, start, stop):
        reads.append(stop - start)
        return read_range(self, start, stop)

    monkeypatch.setattr(OutOfCoreRows, "_read_range", recording_read)
    estimator = BayesianMLPClassifier()
    rows, root_mean_square = validate_out_of_core(
        estimator, on_disk(X), reset=True, dtype=np.float32
    )
    assert max(reads) <= 20 and sum(reads) == 500
    assert estimator.n_features_in_ == 10 and rows.shape == (500, 10)
    np.testing.assert_allclose(
        root_mean_square, np.sqrt(np.mean(X.astype(float) ** 2, axis=0))
    )

    X_nan = X.copy()
    X_nan[321, 4] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        BayesianMLPClassifier(**FAST).fit(on_disk(X_nan, "nan.npy"), y)
    X_huge = X.astype(np.float64)
    X_huge[7, 0] = 1e300
    with pytest.raises(ValueError, match="infinity or a value too large"):
        BayesianMLPClassifier(**FAST).fit(on_disk(X_huge, "huge.npy"), y)
    with pytest.raises(ValueError, match="Expected 2D array, got 1D"):
        BayesianMLPClassifier(**FAST).fit(on_disk(X[:, 0], "column.npy"), y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        BayesianMLPClassifier(**FAST).fit(on_disk(X), y[:-1])


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_prediction_on_disk_checks_the_number_of_features(on_disk):
    X, y = classification_data(300)
    clf = BayesianMLPClassifier(**FAST).fit(X, y)
    with pytest.raises(ValueError, match="X has 9 features"):
        clf.predict(on_disk(X[:, :9]))
    kinds = clf.predict_uncertainty(on_disk(X), kind="all")
    expected = clf.predict_uncertainty(X, kind="all")
    for kind, values in expected.items():
        np.testing.assert_array_equal(kinds[kind], values)


def _resident_bytes_of(path):
    """Resident memory of this process's mappings of ``path``, from smaps."""
    resident, in_mapping = 0, False
    with open("/proc/self/smaps") as smaps:
        for line in smaps:
            fields = line.split()
            if "-" in fields[0] and len(fields) >= 5:  # a mapping's header
                in_mapping = fields[-1] == str(path)
            elif in_mapping and fields[0] == "Rss:":
                resident += int(fields[1]) * 1024
    return resident


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads smaps")
def test_rows_read_from_a_memmap_do_not_stay_resident(tmp_path):
    path = tmp_path / "big.npy"
    np.save(path, np.ones((2**14, 1024), np.float32))  # 64 MiB
    X = np.load(path, mmap_mode="r")
    rows = OutOfCoreRows(X, np.float32)
    n_read = sum(block.shape[0] for _, block in rows.iter_blocks())
    assert n_read == 2**14
    assert _resident_bytes_of(path) <= out_of_core.BLOCK_BYTES
    # Read through the mapping without releasing: the whole file stays.
    assert float(np.asarray(X).sum()) == 2**24
    assert _resident_bytes_of(path) >= 2**26 * 0.9


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_dask_array_is_read_chunk_by_chunk(small_buffers):
    da = pytest.importorskip("dask.array")
    X, y = classification_data(1000)
    computed = []

    def read_chunk(block):
        computed.append(block.shape[0])
        return block

    X_dask = da.from_array(X, chunks=(50, 10)).map_blocks(read_chunk)
    clf = BayesianMLPClassifier(**FAST).fit(X_dask, y)
    assert computed and max(computed) <= 50
    in_memory = BayesianMLPClassifier(**FAST).fit(X, y)
    assert clf.score(X_dask, y) > in_memory.score(X, y) - 0.03
    with pytest.raises(ValueError, match="chunk sizes are unknown"):
        clf.fit(X_dask[X_dask[:, 0] > 0], y)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_conv_classifier_takes_images_on_disk(on_disk):
    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)
    params = dict(
        conv_layers=((4, 3),), hidden_layer_sizes=(16,), max_iter=3, random_state=0
    )
    in_memory = BayesianConvClassifier(**params).fit(images, digits.target)
    from_disk = BayesianConvClassifier(**params).fit(on_disk(images), digits.target)
    assert from_disk.input_shape_ == (8, 8, 1)
    np.testing.assert_array_equal(
        from_disk.predict_proba(on_disk(images)), in_memory.predict_proba(images)
    )
