"""Inference at a look of the closed inverse-normal combination test (EXTENSIONS.md section 4).

- ``shifted_z``: a log-rank z for the shifted hypothesis HR >= theta0, z + log(theta0) sqrt(V)
  (Jennison & Turnbull 2000, ch. 13).
- ``invert``: the repeated confidence limit of a combination statistic, the theta0 at which it meets the
  look's bound (Posch et al. 2005, Stat Med 24:3697; Wassmer & Brannath 2016, s.8.3 and 11.1).
- ``repeated_ci``: the repeated confidence interval of the selected dose's HR from its single-step adjusted
  stage-1 p-value and its later stage-wise z, both shifted (Posch et al. 2005, s.4; rpact's definition);
  ``repeated_ci_kernel`` is its compiled form for the simulated trial (Illinois iterations), ``repeated_ci``
  (Brent's method, numpy's Dunnett) its plain twin.
- ``repeated_p_value``: the smallest alpha whose bounds (same spending, same looks) reject at the look.
- ``conditional_power``: the probability of rejecting at each remaining look given the binding combined z,
  with stage-wise increments z_j ~ N(-log(theta) sqrt(Delta V_j), 1) and the planned inverse-normal weights
  sqrt(t_j - t_(j-1)) (Wassmer & Brannath 2016, s.7.2; rpact's definition); theta = 1 gives the conditional
  rejection probability.
"""

import math

import numpy as np

from seamless._jit import kernel
from seamless.stats.boundaries import crossing_probabilities, efficacy_bounds
from seamless.stats.dunnett import dunnett_set_p
from seamless.stats.normal import normal_ppf, normal_sf

__all__ = ["shifted_z", "invert", "repeated_ci", "repeated_ci_kernel", "repeated_p_value", "conditional_power"]

#: Bracket of log(theta0) searched by ``invert``: hazard ratios from exp(-7) (0.0009) to exp(7) (1097).
_LOG_THETA_LIMIT = 7.0
#: Stage-wise z's are held within +-8 (p-values of 1e-15): beyond, Phi^-1(1 - p) is not finite in doubles.
Z_LIMIT = 8.0


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
    negated) does. Without a stage 1, ``stage1_information`` is 0 and ``weights`` (0, 1). (0, inf) at a look
    without efficacy bound.
    """
    if not math.isfinite(bound):  # no efficacy bound: no theta0 is rejected
        return 0.0, math.inf
    w1, w2 = weights
    norm = math.hypot(w1, w2)

    def combination(log_theta0: float, sign: float) -> float:
        z1 = min(max(sign * shifted_z(stage1_z, stage1_information, log_theta0), -Z_LIMIT), Z_LIMIT)
        z2 = min(max(sign * shifted_z(stage2_z, stage2_information, log_theta0), -Z_LIMIT), Z_LIMIT)
        stage1 = min(max(-float(normal_ppf(stage1_p(z1))), -Z_LIMIT), Z_LIMIT) if w1 > 0.0 else 0.0
        return (w1 * stage1 + w2 * z2) / norm

    return (invert(lambda x: combination(x, -1.0), bound, increasing=False),
            invert(lambda x: combination(x, 1.0), bound, increasing=True))


@kernel
def _single_step_combination(log_theta0, sign, stage1_z, stage1_information, stage2_z, stage2_information, w1, w2,
                             loadings, adjusted, rule, subset):
    """The combination of `repeated_ci` at log(theta0), for H(theta0) (sign 1) or its mirror (sign -1)."""
    z1 = min(max(sign * (stage1_z + log_theta0 * math.sqrt(stage1_information)), -Z_LIMIT), Z_LIMIT)
    z2 = min(max(sign * (stage2_z + log_theta0 * math.sqrt(stage2_information)), -Z_LIMIT), Z_LIMIT)
    stage1 = 0.0
    if w1 > 0.0:
        all_doses = (np.int64(1) << loadings.size) - 1
        p1 = dunnett_set_p(z1, loadings, all_doses, rule, subset) if adjusted else normal_sf(z1)
        stage1 = min(max(-normal_ppf(p1), -Z_LIMIT), Z_LIMIT)
    return (w1 * stage1 + w2 * z2) / math.sqrt(w1 * w1 + w2 * w2)


@kernel
def _secant(sign, bound, guess, slope, args):
    """The root of g(l) = sign * (combination(l) - bound) from ``guess``: a Newton step with the approximate
    ``slope``, then secant steps (the combination is nearly linear in l, so they settle in two or three); nan
    if they do not."""
    x0 = guess
    g0 = sign * (_single_step_combination(x0, sign, *args) - bound)
    x1 = x0 - g0 / slope
    for _ in range(6):
        if not -_LOG_THETA_LIMIT < x1 < _LOG_THETA_LIMIT:
            return np.nan
        g1 = sign * (_single_step_combination(x1, sign, *args) - bound)
        if abs(g1) < 1e-9 or abs(x1 - x0) < 1e-8:  # the next step: about 1e-12
            return x1
        if g1 == g0:  # flat: the statistics are held at their limits
            return np.nan
        x0, g0, x1 = x1, g1, x1 - g1 * (x1 - x0) / (g1 - g0)
    return np.nan


@kernel
def _limit(sign, bound, slope, statistic, stage1_z, stage1_information, stage2_z, stage2_information, w1, w2,
           loadings, adjusted, rule, subset):
    """exp(l) where g(l) = sign * (combination(l) - bound) = 0, g increasing in l: `_secant` from the root of
    the combination's linearisation through (0, ``statistic``) (the closed test's combined z, about the
    combination at HR 1) with ``slope``; if it does not settle, a bracket around that root widened until it
    holds the root and the Illinois method (regula falsi with halving). 0 or inf when the root lies beyond
    [-7, 7]."""
    args = (stage1_z, stage1_information, stage2_z, stage2_information, w1, w2, loadings, adjusted, rule, subset)
    guess = min(max((bound - sign * statistic) / slope * sign, -_LOG_THETA_LIMIT), _LOG_THETA_LIMIT)
    root = _secant(sign, bound, guess, slope, args)
    if not math.isnan(root):
        return math.exp(root)
    # Else a bracket around the guess, widened until it holds the root, and the Illinois method.
    width = 0.125
    lo, hi = max(guess - width, -_LOG_THETA_LIMIT), min(guess + width, _LOG_THETA_LIMIT)
    g_lo = sign * (_single_step_combination(lo, sign, *args) - bound)
    g_hi = sign * (_single_step_combination(hi, sign, *args) - bound)
    while g_lo > 0.0 and lo > -_LOG_THETA_LIMIT:
        hi, g_hi = lo, g_lo
        width *= 4.0
        lo = max(lo - width, -_LOG_THETA_LIMIT)
        g_lo = sign * (_single_step_combination(lo, sign, *args) - bound)
    while g_hi < 0.0 and hi < _LOG_THETA_LIMIT:
        lo, g_lo = hi, g_hi
        width *= 4.0
        hi = min(hi + width, _LOG_THETA_LIMIT)
        g_hi = sign * (_single_step_combination(hi, sign, *args) - bound)
    if g_lo > 0.0:
        return 0.0
    if g_hi < 0.0:
        return np.inf
    x, side = lo, 0
    for _ in range(200):
        x = (lo * g_hi - hi * g_lo) / (g_hi - g_lo) if g_hi != g_lo else 0.5 * (lo + hi)
        g = sign * (_single_step_combination(x, sign, *args) - bound)
        if g > 0.0:
            hi, g_hi = x, g
            if side == 1:
                g_lo *= 0.5
            side = 1
        else:
            lo, g_lo = x, g
            if side == -1:
                g_hi *= 0.5
            side = -1
        if hi - lo < 1e-10 or g == 0.0:
            break
    return math.exp(x)


@kernel
def repeated_ci_kernel(stage1_z, stage1_information, stage2_z, stage2_information, w1, w2, bound, statistic, loadings,
                       adjusted, rule, subset):
    """(lower, upper) of `repeated_ci` in compiled code: the selected dose's single-step Dunnett p (``adjusted``;
    else Phi-bar) from ``rule`` (`seamless.stats.dunnett.DunnettRule`) with ``loadings`` (D,), subset (D,)
    scratch; ``statistic``: the look's combined z (where the search starts). (0, inf) at a look without
    efficacy bound: no theta0 is rejected there."""
    if not math.isfinite(bound):
        return 0.0, np.inf
    # d combination / d log(theta0): (w1 sqrt(V1) + w2 sqrt(V2)) / sqrt(w1^2 + w2^2) without adjustment
    slope = max((w1 * math.sqrt(stage1_information) + w2 * math.sqrt(stage2_information)) /
                math.sqrt(w1 * w1 + w2 * w2), 1e-3)
    lower = _limit(-1.0, bound, slope, statistic, stage1_z, stage1_information, stage2_z, stage2_information, w1,
                   w2, loadings, adjusted, rule, subset)
    upper = _limit(1.0, bound, slope, statistic, stage1_z, stage1_information, stage2_z, stage2_information, w1, w2,
                   loadings, adjusted, rule, subset)
    return lower, upper


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
