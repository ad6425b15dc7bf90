"""Inference: skbnn's compiled minibatch ADVI step and the trainer around it.

The step (:mod:`~skbnn._inference.step`) compiles one ADVI update on PyMC's
log-density; the trainer (:mod:`~skbnn._inference.trainer`) runs it over
minibatches with callbacks (:mod:`~skbnn._inference.callbacks`).
"""
