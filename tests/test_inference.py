"""Inference after selection in the simulation (EXTENSIONS.md section 3): the naive log-HR estimate -U/V
of the selected dose, its 95% interval, and their bias, RMSE and coverage per scenario."""

import math

import numpy as np
import pytest

import seamless as sl
from conftest import ROOT
from seamless.sim.outcome import hazard_ratio_table


def _fixed_two_arm(hazard_ratio: float):
    """One dose, no selection, one look at 273 events: the textbook setting of the log-rank estimate."""
    return sl.load(ROOT / "configs" / "two_arm_check.toml")["alternative"].replace({
        "outcome.hazard_ratios": [hazard_ratio], "analysis.events": [273], "analysis.efficacy_looks": [1],
        "analysis.futility_bounds": [-math.inf], "analysis.information_rates": [1.0]})


@pytest.mark.parametrize("hazard_ratio", [1.0, 0.75])
def test_without_selection_or_stopping_the_naive_interval_covers_95_percent(hazard_ratio):
    row = sl.simulate(_fixed_two_arm(hazard_ratio), trials=4000, seed=31).rows[0]
    assert abs(row["naive_ci_coverage"] - 0.95) < 3 * math.sqrt(0.95 * 0.05 / 4000)
    if hazard_ratio == 1.0:  # the estimate of a null effect is unbiased (by symmetry)
        assert abs(row["log_hr_bias"]) < 3 * row["log_hr_bias_se"]


def test_the_summary_is_the_formula_applied_to_the_trials(default_study):
    result = sl.simulate(default_study, trials=600, seed=32, scenarios=["design"])
    row, trials = result.rows[0], result.trials()
    truth = hazard_ratio_table(default_study["design"].outcome)[:, -1]
    true_log_hr = np.log(truth[trials["selected_dose"].map({"0.3mg": 0, "0.6mg": 1, "1.0mg": 2})])
    error = np.log(trials["hr_estimate"]) - true_log_hr
    half_width = (np.log(trials["hr_ci_high"]) - np.log(trials["hr_ci_low"])) / 2
    assert row["log_hr_bias"] == pytest.approx(error.mean(), rel=1e-9)
    assert row["log_hr_rmse"] == pytest.approx(math.sqrt((error ** 2).mean()), rel=1e-9)
    assert row["naive_ci_coverage"] == pytest.approx((error.abs() <= half_width).mean(), rel=1e-9)
    assert np.allclose(np.log(trials["hr_estimate"]), (np.log(trials["hr_ci_high"]) + np.log(trials["hr_ci_low"])) / 2)


def test_selection_among_equal_doses_makes_the_estimate_optimistic_and_the_interval_undercover(default_study):
    # The 'flat' scenario: three doses of HR 0.667; the selected one looked best in stage 1.
    row = sl.simulate(default_study, trials=4000, seed=33, scenarios=["flat"]).rows[0]
    assert row["log_hr_bias"] + 3 * row["log_hr_bias_se"] < 0
    assert row["naive_ci_coverage_ci_high"] < 0.95


def test_with_pieces_the_first_and_the_last_piece_are_reported(default_study):
    design = default_study["design"].replace({"outcome.piece_starts_months": [0.0, 4.0],
                                              "outcome.hazard_ratios": [[1.0, 0.8], [1.0, 0.72], [1.0, 0.667]]})
    row = sl.simulate(design, trials=200, seed=34).rows[0]
    assert row["log_hr_bias_first_piece"] < 0 < row["log_hr_bias"]  # the estimate lies between the pieces' HRs
    assert {"log_hr_rmse_first_piece", "naive_ci_coverage_first_piece"} <= set(row)
