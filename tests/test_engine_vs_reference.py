"""The compiled trial and its plain-Python twin agree on the same drawn patients."""

import math
import zlib

import numpy as np
import pytest

from conftest import ROOT
from seamless.config import load_study
from seamless.sim.engine import allocate_outputs, allocate_workspace, simulate_trial
from seamless.sim.kernel_design import kernel_design
from seamless.sim.patients import allocate_patients, draw_patients
from seamless.sim.reference import reference_trial
from seamless.sim.selection import DoseSummaries
from seamless.sim.stream import new_state

FIELDS_EXACT = ["selected", "stop_look", "stop_reason", "reject", "patients", "cg_events"]
FIELDS_CLOSE = ["stage1_z", "stage1_adjusted_p", "selection_time", "look_time", "look_z", "duration",
                "hr_estimate", "log_hr_se"]


VARIANTS = {
    "cohort": {},
    "increments": {"analysis.mode": "increments"},
    "epsilon_events_trigger": {"selection.rule": "epsilon", "selection.epsilon": 0.3, "selection.trigger": "events",
                               "selection.events": 60, "selection.correlation": "events"},
    "fixed_unadjusted_futility": {"selection.rule": "fixed", "selection.dose": "0.6mg", "selection.futility_z": -0.5,
                                  "selection.adjustment": "none", "analysis.futility_bounds": [0.3, 0.5, -math.inf]},
    "piecewise_response": {"outcome.piece_starts_months": [0.0, 4.0], "outcome.hazard_ratios": [[1.0, 0.6], 0.8,
                                                                                                  [1.3, 0.5]],
                           "endpoints.response_probabilities": [0.3, 0.5, 0.6, 0.25],
                           "endpoints.response_pfs_correlation": 0.6, "selection.rule": "response"},
    "piecewise_control_utility_safety": {
        "outcome.control_median_months": None, "outcome.piece_starts_months": [0.0, 3.0, 9.0],
        "outcome.control_hazards": [0.12, 0.08, 0.05], "endpoints.response_probabilities": [0.3, 0.4, 0.5, 0.2],
        "endpoints.toxicity_probabilities": [0.15, 0.25, 0.35, 0.1], "endpoints.response_pfs_correlation": -0.4,
        "endpoints.response_toxicity_correlation": 0.5, "endpoints.response_months": 4.0,
        "selection.rule": "utility", "selection.utility_weight": 0.5, "selection.max_toxicity": 0.25,
        "analysis.mode": "increments"},
}


def _compare(design, n_trials, seed):
    d = kernel_design(design)
    raw, scratch = allocate_patients(d.enrolment)
    ws = allocate_workspace(d)
    out = allocate_outputs(1, d)
    state = new_state(np.random.SeedSequence(seed))
    stops = set()
    for trial in range(n_trials):
        draw_patients(state, d.enrolment, raw, scratch)
        simulate_trial(d._replace(user_rule=None), raw, ws, out, 0, d.user_rule)
        want = reference_trial(design, raw)
        for field in DoseSummaries._fields[3:]:
            np.testing.assert_array_equal(getattr(out, field)[0], want[field], err_msg=f"trial {trial} {field}")
        for field in FIELDS_EXACT:
            assert getattr(out, field)[0] == want[field], (trial, field)
        for field in FIELDS_CLOSE:
            np.testing.assert_allclose(getattr(out, field)[0], want[field], rtol=1e-9, atol=1e-11,
                                       err_msg=f"trial {trial} {field}")
        for field in ("repeated_ci_low", "repeated_ci_high"):  # Illinois and Brent's method, each to 1e-10
            np.testing.assert_allclose(getattr(out, field)[0], want[field], rtol=1e-8, err_msg=f"trial {trial} {field}")
        np.testing.assert_array_equal(out.look_events[0], want["look_events"])
        np.testing.assert_array_equal(out.look_target_reached[0], want["look_target_reached"])
        stops.add((int(out.stop_look[0]), int(out.stop_reason[0])))
    return stops


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("scenario", ["null", "design"])
def test_kernel_matches_reference(default_study, variant, scenario):
    design = default_study[scenario].replace(VARIANTS[variant])
    stops = _compare(design, 40, seed=zlib.crc32(f"{variant}/{scenario}".encode()))  # a stable seed per case
    assert len(stops) >= 2  # the trials took different paths


@pytest.mark.parametrize("trigger", ["followup", "events"])
def test_kernel_matches_reference_without_dropout_with_one_stratum_and_one_accrual_rate(default_study, trigger):
    design = default_study["design"].replace({
        "outcome.dropout_per_year": 0.0, "strata.factor": [], "accrual.rates": [15.0], "accrual.change_months": [],
        "selection.trigger": trigger, "selection.events": 90, "stage1.ratio": [1, 1, 1, 1],
        "stage1.blocks": [[2, 2, 2, 2]], "stage2.ratio": [1, 1], "stage2.block_size": 4})
    assert len(_compare(design, 30, seed=zlib.crc32(trigger.encode()))) >= 2


def test_kernel_matches_reference_for_a_two_arm_design_without_stage1():
    design = load_study(ROOT / "configs" / "two_arm_check.toml")["alternative"]
    assert len(_compare(design, 40, seed=455)) >= 2


@pytest.mark.slow
def test_kernel_matches_reference_many_trials(default_study):
    stops = _compare(default_study["design"], 300, seed=7)
    assert {(1, 2), (2, 1), (3, 1), (3, 0)} <= stops
