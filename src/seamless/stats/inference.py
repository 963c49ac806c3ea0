"""Inference at a look of the closed inverse-normal combination test (EXTENSIONS.md section 4).

- ``shifted_z``: a log-rank z for the shifted hypothesis HR >= theta0, z + log(theta0) sqrt(V)
  (Jennison & Turnbull 2000, ch. 13).
- ``invert``: the repeated confidence limit of a combination statistic, the theta0 at which it meets the
  look's bound (Posch et al. 2005, Stat Med 24:3697; Wassmer & Brannath 2016, s.8.3 and 11.1).
- ``repeated_ci``: the repeated confidence interval of the selected dose's HR from its single-step adjusted
  stage-1 p-value and its later stage-wise z, both shifted (Posch et al. 2005, s.4; rpact's definition).
- ``repeated_p_value``: the smallest alpha whose bounds (same spending, same looks) reject at the look.
- ``conditional_power``: the probability of rejecting at each remaining look given the binding combined z,
  with stage-wise increments z_j ~ N(-log(theta) sqrt(Delta V_j), 1) and the planned inverse-normal weights
  sqrt(t_j - t_(j-1)) (Wassmer & Brannath 2016, s.7.2; rpact's definition); theta = 1 gives the conditional
  rejection probability.
"""

import math

import numpy as np

from seamless.stats.boundaries import crossing_probabilities, efficacy_bounds
from seamless.stats.normal import normal_ppf

__all__ = ["shifted_z", "invert", "repeated_ci", "repeated_p_value", "conditional_power"]

#: Bracket of log(theta0) searched by ``invert``: hazard ratios from exp(-7) (0.0009) to exp(7) (1097).
_LOG_THETA_LIMIT = 7.0


def shifted_z(z: float, variance: float, log_theta0: float) -> float:
    """The log-rank z of H(theta0): HR >= theta0 (z > 0 favours the experimental arm)."""
    return z + log_theta0 * math.sqrt(variance)


def invert(statistic, bound: float, increasing: bool, tolerance: float = 1e-10) -> float:
    """The theta0 = exp(l) with statistic(l) = bound, for a statistic monotone in l = log(theta0).

    ``increasing``: the statistic grows with l (the test of HR >= theta0, whose root is the upper limit);
    else it falls (the mirrored test of HR <= theta0, the lower limit). nan when the bound is infinite
    (a look without efficacy); 0 or inf when the root lies beyond hazard ratios exp(-7)..exp(7).
    """
    from scipy.optimize import brentq

    if not math.isfinite(bound):
        return math.nan
    sign = 1.0 if increasing else -1.0
    def gap(log_theta0: float) -> float:  # increasing in log(theta0)
        return sign * (statistic(log_theta0) - bound)

    if gap(-_LOG_THETA_LIMIT) > 0.0:
        return 0.0
    if gap(_LOG_THETA_LIMIT) < 0.0:
        return math.inf
    return math.exp(brentq(gap, -_LOG_THETA_LIMIT, _LOG_THETA_LIMIT, xtol=tolerance, rtol=1e-14, maxiter=500))


def repeated_ci(stage1_z: float, stage1_information: float, stage2_z: float, stage2_information: float,
                weights: tuple[float, float], bound: float, stage1_p) -> tuple[float, float]:
    """(lower, upper) repeated confidence limits of the selected dose's HR at a look with efficacy bound ``bound``.

    The combination (w1 Phi^-1(1 - p1) + w2 z2) / sqrt(w1^2 + w2^2) of the stage-1 p-value ``stage1_p(z)`` (the
    selected dose's single-step adjusted p at its own z: Dunnett over all doses, or Phi-bar) and the later
    stage-wise z, each z shifted by log(theta0) sqrt(information): the upper limit is where the combination for
    H(theta0): HR >= theta0 meets the bound, the lower limit where the mirrored one (HR <= theta0, statistics
    negated) does. Without a stage 1, ``stage1_information`` is 0 and ``weights`` (0, 1).
    """
    w1, w2 = weights
    norm = math.hypot(w1, w2)

    def combination(log_theta0: float, sign: float) -> float:
        # Beyond |z| = 30 every p-value is 0 or 1 in double precision.
        z1 = min(max(sign * shifted_z(stage1_z, stage1_information, log_theta0), -30.0), 30.0)
        z2 = min(max(sign * shifted_z(stage2_z, stage2_information, log_theta0), -30.0), 30.0)
        stage1 = -float(normal_ppf(stage1_p(z1))) if w1 > 0.0 else 0.0
        return (w1 * stage1 + w2 * z2) / norm

    return (invert(lambda x: combination(x, -1.0), bound, increasing=False),
            invert(lambda x: combination(x, 1.0), bound, increasing=True))


def repeated_p_value(combined_z: float, look: int, information_rates, spending, efficacy_looks,
                     tolerance: float = 1e-10) -> float:
    """Smallest alpha in (0, 0.5] at which look ``look`` (1-based) rejects: bound_look(alpha) = combined_z.

    The bounds are those of ``seamless.stats.boundaries.efficacy_bounds`` with the design's rates, spending
    and efficacy looks at level alpha; they fall as alpha grows. nan at a look without efficacy; 0.5 when
    even alpha = 0.5 does not reject (as rpact caps it).
    """
    from scipy.optimize import brentq

    if look not in efficacy_looks:
        return math.nan
    rates = np.asarray(information_rates, dtype=float)

    def excess(alpha: float) -> float:
        return combined_z - efficacy_bounds(rates, alpha=alpha, spending=spending,
                                            efficacy_looks=efficacy_looks).efficacy_bounds[look - 1]

    low, high = 1e-12, 0.5 - 1e-9
    if excess(high) < 0.0:
        return 0.5
    if excess(low) >= 0.0:
        return low
    return float(brentq(excess, low, high, xtol=tolerance, rtol=1e-12, maxiter=200))


def conditional_power(combined_z: float, look: int, information_rates, efficacy_bounds_, futility_bounds,
                      future_information, log_theta: float) -> np.ndarray:
    """Cumulative probabilities (K - look,) of rejecting by each remaining look, given the binding combined
    z at look ``look`` (1-based), under log hazard ratio ``log_theta``.

    The combination at look j > k is C_j = [sqrt(t_k) C_k + sum_(i=k+1..j) sqrt(t_i - t_(i-1)) z_i] / sqrt(t_j)
    with independent z_i ~ N(-log_theta sqrt(future_information[i]), 1); rejection is C_j >= b_j before any
    C_i < a_i (futility counted as binding, as rpact does). The scaled process sum_i sqrt(t_i - t_(i-1)) z_i
    / sqrt(t_j - t_k) is a Brownian motion in (t_j - t_k), so the crossing probabilities are those of a group
    sequential test with shifted bounds.
    """
    rates = np.asarray(information_rates, dtype=float)
    k = look
    if k >= rates.size:
        return np.zeros(0)
    t_k, later = rates[k - 1], rates[k:]
    steps = np.diff(rates[k - 1:])
    mean = -log_theta * np.cumsum(np.sqrt(steps) * np.sqrt(np.asarray(future_information, dtype=float)))
    spread = np.sqrt(later - t_k)

    def shifted(bounds):
        return (np.asarray(bounds, dtype=float)[k:] * np.sqrt(later) - combined_z * math.sqrt(t_k) - mean) / spread

    crossing = crossing_probabilities((later - t_k) / (later[-1] - t_k), shifted(efficacy_bounds_),
                                      shifted(futility_bounds))
    return np.cumsum(crossing.efficacy)
