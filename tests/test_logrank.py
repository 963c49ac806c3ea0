"""Stratified log-rank (DESIGN.md section 2): compiled kernel vs the pure-Python reference,
invariants, edge cases, a hand-computed example and survival::survdiff reference values."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from seamless.stats.logrank import LogRankResult, _logrank_many_to_one, logrank_reference, stratified_logrank

REFERENCE_FILE = Path(__file__).parent / "reference" / "logrank.json"


def _random_trial(seed, n, allocation, n_strata, decimals, hazard_ratios=None):
    """Exponential event and dropout times, one arm per patient drawn with the given allocation,
    uniform strata; rounding the times to `decimals` creates ties (also event/censoring ties)."""
    rng = np.random.default_rng(seed)
    allocation = np.asarray(allocation, dtype=float)
    arm = rng.choice(allocation.size, size=n, p=allocation / allocation.sum())
    stratum = rng.integers(0, n_strata, size=n)
    hazard_ratios = np.ones(allocation.size) if hazard_ratios is None else np.asarray(hazard_ratios)
    event_time = rng.exponential(12.0 / hazard_ratios[arm] / (1.0 + 0.2 * stratum))
    dropout_time = rng.exponential(40.0, size=n)
    follow_up = rng.uniform(5.0, 30.0, size=n)  # administrative censoring
    censor_time = np.minimum(dropout_time, follow_up)
    event = event_time <= censor_time
    time = np.minimum(event_time, censor_time)
    if decimals is not None:
        time = np.round(time, decimals)
    return time, event, arm, stratum


# name: (n, allocation, n_strata, decimals)
CASES = {
    "continuous_one_stratum": (80, (1, 1), 1, None),
    "ties_four_strata": (150, (1, 1), 4, 0),
    "very_heavy_ties": (200, (1, 1), 3, -1),
    "unequal_12_strata": (300, (2, 3), 12, 1),
    "three_arms_sparse_strata": (40, (2, 1, 1), 8, 0),
    "four_arms_successor": (600, (2, 3, 3, 3), 12, 1),
    "four_arms_ties_unequal": (250, (1, 3, 2, 4), 5, 0),
}
SEEDS = range(5)


def _kernel_all_arms(time, event, arm, stratum, n_arms, n_strata):
    score = np.full(n_arms - 1, np.nan)
    variance = np.full(n_arms - 1, np.nan)
    _logrank_many_to_one(
        np.asarray(time, float), np.asarray(event, bool), np.asarray(arm, np.int64),
        np.asarray(stratum, np.int64), n_arms, n_strata, score, variance,
    )
    return score, variance


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("case", CASES)
def test_many_to_one_kernel_matches_reference_arm_by_arm(case, seed):
    n, allocation, n_strata, decimals = CASES[case]
    time, event, arm, stratum = _random_trial(seed, n, allocation, n_strata, decimals)
    score, variance = _kernel_all_arms(time, event, arm, stratum, len(allocation), n_strata)
    for a in range(1, len(allocation)):
        keep = (arm == 0) | (arm == a)
        expected = logrank_reference(time[keep], event[keep], (arm[keep] == a).astype(int), stratum[keep])
        assert_allclose(score[a - 1], expected.score, rtol=1e-12, atol=1e-12)
        assert_allclose(variance[a - 1], expected.variance, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("case", [name for name, spec in CASES.items() if len(spec[1]) == 2])
def test_two_arm_wrapper_matches_reference(case, seed):
    n, allocation, n_strata, decimals = CASES[case]
    time, event, arm, stratum = _random_trial(seed, n, allocation, n_strata, decimals)
    got = stratified_logrank(time, event, arm, stratum)
    expected = logrank_reference(time, event, arm, stratum)
    assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_patients_of_arm_minus_one_are_ignored():
    time, event, arm, stratum = _random_trial(7, 300, (2, 3, 3), 6, 0)
    arm_with_gaps = np.where(arm == 2, -1, arm)
    score, variance = _kernel_all_arms(time, event, arm_with_gaps, stratum, 2, 6)
    keep = arm != 2
    expected = stratified_logrank(time[keep], event[keep], arm[keep], stratum[keep])
    assert_allclose([score[0], variance[0]], [expected.score, expected.variance], rtol=1e-13)


@pytest.mark.parametrize("seed", SEEDS)
def test_swapping_arms_flips_z_and_inverts_hazard_ratio(seed):
    time, event, arm, stratum = _random_trial(seed, 200, (1, 2), 4, 0, hazard_ratios=(1.0, 0.7))
    forward = stratified_logrank(time, event, arm, stratum)
    swapped = stratified_logrank(time, event, 1 - arm, stratum)
    assert_allclose(swapped.score, -forward.score, rtol=1e-12)
    assert_allclose(swapped.variance, forward.variance, rtol=1e-12)
    assert_allclose(swapped.z, -forward.z, rtol=1e-12)
    assert_allclose(swapped.hazard_ratio, 1.0 / forward.hazard_ratio, rtol=1e-12)


def test_benefit_of_the_experimental_arm_gives_positive_z():
    time, event, arm, stratum = _random_trial(3, 600, (1, 1), 4, None, hazard_ratios=(1.0, 0.5))
    result = stratified_logrank(time, event, arm, stratum)
    assert result.z > 3.0
    assert 0.3 < result.hazard_ratio < 0.8


def test_hand_computed_example_with_ties_and_censoring():
    # One stratum. Experimental (arm 1): 1 event, 3 censored, 4 event; control (arm 0): 1, 2, 3 events.
    #   t  Y1 Y0  Y  d1 d   U term = d*Y1/Y - d1   V term = d*(Y1*Y0/Y^2)*(Y-d)/(Y-1)
    #   1   3  3  6   1  2  2*3/6 - 1 = 0         2*(9/36)*(4/5)  = 2/5
    #   2   2  2  4   0  1  1*2/4     = 1/2       1*(4/16)*(3/3)  = 1/4
    #   3   2  1  3   0  1  1*2/3     = 2/3       1*(2/9)*(2/2)   = 2/9   (censored at 3 still at risk)
    #   4   1  0  1   1  1  1*1/1 - 1 = 0         Y = 1: 0
    # U = 7/6, V = 2/5 + 1/4 + 2/9 = 157/180, z = U/sqrt(V), HR = exp(-U/V) = exp(-210/157).
    time = [1, 3, 4, 1, 2, 3]
    event = [1, 0, 1, 1, 1, 1]
    arm = [1, 1, 1, 0, 0, 0]
    expected = (7 / 6, 157 / 180, (7 / 6) / math.sqrt(157 / 180), math.exp(-210 / 157))
    assert_allclose(stratified_logrank(time, event, arm), expected, rtol=1e-14)
    assert_allclose(logrank_reference(time, event, arm), expected, rtol=1e-14)


def test_stratification_adds_the_strata():
    time, event, arm, stratum = _random_trial(11, 200, (1, 1), 3, 0)
    per_stratum = [stratified_logrank(time[stratum == h], event[stratum == h], arm[stratum == h]) for h in range(3)]
    total = stratified_logrank(time, event, arm, stratum)
    assert_allclose(total.score, sum(r.score for r in per_stratum), rtol=1e-12)
    assert_allclose(total.variance, sum(r.variance for r in per_stratum), rtol=1e-12)


def test_stratum_labels_may_be_any_values():
    time, event, arm, stratum = _random_trial(5, 120, (1, 1), 3, 0)
    labels = np.array(["ISS I", "ISS II", "ISS III"])[stratum]
    assert stratified_logrank(time, event, arm, labels) == stratified_logrank(time, event, arm, stratum)


def _with_extra(data, extra_time, extra_event, extra_arm, extra_stratum):
    time, event, arm, stratum = data
    return (
        np.concatenate([time, extra_time]), np.concatenate([event, np.asarray(extra_event, bool)]),
        np.concatenate([arm, extra_arm]), np.concatenate([stratum, extra_stratum]),
    )


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param(([2.0], [1], [1], [3]), id="stratum_with_one_patient_with_event"),
        pytest.param(([2.0], [0], [0], [3]), id="stratum_with_one_censored_patient"),
        pytest.param(([1.0, 2.0, 3.0, 4.0], [0, 0, 0, 0], [0, 1, 0, 1], [3, 3, 3, 3]), id="stratum_without_events"),
        pytest.param(([1.0, 2.0, 3.0], [1, 1, 1], [1, 1, 1], [3, 3, 3]), id="stratum_without_control"),
    ],
)
def test_strata_that_carry_no_information_change_nothing(extra):
    data = _random_trial(2, 100, (1, 1), 3, 0)
    before = stratified_logrank(*data)
    after_data = _with_extra(data, *extra)
    assert_allclose(stratified_logrank(*after_data), before, rtol=1e-14)
    assert_allclose(logrank_reference(*after_data), before, rtol=1e-12)


def test_events_after_an_arm_has_nobody_at_risk_contribute_nothing():
    # Arm 1 has left the risk set after time 3; control patients followed to 5, 6, 7 are at risk
    # earlier either way, so whether they end in an event or censored must not matter.
    time = [1.0, 2.0, 3.0, 1.0, 2.5, 5.0, 6.0, 7.0]
    arm = [1, 1, 1, 0, 0, 0, 0, 0]
    censored_late = [1, 0, 1, 1, 0, 0, 0, 0]
    events_late = [1, 0, 1, 1, 0, 1, 1, 1]
    before = stratified_logrank(time, censored_late, arm)
    assert before.variance > 0.0
    assert_allclose(stratified_logrank(time, events_late, arm), before, rtol=1e-14)
    assert_allclose(logrank_reference(time, events_late, arm), before, rtol=1e-14)


@pytest.mark.parametrize("function", [stratified_logrank, logrank_reference])
def test_no_events_at_all_gives_zero_statistics(function):
    result = function([1.0, 2.0, 2.0, 5.0], [0, 0, 0, 0], [0, 1, 0, 1], [0, 0, 1, 1])
    assert isinstance(result, LogRankResult)
    assert (result.score, result.variance, result.z) == (0.0, 0.0, 0.0)
    assert math.isnan(result.hazard_ratio)


def test_everyone_at_risk_dies_at_once_gives_zero_variance():
    # Y = d at the only event time: U term = d*Y1/Y - d1 = 0 and V term (Y - d) = 0.
    result = stratified_logrank([4.0, 4.0, 4.0], [1, 1, 1], [0, 1, 1])
    assert (result.score, result.variance, result.z) == (0.0, 0.0, 0.0)


def test_kernel_overwrites_its_outputs_and_handles_empty_input():
    empty = np.zeros(0, np.int64)
    score, variance = _kernel_all_arms(np.zeros(0), np.zeros(0, bool), empty, empty, 3, 2)
    assert score.tolist() == [0.0, 0.0] and variance.tolist() == [0.0, 0.0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"time": [1.0, -1.0]}, "time must be"),
        ({"time": [1.0, np.nan]}, "time must be"),
        ({"event": [1, 2]}, "event must contain only 0/1"),
        ({"arm": [0, 2]}, "arm must contain only 0"),
        ({"arm": [0, 1, 1]}, r"arm must be 1-D with the length of time \(2\)"),
        ({"stratum": [0]}, "stratum must be 1-D"),
    ],
)
def test_invalid_input_raises_one_line_error_naming_the_argument(kwargs, message):
    arguments = {"time": [1.0, 2.0], "event": [1, 0], "arm": [0, 1], "stratum": None} | kwargs
    with pytest.raises(ValueError, match=message) as error:
        stratified_logrank(**arguments)
    assert "\n" not in str(error.value)


def _r_reference_cases():
    if not REFERENCE_FILE.exists():  # a missing reference is a defect: fail, never skip
        raise FileNotFoundError(f"{REFERENCE_FILE} is missing; it is written by `Rscript tests/reference/logrank.R` "
                                "(run from the repository root)")
    datasets = json.loads(REFERENCE_FILE.read_text())["datasets"]
    return [pytest.param(dataset, id=dataset["name"]) for dataset in datasets]


@pytest.mark.parametrize("dataset", _r_reference_cases())
def test_matches_survival_survdiff(dataset):
    # Each dataset carries its producing R call (survival::survdiff), e.g. dataset["call"].
    time, event, arm, stratum = (dataset[key] for key in ("time", "event", "arm", "stratum"))
    expected = (dataset["score"], dataset["variance"], dataset["z"])
    for function in (stratified_logrank, logrank_reference):
        result = function(time, event, arm, stratum)
        assert_allclose((result.score, result.variance, result.z), expected, rtol=1e-10, atol=1e-12)
