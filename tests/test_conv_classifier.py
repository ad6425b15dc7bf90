import pickle

import numpy as np
import pandas as pd
import pytensor
import pytensor.tensor as pt
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.signal import correlate
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skbnn import BayesianConvClassifier
from skbnn._model.layers import conv2d, max_pool2d
from skbnn._model.networks import ConvNetwork

SMALL = dict(
    conv_layers=((4, 3),),
    hidden_layer_sizes=(16,),
    n_posterior_draws=20,
    random_state=0,
)


def _reference_conv(images, kernel, bias):
    return np.stack(
        [
            np.stack(
                [
                    correlate(image, kernel[..., f], mode="valid")[..., 0] + bias[f]
                    for f in range(kernel.shape[-1])
                ],
                axis=-1,
            )
            for image in images
        ]
    )


def test_conv2d_and_max_pool_match_a_direct_computation():
    rng = np.random.default_rng(0)
    images = rng.normal(size=(3, 9, 8, 2))
    kernel = rng.normal(size=(4, 3, 2, 5))
    bias = rng.normal(size=5)
    x = pt.tensor("x", shape=(None, 9, 8, 2))
    k = pt.tensor("k", shape=(4, 3, 2, 5))
    b = pt.vector("b", shape=(5,))
    conv = conv2d(x, k, b)
    outputs = pytensor.function([x, k, b], [conv, max_pool2d(conv, 2, 2)], mode="JAX")
    convolved, pooled = outputs(images, kernel, bias)
    expected = _reference_conv(images, kernel, bias)
    assert_allclose(convolved, expected, atol=1e-10)
    # Output 6 x 6 pools to 3 x 3; nothing is left over here.
    windows = expected.reshape(3, 3, 2, 3, 2, 5)
    assert_allclose(pooled, windows.max(axis=(2, 4)), atol=1e-10)


def test_conv2d_broadcasts_over_a_draws_axis():
    rng = np.random.default_rng(1)
    images = rng.normal(size=(2, 6, 7, 1))
    kernels = rng.normal(size=(3, 3, 3, 1, 4))
    biases = rng.normal(size=(3, 4))
    x = pt.tensor("x", shape=(None, 6, 7, 1))
    k = pt.tensor("k", shape=(None, 3, 3, 1, 4))
    b = pt.matrix("b", shape=(None, 4))
    outputs = pytensor.function(
        [x, k, b], max_pool2d(conv2d(x, k, b), 2, 2), mode="JAX"
    )(images, kernels, biases)
    assert outputs.shape == (3, 2, 2, 2, 4)
    for draw in range(3):
        expected = _reference_conv(images, kernels[draw], biases[draw])
        # 4 x 5 output: the fifth column is left over by the pooling.
        expected = expected[:, :4, :4].reshape(2, 2, 2, 2, 2, 4).max(axis=(2, 4))
        assert_allclose(outputs[draw], expected, atol=1e-10)


def test_conv_network_shapes_and_window_cropping():
    network = ConvNetwork((28, 28, 1), ((8, 5), (16, 5)), (128, 10), "relu")
    assert [s.output for s in network.layer_shapes()] == [(12, 12, 8), (4, 4, 16)]
    assert [shape for _, shape, _ in network.parameters()] == [
        (5, 5, 1, 8),
        (8,),
        (5, 5, 8, 16),
        (16,),
        (256, 128),
        (128,),
        (128, 10),
        (10,),
    ]
    # A row of 7 features: the 5 x 5 kernel is cropped to 1 x 5, the 2 x 2
    # pooling window to 1 x 2.
    row = ConvNetwork((1, 7, 1), ((3, 5),), (2,), "relu")
    (shape,) = row.layer_shapes()
    assert shape.kernel == (1, 5, 1, 3)
    assert shape.conv_output == (1, 3, 3)
    assert shape.pool == (1, 2)
    assert shape.output == (1, 1, 3)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_conv_network_forward_matches_a_direct_computation(activation):
    # Two blocks, so prediction's draws axis meets both forms of the
    # convolution: draws filtering shared images, and each draw its own.
    network = ConvNetwork((9, 8, 2), ((3, 3), (4, 2)), (5, 3), activation)
    rng = np.random.default_rng(5)
    n_draws, n_samples = 4, 3
    params = {
        name: rng.normal(size=(n_draws, *shape))
        for name, shape, _ in network.parameters()
    }
    X = rng.normal(size=(n_samples, network.n_features))
    x = pt.matrix("x")
    symbolic = {
        name: pt.tensor(name, shape=value.shape) for name, value in params.items()
    }
    outputs = pytensor.function(
        [x, *symbolic.values()], network.forward(x, symbolic), mode="JAX"
    )(X, *params.values())
    hidden = {"relu": lambda a: np.maximum(a, 0), "tanh": np.tanh}[activation]
    for draw in range(n_draws):
        p = {name: value[draw] for name, value in params.items()}
        maps = X.reshape(n_samples, 9, 8, 2)
        for layer, shape in enumerate(network.layer_shapes()):
            maps = hidden(
                _reference_conv(maps, p[f"coef_{layer}"], p[f"intercept_{layer}"])
            )
            height, width = shape.output[:2]
            rows, columns = shape.pool
            maps = maps[:, : height * rows, : width * columns]
            maps = maps.reshape(n_samples, height, rows, width, columns, -1)
            maps = maps.max(axis=(2, 4))
        flat = hidden(maps.reshape(n_samples, -1) @ p["coef_2"] + p["intercept_2"])
        expected = flat @ p["coef_3"] + p["intercept_3"]
        assert_allclose(outputs[draw], expected, atol=1e-10)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    return train_test_split(X, y, test_size=0.3, random_state=0)


@pytest.fixture(scope="module")
def digits_conv(digits):
    X_train, _, y_train, _ = digits
    clf = BayesianConvClassifier(input_shape=(8, 8), max_iter=60, **SMALL)
    with pytest.warns(Warning, match="Maximum iterations"):
        return clf.fit(X_train, y_train)


def test_learns_digits(digits_conv, digits):
    _, X_test, _, y_test = digits
    assert digits_conv.score(X_test, y_test) >= 0.9
    assert digits_conv.input_shape_ == (8, 8, 1)
    assert digits_conv.n_layers_ == 4
    assert [c.shape for c in digits_conv.coefs_] == [(3, 3, 1, 4), (36, 16), (16, 10)]
    assert [b.shape for b in digits_conv.intercepts_std_] == [(4,), (16,), (10,)]


def test_image_arrays_predict_like_rows(digits_conv, digits):
    _, X_test, _, _ = digits
    assert_array_equal(
        digits_conv.predict_proba(X_test.reshape(-1, 8, 8)),
        digits_conv.predict_proba(X_test),
    )
    assert_array_equal(
        digits_conv.predict_proba(X_test.reshape(-1, 8, 8, 1)),
        digits_conv.predict_proba(X_test),
    )


def test_fit_on_images_infers_the_input_shape(digits):
    X_train, X_test, y_train, _ = digits
    params = dict(max_iter=3, **SMALL)
    from_images = BayesianConvClassifier(**params)
    with pytest.warns(Warning, match="Maximum iterations"):
        from_images.fit(X_train.reshape(-1, 8, 8), y_train)
    from_rows = BayesianConvClassifier(input_shape=(8, 8, 1), **params)
    with pytest.warns(Warning, match="Maximum iterations"):
        from_rows.fit(X_train, y_train)
    assert from_images.input_shape_ == (8, 8, 1)
    assert_array_equal(
        from_images.predict_proba(X_test), from_rows.predict_proba(X_test)
    )


def test_tabular_rows_are_one_row_images():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 5)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    clf = BayesianConvClassifier(max_iter=2, **SMALL)
    with pytest.warns(Warning, match="Maximum iterations"):
        clf.fit(X, y)
    assert clf.input_shape_ == (1, 5, 1)
    assert clf.coefs_[0].shape == (1, 3, 1, 4)


def test_wrong_shapes_name_both_shapes(digits_conv, digits):
    X_train, X_test, y_train, _ = digits
    with pytest.raises(ValueError, match=r"images of shape \(7, 8, 1\).*\(8, 8, 1\)"):
        digits_conv.predict(X_test[:, :56].reshape(-1, 7, 8))
    clf = BayesianConvClassifier(input_shape=(7, 7), max_iter=2, **SMALL)
    with pytest.raises(ValueError, match=r"64 features.*\(7, 7, 1\) needs 49"):
        clf.fit(X_train, y_train)
    with pytest.raises(ValueError, match=r"images of shape \(8, 8, 1\).*\(7, 7, 1\)"):
        clf.fit(X_train.reshape(-1, 8, 8), y_train)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"conv_layers": ((4, 0),)}, "conv_layers must be"),
        ({"conv_layers": ((4, 3, 1),)}, "conv_layers must be"),
        ({"conv_layers": ()}, "conv_layers must be"),
        ({"input_shape": (8, 8, 1, 1)}, "input_shape must be"),
        ({"input_shape": (8, 0)}, "input_shape must be"),
    ],
)
def test_invalid_architecture_parameters(digits, params, message):
    X_train, _, y_train, _ = digits
    clf = BayesianConvClassifier(**{**SMALL, "max_iter": 2, **params})
    with pytest.raises(ValueError, match=message):
        clf.fit(X_train, y_train)


def test_pickle_and_determinism(digits_conv, digits):
    X_train, X_test, y_train, _ = digits
    restored = pickle.loads(pickle.dumps(digits_conv))
    assert_array_equal(
        restored.predict_proba(X_test), digits_conv.predict_proba(X_test)
    )
    again = BayesianConvClassifier(input_shape=(8, 8), max_iter=60, **SMALL)
    with pytest.warns(Warning, match="Maximum iterations"):
        again.fit(X_train, y_train)
    assert_array_equal(again.predict_proba(X_test), digits_conv.predict_proba(X_test))


def test_pandas_input_and_feature_names(digits_conv, digits):
    X_train, X_test, y_train, _ = digits
    columns = [f"pixel_{i}" for i in range(64)]
    clf = BayesianConvClassifier(input_shape=(8, 8), max_iter=2, **SMALL)
    with pytest.warns(Warning, match="Maximum iterations"):
        clf.fit(pd.DataFrame(X_train, columns=columns), y_train)
    assert list(clf.feature_names_in_) == columns
    assert clf.predict(pd.DataFrame(X_test, columns=columns)).shape == (len(X_test),)


def test_warm_start_keeps_the_architecture(digits):
    X_train, _, y_train, _ = digits
    clf = BayesianConvClassifier(
        input_shape=(8, 8), max_iter=2, warm_start=True, **SMALL
    )
    with pytest.warns(Warning, match="Maximum iterations"):
        clf.fit(X_train, y_train)
    with pytest.warns(Warning, match="Maximum iterations"):
        clf.fit(X_train, y_train)
    assert len(clf.loss_curve_) == 4
    clf.set_params(conv_layers=((6, 3),))
    with pytest.raises(
        ValueError, match="warm_start and partial_fit can only be used with the arch"
    ):
        clf.fit(X_train, y_train)


def test_uncertainty_grows_off_the_data(digits_conv, digits):
    _, X_test, _, _ = digits
    rng = np.random.default_rng(0)
    noise = rng.uniform(size=X_test.shape).astype(np.float32)
    inside = digits_conv.predict_uncertainty(X_test, kind="mutual_information")
    outside = digits_conv.predict_uncertainty(noise, kind="mutual_information")
    assert np.median(outside) > np.median(inside)
