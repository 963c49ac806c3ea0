"""Tests for seamless.stats.boundaries: rpact reference values, invariants, a Monte Carlo check, error messages."""

import json
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.stats import multivariate_normal, norm

from seamless.stats.boundaries import CrossingProbabilities, _check_spending, crossing_probabilities, efficacy_bounds
from seamless.stats.spending import Spending

REFERENCE = Path(__file__).parent / "reference" / "boundaries.json"

# --- published rpact values

# DESIGN.md section 5, rpact 3.3.4 (6 decimals, so compared within 1e-6):
#   getDesignGroupSequential(typeOfDesign = "asOF", informationRates = c(0.75, 1))
#   getDesignGroupSequential(typeOfDesign = "asOF", informationRates = c(0.3, 0.75, 1))
#   no efficacy at 0.3: getDesignGroupSequential(typeOfDesign = "asUser", informationRates = c(0.3, 0.75, 1),
#                            userAlphaSpending = c(0, 0.00964932495351212, 0.025))
DESIGN_CASES = [
    ([0.75, 1.0], (1, 2), [2.339711, 2.011777], [0.0096493, 0.025]),
    ([0.3, 0.75, 1.0], (1, 2, 3), [3.928573, 2.340302, 2.011866], None),
    ([0.3, 0.75, 1.0], (2, 3), [np.inf, 2.339711, 2.011777], None),
]


@pytest.mark.parametrize(("rates", "looks", "expected", "spent"), DESIGN_CASES)
def test_design_document_rpact_values(rates, looks, expected, spent):
    design = efficacy_bounds(rates, alpha=0.025, spending="obf", efficacy_looks=looks)
    assert_allclose(design.efficacy_bounds, expected, rtol=0, atol=1e-6)
    if spent is not None:
        assert_allclose(design.cumulative_alpha, spent, rtol=0, atol=1e-7)


# rpact's own unit tests (tests/testthat/test-f_design_group_sequential.R and test-f_design_inverse_normal.R),
# values to 8 significant digits; futility there is non-binding, so the efficacy bounds ignore it.
RPACT_UNIT_TEST_CASES = [
    pytest.param(
        # getDesignGroupSequential(kMax = 3, alpha = 0.13, typeOfDesign = "asP", typeBetaSpending = "bsUser",
        #   informationRates = c(0.35, 0.7, 1), bindingFutility = FALSE, userBetaSpending = c(0.01, 0.05, 0.3))
        [0.35, 0.7, 1.0], 0.13, "pocock", [1.5446617, 1.4828682, 1.4620058], [0.061214062, 0.10266465, 0.13],
        id="asP-alpha0.13",
    ),
    pytest.param(
        # getDesignGroupSequential(kMax = 4, alpha = 0.13, beta = 0.41, typeOfDesign = "asOF",
        #   typeBetaSpending = "bsKD", informationRates = c(0.4, 0.75, 0.85, 1), gammaB = 2.5, bindingFutility = FALSE)
        [0.4, 0.75, 0.85, 1.0], 0.13, "obf", [2.1280732, 1.4368565, 1.422873, 1.2970881],
        [0.016665509, 0.080406163, 0.10053322, 0.13],
        id="asOF-4looks",
    ),
    pytest.param(
        # getDesignInverseNormal(kMax = 3, informationRates = c(0.2, 0.4, 1), alpha = 0.03, sided = 1,
        #   beta = 0.14, typeOfDesign = "asHSD", gammaA = 0)
        [0.2, 0.4, 1.0], 0.03, "hsd:0", [2.5121443, 2.4228747, 2.0280392], [0.006, 0.012, 0.03], id="asHSD0",
    ),
    pytest.param(
        # getDesignInverseNormal(kMax = 3, informationRates = c(0.2, 0.4, 1), alpha = 0.07, sided = 1,
        #   beta = 0.14, typeOfDesign = "asHSD", gammaA = -1, typeBetaSpending = "bsHSD", gammaB = -2)
        [0.2, 0.4, 1.0], 0.07, "hsd:-1", [2.364813, 2.1928805, 1.5660474], [0.0090195874, 0.020036136, 0.07],
        id="asHSD-1",
    ),
    pytest.param(
        # getDesignInverseNormal(kMax = 4, alpha = 0.07, sided = 1, beta = 0.14, typeOfDesign = "asHSD",
        #   gammaA = -1, typeBetaSpending = "bsHSD", gammaB = -2)
        [0.25, 0.5, 0.75, 1.0], 0.07, "hsd:-1", [2.2710911, 2.0692301, 1.8645608, 1.6606881],
        [0.011570732, 0.026427847, 0.045504759, 0.07],
        id="asHSD-1-4looks",
    ),
    pytest.param(
        # getDesignInverseNormal(kMax = 3, informationRates = c(0.3, 0.7, 1), alpha = 0.03, sided = 1,
        #   beta = 0.34, typeOfDesign = "asKD", gammaA = 2.2, typeBetaSpending = "bsKD", gammaB = 3.2)
        [0.3, 0.7, 1.0], 0.03, "kd:2.2", [2.8594012, 2.2435708, 1.9735737], [0.0021222083, 0.013687904, 0.03],
        id="asKD2.2",
    ),
]


@pytest.mark.parametrize(("rates", "alpha", "spending", "expected", "spent"), RPACT_UNIT_TEST_CASES)
def test_rpact_unit_test_values(rates, alpha, spending, expected, spent):
    design = efficacy_bounds(rates, alpha=alpha, spending=spending)
    assert_allclose(design.efficacy_bounds, expected, rtol=0, atol=1e-6)
    assert_allclose(design.cumulative_alpha, spent, rtol=0, atol=1e-8)


@pytest.mark.parametrize(
    ("rates", "bounds", "futility", "shift", "efficacy", "futility_probabilities"),
    [
        pytest.param(
            # getDesignCharacteristics(getDesignInverseNormal(kMax = 3, informationRates = c(0.2, 0.4, 1),
            #   alpha = 0.03, sided = 1, beta = 0.14, typeOfDesign = "asHSD", gammaA = 0))
            #   $shift, $rejectionProbabilities
            [0.2, 0.4, 1.0], [2.5121443, 2.4228747, 2.0280392], None, 9.4594101,
            [0.12783451, 0.21271713, 0.51944835], [0.0, 0.0],
            id="asHSD0",
        ),
        pytest.param(
            # getDesignCharacteristics(getDesignInverseNormal(kMax = 3, informationRates = c(0.2, 0.4, 1),
            #   alpha = 0.07, sided = 1, beta = 0.14, typeOfDesign = "asHSD", gammaA = -1,
            #   typeBetaSpending = "bsHSD", gammaB = -2)): $futilityBounds, $rejectionProbabilities, ...
            [0.2, 0.4, 1.0], [2.364813, 2.1928805, 1.5660474], [-1.1063623, -0.35992439, -np.inf], 7.1015942,
            [0.12038953, 0.20856311, 0.53104735], [0.010777094, 0.016077535],
            id="asHSD-1-bsHSD-2",
        ),
        pytest.param(
            # getDesignCharacteristics(getDesignInverseNormal(kMax = 3, informationRates = c(0.3, 0.7, 1),
            #   alpha = 0.03, sided = 1, beta = 0.34, typeOfDesign = "asKD", gammaA = 2.2,
            #   typeBetaSpending = "bsKD", gammaB = 3.2))
            [0.3, 0.7, 1.0], [2.8594012, 2.2435708, 1.9735737], [-1.1558435, 0.72836893, -np.inf], 5.551371,
            [0.058336437, 0.33990957, 0.261754], [0.0072155083, 0.1013752],
            id="asKD2.2-bsKD3.2",
        ),
    ],
)
def test_rpact_design_characteristics(rates, bounds, futility, shift, efficacy, futility_probabilities):
    """rpact's shift is the squared drift at full information: E[Z_k] = sqrt(shift * t_k)."""
    crossing = crossing_probabilities(rates, bounds, futility, drift=np.sqrt(shift))
    assert_allclose(crossing.efficacy, efficacy, rtol=0, atol=1e-6)
    assert_allclose(crossing.futility[:-1], futility_probabilities, rtol=0, atol=1e-6)


# --- reference file written from R by the R-reference work (tests/reference/boundaries.json)


def _reference_cases(section):
    if not REFERENCE.exists():  # a missing reference is a defect: fail, never skip
        raise FileNotFoundError(f"{REFERENCE} is missing; it is written by `Rscript tests/reference/boundaries.R` "
                                "(run from the repository root)")
    params = []
    for index, case in enumerate(json.loads(REFERENCE.read_text())[section]):
        params.append(pytest.param(case, id=f"{section}-{index}"))
    return params


def _floats(values, missing):
    return np.array([missing if value is None else value for value in values], dtype=float)


@pytest.mark.parametrize("case", _reference_cases("cases"))
def test_reference_file_bounds(case):
    design = efficacy_bounds(
        case["information_rates"], case["alpha"], case["spending"], efficacy_looks=case["efficacy_looks"]
    )
    assert_allclose(design.efficacy_bounds, _floats(case["efficacy_bounds"], np.inf), rtol=0, atol=1e-6,
                    err_msg=case["call"])
    assert_allclose(design.cumulative_alpha, _floats(case["cumulative_alpha"], np.nan), rtol=0, atol=1e-8,
                    err_msg=case["call"])


@pytest.mark.parametrize("case", _reference_cases("crossing"))
def test_reference_file_crossing(case):
    crossing = crossing_probabilities(
        case["information_rates"],
        _floats(case["efficacy_bounds"], np.inf),
        _floats(case["futility_bounds"], -np.inf),
        drift=case["drift"],
    )
    efficacy, futility = np.array(case["efficacy"], float), np.array(case["futility"], float)
    assert_allclose(crossing.efficacy[: efficacy.size], efficacy, rtol=0, atol=1e-6, err_msg=case["call"])
    assert_allclose(crossing.futility[: futility.size], futility, rtol=0, atol=1e-6, err_msg=case["call"])


# --- invariants

EQUAL_LOOKS = [np.arange(1, k + 1) / k for k in (2, 3, 4, 5, 8)]
UNEQUAL_LOOKS = [[0.3, 0.75, 1.0], [0.1, 0.15, 0.6, 1.0], [0.5, 0.55, 0.9, 1.0]]
SPENDINGS = ["obf", "pocock", "hsd:-4", "hsd:0", "hsd:1", "kd:1", "kd:3"]


@pytest.mark.parametrize("rates", EQUAL_LOOKS + UNEQUAL_LOOKS)
def test_obrien_fleming_bounds_strictly_decrease(rates):
    assert np.all(np.diff(efficacy_bounds(rates).efficacy_bounds) < 0)


@pytest.mark.parametrize("rates", EQUAL_LOOKS + UNEQUAL_LOOKS)
@pytest.mark.parametrize("spending", SPENDINGS)
def test_cumulative_alpha_increases_to_alpha(rates, spending):
    design = efficacy_bounds(rates, alpha=0.025, spending=spending)
    assert design.cumulative_alpha[-1] == 0.025
    assert np.all(np.diff(design.cumulative_alpha) > 0)
    assert_allclose(design.nominal_p, norm.sf(design.efficacy_bounds), rtol=1e-14)


@pytest.mark.parametrize("rates", EQUAL_LOOKS[:3])
@pytest.mark.parametrize("alpha", [0.025, 0.05])
def test_pocock_bounds_are_nearly_flat(rates, alpha):
    """Lan-DeMets Pocock only approximates constant bounds: the spread grows with the number of looks
    (about 0.2 at 8 looks, alpha = 0.05), so this holds for 2 to 4 looks."""
    bounds = efficacy_bounds(rates, alpha=alpha, spending="pocock").efficacy_bounds
    assert np.ptp(bounds) < 0.1


@pytest.mark.parametrize("rates", EQUAL_LOOKS + UNEQUAL_LOOKS)
@pytest.mark.parametrize("spending", SPENDINGS)
def test_crossing_under_null_spends_exactly_the_alpha(rates, spending):
    design = efficacy_bounds(rates, alpha=0.025, spending=spending)
    crossing = crossing_probabilities(rates, design.efficacy_bounds)
    assert crossing.power == pytest.approx(0.025, abs=1e-8)
    assert_allclose(np.cumsum(crossing.efficacy), design.cumulative_alpha, rtol=0, atol=1e-8)
    assert np.all(crossing.futility == 0)


@pytest.mark.parametrize("rates", [[0.5, 1.0], [0.3, 0.75, 1.0], [0.2, 0.4, 0.6, 0.8, 1.0]])
@pytest.mark.parametrize("futility", [None, "zero"])
def test_power_increases_with_drift(rates, futility):
    design = efficacy_bounds(rates)
    futility_bounds = None if futility is None else np.r_[np.zeros(len(rates) - 1), -np.inf]
    powers = [crossing_probabilities(rates, design.efficacy_bounds, futility_bounds, drift).power
              for drift in (-1.0, 0.0, 0.5, 1.0, 2.0, 3.0, 4.0)]
    assert np.all(np.diff(powers) > 0)


@pytest.mark.parametrize("spending", SPENDINGS)
@pytest.mark.parametrize("alpha", [0.001, 0.025, 0.1, 0.3])
@pytest.mark.parametrize("rate", [1.0, 0.6])
def test_single_look_is_the_fixed_design(spending, alpha, rate):
    design = efficacy_bounds([rate], alpha=alpha, spending=spending)
    assert design.efficacy_bounds[0] == pytest.approx(norm.ppf(1 - alpha), abs=1e-9)
    assert design.cumulative_alpha[0] == alpha


def test_final_rate_below_one_still_spends_all_alpha():
    design = efficacy_bounds([0.4, 0.7], spending="pocock")
    assert design.cumulative_alpha[0] == pytest.approx(0.025 * np.log(1 + (np.e - 1) * 0.4), rel=1e-14)
    assert design.cumulative_alpha[-1] == 0.025
    assert crossing_probabilities([0.4, 0.7], design.efficacy_bounds).power == pytest.approx(0.025, abs=1e-8)


@pytest.mark.parametrize("spending", ["obf", "pocock", "hsd:-2"])
def test_look_without_efficacy_changes_nothing_else(spending):
    """Futility is ignored, so a look without efficacy is as if absent; its share moves to the next look."""
    with_look = efficacy_bounds([0.25, 0.5, 0.75, 1.0], spending=spending, efficacy_looks=[4, 1, 3])
    without_look = efficacy_bounds([0.25, 0.75, 1.0], spending=spending)
    assert with_look.efficacy_looks == (1, 3, 4)
    assert with_look.efficacy_bounds[1] == np.inf
    assert np.isnan(with_look.nominal_p[1]) and np.isnan(with_look.cumulative_alpha[1])
    keep = [0, 2, 3]
    assert_allclose(with_look.efficacy_bounds[keep], without_look.efficacy_bounds, rtol=0, atol=1e-8)
    assert_allclose(with_look.cumulative_alpha[keep], without_look.cumulative_alpha, rtol=0, atol=1e-15)


def test_result_is_read_only_and_records_the_design():
    design = efficacy_bounds([0.5, 1.0], alpha=0.05, spending=Spending.parse("kd:2"))
    assert design.alpha == 0.05 and str(design.spending) == "kd:2" and design.efficacy_looks == (1, 2)
    with pytest.raises(ValueError):
        design.efficacy_bounds[0] = 0.0


def test_two_looks_agree_with_scipy_bivariate_normal():
    """Slow twin: P(Z1 < b1, Z2 >= b2) = Phi(b1 - m1) - P(Z1 < b1, Z2 < b2), corr sqrt(t1/t2)."""
    rates, bounds, drift = np.array([0.4, 1.0]), np.array([2.6, 1.9]), 1.7
    means = drift * np.sqrt(rates)
    correlation = np.sqrt(rates[0] / rates[1])
    joint = multivariate_normal(means, [[1, correlation], [correlation, 1]]).cdf(bounds)
    crossing = crossing_probabilities(rates, bounds, drift=drift)
    assert_allclose(crossing.efficacy, [norm.sf(bounds[0] - means[0]), norm.cdf(bounds[0] - means[0]) - joint],
                    rtol=0, atol=1e-6)


def test_final_futility_equal_to_efficacy_exhausts_probability():
    rates = [0.3, 0.6, 1.0]
    efficacy = [3.2, 2.4, 2.0]
    crossing = crossing_probabilities(rates, efficacy, [-0.5, 0.3, 2.0], drift=2.2)
    assert crossing.efficacy.sum() + crossing.futility.sum() == pytest.approx(1.0, abs=1e-8)
    # Overlapping bounds at an interim: efficacy takes precedence, nothing continues.
    overlap = crossing_probabilities(rates, [1.0, 2.4, 2.0], [1.5, 0.3, -np.inf], drift=0.0)
    assert overlap.efficacy[0] == pytest.approx(norm.sf(1.0), abs=1e-12)
    assert overlap.futility[0] == pytest.approx(norm.cdf(1.0), abs=1e-12)
    assert np.all(overlap.efficacy[1:] == 0) and np.all(overlap.futility[1:] == 0)


# --- Monte Carlo check with multivariate normal draws


@pytest.mark.parametrize(
    ("rates", "efficacy", "futility", "drift"),
    [
        ([0.3, 0.75, 1.0], [3.928573, 2.340302, 2.011866], None, 0.0),
        ([0.3, 0.75, 1.0], [3.928573, 2.340302, 2.011866], [-0.2, 0.8, -np.inf], 2.5),
        ([0.25, 0.5, 0.75, 1.0], [np.inf, 2.5, 2.2, 2.0], [0.0, -np.inf, 1.0, 2.0], 1.5),
        ([0.2, 0.45, 0.5, 0.9], [2.8, 2.6, np.inf, 1.96], [-1.0, -0.5, 0.2, -np.inf], 3.0),
    ],
)
def test_crossing_probabilities_match_monte_carlo(rates, efficacy, futility, drift):
    draws = 200_000
    rates = np.asarray(rates)
    upper = np.asarray(efficacy, dtype=float)
    lower = np.full(rates.size, -np.inf) if futility is None else np.asarray(futility, dtype=float)
    covariance = np.sqrt(np.minimum.outer(rates, rates) / np.maximum.outer(rates, rates))
    z = np.random.default_rng(20240611).multivariate_normal(drift * np.sqrt(rates), covariance, size=draws)
    stops = (z >= upper) | (z < lower)
    stopped = stops.any(axis=1)
    first = np.argmax(stops, axis=1)
    by_efficacy = stopped & (z[np.arange(draws), first] >= upper[first])
    simulated = CrossingProbabilities(
        efficacy=np.bincount(first[by_efficacy], minlength=rates.size) / draws,
        futility=np.bincount(first[stopped & ~by_efficacy], minlength=rates.size) / draws,
    )
    exact = crossing_probabilities(rates, efficacy, futility, drift)
    for name in ("efficacy", "futility"):
        p = getattr(exact, name)
        standard_error = np.sqrt(p * (1 - p) / draws) + 1 / draws
        assert np.all(np.abs(getattr(simulated, name) - p) <= 4 * standard_error), name


# --- limits of the recursion: designs beyond them are refused, bounds within them spend the alpha


def _genz_spent(rates, bounds, points_per_look):
    """Alpha the bounds spend by each look, independently of the recursion: the sum of the first-crossing
    probabilities P(Z_i < b_i for i < j, Z_j >= b_j), corr(Z_i, Z_j) = sqrt(t_i/t_j), by scipy's multivariate
    normal CDF (Genz) with a fixed seed; ``points_per_look`` times the dimension lattice points each."""
    rates, bounds = np.asarray(rates, dtype=float), np.asarray(bounds, dtype=float)
    crossing = np.zeros(rates.size)
    for j in range(rates.size):
        t = rates[: j + 1]
        correlation = np.sqrt(np.minimum.outer(t, t) / np.maximum.outer(t, t))
        normal = multivariate_normal(np.zeros(j + 1), correlation, seed=20240611, maxpts=points_per_look * (j + 1),
                                     abseps=1e-9, releps=0)
        crossing[j] = normal.cdf(np.r_[bounds[:j], np.inf], lower_limit=np.r_[np.full(j, -np.inf), bounds[j]])
    return np.cumsum(crossing)


CLOSE_MESSAGE = (r"^information_rates: consecutive rates must differ by at least 1% of the later one "
                 r"\(the recursive integration is not accurate below that\), got ")
LOOKS_LIMIT_MESSAGE = r"^information_rates: at most 20 looks \(the recursive integration is verified up to that\), got "


@pytest.mark.parametrize(
    ("rates", "message"),
    [
        # the audit's cases: the recursion gave a final bound of 2.399 (alpha 0.0083 spent), 5.296, and -10
        pytest.param([0.3, 0.300001, 1.0], CLOSE_MESSAGE + r"0\.3 and 0\.300001$", id="audit-1e-6-apart"),
        pytest.param([0.3, 0.3000000000000001, 1.0], CLOSE_MESSAGE + r"0\.3 and 0\.3000000000000001$",
                     id="audit-1-ulp-apart"),
        pytest.param(np.arange(1, 1001) / 1000, LOOKS_LIMIT_MESSAGE + "1000$", id="audit-1000-looks"),
        pytest.param([0.2971, 0.3, 1.0], CLOSE_MESSAGE + r"0\.2971 and 0\.3$", id="0.97%-apart"),
        pytest.param([0.1, 0.5, 0.991, 1.0], CLOSE_MESSAGE + r"0\.991 and 1\.0$", id="last-0.9%-apart"),
        pytest.param(np.arange(1, 22) / 21, LOOKS_LIMIT_MESSAGE + "21$", id="21-looks"),
    ],
)
def test_rates_beyond_the_accurate_recursion_are_refused(rates, message):
    with pytest.raises(ValueError, match=message) as error:
        efficacy_bounds(rates)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("rates", "spending", "alpha", "points_per_look"),
    [
        pytest.param([0.297, 0.3, 1.0], "obf", 0.025, 100_000, id="smallest-increment-obf"),
        pytest.param([0.297, 0.3, 1.0], "pocock", 0.1, 100_000, id="smallest-increment-pocock"),
        pytest.param([0.0495, 0.05, 1.0], "hsd:-4", 0.1, 100_000, id="smallest-increment-early"),
        pytest.param([0.9801, 0.99, 1.0], "obf", 0.1, 100_000, id="smallest-increments-late"),
        pytest.param(np.arange(1, 21) / 20, "pocock", 0.025, 10_000, id="20-equal-looks"),
        pytest.param(0.99 ** np.arange(19, -1, -1), "obf", 0.025, 10_000, id="20-looks-smallest-increments"),
    ],
)
def test_bounds_at_the_limits_spend_the_alpha(rates, spending, alpha, points_per_look):
    """Within 1e-6 by the independent computation: the recursion is off by < 1e-7 at the limits, scipy's lattice
    rule by a few 1e-7 at these point counts (it struggles with correlations near 1)."""
    design = efficacy_bounds(rates, alpha=alpha, spending=spending)
    spent = _genz_spent(rates, design.efficacy_bounds, points_per_look)
    assert_allclose(spent, design.cumulative_alpha, rtol=0, atol=1e-6)


def test_check_fires_on_the_bounds_the_recursion_gave_for_close_rates():
    rates = np.array([0.3, 0.300001, 1.0])
    spent = np.r_[Spending.parse("obf").cumulative(rates[:2], 0.025), 0.025]
    old_bounds = np.array([3.928572542625872, 3.933796150245925, 2.3986734206003035])  # now refused
    message = (r"^information_rates: the efficacy bounds could not be computed accurately for these information "
               r"rates \(0\.3, 0\.300001, 1\.0\): they spend 0\.0\d+ of alpha by look 3, not 0\.025$")
    with pytest.raises(ValueError, match=message) as error:
        _check_spending(rates, old_bounds, spent)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("rates", "look"),
    [([0.3, 0.75, 1.0], 1), ([0.3, 0.75, 1.0], 2), ([0.3, 0.75, 1.0], 3),
     (np.arange(1, 21) / 20, 1), (np.arange(1, 21) / 20, 20)],
)
def test_check_passes_the_computed_bounds_and_fires_on_a_wrong_one(rates, look):
    design = efficacy_bounds(rates, spending="pocock")
    rates, bounds, spent = design.information_rates, design.efficacy_bounds, design.cumulative_alpha
    _check_spending(rates, bounds, spent)
    wrong = bounds.copy()
    wrong[look - 1] -= 0.02  # Pocock bounds are near 2.5: the look spends about 3e-4 more than planned
    with pytest.raises(ValueError, match=rf"by look {look}, not "):
        _check_spending(rates, wrong, spent)


def test_check_ignores_looks_without_efficacy():
    design = efficacy_bounds([0.25, 0.5, 0.75, 1.0], spending="pocock", efficacy_looks=[2, 4])
    _check_spending(design.information_rates, design.efficacy_bounds, design.cumulative_alpha)
    wrong = design.efficacy_bounds.copy()
    wrong[1] += 0.05
    with pytest.raises(ValueError, match=r"by look 2, not "):
        _check_spending(design.information_rates, wrong, design.cumulative_alpha)


# --- errors: one line naming the argument and what is allowed

RATES_MESSAGE = r"^information rates must be strictly increasing in \(0, 1\], got "
LOOKS_MESSAGE = r"^efficacy looks must be distinct look numbers in 1\.\.3 including the last look 3, got "


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (dict(information_rates=[0.5, 0.3]), RATES_MESSAGE + "0.5, 0.3$"),
        (dict(information_rates=[0.5, 0.5, 1.0]), RATES_MESSAGE),
        (dict(information_rates=[0.0, 1.0]), RATES_MESSAGE),
        (dict(information_rates=[0.5, 1.2]), RATES_MESSAGE),
        (dict(information_rates=[]), RATES_MESSAGE + "nothing$"),
        (dict(information_rates=[np.nan, 1.0]), RATES_MESSAGE),
        (dict(information_rates=["a", 1.0]), RATES_MESSAGE),
        (dict(information_rates=[0.5, 1.0], alpha=0.5), r"^alpha must be in \(0, 0\.5\), got 0\.5$"),
        (dict(information_rates=[0.5, 1.0], alpha=0.0), r"^alpha must be in \(0, 0\.5\)"),
        (dict(information_rates=[0.5, 1.0], alpha=np.nan), r"^alpha must be in \(0, 0\.5\)"),
        (dict(information_rates=[0.3, 0.6, 1.0], efficacy_looks=[1, 2]), LOOKS_MESSAGE + "1, 2$"),
        (dict(information_rates=[0.3, 0.6, 1.0], efficacy_looks=[2, 2, 3]), LOOKS_MESSAGE),
        (dict(information_rates=[0.3, 0.6, 1.0], efficacy_looks=[0, 3]), LOOKS_MESSAGE),
        (dict(information_rates=[0.3, 0.6, 1.0], efficacy_looks=[3, 4]), LOOKS_MESSAGE),
        (dict(information_rates=[0.3, 0.6, 1.0], efficacy_looks=[1.5, 3]), LOOKS_MESSAGE),
        (dict(information_rates=[0.3, 0.6, 1.0], efficacy_looks=[]), LOOKS_MESSAGE + "nothing$"),
        (dict(information_rates=[0.5, 1.0], spending="obrien"), r"^spending must be one of obf, pocock"),
    ],
)
def test_efficacy_bounds_errors(arguments, message):
    with pytest.raises(ValueError, match=message) as error:
        efficacy_bounds(**arguments)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (([0.5, 0.3], [2.0, 2.0]), RATES_MESSAGE),
        (([0.5, 1.0], [2.0]), r"^efficacy bounds must be 2 numbers, one per look \(not nan\), got 2\.0$"),
        (([0.5, 1.0], [2.0, np.nan]), r"^efficacy bounds must be 2 numbers"),
        (([0.5, 1.0], [2.0, 2.0], [0.0, 0.0, 0.0]), r"^futility bounds must be 2 numbers"),
        (([0.5, 1.0], [2.0, 2.0], None, np.inf), r"^drift must be a finite number, got inf$"),
        (([0.5, 1.0], [2.0, 2.0], None, "1"), r"^drift must be a finite number"),
    ],
)
def test_crossing_probabilities_errors(arguments, message):
    with pytest.raises(ValueError, match=message) as error:
        crossing_probabilities(*arguments)
    assert "\n" not in str(error.value)
