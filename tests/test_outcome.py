"""Piecewise-constant hazards (EXTENSIONS.md section 1): the compiled inversion against the exact
survival function and against its plain twin, and the [outcome] table's checks."""

import math

import numpy as np
import pytest
from scipy import stats

from seamless import ConfigError
from seamless.sim.outcome import event_times, event_times_reference, hazard_ratio_table, outcome_kernel

N_DRAWS = 200_000


def _outcome(default_study, changes):
    return default_study["design"].replace({"strata.factor": [], **changes}).outcome


def _kernel_times(outcome, arms, strata, multipliers, units, dropout_units):
    model = outcome_kernel(outcome, np.asarray(multipliers, dtype=float))
    n = len(arms)
    event, dropout, exit_ = np.zeros(n), np.zeros(n), np.zeros(n)
    event_times(model, np.asarray(arms, np.int64), np.int64(1), np.asarray(strata, np.int64), units, dropout_units,
                np.int64(0), np.int64(n), event, dropout, exit_)
    np.testing.assert_array_equal(exit_, np.minimum(event, dropout))
    return event, dropout


def _exact_survival(t, starts, hazards):
    """S(t) = exp(-Lambda(t)) of a piecewise-constant hazard, from its definition."""
    ends = [*starts[1:], math.inf]
    cumulative = sum(h * np.clip(np.minimum(t, e) - s, 0.0, None) for s, e, h in zip(starts, ends, hazards))
    return np.exp(-cumulative)


SHAPES = {  # name: per-piece hazard ratio of dose 1, pieces
    "delayed": ([1.0, 0.6], [0.0, 4.0]),
    "waning": ([0.6, 0.9], [0.0, 4.0]),
    "crossing": ([1.2, 0.6, 1.5], [0.0, 3.0, 9.0]),
}


@pytest.mark.parametrize("shape", SHAPES)
def test_piecewise_draws_follow_the_exact_survival_function(default_study, shape):
    """Kolmogorov-Smirnov of 200,000 draws (dose 1, stratum multiplier 1.3) against 1 - S(t): at a fixed
    seed the statistic must stay below the 1% critical value 1.628 / sqrt(n)."""
    ratios, starts = SHAPES[shape]
    outcome = _outcome(default_study, {"outcome.piece_starts_months": starts,
                                       "outcome.hazard_ratios": [ratios, 1.0, 1.0]})
    rng = np.random.default_rng(20261206)
    units = rng.standard_exponential(N_DRAWS)
    event, _ = _kernel_times(outcome, np.ones(N_DRAWS), np.zeros(N_DRAWS), [1.3], units, np.ones(N_DRAWS))
    hazards = [math.log(2) / 8.3 * r * 1.3 for r in ratios]
    result = stats.kstest(event, lambda t: 1.0 - _exact_survival(np.asarray(t), starts, hazards))
    assert result.statistic < 1.628 / math.sqrt(N_DRAWS), result


def test_the_twin_gives_the_same_times_on_the_same_unit_draws(default_study):
    outcome = _outcome(default_study, {
        "outcome.control_median_months": None, "outcome.piece_starts_months": [0.0, 2.0, 5.0, 11.0],
        "outcome.control_hazards": [0.05, 0.09, 0.07, 0.04], "outcome.dropout_per_year": 0.1,
        "outcome.hazard_ratios": [[1.0, 0.7, 0.5, 0.9], 0.8, [1.4, 1.2, 0.6, 0.6]]})
    rng = np.random.default_rng(5)
    n = 5000
    arms, strata = rng.integers(0, 4, n), rng.integers(0, 3, n)
    multipliers = np.array([1.0, 1.25, 0.6])
    units, dropout_units = rng.standard_exponential(n) * 3, rng.standard_exponential(n)
    event, dropout = _kernel_times(outcome, arms, strata, multipliers, units, dropout_units)
    want_event, want_dropout = event_times_reference(outcome, arms, multipliers[strata], units, dropout_units)
    np.testing.assert_allclose(event, want_event, rtol=1e-12)
    np.testing.assert_allclose(dropout, want_dropout, rtol=1e-15)
    assert (event > 11.0).any() and (event < 2.0).any()  # every piece was reached


def test_one_piece_is_the_exponential_draw_bit_for_bit(default_study):
    """Proportional hazards: T = E / (lambda_0 HR m) exactly, as before pieces existed."""
    outcome = default_study["design"].outcome
    rng = np.random.default_rng(1)
    arms, strata, units = rng.integers(0, 4, 1000), rng.integers(0, 2, 1000), rng.standard_exponential(1000)
    multipliers = np.array([1.0, 1.6])
    event, _ = _kernel_times(outcome, arms, strata, multipliers, units, np.ones(1000))
    hazard = math.log(2.0) / 8.3 * np.array([1.0, *outcome.hazard_ratios])[arms] * multipliers[strata]
    np.testing.assert_array_equal(event, units / hazard)


def test_equal_hazard_ratios_per_piece_are_proportional_hazards(default_study):
    """[0.7, 0.7] over two pieces is HR 0.7: the same times up to rounding."""
    base = default_study["design"]
    one = base.replace({"outcome.hazard_ratios": [0.7, 0.8, 0.9]}).outcome
    two = base.replace({"outcome.piece_starts_months": [0.0, 5.0],
                        "outcome.hazard_ratios": [[0.7, 0.7], [0.8, 0.8], [0.9, 0.9]]}).outcome
    units = np.random.default_rng(2).standard_exponential(2000)
    arms = np.arange(2000) % 4
    times = [_kernel_times(o, arms, np.zeros(2000), [1.0], units, np.ones(2000))[0] for o in (one, two)]
    np.testing.assert_allclose(times[0], times[1], rtol=1e-12)
    assert two.proportional and hazard_ratio_table(two).shape == (3, 2)


@pytest.mark.parametrize("changes, message", [
    ({"outcome.piece_starts_months": [0.0, 4.0, 4.0]}, "outcome.piece_starts_months: must start at 0 and be strictly"),
    ({"outcome.piece_starts_months": [1.0, 4.0]}, "outcome.piece_starts_months: must start at 0"),
    ({"outcome.piece_starts_months": [0.0, 4.0], "outcome.hazard_ratios": [[1.0, 0.6, 0.5], 0.8, 0.7]},
     "outcome.hazard_ratios[0]: needs one hazard ratio, or 2 (one per piece"),
    ({"outcome.hazard_ratios": [[1.0, 0.6], 0.8, 0.7]}, "outcome.hazard_ratios[0]: needs one hazard ratio, or 1"),
    ({"outcome.hazard_ratios": [0.8, "0.7", 0.6]}, "outcome.hazard_ratios[1]: expected a hazard ratio or a list"),
    ({"outcome.hazard_ratios": [0.8, [0.7, -1.0], 0.6], "outcome.piece_starts_months": [0.0, 3.0]},
     "outcome.hazard_ratios[1][1]: must be in [0.001, 1000]"),
    ({"outcome.control_hazards": [0.1]}, "outcome.control_hazards: give either control_median_months"),
    ({"outcome.control_median_months": None, "outcome.control_hazards": [0.1, 0.2]},
     "outcome.control_hazards: needs 1 entries, one per piece"),
    ({"outcome.control_median_months": None}, "outcome.control_median_months: missing (required)"),
])
def test_bad_outcome_tables_give_one_line_naming_the_key(default_study, changes, message):
    with pytest.raises(ConfigError) as err:
        default_study["design"].replace(changes)
    assert str(err.value).startswith(message), str(err.value)
    assert "\n" not in str(err.value)
