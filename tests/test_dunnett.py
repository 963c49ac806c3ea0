"""Single-step Dunnett (DESIGN.md section 3): published values, limiting cases, the compiled kernel
against the NumPy path, the tables against the kernel's quadrature, scipy as the slow twin, and
mvtnorm::pmvnorm reference values."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.stats import norm

from seamless.stats.dunnett import (
    GAUSS_HERMITE_NODES,
    GAUSS_HERMITE_WEIGHTS,
    TABLE_HIGH,
    TABLE_LOW,
    _dunnett_p,
    correlation_loadings,
    dunnett_adjusted_p,
    dunnett_cdf,
    dunnett_critical_value,
    dunnett_rule,
    dunnett_set_p,
)

REFERENCE_FILE = Path(__file__).parent / "reference" / "dunnett.json"


def _equal_loadings(k, rho):
    """k comparisons with common correlation rho = lambda^2."""
    return np.full(k, math.sqrt(rho))


# Source: DESIGN.md section 3, values from mvtnorm::pmvnorm / qmvnorm (one-sided, equicorrelated);
# k = 3, rho = 0.5 agrees with Dunnett (1955, JASA 50:1096) table: 2.35. Printed to 4 decimals.
@pytest.mark.parametrize(
    ("k", "rho", "critical_value"),
    [(3, 0.6, 2.3276), (3, 0.5, 2.3490), (2, 0.6, 2.1987)],
)
def test_published_critical_values(k, rho, critical_value):
    assert round(dunnett_critical_value(0.025, _equal_loadings(k, rho)), 4) == critical_value


# Source: DESIGN.md section 3 (mvtnorm::pmvnorm), k = 3, rho = 0.6, printed to 5 decimals.
@pytest.mark.parametrize(("max_z", "p"), [(1.5, 0.14390), (2.0, 0.05412), (2.5, 0.01595)])
def test_published_adjusted_p_values(max_z, p):
    assert round(dunnett_adjusted_p(max_z, _equal_loadings(3, 0.6)), 5) == p


def test_successor_allocation_gives_rho_0_6():
    loadings = correlation_loadings([1.5, 1.5, 1.5])  # 3:3:3:2, doses : control
    assert_allclose(np.outer(loadings, loadings)[np.triu_indices(3, 1)], 0.6, rtol=1e-15)


@pytest.mark.parametrize("loading", [0.0, 0.3, math.sqrt(0.6), 0.9])
@pytest.mark.parametrize("max_z", [-3.0, -0.5, 0.0, 1.0, 1.96, 3.0, 5.0])
def test_one_comparison_is_the_unadjusted_p(loading, max_z):
    assert_allclose(dunnett_adjusted_p(max_z, [loading]), norm.sf(max_z), rtol=1e-11, atol=1e-15)


@pytest.mark.parametrize("k", [2, 3, 5])
@pytest.mark.parametrize("c", [-1.0, 0.5, 2.0, 3.5])
def test_zero_loadings_are_independent_comparisons(k, c):
    assert_allclose(dunnett_cdf(c, np.zeros(k)), norm.cdf(c) ** k, rtol=1e-13)


@pytest.mark.parametrize("c", [-2.0, 0.0, 2.3, 4.0])
def test_cdf_and_p_value_add_to_one(c):
    loadings = [0.4, 0.7, 0.85]
    assert_allclose(dunnett_cdf(c, loadings) + dunnett_adjusted_p(c, loadings), 1.0, rtol=1e-14)


def test_infinite_thresholds():
    assert dunnett_adjusted_p(math.inf, [0.5, 0.5]) == 0.0
    assert_allclose(dunnett_adjusted_p(-math.inf, [0.5, 0.5]), 1.0, rtol=1e-14)


LOADING_SETS = {
    "successor_rho_0.6": _equal_loadings(3, 0.6),
    "unequal": np.array([0.3, 0.6, 0.8]),
    "event_based": correlation_loadings([1.3, 1.7, 2.4]),
    "single": np.array([0.7]),
    "five_arms": np.array([0.2, 0.5, 0.5, 0.7, 0.9]),
}


@pytest.mark.parametrize("name", LOADING_SETS)
def test_compiled_kernel_matches_numpy_path(name):
    loadings = LOADING_SETS[name]
    for max_z in [-4.0, -1.0, 0.0, 0.7, 1.5, 2.33, 3.0, 6.0]:
        kernel_p = _dunnett_p(max_z, loadings, GAUSS_HERMITE_NODES, GAUSS_HERMITE_WEIGHTS)
        assert_allclose(kernel_p, dunnett_adjusted_p(max_z, loadings), rtol=1e-12, atol=1e-16)


def _members(loadings, dose_set):
    return loadings[[i for i in range(loadings.size) if dose_set >> i & 1]]


@pytest.mark.parametrize("name", LOADING_SETS)
def test_tables_match_the_quadrature_of_every_dose_set(name):
    loadings = LOADING_SETS[name]
    rule = dunnett_rule(loadings)
    assert (rule.table_of[1:] >= 0).all()  # loadings up to 0.9 are all tabulated
    thresholds = np.random.default_rng(3).uniform(TABLE_LOW, TABLE_HIGH, 400)
    for dose_set in range(1, 2 ** loadings.size):
        quadrature = [_dunnett_p(c, _members(loadings, dose_set), GAUSS_HERMITE_NODES, GAUSS_HERMITE_WEIGHTS)
                      for c in thresholds]
        tabulated = [dunnett_set_p(c, loadings, dose_set, rule, np.zeros(loadings.size)) for c in thresholds]
        assert_allclose(tabulated, quadrature, rtol=5e-14, atol=0)


def test_equal_loadings_share_one_table_per_set_size():
    rule = dunnett_rule(_equal_loadings(4, 0.6))
    assert rule.coefficients.shape[0] == 4
    assert [rule.table_of[dose_set] for dose_set in (0b0001, 0b0100, 0b0110, 0b1011, 0b1111)] == [0, 0, 1, 2, 3]


def test_loadings_near_one_are_not_tabulated():
    # The interpolant would need intervals narrower than 1/8 where the integrand becomes a step.
    assert (dunnett_rule(np.array([0.999, 0.999])).table_of[1:] == -1).all()


def test_rows_of_different_widths_read_their_own_last_interval():
    # 0.99 needs intervals of 1/8, 0.5 alone intervals of 1; just below TABLE_HIGH, (c - TABLE_LOW) / 1
    # rounds up to the end of the width-1 row, whose padding past its last interval is zeros.
    loadings = np.array([0.99, 0.5])
    rule = dunnett_rule(loadings)
    assert sorted(rule.width) == [0.125, 0.125, 1.0]
    for c in (np.nextafter(TABLE_HIGH, 0.0), TABLE_HIGH - 0.3):
        for dose_set in (1, 2, 3):
            quadrature = _dunnett_p(c, _members(loadings, dose_set), GAUSS_HERMITE_NODES, GAUSS_HERMITE_WEIGHTS)
            assert_allclose(dunnett_set_p(c, loadings, dose_set, rule, np.zeros(2)), quadrature, rtol=5e-14)


@pytest.mark.parametrize("c", [TABLE_LOW - 1e-9, TABLE_HIGH, 9.5, -6.0, np.inf, -np.inf])
def test_outside_the_table_and_for_other_loadings_the_quadrature_is_used(c):
    loadings = _equal_loadings(3, 0.6)
    rule = dunnett_rule(loadings)
    quadrature = _dunnett_p(c, loadings, GAUSS_HERMITE_NODES, GAUSS_HERMITE_WEIGHTS)
    assert dunnett_set_p(c, loadings, 0b111, rule, np.zeros(3)) == quadrature
    other = correlation_loadings([1.3, 1.7, 2.4])  # event-based loadings of one trial
    assert dunnett_set_p(1.2, other, 0b101, rule, np.zeros(3)) == _dunnett_p(
        1.2, other[[0, 2]], GAUSS_HERMITE_NODES, GAUSS_HERMITE_WEIGHTS)


@pytest.mark.parametrize("name", LOADING_SETS)
@pytest.mark.parametrize("alpha", [0.001, 0.025, 0.05, 0.2])
def test_critical_value_solves_its_equation_between_unadjusted_and_bonferroni(name, alpha):
    loadings = LOADING_SETS[name]
    critical_value = dunnett_critical_value(alpha, loadings)
    assert_allclose(dunnett_adjusted_p(critical_value, loadings), alpha, rtol=1e-10)
    assert norm.isf(alpha) - 1e-9 <= critical_value <= norm.isf(alpha / loadings.size) + 1e-9


def test_more_comparisons_need_a_larger_critical_value():
    values = [dunnett_critical_value(0.025, _equal_loadings(k, 0.6)) for k in range(1, 6)]
    assert_allclose(values[0], norm.isf(0.025), rtol=1e-12)
    assert np.all(np.diff(values) > 0)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: dunnett_adjusted_p(2.0, [0.5, 1.0]), "loadings must be"),
        (lambda: dunnett_adjusted_p(2.0, [-0.1]), "loadings must be"),
        (lambda: dunnett_adjusted_p(2.0, []), "loadings must be"),
        (lambda: dunnett_cdf(2.0, [[0.5, 0.5]]), "loadings must be"),
        (lambda: dunnett_adjusted_p(math.nan, [0.5]), "max_z must be"),
        (lambda: dunnett_cdf(math.nan, [0.5]), "c must be"),
        (lambda: dunnett_critical_value(0.0, [0.5]), r"alpha must be in \(0, 0.5\)"),
        (lambda: dunnett_critical_value(0.5, [0.5]), r"alpha must be in \(0, 0.5\)"),
        (lambda: correlation_loadings([1.5, 0.0]), "allocation_ratios must be"),
    ],
)
def test_invalid_input_raises_one_line_error_naming_the_argument(call, message):
    with pytest.raises(ValueError, match=message) as error:
        call()
    assert "\n" not in str(error.value)


def _covariance(loadings):
    """corr(z_i, z_j) = lambda_i lambda_j off the diagonal, 1 on it."""
    loadings = np.asarray(loadings)
    covariance = np.outer(loadings, loadings)
    np.fill_diagonal(covariance, 1.0)
    return covariance


@pytest.mark.slow
@pytest.mark.parametrize("loadings", [[0.5, 0.5], [0.3, 0.8], [0.77, 0.77, 0.77], [0.2, 0.6, 0.9]])
@pytest.mark.parametrize("c", [-0.5, 1.0, 2.0, 2.8])
def test_slow_twin_scipy_multivariate_normal(loadings, c):
    from scipy.stats import multivariate_normal

    # k = 2 uses an exact bivariate routine; k = 3 is Genz randomized quasi-Monte Carlo, accurate only to its
    # abseps (1e-5 by default, 1e-7 requested here; observed <= 6e-8), hence atol 2e-6.
    expected = multivariate_normal.cdf(
        np.full(len(loadings), c), mean=np.zeros(len(loadings)), cov=_covariance(loadings),
        maxpts=1_000_000, abseps=1e-7, releps=1e-7, rng=np.random.default_rng(1),
    )
    assert_allclose(dunnett_cdf(c, loadings), expected, atol=2e-6)


@pytest.mark.slow
@pytest.mark.parametrize("loadings", [[0.5, 0.5, 0.5], [0.3, 0.8], [0.1, 0.5, 0.75, 0.9], [0.9, 0.9, 0.9]])
@pytest.mark.parametrize("max_z", [-1.0, 0.5, 1.5, 2.5, 4.0])
def test_slow_twin_adaptive_quadrature(loadings, max_z):
    from scipy.integrate import quad
    from scipy.special import log_ndtr

    loadings = np.asarray(loadings)
    scale = np.sqrt(1.0 - loadings**2)

    def integrand(u):  # phi(u) * (1 - prod Phi((c - lambda_i u) / sqrt(1 - lambda_i^2)))
        return norm.pdf(u) * -np.expm1(log_ndtr((max_z - loadings * u) / scale).sum())

    expected, _ = quad(integrand, -np.inf, np.inf, epsabs=1e-13, epsrel=1e-12, limit=500)
    assert_allclose(dunnett_adjusted_p(max_z, loadings), expected, rtol=1e-9, atol=1e-12)


def _r_reference(section):
    if not REFERENCE_FILE.exists():  # a missing reference is a defect: fail, never skip
        raise FileNotFoundError(f"{REFERENCE_FILE} is missing; it is written by `Rscript tests/reference/dunnett.R` "
                                "(run from the repository root)")
    cases = json.loads(REFERENCE_FILE.read_text())[section]
    return [pytest.param(case, id=f"{section}-{i}") for i, case in enumerate(cases)]


@pytest.mark.parametrize("case", _r_reference("pvalues"))
def test_adjusted_p_matches_mvtnorm(case):
    # Producing R call (mvtnorm::pmvnorm, algorithm = Miwa) is stored beside the value: case["call"].
    got = dunnett_adjusted_p(case["max_z"], case["loadings"])
    assert abs(got - case["p"]) <= 1e-7, case["call"]
    loadings = np.asarray(case["loadings"], float)
    kernel_p = _dunnett_p(float(case["max_z"]), loadings, GAUSS_HERMITE_NODES, GAUSS_HERMITE_WEIGHTS)
    assert abs(kernel_p - case["p"]) <= 1e-7, case["call"]
    every_dose = 2 ** loadings.size - 1
    tabulated_p = dunnett_set_p(float(case["max_z"]), loadings, every_dose, dunnett_rule(loadings),
                                np.zeros(loadings.size))
    assert abs(tabulated_p - case["p"]) <= 1e-7, case["call"]


@pytest.mark.parametrize("case", _r_reference("critical_values"))
def test_critical_value_matches_mvtnorm(case):
    # Producing R call (mvtnorm::qmvnorm) is stored beside the value: case["call"].
    got = dunnett_critical_value(case["alpha"], case["loadings"])
    assert abs(got - case["critical_value"]) <= 1e-7, case["call"]
