"""Group-sequential efficacy bounds from a spending function, and exact crossing probabilities.

The z-statistics Z_1..Z_K at information rates t_1 < ... < t_K are canonical joint normal
(Jennison & Turnbull 2000, ch. 3): corr(Z_j, Z_k) = sqrt(t_j/t_k), E[Z_k] = drift*sqrt(t_k).
Probabilities of first stopping at each look are computed by the recursive numerical integration of
Armitage, McPherson & Rowe (1969) in the form of Jennison & Turnbull (2000, ch. 19): the sub-density of
Z_k on the continuation region is carried from look to look on the ch. 19 grid with Simpson weights.
Bounds spend alpha by Lan & DeMets (1983); see DESIGN.md section 5. No simulation is involved.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from seamless.stats.normal import normal_cdf_array
from seamless.stats.spending import Spending

__all__ = ["CrossingProbabilities", "GroupSequentialBounds", "check_information_rates", "crossing_probabilities",
           "efficacy_bounds"]

#: Grid size parameter r of Jennison & Turnbull (2000, sec. 19.2): about 12r Simpson nodes per look.
_GRID_SIZE = 64
#: Bracket for the bound search on the z-scale and the bisection tolerance.
_BOUND_BRACKET = (-10.0, 40.0)
_BOUND_TOLERANCE = 1e-12
#: Designs the bounds are computed for. Z_k given Z_{k-1} has SD sqrt((t_k - t_{k-1})/t_k) in z units; the recursion
#: is accurate only while that is wide against the grid's Simpson panels (3/(2r) = 0.023). Measured against
#: quadrature and scipy's multivariate normal CDF, the cumulative alpha is off by up to 2e-6 at a relative
#: increment (t_k - t_{k-1})/t_k of 0.001, 1e-8 at 0.01 (5e-8 over 20 such looks); rpact allows 20 looks too.
_MAX_LOOKS = 20
_MIN_RELATIVE_INCREMENT = 0.01
_INCREMENT_ROUNDING = 1e-9  # slack that lets rates exactly 1% apart (0.297, 0.3) through despite rounding
#: The check of every bound set (``_check_spending``): the alpha it spends recomputed on a grid twice as fine,
#: within this share of alpha (inside the limits the grids agree to about 1e-8; the tests hold both to scipy's
#: multivariate normal CDF). No scipy here: importing scipy.stats would add most of a second to every start.
_CHECK_TOLERANCE = 1e-4


# --- the recursion (Jennison & Turnbull 2000, ch. 19), shared by the bound solver and the crossing probabilities


class _Continuation(NamedTuple):
    """Sub-density of Z_k on the continuation region at one look, ready for integration.

    ``mass[i]`` = Simpson weight times sub-density at ``z[i]``, so ``mass.sum()`` = P(no stop up to look k).
    """

    z: np.ndarray  # (n,) grid on the z-scale
    mass: np.ndarray  # (n,)
    information: float  # t_k


#: Before the first look: Z_0 = 0 at information 0 with probability 1 (makes look 1 a recursion step too).
_START = _Continuation(np.zeros(1), np.ones(1), 0.0)


def _grid_offsets(r: int) -> np.ndarray:
    """The 6r - 1 base points of Jennison & Turnbull (2000, sec. 19.2), in SD units from the mean."""
    tail = 3.0 + 4.0 * np.log(r / np.arange(1, r))  # i = 1..r-1, spreading out to 3 + 4 log r
    middle = -3.0 + 3.0 * np.arange(0, 4 * r + 1) / (2.0 * r)  # i = r..5r, step 3/(2r) on [-3, 3]
    return np.concatenate([-tail, middle, tail[::-1]])


_OFFSETS = _grid_offsets(_GRID_SIZE)
_CHECK_OFFSETS = _grid_offsets(2 * _GRID_SIZE)


def _simpson_grid(mean: float, lower: float, upper: float,
                  offsets: np.ndarray = _OFFSETS) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and Simpson weights on (lower, upper) around ``mean`` (Jennison & Turnbull 2000, sec. 19.2).

    Base points beyond a finite bound are replaced by the bound itself, then midpoints are added so that
    Simpson's rule applies on each interval. Returns (z, w), both (2m - 1,); empty when lower >= upper.
    """
    if not lower < upper:
        return np.empty(0), np.empty(0)
    x = np.unique(np.clip(mean + offsets, lower, upper))
    widths = np.diff(x)
    z = np.empty(2 * x.size - 1)
    z[0::2] = x
    z[1::2] = x[:-1] + widths / 2.0
    w = np.zeros_like(z)
    w[0:-1:2] += widths / 6.0
    w[2::2] += widths / 6.0
    w[1::2] = 4.0 * widths / 6.0
    return z, w


def _transition_z(state: _Continuation, t: float, drift: float, z: np.ndarray) -> np.ndarray:
    """Standardized increment from Z_{k-1} = state.z (rows) to Z_k = z (columns) at information t.

    On the score scale S = Z*sqrt(t), S_k - S_{k-1} ~ N(drift*(t_k - t_{k-1}), t_k - t_{k-1}).
    """
    increment = t - state.information
    shift = state.z[:, None] * math.sqrt(state.information) + drift * increment
    return (np.asarray(z)[None, :] * math.sqrt(t) - shift) / math.sqrt(increment)


def _stop_probability(state: _Continuation, t: float, drift: float, bound: float, above: bool) -> float:
    """P(no stop before look k, then Z_k >= bound) if ``above``, else P(no stop before k, then Z_k < bound)."""
    x = _transition_z(state, t, drift, np.array([bound]))[:, 0]
    return float(state.mass @ normal_cdf_array(-x if above else x))


def _advance(state: _Continuation, t: float, drift: float, lower: float, upper: float,
             offsets: np.ndarray = _OFFSETS) -> _Continuation:
    """Carry the sub-density to the continuation region (lower, upper) at look k (J&T 2000, sec. 19.2)."""
    z, w = _simpson_grid(drift * math.sqrt(t), lower, upper, offsets)
    x = _transition_z(state, t, drift, z)
    density = np.exp(-0.5 * x**2) / math.sqrt(2.0 * math.pi) * math.sqrt(t / (t - state.information))
    return _Continuation(z, w * (state.mass @ density), t)


def _solve_bound(state: _Continuation, t: float, target: float) -> float:
    """Bound b with P_H0(no stop before look k, Z_k >= b) = target, by bisection (the probability
    decreases in b); +inf when target <= 0."""
    if not target > 0:
        return np.inf
    lower, upper = _BOUND_BRACKET
    while upper - lower > _BOUND_TOLERANCE:
        middle = 0.5 * (lower + upper)
        if middle in (lower, upper):  # no float between them
            break
        if _stop_probability(state, t, 0.0, middle, above=True) > target:
            lower = middle
        else:
            upper = middle
    return 0.5 * (lower + upper)


# --- an independent check of the bounds


def _check_spending(rates: np.ndarray, bounds: np.ndarray, cumulative_alpha: np.ndarray) -> None:
    """ValueError unless ``bounds`` spend ``cumulative_alpha`` under H0, recomputed on a grid twice as
    fine (Jennison & Turnbull 2000, sec. 19.2: the error falls with the grid's panels, so two grids
    agree only where both are accurate; within the limits they agree to about 1e-8, and the tests
    compare both with scipy's multivariate normal CDF). ``cumulative_alpha`` is nan at looks without
    efficacy."""
    state, crossing = _START, np.zeros(rates.size)
    for k, (t, b) in enumerate(zip(rates, bounds)):
        if np.isfinite(b):
            crossing[k] = _stop_probability(state, t, 0.0, b, above=True)
        if k + 1 < rates.size:
            state = _advance(state, t, 0.0, -np.inf, b, _CHECK_OFFSETS)
    spent = np.cumsum(crossing)
    error = np.where(np.isnan(cumulative_alpha), 0.0, np.abs(spent - cumulative_alpha))
    k = int(np.argmax(error))
    if not error[k] <= _CHECK_TOLERANCE * cumulative_alpha[-1]:
        raise ValueError(f"information_rates: the efficacy bounds could not be computed accurately for these "
                         f"information rates ({_shown(rates)}): they spend {spent[k]:.6g} of alpha by look {k + 1}, "
                         f"not {cumulative_alpha[k]:.6g}")


# --- public API


def _frozen(values: np.ndarray) -> np.ndarray:
    values.setflags(write=False)
    return values


def _shown(values) -> str:
    """Values as one comma-separated line, for error messages."""
    return ", ".join(str(value) for value in np.ravel(np.asarray(values, dtype=object))) or "nothing"


def _float_vector(values, requirement: str) -> np.ndarray:
    """``values`` as a 1-D float array; ValueError "<requirement>, got <values>" when not convertible."""
    try:
        vector = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        vector = None
    if vector is None or vector.ndim != 1:
        raise ValueError(f"{requirement}, got {_shown(values)}")
    return vector


def _validated_rates(information_rates) -> np.ndarray:
    requirement = "information rates must be strictly increasing in (0, 1]"
    rates = _float_vector(np.atleast_1d(information_rates), requirement)
    if rates.size == 0 or not (np.all(rates > 0) and np.all(rates <= 1) and np.all(np.diff(rates) > 0)):
        raise ValueError(f"{requirement}, got {_shown(information_rates)}")
    return rates


def check_information_rates(rates) -> np.ndarray:
    """``rates`` (increasing) if the recursion is accurate for them: at most _MAX_LOOKS looks, consecutive
    rates at least _MIN_RELATIVE_INCREMENT of the later one apart; ValueError otherwise."""
    rates = np.asarray(rates, dtype=float)
    if rates.size > _MAX_LOOKS:
        raise ValueError(f"information_rates: at most {_MAX_LOOKS} looks (the recursive integration is verified up "
                         f"to that), got {rates.size}")
    increments = np.diff(rates)
    close = np.flatnonzero(increments < _MIN_RELATIVE_INCREMENT * rates[1:] * (1.0 - _INCREMENT_ROUNDING))
    if close.size:
        k = close[0]
        raise ValueError(f"information_rates: consecutive rates must differ by at least {_MIN_RELATIVE_INCREMENT:.0%} "
                         f"of the later one (the recursive integration is not accurate below that), got "
                         f"{float(rates[k])} and {float(rates[k + 1])}")
    return rates


def _validated_looks(efficacy_looks, n_looks: int) -> tuple[int, ...]:
    if efficacy_looks is None:
        return tuple(range(1, n_looks + 1))
    requirement = f"efficacy looks must be distinct look numbers in 1..{n_looks} including the last look {n_looks}"
    raw = _float_vector(np.atleast_1d(efficacy_looks), requirement)
    looks = tuple(sorted({int(look) for look in raw if 1 <= look <= n_looks and look == int(look)}))
    if len(looks) != raw.size or looks[-1:] != (n_looks,):
        raise ValueError(f"{requirement}, got {_shown(efficacy_looks)}")
    return looks


@dataclass(frozen=True)
class GroupSequentialBounds:
    """One-sided efficacy bounds of a group-sequential design (z > 0 favours the experimental arm).

    Arrays are (K,); at a look without efficacy stopping the bound is +inf and nominal_p, cumulative_alpha
    are nan. ``efficacy_looks`` are 1-based look numbers.
    """

    information_rates: np.ndarray
    efficacy_bounds: np.ndarray
    nominal_p: np.ndarray
    cumulative_alpha: np.ndarray
    alpha: float
    spending: Spending
    efficacy_looks: tuple[int, ...]


def efficacy_bounds(
    information_rates,
    alpha: float = 0.025,
    spending: Spending | str = "obf",
    efficacy_looks=None,
) -> GroupSequentialBounds:
    """Efficacy bounds spending ``alpha`` by ``spending`` (Lan & DeMets 1983), futility ignored (non-binding).

    ``information_rates``: (K,) strictly increasing in (0, 1]; the last look is the final analysis and spends
    all of alpha (also when its rate is below 1). ``efficacy_looks``: 1-based looks with efficacy stopping,
    default all, must include K; a look without efficacy spends nothing and its share moves to the next
    efficacy look. Each bound b_k solves P_H0(Z_k >= b_k, no earlier crossing) = alpha(t_k) - alpha(t_prev)
    by bisection, the probability by the Jennison & Turnbull (2000, ch. 19) recursive integration. That is accurate
    for at most 20 looks with consecutive rates at least 1% of the later one apart (others raise ValueError), and the
    alpha the bounds spend is checked on a finer grid before they are returned.
    """
    rates = check_information_rates(_validated_rates(information_rates))
    if not 0.0 < alpha < 0.5:
        raise ValueError(f"alpha must be in (0, 0.5), got {alpha!r}")
    if isinstance(spending, str):
        spending = Spending.parse(spending)
    looks = _validated_looks(efficacy_looks, rates.size)
    index = np.array(looks) - 1

    cumulative_alpha = np.full(rates.size, np.nan)
    cumulative_alpha[index] = spending.cumulative(rates[index], alpha)
    cumulative_alpha[-1] = alpha
    bounds = np.full(rates.size, np.inf)
    state, spent = _START, 0.0
    for k, t in enumerate(rates):
        if k + 1 in looks:
            bounds[k] = _solve_bound(state, t, cumulative_alpha[k] - spent)
            spent = cumulative_alpha[k]
        if k + 1 < rates.size:
            state = _advance(state, t, 0.0, -np.inf, bounds[k])

    _check_spending(rates, bounds, cumulative_alpha)
    nominal_p = np.where(np.isfinite(bounds), normal_cdf_array(-bounds), np.nan)
    return GroupSequentialBounds(
        information_rates=_frozen(rates.copy()),
        efficacy_bounds=_frozen(bounds),
        nominal_p=_frozen(nominal_p),
        cumulative_alpha=_frozen(cumulative_alpha),
        alpha=float(alpha),
        spending=spending,
        efficacy_looks=looks,
    )


@dataclass(frozen=True)
class CrossingProbabilities:
    """Per-look probabilities (K,) of first stopping by crossing the efficacy or the futility bound."""

    efficacy: np.ndarray
    futility: np.ndarray

    @property
    def power(self) -> float:
        """Probability of ever stopping for efficacy (the rejection probability)."""
        return float(self.efficacy.sum())


def _validated_bounds(values, default: float, n_looks: int, name: str) -> np.ndarray:
    if values is None:
        return np.full(n_looks, default)
    requirement = f"{name} must be {n_looks} numbers, one per look (not nan)"
    bounds = _float_vector(np.atleast_1d(values), requirement)
    if bounds.size != n_looks or np.any(np.isnan(bounds)):
        raise ValueError(f"{requirement}, got {_shown(values)}")
    return bounds


def crossing_probabilities(
    information_rates, efficacy_bounds, futility_bounds=None, drift: float = 0.0
) -> CrossingProbabilities:
    """Exact probabilities of first stopping at each look, both bounds binding (J&T 2000, ch. 19).

    Stop at look k for efficacy if Z_k >= b_k, for futility if Z_k < a_k (efficacy wins where they overlap);
    b_k = +inf means no efficacy stop, a_k = -inf (or ``futility_bounds=None``) no futility stop.
    E[Z_k] = drift*sqrt(t_k). Returns CrossingProbabilities with (K,) arrays.
    """
    rates = _validated_rates(information_rates)
    upper = _validated_bounds(efficacy_bounds, np.inf, rates.size, "efficacy bounds")
    lower = np.minimum(_validated_bounds(futility_bounds, -np.inf, rates.size, "futility bounds"), upper)
    if not (isinstance(drift, (int, float, np.number)) and math.isfinite(drift)):
        raise ValueError(f"drift must be a finite number, got {drift!r}")

    efficacy, futility = np.zeros(rates.size), np.zeros(rates.size)
    state = _START
    for k, t in enumerate(rates):
        efficacy[k] = _stop_probability(state, t, drift, upper[k], above=True)
        futility[k] = _stop_probability(state, t, drift, lower[k], above=False)
        if k + 1 < rates.size:
            state = _advance(state, t, drift, lower[k], upper[k])
    return CrossingProbabilities(efficacy=_frozen(efficacy), futility=_frozen(futility))
