"""The fitted posterior: an equal-weight mixture of mean-field Gaussians.

ADVI fits a Gaussian over each free variable of the PyMC model in its
unconstrained space, under PyMC's names for it: a weight ``"coef_0"`` itself,
or for the hierarchical prior its standard-normal part
``"coef_0_standardised"`` and the log of its scale ``"coef_0_scale_log__"``;
the noise scale as ``"noise_std_log__"``. :class:`Posterior` keeps those
Gaussians and answers in the network's own terms (the weights ``"coef_0"``)
and, for any other free variable, by its name: a likelihood reads its own
noise through :meth:`Posterior.free_variable` and
:meth:`Posterior.free_variable_moments`, so the posterior knows no
likelihood.
"""

import numbers

import numpy as np
from sklearn.utils import check_random_state

from .._model.priors import (
    LOG_SUFFIX,
    free_weight_name,
    layer_scale_name,
    log_value_name,
    standardised_name,
)
from .arviz import posterior_to_arviz


def _log_scale_name(name):
    return log_value_name(layer_scale_name(name))


def _weight_moments(gaussians, name):
    """Mean and std of the weights ``name`` under one mean-field Gaussian.

    For a hierarchical weight ``s * z``, the exact moments of the product of
    the log-normal ``s`` and the Gaussian ``z``.
    """
    if name in gaussians:
        return gaussians[name]
    mean, std = gaussians[standardised_name(name)]
    log_mean, log_std = gaussians[_log_scale_name(name)]
    scale_mean = np.exp(log_mean + log_std**2 / 2)
    scale_square_mean = np.exp(2 * log_mean + 2 * log_std**2)
    variance = scale_square_mean * (mean**2 + std**2) - (scale_mean * mean) ** 2
    return scale_mean * mean, np.sqrt(np.maximum(variance, 0.0))


class Posterior:
    """An equal-weight mixture of mean-field Gaussians over a network.

    One component per member of the ensemble; a single fit has one.

    Parameters
    ----------
    members : sequence of mapping of str to (ndarray, ndarray)
        For each member, the mean and standard deviation of the Gaussian over
        each free variable of the PyMC model, in its unconstrained space,
        keyed by PyMC's value-variable names.

    Attributes
    ----------
    n_members : int
        Number of components of the mixture.
    """

    def __init__(self, members):
        self._members = [dict(member) for member in members]
        if not self._members:
            raise ValueError("A posterior needs at least one member.")

    @property
    def n_members(self):
        return len(self._members)

    def member(self, index):
        """Return member ``index`` as a posterior of its own."""
        return Posterior([self._members[index]])

    def free_variables(self, index=0):
        """Return member ``index``'s Gaussians by PyMC's value-variable names.

        Parameters
        ----------
        index : int, default=0
            The member.

        Returns
        -------
        gaussians : dict of str to (ndarray, ndarray)
            Mean and standard deviation of each free variable.
        """
        return dict(self._members[index])

    def moments(self, name):
        """Mean and standard deviation of the network parameter ``name``.

        Parameters
        ----------
        name : str
            A network parameter, e.g. ``"coef_0"`` or ``"intercept_1"``.

        Returns
        -------
        mean, std : ndarray
            The mixture's moments: the members' mean, and the root of their
            mean second moment less the square of that mean. One member gives
            its own.
        """
        if self.n_members == 1:
            return _weight_moments(self._members[0], name)
        means, stds = zip(
            *(_weight_moments(member, name) for member in self._members), strict=True
        )
        mean = np.mean(means, axis=0)
        second_moment = np.mean(np.square(means) + np.square(stds), axis=0)
        return mean, np.sqrt(np.maximum(second_moment - np.square(mean), 0.0))

    def free_variable(self, key, index=0):
        """Mean and std of the free variable ``key`` under member ``index``.

        Parameters
        ----------
        key : str
            PyMC's value-variable name, e.g. ``"noise_std_log__"``.
        index : int, default=0
            The member.

        Returns
        -------
        mean, std : ndarray
        """
        return self._members[index][key]

    def free_variable_moments(self, key, members):
        """Mean and std of the free variable ``key`` for each draw's member.

        Parameters
        ----------
        key : str
            PyMC's value-variable name.
        members : ndarray of int of shape (n_draws,)
            The member each draw comes from.

        Returns
        -------
        mean, std : ndarray
            One member's arrays, which broadcast over the draws; with
            several members, arrays with a leading axis of draws.
        """
        if self.n_members == 1:
            return self._members[0][key]
        mean = np.stack([self._members[member][key][0] for member in members])
        std = np.stack([self._members[member][key][1] for member in members])
        return mean, std

    def draw(self, name, rng, members, dtype):
        """Draw the network parameter ``name``.

        Parameters
        ----------
        name : str
            A network parameter.
        rng : numpy.random.Generator
            Source of the draws.
        members : ndarray of int of shape (n_draws,)
            The member each draw comes from.
        dtype : numpy dtype
            Float type of the draws.

        Returns
        -------
        draws : ndarray of shape (n_draws, ...)
            The trailing axes are those of the parameter.
        """
        n_draws = len(members)
        key = free_weight_name(self._members[0], name)
        mean, std = self.free_variable_moments(key, members)
        shape = np.shape(self._members[0][key][0])
        draws = rng.standard_normal((n_draws, *shape), dtype=dtype)
        draws *= np.asarray(std, dtype=dtype)
        draws += np.asarray(mean, dtype=dtype)
        if key != name:
            scales = self._draw_scales(name, rng, members, dtype)
            # A scale per tensor (shape (1,)) or, for ARD, per row (n, 1).
            trailing = [1] * (draws.ndim - scales.ndim)
            draws *= scales.reshape(*scales.shape, *trailing)
        return draws

    def _draw_scales(self, name, rng, members, dtype):
        """Draws of the learned scale of ``name``, shaped (n_draws, *its shape)."""
        log_key = _log_scale_name(name)
        log_mean, log_std = self.free_variable_moments(log_key, members)
        log_shape = np.shape(self._members[0][log_key][0])
        log_scale = rng.standard_normal((len(members), *log_shape), dtype=dtype)
        log_scale = log_scale * np.asarray(log_std, dtype=dtype) + log_mean
        return np.exp(log_scale).astype(dtype)

    def has_one_scale_per_tensor(self, name):
        """Whether the parameter ``name`` is Gaussian given one scale per draw.

        True for weights fitted as a Gaussian themselves, and for the
        hierarchical prior's ``s * z`` with one scale ``s`` per tensor; False
        for a scale per row (ARD), under which each draw scales each input
        by its own factor.
        """
        free = self._members[0]
        key = free_weight_name(free, name)
        return key == name or np.size(free[_log_scale_name(name)][0]) == 1

    def gaussian_factor(self, name, index):
        """Mean and std of the Gaussian factor of ``name`` under member ``index``.

        The weights themselves, or the standard-normal part ``z`` of the
        hierarchical ``s * z``; :meth:`draw_scale` draws ``s``.

        Parameters
        ----------
        name : str
            A network parameter.
        index : int
            The member.

        Returns
        -------
        mean, std : ndarray
        """
        member = self._members[index]
        return member[free_weight_name(member, name)]

    def draw_scale(self, name, rng, members, dtype):
        """Draw the one scale of ``name`` per draw (ones where it has none).

        Only for parameters with :meth:`has_one_scale_per_tensor`.

        Parameters
        ----------
        name : str
            A network parameter.
        rng : numpy.random.Generator
            Source of the draws.
        members : ndarray of int of shape (n_draws,)
            The member each draw comes from.
        dtype : numpy dtype
            Float type of the draws.

        Returns
        -------
        scales : ndarray of shape (n_draws,)
        """
        if free_weight_name(self._members[0], name) == name:
            return np.ones(len(members), dtype=dtype)
        return self._draw_scales(name, rng, members, dtype).reshape(len(members))

    def _draw_free_variable(self, key, n_draws, rng):
        """Draws of a free variable by member, shaped (n_members, n_draws, ...)."""
        draws = np.stack(
            [
                mean + std * rng.standard_normal((n_draws, *np.shape(mean)))
                for mean, std in (member[key] for member in self._members)
            ]
        )
        return np.exp(draws) if key.endswith(LOG_SUFFIX) else draws

    def to_inference_data(self, n_draws=1000, *, var_names=None, random_state=None):
        """Draw from the posterior into ArviZ's ``InferenceData``.

        One chain per member of the ensemble, so that ArviZ's plots and
        summaries show where members disagree. The variables are those of the
        PyMC model, on its constrained scale and under its names (each
        weight and bias ``"coef_i"``, ``"intercept_i"``; for
        ``prior="hierarchical"`` (or ``"ard"``) also each tensor's learned scale
        ``"coef_i_scale"`` and its standard-normal part
        ``"coef_i_standardised"``, with ``"coef_i"`` their product; the
        regressor's ``"noise_std"``), drawn jointly from each member's
        Gaussians. A regressor fitted with ``normalize_y=True`` fits, and so
        reports, the noise and the output layer in units of the standardised
        target.

        Parameters
        ----------
        n_draws : int, default=1000
            Draws per chain.
        var_names : list of str, default=None
            Variables to draw; None draws all. A wide network's weights take
            ``n_members * n_draws`` times their size in memory.
        random_state : int, RandomState instance or None, default=None
            Seed of the draws.

        Returns
        -------
        data : arviz.InferenceData
            Its ``posterior`` group holds the draws, dimensions ``chain``
            and ``draw`` first (under ArviZ 1.x, an ``xarray.DataTree`` with
            the same groups).
        """
        if isinstance(n_draws, bool) or not isinstance(n_draws, numbers.Integral):
            raise TypeError(f"n_draws must be an int, got {n_draws!r}.")
        if n_draws < 1:
            raise ValueError(f"n_draws must be at least 1, got {n_draws}.")
        rng = np.random.default_rng(check_random_state(random_state).randint(2**32))
        names = self._model_variable_names()
        unknown = sorted(set(var_names or ()) - set(names))
        if unknown:
            raise ValueError(
                f"Unknown variables {unknown}; the posterior has {sorted(names)}."
            )
        free_draws = {}

        def drawn(name):
            if name not in free_draws:
                key = names[name]
                if key is None:  # the hierarchical weights: scale times z
                    scale = drawn(layer_scale_name(name))
                    z = drawn(standardised_name(name))
                    free_draws[name] = z * scale.reshape(
                        *scale.shape, *[1] * (z.ndim - scale.ndim)
                    )
                else:
                    free_draws[name] = self._draw_free_variable(key, n_draws, rng)
            return free_draws[name]

        samples = {name: drawn(name) for name in (var_names or sorted(names))}
        return posterior_to_arviz(samples)

    def _model_variable_names(self):
        """Map the model's variables to their free variable (None: a product).

        A positive variable is fitted on the log scale; the hierarchical
        weights are the product of their scale and standardised part.
        """
        free = self._members[0]
        names = {key.removesuffix(LOG_SUFFIX): key for key in free}
        standardised_suffix = standardised_name("")
        for key in free:
            if key.endswith(standardised_suffix):
                names[key.removesuffix(standardised_suffix)] = None
        return names

    def __repr__(self):
        return f"Posterior(n_members={self.n_members})"
