"""The compiled trial and its plain-Python twin agree on the same drawn patients."""

import numpy as np
import pytest

from seamless.config import parse_config
from seamless.sim.engine import allocate_outputs, allocate_workspace, simulate_trial
from seamless.sim.kernel_design import kernel_design
from seamless.sim.patients import allocate_patients, draw_patients
from seamless.sim.reference import reference_trial
from seamless.sim.stream import new_state

FIELDS_EXACT = ["selected", "stop_look", "stop_reason", "reject", "patients", "cg_events"]
FIELDS_CLOSE = ["stage1_z", "stage1_adjusted_p", "selection_time", "look_time", "look_z", "duration",
                "hr_estimate"]


def _variant(text, **replace):
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    return text


VARIANTS = {
    "cohort": {},
    "increments": {'mode = "cohort"': 'mode = "increments"'},
    "epsilon_events_trigger": {'rule = "best"': 'rule = "epsilon"\nepsilon = 0.3',
                               'trigger = "followup"': 'trigger = "events"\nevents = 60',
                               'correlation = "allocation"': 'correlation = "events"'},
    "fixed_unadjusted_futility": {'rule = "best"': 'rule = "fixed"\ndose = "0.6mg"\nfutility_z = -0.5',
                                  'adjustment = "dunnett"': 'adjustment = "none"',
                                  "futility_bounds = [0.0, -inf, -inf]": "futility_bounds = [0.3, 0.5, -inf]"},
}


def _compare(text, scenario, n_trials, seed):
    config = parse_config(text, "t")
    design = next(s for s in config.scenarios if s.name == scenario).design
    d = kernel_design(design)
    n = d.stage1_patients + d.stage2_patients
    raw, scratch = allocate_patients(d)
    ws = allocate_workspace(n, d.n_doses, d.stratum_multiplier.size, d.look_events.size)
    out = allocate_outputs(1, d.n_doses, d.look_events.size)
    state = new_state(np.random.SeedSequence(seed))
    stops = set()
    for trial in range(n_trials):
        draw_patients(state, d, raw, scratch)
        simulate_trial(d, raw, ws, out, 0)
        want = reference_trial(d, raw)
        for field in FIELDS_EXACT:
            assert getattr(out, field)[0] == want[field], (trial, field)
        for field in FIELDS_CLOSE:
            np.testing.assert_allclose(getattr(out, field)[0], want[field], rtol=1e-9, atol=1e-11,
                                       err_msg=f"trial {trial} {field}")
        np.testing.assert_array_equal(out.look_events[0], want["look_events"])
        np.testing.assert_array_equal(out.look_target_reached[0], want["look_target_reached"])
        stops.add((int(out.stop_look[0]), int(out.stop_reason[0])))
    return stops


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("scenario", ["null", "design"])
def test_kernel_matches_reference(default_text, variant, scenario):
    stops = _compare(_variant(default_text, **VARIANTS[variant]), scenario, 40, seed=hash((variant, scenario)) % 2**32)
    assert len(stops) >= 2  # the trials took different paths


@pytest.mark.slow
def test_kernel_matches_reference_many_trials(default_text):
    stops = _compare(default_text, "design", 300, seed=7)
    assert {(1, 2), (2, 1), (3, 1), (3, 0)} <= stops
