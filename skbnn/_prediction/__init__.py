"""Prediction: the posterior, the draw engine, and the estimators' mixin.

The posterior (:class:`skbnn.Posterior`) knows the network's parameters and
any free variable by name, but no likelihood; the draw engine
(:mod:`~skbnn._prediction.draws`) pushes inputs through the network under its
draws; the mixin asks the fitted likelihood what to average.
"""
