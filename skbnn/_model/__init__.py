"""The model PyMC builds: layers, networks, priors, likelihoods, ``build_model``.

Nothing here knows an estimator: the architecture descriptions
(:mod:`~skbnn._model.networks`) are read by the model, the predictive code and
the fitted attributes alike.
"""
