"""Adam's updates of the variational parameters (Kingma and Ba, 2015)."""

import numpy as np
import pytensor
import pytensor.tensor as pt

ADAM_BETA1, ADAM_BETA2, ADAM_EPSILON = 0.9, 0.999, 1e-8


def adam_updates(loss, params, learning_rate):
    """Return Adam's updates of ``params`` down the gradient of ``loss``.

    Its moments and step count are shared variables among the updates' keys.
    """
    step = pytensor.shared(np.asarray(0.0, dtype=loss.dtype), name="adam_t")
    t = step + 1
    updates = {step: t}
    grads = pt.grad(loss, params)
    # Bias corrections folded into the step size, as in the Adam paper's
    # "efficient version" of its algorithm.
    step_size = (
        learning_rate * pt.sqrt(1 - ADAM_BETA2**t) / (1 - ADAM_BETA1**t)
    ).astype(loss.dtype)
    for param, grad in zip(params, grads, strict=True):
        zeros = np.zeros(param.type.shape, dtype=param.dtype)
        first = pytensor.shared(zeros, shape=param.type.shape)
        second = pytensor.shared(zeros.copy(), shape=param.type.shape)
        new_first = ADAM_BETA1 * first + (1 - ADAM_BETA1) * grad
        new_second = ADAM_BETA2 * second + (1 - ADAM_BETA2) * pt.square(grad)
        updates[first] = new_first
        updates[second] = new_second
        updates[param] = param - step_size * new_first / (
            pt.sqrt(new_second) + ADAM_EPSILON
        )
    return updates
