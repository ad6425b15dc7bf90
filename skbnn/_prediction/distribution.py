"""The posterior predictive distribution of a regressor: a mixture over draws.

Each posterior draw of the weights (and of the noise's own variables) gives
each row a distribution of its targets, the likelihood's (a Normal, a
Student-t, a Poisson); the posterior predictive distribution is their
equal-weight mixture. :class:`PredictiveDistribution` holds the mixture's
components for a set of rows, as arrays, and answers in the targets' units.
"""

import numpy as np
from scipy.special import logsumexp, ndtri
from sklearn.utils import check_random_state, gen_batches

# Quantiles of a continuous mixture are found by Newton's method on its
# distribution function, to within this fraction of the predictive standard
# deviation.
QUANTILE_TOLERANCE = 1e-6
# Enough bisections for any float64 interval; a cap that rounding cannot
# defeat.
MAX_ITERATIONS = 200

# Values of each row's mixture behind its CRPS (the energy form), seeded by
# the prediction's seed, taken for this many rows at a time.
CRPS_SAMPLES = 1000
CRPS_BLOCK_ROWS = 1000


def _check_level(q, name):
    q = np.asarray(q, dtype=np.float64)
    if q.ndim != 0 or not 0 < q < 1:
        raise ValueError(f"{name} must be a number strictly between 0 and 1, got {q}.")
    return float(q)


class PredictiveDistribution:
    """The posterior predictive distribution of each row's targets.

    An equal-weight mixture, over the posterior draws, of the likelihood's
    distribution under each draw. Returned by
    :meth:`BayesianMLPRegressor.predict_distribution
    <skbnn.BayesianMLPRegressor.predict_distribution>`; its methods follow
    ``scipy.stats`` and NGBoost's ``pred_dist``. Everything is in the units
    of ``y``. With several targets, :meth:`logpdf` is the joint density of a
    row's targets; the other methods are each target's own (marginal).

    With a target transform (``target_transform="yeo-johnson"``) each
    component is the likelihood's distribution of the transformed target,
    mapped back: quantiles, intervals, samples and the CRPS through the
    transform's inverse, densities with its Jacobian. The mean, variance and
    standard deviation are then not given: a power-transformed Student-t can
    have none.

    Parameters
    ----------
    likelihood : skbnn._model.likelihoods.RegressionLikelihood
        The fitted likelihood; its ``component_*`` methods give each draw's
        distribution.
    components : dict of str to ndarray
        The components' parameters, each broadcasting to
        ``(n_draws, n_rows, n_outputs)``, for standardised targets.
    y_mean, y_scale : ndarray of shape (n_outputs,)
        How the (transformed) targets were standardised.
    seed : int
        Seeds :meth:`crps`'s samples.
    transform : YeoJohnsonTransform or None, default=None
        How the targets were transformed before they were standardised.
    """

    def __init__(self, likelihood, components, y_mean, y_scale, seed, transform=None):
        self._likelihood = likelihood
        self._transform = transform
        self._components = components
        self._y_mean = np.asarray(y_mean, dtype=np.float64)
        self._y_scale = np.asarray(y_scale, dtype=np.float64)
        self._seed = seed
        self._log_scale = np.log(self._y_scale).sum()
        shape = np.broadcast_shapes(*(np.shape(v) for v in components.values()))
        self._n_draws, self.n_rows, self.n_outputs = shape

    def _shaped(self, values):
        # One target: an array per row, as predict returns it.
        return values[..., 0] if self.n_outputs == 1 else values

    def _encoded(self, y):
        y = np.asarray(y, dtype=np.float64).reshape(self.n_rows, -1)
        if y.shape[1] != self.n_outputs:
            raise ValueError(
                f"y has {y.shape[1]} targets; the distribution has {self.n_outputs}."
            )
        if self._transform is not None:
            y = self._transform.forward(y)
        return (y - self._y_mean) / self._y_scale

    def _in_target_units(self, values):
        values = values * self._y_scale + self._y_mean
        if self._transform is not None:
            values = self._transform.inverse(values)
        return values

    def _decoded(self, values):
        return self._shaped(self._in_target_units(values))

    def _check_moments_exist(self):
        if self._transform is not None:
            raise ValueError(
                "The predictive distribution of a transformed target "
                "(target_transform='yeo-johnson') gives no mean, variance or "
                "standard deviation: a power-transformed Student-t can have "
                "none. Use its quantiles: ppf(0.5) is the median, interval() "
                "a central interval."
            )

    def _moments(self):
        mean, variance = self._likelihood.component_moments(self._components)
        mean, variance = np.broadcast_arrays(mean, variance)
        mixture_mean = mean.mean(axis=0)
        second = (variance + np.square(mean)).mean(axis=0)
        return mixture_mean, np.maximum(second - np.square(mixture_mean), 0.0)

    def mean(self):
        """Return each row's predictive mean (``predict``'s, up to rounding)."""
        self._check_moments_exist()
        return self._decoded(self._moments()[0])

    def var(self):
        """Return each row's predictive variance, noise and draws together."""
        self._check_moments_exist()
        return self._shaped(self._moments()[1] * np.square(self._y_scale))

    def std(self):
        """Return each row's predictive standard deviation."""
        return np.sqrt(self.var())

    def logpdf(self, y):
        """Return the log of the predictive density (probability, for counts) at ``y``.

        The joint density of a row's targets: the log of the mean over draws
        of the product of its targets' densities, in the units of ``y``.
        """
        per_draw = self._likelihood.component_logpdf(self._encoded(y), self._components)
        shape = (self._n_draws, self.n_rows, self.n_outputs)
        joint = np.broadcast_to(per_draw, shape).sum(axis=-1)
        # Counts are never scaled, so the scales' log is zero there.
        log_density = logsumexp(joint, axis=0) - np.log(self._n_draws) - self._log_scale
        if self._transform is not None:
            y = np.asarray(y, dtype=np.float64).reshape(self.n_rows, -1)
            log_density += self._transform.log_jacobian(y).sum(axis=-1)
        return log_density

    def pdf(self, y):
        """Return the predictive density (probability, for counts) at ``y``."""
        return np.exp(self.logpdf(y))

    def cdf(self, y):
        """Return each target's predictive probability of a value at most ``y``."""
        per_draw = self._likelihood.component_cdf(self._encoded(y), self._components)
        return self._shaped(per_draw.mean(axis=0))

    def ppf(self, q):
        """Return each target's predictive quantile ``q`` (the inverse of :meth:`cdf`).

        A quantile of the mixture, not of a Normal with its mean and standard
        deviation: Newton's method on the mixture's distribution function,
        kept inside the draws' own quantiles (which bracket it) by bisection,
        to within ``QUANTILE_TOLERANCE`` predictive standard deviations; for
        counts, the least count whose cdf reaches ``q``.
        """
        q = _check_level(q, "q")
        components, likelihood = self._components, self._likelihood
        shape = (self._n_draws, self.n_rows, self.n_outputs)
        quantiles = np.broadcast_to(likelihood.component_ppf(q, components), shape)
        low, high = quantiles.min(axis=0), quantiles.max(axis=0)
        if likelihood.discrete:
            return self._decoded(self._count_bisection(q, low, high))
        return self._decoded(self._newton(q, low, high))

    def _newton(self, q, low, high):
        # Newton steps on F(x) = q from the Normal with the mixture's mean and
        # variance; a step that leaves the bracket (which every F(x) narrows)
        # is a bisection. Rows leave the iteration as they converge.
        mean, variance = self._moments()
        tolerance = QUANTILE_TOLERANCE * np.sqrt(variance)
        x = np.clip(mean + np.sqrt(variance) * ndtri(q), low, high)
        active = np.ones(x.shape[0], dtype=bool)
        for _ in range(MAX_ITERATIONS):
            rows = np.flatnonzero(active)
            if rows.size == 0:
                break
            moved = self._rows(rows)._newton_step(q, x[rows], low[rows], high[rows])
            x_rows, low[rows], high[rows] = moved
            converged = (np.abs(x_rows - x[rows]) <= tolerance[rows]) | (
                high[rows] - low[rows] <= tolerance[rows]
            )
            x[rows] = x_rows
            active[rows] = ~converged.all(axis=-1)
        return x

    def _newton_step(self, q, x, low, high):
        """One safeguarded Newton step of every row; the step and its bracket."""
        cdf = self._likelihood.component_cdf(x, self._components).mean(axis=0)
        pdf = np.exp(self._likelihood.component_logpdf(x, self._components))
        below = cdf < q
        low, high = np.where(below, x, low), np.where(below, high, x)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = x - (cdf - q) / pdf.mean(axis=0)
        inside = (newton > low) & (newton < high)
        return np.where(inside, newton, (low + high) / 2), low, high

    def _count_bisection(self, q, low, high):
        # The least whole count whose mixture cdf reaches q, in [low, high].
        while np.any(low < high):
            middle = np.floor((low + high) / 2)
            cdf = self._likelihood.component_cdf(middle, self._components).mean(axis=0)
            reached = cdf >= q
            high = np.where(reached, middle, high)
            low = np.where(reached, low, middle + 1)
        return low

    def interval(self, confidence=0.9):
        """Return the central interval that holds ``confidence`` of each target.

        Returns
        -------
        lower, upper : ndarray
            The quantiles ``(1 - confidence) / 2`` and ``(1 + confidence) / 2``.
        """
        confidence = _check_level(confidence, "confidence")
        return self.ppf((1 - confidence) / 2), self.ppf((1 + confidence) / 2)

    def sample(self, n_samples=1, random_state=None):
        """Draw values of each row's targets from the predictive distribution.

        Each value comes from a posterior draw picked at random, then from
        that draw's likelihood.

        Returns
        -------
        samples : ndarray of shape (n_samples, n_rows) or (n_samples, n_rows, n_outputs)
        """
        rng = np.random.default_rng(check_random_state(random_state).randint(2**31))
        return self._decoded(self._samples(int(n_samples), rng))

    def _samples(self, n_samples, rng):
        picks = rng.integers(self._n_draws, size=(n_samples, self.n_rows))
        shape = (self._n_draws, self.n_rows, self.n_outputs)
        picked = {
            name: np.broadcast_to(value, shape)[picks, np.arange(self.n_rows)]
            for name, value in self._components.items()
        }
        return self._likelihood.component_sample(rng, picked)

    def crps(self, y):
        """Return the continuous ranked probability score of ``y`` (lower is better).

        ``E|X - y| - E|X - X'| / 2`` for ``X``, ``X'`` independent draws of the
        predictive distribution, in the units of ``y``; one score per row and
        target. The expectations are taken over ``CRPS_SAMPLES`` values of
        each row: every posterior draw's quantiles at evenly spaced levels
        under one random shift (stratified sampling of each component): each
        component's values cover its whole distribution, its tails in their
        share, which independent samples of a heavy-tailed Student-t
        component do only on average (within 0.2% of a Normal's closed form,
        where 1,000 independent samples are within 3 to 5%). With a target
        transform the values are mapped back to ``y``'s units first; where
        the mapped mixture's tails are so heavy that its CRPS is infinite (a
        Student-t of few degrees of freedom through a power near 0), this is
        the CRPS of those values, which grows with ``CRPS_SAMPLES``.
        """
        y = np.asarray(y, dtype=np.float64).reshape(self.n_rows, -1)
        scores = [
            self._rows(rows)._crps_of(y[rows], stream=block)
            for block, rows in enumerate(gen_batches(self.n_rows, CRPS_BLOCK_ROWS))
        ]
        return self._shaped(np.concatenate(scores, axis=0))

    def _rows(self, rows):
        """Return the distribution of the rows ``rows`` alone."""
        components = {
            name: value if np.shape(value)[1] == 1 else value[:, rows]
            for name, value in self._components.items()
        }
        return PredictiveDistribution(
            self._likelihood,
            components,
            self._y_mean,
            self._y_scale,
            self._seed,
            self._transform,
        )

    def _crps_of(self, y, stream):
        """CRPS of ``y`` for every row and target, as a matrix."""
        rng = np.random.default_rng([self._seed, 1, stream])
        # Monotone maps keep the values' order.
        values = self._in_target_units(np.sort(self._stratified_values(rng), axis=0))
        m = values.shape[0]
        to_y = np.abs(values - y).mean(axis=0)
        # The mean of |X_i - X_j| over all m^2 ordered pairs of the values,
        # from their order: the CRPS of the equal-weight set of values.
        ranks = (2 * np.arange(1, m + 1) - m - 1).reshape(-1, 1, 1)
        pairs = 2 * (ranks * values).sum(axis=0) / m**2
        return to_y - pairs / 2

    def _stratified_values(self, rng):
        """About ``CRPS_SAMPLES`` values of each row, as many from each draw.

        Draw ``d`` gives its quantiles at the levels ``(k + u_d) / K``, ``k <
        K``, for a uniform ``u_d``: each value is then a draw from its
        component, and the ``K`` values of a component are spread over its
        whole distribution.
        """
        per_draw = -(-CRPS_SAMPLES // self._n_draws)
        # In (0, 1): no level may be 0 or 1, where a quantile is infinite.
        shifts = rng.uniform(np.finfo(float).tiny, 1.0, size=(1, self._n_draws, 1, 1))
        levels = (np.arange(per_draw).reshape(-1, 1, 1, 1) + shifts) / per_draw
        components = {
            name: np.asarray(value)[np.newaxis]
            for name, value in self._components.items()
        }
        values = self._likelihood.component_ppf(levels, components)
        shape = (per_draw, self._n_draws, self.n_rows, self.n_outputs)
        return np.broadcast_to(values, shape).reshape(-1, *shape[2:])
