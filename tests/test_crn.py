"""Common random numbers: trial i of every scenario draws the same patients, so differences between
scenarios and sweep points are not blurred by independent Monte Carlo noise (EXTENSIONS.md s.5)."""

import math

import numpy as np
import pytest

import seamless as sl


def _column(result, scenario, name):
    trials = result.trials()
    return trials.loc[trials["scenario"] == scenario, name].to_numpy()


def test_renaming_a_scenario_keeps_its_results(default_study):
    design = default_study["design"]
    first = sl.simulate({"a": design}, trials=200, seed=4, jobs=1).trials().drop(columns="scenario")
    second = sl.simulate({"b": design}, trials=200, seed=4, jobs=1).trials().drop(columns="scenario")
    assert first.equals(second)


@pytest.mark.parametrize("common", [True, False])
def test_scenarios_share_their_patients_only_with_common_random_numbers(default_study, common):
    study = sl.Study.from_designs({"null": default_study["null"], "design": default_study["design"]},
                                  common_random_numbers=common)
    result = sl.simulate(study, trials=300, seed=2, jobs=1)
    # the selection analysis happens at a time set by accrual alone, the same draws under both
    same = np.array_equal(_column(result, "null", "selection_time"), _column(result, "design", "selection_time"))
    assert same is common
    assert result.metadata["common_random_numbers"] == str(common).lower()


def _paired_se(result, first, second):
    difference = (_column(result, first, "reject").astype(float) - _column(result, second, "reject").astype(float))
    return difference.std(ddof=1) / math.sqrt(difference.size)


@pytest.mark.slow
def test_common_random_numbers_shrink_the_error_of_a_difference_and_keep_a_curve_monotone(default_study):
    # Where 1.0mg is the best dose (its hazard ratio at most the 0.72 of 0.6mg) power grows as its
    # hazard ratio falls. (Above 0.72 it need not: at 0.9 the worse 1.0mg dose is sometimes selected,
    # and power is lower than at 1.0, where it almost never is.)
    grid = {"outcome.hazard_ratios[2]": [0.72, 0.7, 0.68, 0.667, 0.65, 0.6]}
    names = [f"hr:outcome.hazard_ratios[2]={v:g}" for v in grid["outcome.hazard_ratios[2]"]]
    common = sl.simulate(sl.sweep(default_study["design"], grid, name="hr"), trials=3000, seed=1, jobs=2)
    power = common.summary().loc[names, "power"].to_numpy()
    assert np.all(np.diff(power) > 0), power
    independent = sl.simulate(sl.sweep(default_study["design"], grid, name="hr", common_random_numbers=False),
                              trials=3000, seed=1, jobs=2)
    with_common, without = _paired_se(common, names[1], names[3]), _paired_se(independent, names[1], names[3])
    assert with_common < 0.6 * without, (with_common, without)
