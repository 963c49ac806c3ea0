"""Inference after selection in the simulation (EXTENSIONS.md sections 3-4): the naive log-HR estimate -U/V
of the selected dose, its 95% interval, the repeated CI at the stopping look, and their bias, RMSE and
coverage per scenario."""

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
    true_hr = np.exp(true_log_hr)
    inside = (trials["hr_repeated_ci_low"] <= true_hr) & (true_hr <= trials["hr_repeated_ci_high"])
    assert row["repeated_ci_coverage"] == pytest.approx(inside.mean(), rel=1e-9)
    # The interval is conservative next to the closed test: excluding HR 1 means rejecting H_s (in cohort mode
    # a rejection can keep 1 inside, when another dose's stage-1 z at the look is above the selected dose's).
    efficacy = trials["stop_reason"] == "efficacy"
    assert (trials.loc[~efficacy, "hr_repeated_ci_high"] >= 1).all()
    futility_at_a2 = (trials["stop_reason"] == "futility") & (trials["stop_look"] == 1)
    assert (trials.loc[futility_at_a2, "hr_repeated_ci_high"] == np.inf).all()  # no efficacy bound at A2


def test_in_increments_mode_with_the_best_dose_the_interval_excludes_1_exactly_when_rejecting(default_study):
    # The selected dose has the largest stage-1 z (at A1, where increments mode takes it): the single-step and
    # closed stage-1 p-values coincide at HR 1.
    design = default_study["design"].replace({"analysis.mode": "increments"})
    trials = sl.simulate(design, trials=600, seed=36).trials()
    assert ((trials["hr_repeated_ci_high"] < 1) == (trials["stop_reason"] == "efficacy")).all()


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["cohort", "increments"])
def test_the_repeated_ci_covers_at_least_95_percent_under_the_design_scenario(default_study, mode):
    """10,000 trials of the design scenario: the repeated CI at the stopping look covers the selected dose's
    true HR at least 95% of the time within Monte Carlo error (it is conservative by construction); the naive
    interval's coverage beside it (printed by ``pytest -s``)."""
    design = default_study["design"].replace({"analysis.mode": mode})
    row = sl.simulate(design, trials=10000, seed=35).rows[0]
    print(f"{mode}: repeated CI coverage {row['repeated_ci_coverage']:.4f} (SE {row['repeated_ci_coverage_se']:.4f}),"
          f" naive {row['naive_ci_coverage']:.4f} (SE {row['naive_ci_coverage_se']:.4f})")
    assert row["repeated_ci_coverage"] >= 0.95 - 3 * math.sqrt(0.95 * 0.05 / 10000)


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
