"""A 2-D convolution Op: XLA's own convolution under JAX, NumPy elsewhere.

Gathering patches by slicing (im2col) and multiplying them by the kernel
matrix is plain PyTensor, but XLA runs it at a few GFLOP/s on a CPU: copying
the patches, eight floats at a time, costs more than the products. XLA's
convolution ran the default conv net's prediction several times as fast, and
its ADVI step nearly twice as fast, when this Op replaced im2col. PyTensor has
no 2-D convolution with a JAX implementation, so this Op supplies one; other
backends run its NumPy ``perform``.
"""

import functools

import numpy as np
import pytensor.tensor as pt
from numpy.lib.stride_tricks import sliding_window_view
from pytensor.gradient import grad_not_implemented
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op
from pytensor.scalar import upcast

_SUPPORTED_NDIMS = {(4, 4), (4, 5), (5, 5)}


class Convolution2d(Op):
    """Cross-correlate channels-last images with a kernel, valid or full.

    Inputs are ``images`` of shape ``(n_samples, height, width, channels)``
    and ``kernel`` of shape ``(kernel_height, kernel_width, channels,
    filters)``. Either may carry a leading axis of posterior draws: a kernel
    with draws applies each draw to the same images, or to the images of its
    own draw when the images have the axis too.

    Parameters
    ----------
    full : bool, default=False
        ``False`` keeps the positions where the kernel fits inside the image
        (``height - kernel_height + 1`` rows); ``True`` every position where
        it overlaps the image (``height + kernel_height - 1`` rows), as the
        gradient needs.
    """

    __props__ = ("full",)

    def __init__(self, full=False):
        self.full = full

    def make_node(self, images, kernel):
        images = pt.as_tensor_variable(images)
        kernel = pt.as_tensor_variable(kernel)
        if (images.ndim, kernel.ndim) not in _SUPPORTED_NDIMS:
            raise TypeError(
                "Convolution2d takes 4-D images and a 4-D kernel, either with a "
                f"leading draws axis; got {images.ndim}-D images and a "
                f"{kernel.ndim}-D kernel"
            )
        _register_jax_implementation()
        shape = self._output_shape(images.type.shape, kernel.type.shape)
        dtype = upcast(images.dtype, kernel.dtype)
        return Apply(self, [images, kernel], [pt.tensor(dtype=dtype, shape=shape)])

    def _output_shape(self, images_shape, kernel_shape):
        # Static shapes, None where unknown. There is no infer_shape: the
        # networks never ask for the shape of a convolution's output, and its
        # signature differs between PyTensor 2 and 3.
        draws = tuple(kernel_shape[:-4])
        n_samples, height, width, _ = images_shape[-4:]
        kernel_height, kernel_width, _, filters = kernel_shape[-4:]
        sign = 1 if self.full else -1
        spatial = [
            None if size is None or extent is None else size + sign * (extent - 1)
            for size, extent in ((height, kernel_height), (width, kernel_width))
        ]
        return (*draws, n_samples, *spatial, filters)

    def perform(self, node, inputs, outputs):
        images, kernel = inputs
        outputs[0][0] = np.asarray(
            numpy_convolution(images, kernel, self.full),
            dtype=node.outputs[0].dtype,
        )

    def L_op(self, inputs, outputs, output_grads):
        # PyTensor 2 calls L_op; PyTensor 3 calls pullback.
        return self.pullback(inputs, outputs, output_grads)

    def pullback(self, inputs, outputs, output_grads):
        images, kernel = inputs
        if self.full:
            return [
                grad_not_implemented(self, 0, images, "full mode serves gradients"),
                grad_not_implemented(self, 1, kernel, "full mode serves gradients"),
            ]
        (grad,) = output_grads
        # The images' gradient is the full correlation of the output gradient
        # with the kernel turned by 180 degrees, its channels and filters
        # swapped.
        turned = pt.swapaxes(kernel[..., ::-1, ::-1, :, :], -1, -2)
        images_grad = Convolution2d(full=True)(grad, turned)
        if images.ndim < grad.ndim:
            images_grad = images_grad.sum(axis=0)
        # The kernel's gradient correlates the images with the output
        # gradient, samples acting as channels: images (..., channels, height,
        # width, samples) with kernel (..., out_height, out_width, samples,
        # filters) give (..., channels, kernel_height, kernel_width, filters).
        lead = images.ndim - 4
        images_t = pt.moveaxis(images, [lead, lead + 3], [lead + 3, lead])
        lead = grad.ndim - 4
        grad_t = pt.moveaxis(grad, lead, lead + 2)
        kernel_grad = pt.moveaxis(Convolution2d()(images_t, grad_t), -4, -2)
        return [images_grad, kernel_grad]


def numpy_convolution(images, kernel, full=False):
    """Compute what :class:`Convolution2d` computes, in NumPy.

    Parameters
    ----------
    images : ndarray of shape ([draws,] n_samples, height, width, channels)
    kernel : ndarray of shape ([draws,] kernel_height, kernel_width, \
            channels, filters)
    full : bool, default=False

    Returns
    -------
    outputs : ndarray of shape ([draws,] n_samples, out_height, out_width, \
            filters)
    """
    kernel_height, kernel_width = kernel.shape[-4:-2]
    if full:
        pad = [(0, 0)] * (images.ndim - 3)
        pad += [(kernel_height - 1,) * 2, (kernel_width - 1,) * 2, (0, 0)]
        images = np.pad(images, pad)
    # (..., n, out_height, out_width, channels, kernel_height, kernel_width)
    windows = sliding_window_view(images, (kernel_height, kernel_width), axis=(-3, -2))
    if kernel.ndim == 4:
        subscripts = "...nijcab,abcf->...nijf"
    elif images.ndim == 4:
        subscripts = "nijcab,dabcf->dnijf"
    else:
        subscripts = "dnijcab,dabcf->dnijf"
    return np.einsum(subscripts, windows, kernel, optimize=True)


def _jax_convolution(full, images_ndim, kernel_ndim):
    """Return a JAX function computing :class:`Convolution2d`."""
    import jax.numpy as jnp
    from jax import lax

    def convolve(images, kernel):
        kernel_height, kernel_width = kernel.shape[:2]
        padding = (
            [(kernel_height - 1,) * 2, (kernel_width - 1,) * 2] if full else "VALID"
        )
        return lax.conv_general_dilated(
            images,
            kernel,
            window_strides=(1, 1),
            padding=padding,
            dimension_numbers=("NHWC", "HWIO", "NHWC"),
        )

    if kernel_ndim == 4:
        return convolve

    if images_ndim == 4:

        def shared_images(images, kernel):
            # Every draw's filters side by side: one convolution, many filters.
            n_draws, kernel_height, kernel_width, channels, filters = kernel.shape
            wide = jnp.moveaxis(kernel, 0, 3).reshape(
                kernel_height, kernel_width, channels, n_draws * filters
            )
            outputs = convolve(images, wide)
            outputs = outputs.reshape(*outputs.shape[:3], n_draws, filters)
            return jnp.moveaxis(outputs, 3, 0)

        return shared_images

    def images_per_draw(images, kernel):
        # One convolution per draw: XLA's batched (grouped) convolution ran
        # about seven times slower on the CPU than the separate ones.
        return jnp.stack(
            [convolve(images[draw], kernel[draw]) for draw in range(kernel.shape[0])]
        )

    return images_per_draw


@functools.cache
def _register_jax_implementation():
    # Importing PyTensor's JAX backend imports JAX; do it only when a graph
    # holds the Op.
    from pytensor.link.jax.dispatch import jax_funcify

    @jax_funcify.register(Convolution2d)
    def _funcify_convolution(op, node, **kwargs):
        images, kernel = node.inputs
        return _jax_convolution(op.full, images.ndim, kernel.ndim)
