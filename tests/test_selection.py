"""Selection rules (DESIGN.md section 3, EXTENSIONS.md section 2): the compiled rules against their plain
twin on random and tied dose summaries, a user's numba rule inside the compiled trial, and the checks."""

import subprocess
import sys

import numba
import numpy as np
import pytest

import seamless as sl
from conftest import ROOT
from seamless import ConfigError
from seamless.sim.selection import SAFETY, DoseSummaries, rule_kernel, select, select_reference

DOSES = ("a", "b", "c")


def _summaries(rng, ties: bool) -> DoseSummaries:
    z = np.round(rng.normal(0, 1, 3), 0 if ties else 6)
    assessed = rng.integers(0, 4 if ties else 60, 3)
    responders = np.array([rng.integers(0, a + 1) for a in assessed])
    tox_assessed = rng.integers(0, 4 if ties else 60, 3)
    toxicities = np.array([rng.integers(0, a + 1) for a in tox_assessed])
    return DoseSummaries(z, rng.integers(0, 50, 3), rng.integers(10, 80, 3), responders, assessed, toxicities,
                         tox_assessed)


RULES = [
    {"selection.rule": "best"},
    {"selection.rule": "epsilon", "selection.epsilon": 0.5},
    {"selection.rule": "fixed", "selection.dose": "b"},
    {"selection.rule": "response"},
    {"selection.rule": "utility", "selection.utility_weight": 0.7, "selection.max_toxicity": 0.35},
    {"selection.rule": "utility", "selection.utility_weight": 2.0, "selection.max_toxicity": 0.0},
]


@pytest.fixture(scope="module")
def design(default_study):
    return default_study["design"].replace({
        "arms.doses": list(DOSES), "endpoints.response_probabilities": [0.3, 0.4, 0.5, 0.3],
        "endpoints.toxicity_probabilities": [0.1, 0.2, 0.3, 0.1]})


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("changes", RULES, ids=lambda c: "-".join(map(str, c.values())))
def test_compiled_rule_matches_its_twin(design, changes, ties):
    rule = design.replace(changes).selection.rule
    compiled = rule_kernel(rule, DOSES)
    rng = np.random.default_rng(len(str(changes)) + ties)
    picks = []
    for _ in range(400):
        s = _summaries(rng, ties)
        picks.append(select(compiled, s))
        assert picks[-1] == select_reference(rule, DOSES, s), s
    if changes["selection.rule"] not in ("fixed", "utility"):
        assert set(picks) == {1, 2, 3}


def test_ties_go_to_the_lower_dose(design):
    s = DoseSummaries(np.array([1.0, 2.0, 2.0]), *(np.zeros(3, np.int64),) * 2, np.array([5, 8, 8]),
                      np.array([10, 10, 10]), np.array([0, 1, 1]), np.array([10, 10, 10]))
    for changes, expected in ((RULES[0], 2), (RULES[3], 2), (RULES[4], 2)):
        assert select(rule_kernel(design.replace(changes).selection.rule, DOSES), s) == expected


def test_utility_stops_for_safety_when_no_dose_is_eligible(design):
    s = DoseSummaries(np.zeros(3), *(np.zeros(3, np.int64),) * 2, np.array([9, 9, 9]), np.full(3, 10),
                      np.array([4, 5, 6]), np.full(3, 10))
    rule = design.replace({"selection.rule": "utility", "selection.utility_weight": 1.0,
                           "selection.max_toxicity": 0.3}).selection.rule
    assert select(rule_kernel(rule, DOSES), s) == SAFETY == select_reference(rule, DOSES, s)


def test_stop_for_safety_in_the_trial_and_its_tables(default_study):
    design = default_study["design"].replace({
        "endpoints.response_probabilities": [0.3, 0.4, 0.5, 0.3],
        "endpoints.toxicity_probabilities": [0.2, 0.25, 0.3, 0.1], "selection.rule": "utility",
        "selection.utility_weight": 1.0, "selection.max_toxicity": 0.2})
    result = sl.simulate(design, trials=400, seed=8)
    trials, row = result.trials(), result.summary().iloc[0]
    safety = trials["stop_reason"] == "safety"
    assert 0.05 < safety.mean() < 0.95
    assert trials.loc[safety, "selected_dose"].isna().all() and not trials.loc[safety, "reject"].any()
    assert (trials.loc[safety, "stop_look"] == 0).all()
    assert row["stop_safety"] == pytest.approx(safety.mean())
    assert row["stop_safety"] + sum(row[f"select_{d}"] for d in design.doses) == pytest.approx(1.0)


@numba.njit
def _middle(s):
    return 1


def test_a_user_rule_always_returning_the_middle_dose_gives_the_trials_of_fixed(default_study):
    base = default_study["design"]
    user = sl.simulate(base.replace({"selection.rule": _middle}), trials=300, seed=12).trials()
    fixed = base.replace({"selection.rule": "fixed", "selection.dose": "0.6mg"})
    fixed = sl.simulate(fixed, trials=300, seed=12).trials()
    assert user.equals(fixed)


@numba.njit
def _most_events_then_responders(s):
    """A user's rule that reads every summary: the most responders per patient among the doses with
    events, -1 when the doses have fewer than 20 events in all."""
    if s.events.sum() < 20:
        return -1
    best, value = 0, -1.0
    for j in range(s.z.size):
        rate = (s.responders[j] + s.toxicities[j] * 0.0) / max(s.patients[j], 1)
        if rate > value and s.response_assessed[j] + s.toxicity_assessed[j] >= 0:
            best, value = j, rate
    return best


def test_a_user_rule_sees_the_summaries_the_twin_sees(default_study):
    from seamless.sim.engine import allocate_outputs, allocate_workspace, simulate_trial
    from seamless.sim.kernel_design import kernel_design
    from seamless.sim.patients import allocate_patients, draw_patients
    from seamless.sim.reference import reference_trial
    from seamless.sim.stream import new_state

    design = default_study["design"].replace({"selection.rule": _most_events_then_responders,
                                              "endpoints.response_probabilities": [0.3, 0.4, 0.5, 0.3]})
    d = kernel_design(design)
    raw, scratch = allocate_patients(d.enrolment)
    ws, out = allocate_workspace(d), allocate_outputs(1, d)
    state = new_state(np.random.SeedSequence(21))
    picked = set()
    for _ in range(30):
        draw_patients(state, d.enrolment, raw, scratch)
        simulate_trial(d._replace(user_rule=None), raw, ws, out, 0, d.user_rule)
        assert out.selected[0] == reference_trial(design, raw)["selected"]
        picked.add(int(out.selected[0]))
    assert len(picked) >= 2


@numba.njit
def _out_of_range(s):
    return 3


def test_a_user_rule_returning_an_invalid_dose_is_refused_and_nothing_is_written(default_study, tmp_path):
    design = default_study["design"].replace({"selection.rule": _out_of_range})
    with pytest.raises(ConfigError, match=r"^selection.rule: the user's rule returned 3 in a trial; allowed a dose "
                                          r"index 0..2, or -1 to stop for safety$"):
        sl.simulate(design, trials=50, seed=1, out=tmp_path / "run")
    assert not any((tmp_path / "run").glob("*.parquet")) and not (tmp_path / "run" / "chunks").exists()


def test_a_user_rule_is_named_by_its_code_and_its_results_read_where_it_is_not_defined(default_study, tmp_path):
    design = default_study["design"].replace({"selection.rule": _middle})
    label = design.to_dict()["selection"]["rule"]
    assert label.startswith("python:") and "_middle@" in label
    sl.simulate(design, trials=20, seed=1, out=tmp_path / "run")
    read = subprocess.run([sys.executable, "-c", "import seamless as sl, sys; "
                           "print(sl.open(sys.argv[1]).summary()['select_0.6mg'].iloc[0])", str(tmp_path / "run")],
                          capture_output=True, text=True, timeout=300)
    assert read.returncode == 0 and read.stdout.strip() == "1.0", read.stderr
    again = subprocess.run([sys.executable, "-c", "import seamless as sl, sys; sl.simulate(sl.open(sys.argv[1]).study, "
                            "trials=5)", str(tmp_path / "run")], capture_output=True, text=True, timeout=300)
    assert again.returncode == 1 and again.stderr.strip().splitlines()[-1].endswith(
        f"selection.rule: the user's rule {label} is not defined in this process; give its function")


@pytest.mark.parametrize("changes, message", [
    ({"selection.rule": "utility", "selection.max_toxicity": 0.3}, "selection.utility_weight: missing (required)"),
    ({"selection.rule": "utility", "selection.utility_weight": 1.0}, "selection.max_toxicity: missing (required)"),
    ({"selection.rule": "response"}, "selection.rule: 'response' needs endpoints.response_probabilities"),
    ({"selection.rule": "utility", "selection.utility_weight": 1.0, "selection.max_toxicity": 0.3,
      "endpoints.response_probabilities": [0.3, 0.4, 0.5, 0.3]},
     "selection.rule: 'utility' needs endpoints.toxicity_probabilities"),
    ({"selection.rule": "user"}, "selection.rule: a user's rule is given as its numba-compiled function"),
    ({"selection.rule": "greedy"}, "selection.rule: must be one of best, epsilon, fixed, response, utility, or a "
                                   "numba-compiled function from Python, got 'greedy'"),
    ({"selection.rule": lambda s: 0}, "selection.rule: a user's rule must be a numba-compiled function"),
    ({"selection.rule": "utility", "selection.utility_weight": 1.0, "selection.max_toxicity": 1.5,
      "endpoints.response_probabilities": [0.3, 0.4, 0.5, 0.3], "endpoints.toxicity_probabilities": [0.1] * 4},
     "selection.max_toxicity: must be a toxicity rate in [0, 1], got 1.5"),
])
def test_bad_rules_give_one_line_naming_the_key(default_study, changes, message):
    with pytest.raises(ConfigError) as err:
        default_study["design"].replace(changes)
    assert str(err.value).startswith(message), str(err.value)


_USER_RUN = """
import numba, seamless as sl, sys
@numba.njit
def highest(s):
    return 2
sl.simulate(sl.load(sys.argv[1])["design"].replace({"selection.rule": highest}), trials=5, jobs=1)
"""


def test_a_user_rule_adds_nothing_to_the_kernel_cache(default_study, tmp_path):
    """The trial compiled for a user's rule is never written to numba's cache (no later process could use
    it): after the built-in trial is cached, a run with a user's rule leaves the cached trial as it was."""
    from seamless._jit import cache_folders
    from seamless.sim.engine import run_chunk
    from seamless.sim.kernel_design import kernel_design

    run_chunk(kernel_design(default_study["design"]), np.random.SeedSequence(0), 2)  # the built-in trial, cached
    folder = next(f for f in cache_folders() if f.parent.name == "sim")
    kernels = ("engine.simulate_chunk-", "engine.simulate_trial-", "engine._selection_analysis-")

    def cached():
        return sorted((p.name, p.stat().st_size) for p in folder.iterdir() if p.name.startswith(kernels))

    before = cached()
    script = tmp_path / "user_run.py"
    script.write_text(_USER_RUN)
    run = subprocess.run([sys.executable, str(script), str(ROOT / "configs" / "successor2.toml")],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert before and cached() == before
