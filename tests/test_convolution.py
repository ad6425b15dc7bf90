import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from numpy.testing import assert_allclose
from pytensor.gradient import NullTypeGradError, verify_grad
from scipy.signal import correlate

from skbnn._model.convolution import Convolution2d

# PyTensor's JAX backend runs XLA's convolution; FAST_COMPILE runs the Op's
# NumPy perform.
MODES = ["JAX", "FAST_COMPILE"]

# (images with a draws axis, kernel with a draws axis)
FORMS = [(False, False), (False, True), (True, True)]
N_DRAWS = 3


def _reference(images, kernel, full):
    """Cross-correlate with SciPy, one image and filter at a time."""
    channels = images.shape[-1]
    mode = "full" if full else "valid"
    # Over the channel axis "full" has 2 * channels - 1 positions; the middle
    # one sums over every channel.
    middle = channels - 1 if full else 0
    return np.stack(
        [
            np.stack(
                [
                    correlate(image, kernel[..., f], mode=mode)[..., middle]
                    for f in range(kernel.shape[-1])
                ],
                axis=-1,
            )
            for image in images
        ]
    )


def _arrays(images_have_draws, kernel_has_draws, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.normal(size=(N_DRAWS,) * images_have_draws + (2, 7, 6, 2))
    kernel = rng.normal(size=(N_DRAWS,) * kernel_has_draws + (3, 2, 2, 4))
    return images, kernel


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("form", FORMS)
def test_convolution_matches_scipy(form, full, mode):
    images, kernel = _arrays(*form)
    x = pt.tensor("x", shape=(None,) * images.ndim)
    k = pt.tensor("k", shape=(None,) * kernel.ndim)
    outputs = pytensor.function([x, k], Convolution2d(full)(x, k), mode=mode)(
        images, kernel
    )
    if form == (False, False):
        expected = _reference(images, kernel, full)
    else:
        per_draw = images if form[0] else [images] * N_DRAWS
        expected = np.stack(
            [_reference(i, k, full) for i, k in zip(per_draw, kernel, strict=True)]
        )
    assert outputs.shape == expected.shape
    assert_allclose(outputs, expected, atol=1e-12)


def test_output_shape_is_known_before_running():
    x = pt.tensor("x", shape=(None, 9, 8, 2))
    k = pt.tensor("k", shape=(4, 3, 2, 5))
    assert Convolution2d()(x, k).type.shape == (None, 6, 6, 5)
    assert Convolution2d(full=True)(x, k).type.shape == (None, 12, 10, 5)
    draws = pt.tensor("draws", shape=(7, 4, 3, 2, 5))
    assert Convolution2d()(x, draws).type.shape == (7, None, 6, 6, 5)


@pytest.mark.parametrize("form", FORMS)
def test_gradients_match_finite_differences(form):
    images, kernel = _arrays(*form, seed=1)
    verify_grad(
        Convolution2d(),
        [images, kernel],
        rng=np.random.default_rng(2),
        mode="FAST_COMPILE",
    )


@pytest.mark.parametrize("form", FORMS)
def test_gradients_agree_between_backends(form):
    images, kernel = _arrays(*form, seed=3)
    x = pt.tensor("x", shape=images.shape)
    k = pt.tensor("k", shape=kernel.shape)
    outputs = Convolution2d()(x, k)
    weights = np.random.default_rng(4).normal(size=outputs.type.shape)
    gradients = pt.grad((outputs * weights).sum(), [x, k])
    by_jax, by_numpy = (
        pytensor.function([x, k], gradients, mode=mode)(images, kernel)
        for mode in MODES
    )
    for jax_gradient, numpy_gradient in zip(by_jax, by_numpy, strict=True):
        assert_allclose(jax_gradient, numpy_gradient, atol=1e-12)


def test_full_mode_has_no_gradient():
    x = pt.tensor("x", shape=(None, 5, 5, 1))
    k = pt.tensor("k", shape=(2, 2, 1, 3))
    with pytest.raises(NullTypeGradError):
        pt.grad(Convolution2d(full=True)(x, k).sum(), k)


def test_images_with_draws_need_a_kernel_with_draws():
    x = pt.tensor("x", shape=(None, None, 5, 5, 1))
    k = pt.tensor("k", shape=(2, 2, 1, 3))
    with pytest.raises(TypeError, match="5-D images and a 4-D kernel"):
        Convolution2d()(x, k)
