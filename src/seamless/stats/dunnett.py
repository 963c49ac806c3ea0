"""Single-step Dunnett test of several doses against a shared control (DESIGN.md section 3).

Under H0 the many-to-one statistics z_i are jointly normal with corr(z_i, z_j) = lambda_i lambda_j,
so the distribution function of max_{i in S} z_i is the one-dimensional integral

    F_S(c) = integral phi(u) prod_{i in S} Phi((c - lambda_i u) / sqrt(1 - lambda_i^2)) du

(Dunnett 1955, JASA 50:1096, eq. 4 with a product-correlation structure). It is evaluated by
Gauss-Hermite quadrature with u = sqrt(2) x:  F_S(c) = pi^(-1/2) sum_k w_k g(sqrt(2) x_k).
With 128 nodes the quadrature error is below 1e-12 for loadings <= 0.9 (allocation ratio <= 4.26)
and below 1e-7 for loadings <= 0.95; it grows as a loading approaches 1 (the integrand becomes a step).

The p-value is integrated as 1 - prod Phi = -expm1(sum log Phi), so small p-values keep their
relative precision instead of being the difference of two numbers close to 1. The compiled path
for the simulation kernels (`_dunnett_p`) evaluates the same rule with fewer normal-tail
evaluations and agrees with it to about 1e-14 relative (its docstring says how).

A simulation evaluates p-values of the same few dose sets, those of the design's loadings, at
ever new thresholds, each integral costing about 40 normal tails. So `dunnett_rule` tabulates
p_S(c) / Phi-bar(c), a smooth function between 1 and |S|, for each set S of doses, in Chebyshev
interpolants of degree TABLE_DEGREE on intervals of c in [TABLE_LOW, TABLE_HIGH) (Trefethen,
Approximation Theory and Approximation Practice, 2013, ch. 3-4: the coefficients of a smooth
function decay geometrically, and the last ones bound the interpolation error). An interval width
is kept only if its last two coefficients sum to at most TABLE_TAIL everywhere (1, then 1/2, 1/4,
1/8); a set whose p-value is not resolved even at width 1/8 (loadings near 1) is not tabulated.
`dunnett_set_p` reads the table where it applies and integrates elsewhere; the tests check the
two against each other to 5e-14 relative.
"""

import math
from typing import NamedTuple

import numpy as np
from numpy.polynomial.chebyshev import chebfit
from numpy.polynomial.hermite import hermgauss

from seamless._jit import kernel
from seamless.stats.normal import normal_sf

__all__ = [
    "GAUSS_HERMITE_NODES",
    "GAUSS_HERMITE_WEIGHTS",
    "DunnettRule",
    "correlation_loadings",
    "dunnett_rule",
    "dunnett_set_p",
    "dunnett_cdf",
    "dunnett_adjusted_p",
    "dunnett_critical_value",
]

#: Physicists' Gauss-Hermite rule (weight exp(-x^2)), 128 nodes; pass both to `_dunnett_p`.
GAUSS_HERMITE_NODES, GAUSS_HERMITE_WEIGHTS = hermgauss(128)

_SQRT2 = math.sqrt(2.0)
_INV_SQRT_PI = 1.0 / math.sqrt(math.pi)
_NEGLIGIBLE = 1e-18


def correlation_loadings(allocation_ratios) -> np.ndarray:
    """Loadings lambda_i = sqrt(r_i / (1 + r_i)) from ratios r_i = n_i / n_0, shape (k,).

    corr(z_i, z_j) = lambda_i lambda_j (DESIGN.md section 3); 3:3:3:2 gives r_i = 1.5, rho = 0.6.
    Event-based ratios r_i = d_i / d_0 are passed the same way.
    """
    ratios = np.atleast_1d(np.asarray(allocation_ratios, dtype=float))
    if ratios.ndim != 1 or ratios.size == 0 or not np.all(np.isfinite(ratios) & (ratios > 0)):
        raise ValueError(
            f"allocation_ratios must be a non-empty 1-D sequence of finite positive numbers, got {ratios.tolist()}"
        )
    return np.sqrt(ratios / (1.0 + ratios))


def _check_loadings(loadings) -> np.ndarray:
    values = np.atleast_1d(np.asarray(loadings, dtype=float))
    if values.ndim != 1 or values.size == 0 or not np.all((values >= 0.0) & (values < 1.0)):
        raise ValueError(f"loadings must be a non-empty 1-D sequence of numbers in [0, 1), got {values.tolist()}")
    return values


def _check_threshold(name: str, value) -> float:
    number = float(value)
    if math.isnan(number):
        raise ValueError(f"{name} must be a number (+-inf allowed), got nan")
    return number


def _log_phi_sums(c: float, loadings: np.ndarray) -> np.ndarray:
    """sum_i log Phi((c - lambda_i u_k) / sqrt(1 - lambda_i^2)) at every node u_k = sqrt(2) x_k, shape (nodes,)."""
    from scipy.special import log_ndtr

    u = _SQRT2 * GAUSS_HERMITE_NODES
    scale = np.sqrt(1.0 - loadings**2)
    arguments = (c - loadings[:, None] * u[None, :]) / scale[:, None]
    return log_ndtr(arguments).sum(axis=0)


def dunnett_cdf(c, loadings) -> float:
    """F_S(c) = P(max_i z_i <= c) under H0 for loadings lambda_i (DESIGN.md section 3)."""
    c = _check_threshold("c", c)
    values = _check_loadings(loadings)
    integrand = np.exp(_log_phi_sums(c, values))
    return float(_INV_SQRT_PI * np.dot(GAUSS_HERMITE_WEIGHTS, integrand))


def dunnett_adjusted_p(max_z, loadings) -> float:
    """Single-step Dunnett adjusted p-value 1 - F_S(max_z); one loading gives 1 - Phi(max_z)."""
    max_z = _check_threshold("max_z", max_z)
    values = _check_loadings(loadings)
    integrand = -np.expm1(_log_phi_sums(max_z, values))
    return float(_INV_SQRT_PI * np.dot(GAUSS_HERMITE_WEIGHTS, integrand))


def dunnett_critical_value(alpha, loadings) -> float:
    """One-sided critical value c with F_S(c) = 1 - alpha, by Brent's method.

    The root lies between the unadjusted Phi^-1(1 - alpha) (F_S <= Phi) and the Bonferroni
    Phi^-1(1 - alpha/k) (F_S >= 1 - k Phi-bar), so the bracket is always valid.
    """
    from scipy.optimize import brentq
    from scipy.special import ndtri

    alpha = float(alpha)
    if not 0.0 < alpha < 0.5:
        raise ValueError(f"alpha must be in (0, 0.5), got {alpha}")
    values = _check_loadings(loadings)
    lower = float(ndtri(1.0 - alpha)) - 1e-6
    upper = float(ndtri(1.0 - alpha / values.size)) + 1e-6
    return float(
        brentq(lambda c: dunnett_adjusted_p(c, values) - alpha, lower, upper, xtol=1e-13, rtol=1e-14, maxiter=200)
    )


@kernel
def _dunnett_p(max_z, loadings, nodes, weights):
    """1 - F_S(max_z) for loadings (k,) with the Gauss-Hermite rule (nodes ascending, weights); the
    formula of `dunnett_adjusted_p`, for compiled kernels (pass GAUSS_HERMITE_NODES/WEIGHTS).

    At node u the integrand 1 - prod_i (1 - q_i), q_i = Phi-bar((c - lambda_i u) / sqrt(1 - lambda_i^2)),
    is accumulated as r <- r + q_i (1 - r): every term is >= 0, so small p-values keep their relative
    precision without the log/expm1 of the NumPy path. A loading equal to the one before reuses its q.
    Nodes that cannot matter are skipped (p >= Phi-bar(c), one comparison alone, and the integrand
    is at most 1): those with w_k / sqrt(pi) < _NEGLIGIBLE * Phi-bar(c), and, going down from u = 0
    where both w_k and the integrand (increasing in u) only fall, all nodes after the first whose
    term is below _NEGLIGIBLE of the sum so far. Each rule drops less than 128 * 1e-18 of p.
    """
    cutoff = _NEGLIGIBLE * normal_sf(max_z) / _INV_SQRT_PI
    total = 0.0
    middle = nodes.size // 2  # nodes[middle:] are >= 0
    for k in range(middle, nodes.size):
        if weights[k] >= cutoff:
            total += weights[k] * _integrand(max_z, loadings, _SQRT2 * nodes[k])
    for k in range(middle - 1, -1, -1):
        if weights[k] < cutoff:
            break
        term = weights[k] * _integrand(max_z, loadings, _SQRT2 * nodes[k])
        total += term
        if term < _NEGLIGIBLE * total:
            break
    return _INV_SQRT_PI * total


@kernel
def _integrand(max_z, loadings, u):
    """1 - prod_i Phi((max_z - lambda_i u) / sqrt(1 - lambda_i^2)), accumulated without cancellation."""
    tail = 0.0
    q = 0.0
    for i in range(loadings.size):
        if i == 0 or loadings[i] != loadings[i - 1]:
            q = normal_sf((max_z - loadings[i] * u) / math.sqrt(1.0 - loadings[i] * loadings[i]))
        tail += q * (1.0 - tail)
    return tail


#: Tabulated thresholds c (outside them `dunnett_set_p` integrates), the interpolants' degree, and the
#: largest sum of the last two Chebyshev coefficients accepted (p_S / Phi-bar >= 1, so relative).
TABLE_LOW, TABLE_HIGH, TABLE_DEGREE, TABLE_TAIL = -3.0, 8.0, 16, 2e-14
_TABLE_WIDTHS = (1.0, 0.5, 0.25, 0.125)
#: Chebyshev points of the first kind on [-1, 1], where each interval's interpolant matches p_S / Phi-bar.
_CHEBYSHEV_POINTS = np.cos(np.pi * (np.arange(TABLE_DEGREE + 1) + 0.5) / (TABLE_DEGREE + 1))


class DunnettRule(NamedTuple):
    """How the compiled kernels evaluate Dunnett p-values for doses with design loadings ``loadings``
    (D,): the Gauss-Hermite rule, and the table of each set of doses (bit i of a set: dose i)."""

    nodes: np.ndarray         # Gauss-Hermite rule of `_dunnett_p`
    weights: np.ndarray
    loadings: np.ndarray      # (D,) the loadings tabulated; other loadings are integrated
    table_of: np.ndarray      # (2^D,) row of each dose set in `coefficients`; -1: not tabulated
    width: np.ndarray         # (rows,) interval width of each row
    coefficients: np.ndarray  # (rows, intervals, TABLE_DEGREE + 1) Chebyshev coefficients of p_S / Phi-bar


@kernel
def _ratios_to_tail(thresholds, loadings, nodes, weights, out):
    """p_S(c) / Phi-bar(c) at each threshold c, by `_dunnett_p`."""
    for k in range(thresholds.size):
        out[k] = _dunnett_p(thresholds[k], loadings, nodes, weights) / normal_sf(thresholds[k])


def _table(loadings: np.ndarray):
    """(width, coefficients (intervals, TABLE_DEGREE + 1)) of the widest interval width that resolves
    p_S / Phi-bar for these loadings, or None."""
    for width in _TABLE_WIDTHS:
        intervals = round((TABLE_HIGH - TABLE_LOW) / width)
        thresholds = TABLE_LOW + width * (np.arange(intervals)[:, None] + (_CHEBYSHEV_POINTS + 1.0) / 2.0)
        ratios = np.empty(thresholds.size)
        _ratios_to_tail(thresholds.ravel(), loadings, GAUSS_HERMITE_NODES, GAUSS_HERMITE_WEIGHTS, ratios)
        coefficients = chebfit(_CHEBYSHEV_POINTS, ratios.reshape(intervals, -1).T, TABLE_DEGREE).T
        if np.abs(coefficients[:, -2:]).sum(axis=1).max() <= TABLE_TAIL:
            return width, coefficients
    return None


def dunnett_rule(loadings) -> DunnettRule:
    """The Gauss-Hermite rule and the tables of every set of doses with these loadings (D,); sets
    with the same loadings share one table (equal loadings: one per set size)."""
    values = _check_loadings(loadings)
    rows, widths, tables = {}, [], []
    table_of = np.full(2 ** values.size, -1, np.int64)
    for dose_set in range(1, table_of.size):
        members = tuple(sorted(values[i] for i in range(values.size) if dose_set >> i & 1))
        if members not in rows:
            table = _table(np.array(members))
            rows[members] = -1 if table is None else len(tables)
            if table is not None:
                widths.append(table[0])
                tables.append(table[1])
        table_of[dose_set] = rows[members]
    longest = max((t.shape[0] for t in tables), default=0)
    coefficients = np.zeros((len(tables), longest, TABLE_DEGREE + 1))
    for row, table in enumerate(tables):
        coefficients[row, : table.shape[0]] = table
    return DunnettRule(GAUSS_HERMITE_NODES, GAUSS_HERMITE_WEIGHTS, values.copy(), table_of, np.array(widths),
                       coefficients)


@kernel
def _tabulated_p(rule, row, c):
    """p_S(c) from row ``row`` of the rule's table, TABLE_LOW <= c < TABLE_HIGH: Phi-bar(c) times the
    interval's Chebyshev series at c, summed by Clenshaw's recurrence. (A c just below TABLE_HIGH
    can round to the end of the row's last interval; rows are padded to the longest, so the row's
    own last interval is found from its width, a power of two that divides the range exactly.)"""
    width = rule.width[row]
    position = (c - TABLE_LOW) / width
    interval = min(int(position), int((TABLE_HIGH - TABLE_LOW) / width) - 1)
    t = 2.0 * (position - interval) - 1.0
    a = rule.coefficients[row, interval]
    b1 = b2 = 0.0
    for j in range(TABLE_DEGREE, 0, -1):
        b1, b2 = 2.0 * t * b1 - b2 + a[j], b1
    return normal_sf(c) * (t * b1 - b2 + a[0])


@kernel
def dunnett_set_p(c, loadings, dose_set, rule, subset):
    """p_S(c) = 1 - F_S(c) for the doses S of ``dose_set`` (bit i: dose i) with loadings (D,): from the
    rule's table if S has one, c is tabulated and the loadings are the rule's, else by `_dunnett_p`
    over S's loadings, gathered into subset (D,) scratch."""
    row = rule.table_of[dose_set]
    if (row >= 0) & (c >= TABLE_LOW) & (c < TABLE_HIGH):
        design = True
        for i in range(loadings.size):
            design &= loadings[i] == rule.loadings[i]
        if design:
            return _tabulated_p(rule, row, c)
    size = 0
    for i in range(loadings.size):
        if dose_set >> i & 1:
            subset[size] = loadings[i]
            size += 1
    return _dunnett_p(c, subset[:size], rule.nodes, rule.weights)


@kernel
def _closed_dunnett_p(z, loadings, selected, rule, subset):
    """max over intersections S containing dose ``selected`` of p_S = 1 - F_S(max_{i in S} z_i), the
    stage-1 p-value of the closed test (DESIGN.md s.4); z, loadings (k,), subset (k,) scratch.

    For a fixed threshold, p_S only grows when S grows (one more factor Phi <= 1 in F_S). So among
    the S whose largest z is z_m, the largest p_S is that of S_m = {i : z_i <= z_m}, which contains
    the selected dose whenever z_m >= z_selected: at most k p-values instead of 2^(k-1), and one
    when the selected dose has the largest z.
    """
    largest = 0.0
    for m in range(z.size):
        if z[m] < z[selected]:
            continue
        dose_set = 0
        for i in range(z.size):
            dose_set |= np.int64(z[i] <= z[m]) << i
        largest = max(largest, dunnett_set_p(z[m], loadings, dose_set, rule, subset))
    return largest
