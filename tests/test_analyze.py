"""`simulate analyze` / `sl.analyze`: a trial's patient-level data analysed with the design's test.

References (tests/reference/analysis.R -> analysis.json, from the two simulated trials in tests/data/):
increments mode against rpact 3.3.4 getAnalysisResults (closed-test statistics, decision, repeated CI,
conditional rejection probability, conditional power, and the repeated p-value as the root in alpha of
rpact's own bound); cohort mode piece by piece against survival::survdiff and mvtnorm::pmvnorm. Then the
round trip: simulated trials saved as data are analysed to exactly their simulated selections, look times,
combined z's and decisions.
"""

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import norm

import seamless as sl
from seamless.stats.dunnett import dunnett_adjusted_p
from seamless.stats.inference import repeated_ci

DATA = Path(__file__).parent / "data"
REFERENCE = json.loads((Path(__file__).parent / "reference" / "analysis.json").read_text())["trials"]
DOSES = ["0.3mg", "0.6mg", "1.0mg"]


@pytest.fixture(scope="module")
def design():
    return sl.load(DATA / "analysis.toml").scenarios[0].design


def _analysis(design, reference, **options):
    return sl.analyze(design, DATA / reference["file"], planned_hr=reference["rpact"]["planned_hr"],
                      simulations=0, **options)


@pytest.mark.parametrize("reference", REFERENCE, ids=lambda r: r["file"])
def test_increments_mode_agrees_with_rpact(design, reference):
    a = _analysis(design, reference)
    rpact, look = reference["rpact"], a.looks[0]
    assert a.stage1.selected == reference["selected"] and a.stage1.time == pytest.approx(reference["selection_time"])
    assert [a.stage1.z[d] for d in DOSES] == pytest.approx(reference["stage1_z"], abs=1e-9)
    assert look.time == pytest.approx(reference["looks"][0]["time"], abs=1e-12)
    # rpact's closed test: its Dunnett p-values (mnormt::sadmvn, absolute error up to 1e-6) agree with ours
    # to 1e-6 (ours agree with mvtnorm's Miwa algorithm to 1e-8: test_stage1_intersections_agree_with_pmvnorm);
    # the combined z's accordingly to 5e-6.
    increment = reference["looks"][0]["increment_z"]
    for name, statistic in rpact["closed_statistics"].items():
        p1 = norm.sf((statistic * math.sqrt(0.75) - math.sqrt(0.54) * increment) / math.sqrt(0.21))
        assert look.stage1_p[name] == pytest.approx(p1, abs=1e-6)
    assert look.combined_z == pytest.approx(rpact["closed_statistics"], abs=5e-6)
    assert look.binding_z == pytest.approx(min(rpact["closed_statistics"].values()), abs=5e-6)
    assert look.efficacy_bound == pytest.approx(rpact["critical_values"][0], abs=1e-6)
    assert (look.decision == "efficacy") == rpact["rejected"]
    assert look.repeated_p == pytest.approx(rpact["repeated_p"], abs=1e-6)
    assert look.hazard_ratio == pytest.approx(rpact["observed_hr"], rel=1e-9)
    if look.decision == "efficacy":
        assert not look.conditional_rejection and len(a.looks) == 1
    else:
        assert look.conditional_rejection == pytest.approx([rpact["conditional_rejection_probability"]], abs=1e-6)
        assert look.conditional_power_planned == pytest.approx([rpact["conditional_power_planned"]], abs=1e-6)
        assert look.conditional_power_observed == pytest.approx([rpact["conditional_power_observed"]], abs=1e-6)


@pytest.mark.parametrize("reference", REFERENCE, ids=lambda r: r["file"])
def test_repeated_ci_agrees_with_rpact_on_its_information(reference):
    # rpact takes whole events, its information events x 0.24: our interval from the same information.
    s = DOSES.index(reference["selected"])
    look, events = reference["looks"][0], reference["rpact"]["rpact_events"]
    t1, tk = 0.21, 0.75
    lower, upper = repeated_ci(reference["stage1_z"][s], 0.24 * events["stage1"], look["increment_z"],
                               0.24 * events["stage2"], (math.sqrt(t1), math.sqrt(tk - t1)),
                               reference["rpact"]["critical_values"][0],
                               lambda z: dunnett_adjusted_p(z, np.full(3, math.sqrt(0.6))))
    assert [lower, upper] == pytest.approx(reference["rpact"]["repeated_ci"], rel=2e-6)


@pytest.mark.parametrize("reference", REFERENCE, ids=lambda r: r["file"])
def test_repeated_ci_is_the_inverted_test_on_the_data(design, reference):
    # On the data's own information: the selected dose's single-step combination meets the bound at both limits.
    a = _analysis(design, reference)
    look, s = a.looks[0], DOSES.index(reference["selected"])
    v1, v2, z2 = reference["stage1_V"][s], reference["looks"][0]["increment_V"], reference["looks"][0]["increment_z"]
    w1, w2 = math.sqrt(0.21), math.sqrt(0.54)
    for theta, sign in zip(look.repeated_ci, (-1.0, 1.0)):
        z1 = sign * (reference["stage1_z"][s] + math.log(theta) * math.sqrt(v1))
        p1 = dunnett_adjusted_p(z1, np.full(3, math.sqrt(0.6)))
        combined = (w1 * norm.isf(p1) + w2 * sign * (z2 + math.log(theta) * math.sqrt(v2))) / math.sqrt(0.75)
        assert combined == pytest.approx(look.efficacy_bound, abs=1e-8)
    assert look.repeated_ci[0] < look.hazard_ratio < look.repeated_ci[1]
    assert (look.repeated_ci[1] < 1.0) == (look.decision == "efficacy")
    # the closed test inverted: at its upper limit the binding intersection's combined z is the bound
    theta, z1 = look.closed_test_upper, np.array(reference["stage1_z"])
    z1[s] += math.log(theta) * math.sqrt(v1)
    closed_p1 = max(dunnett_adjusted_p(z1[[s, *rest]].max(), np.full(1 + len(rest), math.sqrt(0.6)))
                    for rest in ([], *[[j] for j in range(3) if j != s], [j for j in range(3) if j != s]))
    combined = (w1 * norm.isf(closed_p1) + w2 * (z2 + math.log(theta) * math.sqrt(v2))) / math.sqrt(0.75)
    assert combined == pytest.approx(look.efficacy_bound, abs=1e-8)


@pytest.mark.parametrize("reference", REFERENCE, ids=lambda r: r["file"])
def test_cohort_mode_pieces_agree_with_survdiff_and_pmvnorm(design, reference):
    a = _analysis(design.replace({"analysis.mode": "cohort"}), reference)
    assert a.looks
    for look, expected in zip(a.looks, reference["looks"]):
        assert look.time == pytest.approx(expected["time"], abs=1e-12)
        cohort = expected["cohort"]
        assert look.stage2_z == pytest.approx(cohort["stage2_z"], abs=1e-9)
        assert look.stage1_p == pytest.approx(cohort["stage1_p"], abs=1e-8)
        assert look.combined_z == pytest.approx(cohort["combined_z"], abs=1e-7)
        assert look.binding_z == pytest.approx(min(cohort["combined_z"].values()), abs=1e-7)


def test_stage1_intersections_agree_with_pmvnorm(design):
    for reference in REFERENCE:
        a = _analysis(design, reference)
        assert a.stage1.intersection_p == pytest.approx(reference["stage1_p"], abs=1e-8)
        assert a.stage1.closed_p == pytest.approx(max(p for name, p in reference["stage1_p"].items()
                                                      if reference["selected"] in name.split("+")), abs=1e-8)


def test_cutoff_recuts_the_data_as_the_trial_saw_it(design):
    reference = REFERENCE[0]  # continued at the interim, final analysis in the data
    full = _analysis(design, reference)
    assert [look.decision for look in full.looks] == ["continue", "efficacy"]
    interim = _analysis(design, reference, cutoff=full.looks[0].time + 0.5)
    assert len(interim.looks) == 1 and interim.looks[0].combined_z == pytest.approx(full.looks[0].combined_z)
    assert interim.future[0].look == 2 and interim.looks[0].time < interim.future[0].expected_time < math.inf
    before_a1 = _analysis(design, reference, cutoff=10.0)
    assert not before_a1.stage1.reached and not before_a1.looks and before_a1.stage1.selected is None


def test_stage2_patients_before_the_planned_start_are_noted(design):
    data = pd.read_csv(DATA / "analysis_trial6.csv")
    data.loc[data.index[data["stage"] == 2][:2], "entry"] = 10.0
    a = sl.analyze(design, data, simulations=0, inference=False)
    assert any("2 stage-2 patients entered before" in note for note in a.notes)


@pytest.mark.slow
@pytest.mark.parametrize("config, scenario", [(Path(__file__).parents[1] / "configs" / "successor2.toml", "design"),
                                              (DATA / "analysis.toml", None),
                                              (Path(__file__).parents[1] / "configs" / "two_arm_check.toml",
                                               "alternative")], ids=["cohort", "increments", "two_arm"])
def test_round_trip_of_simulated_trials(config, scenario):
    """200 simulated trials of the default design (cohort mode; with its futility look), of the analysis
    tests' design (increments mode) and of the two-arm design (no selection stage), saved as data and
    analysed: the same selected dose, look times, CG events, combined z's and decisions."""
    study = sl.load(config).select(scenario)
    trials = sl.simulate(study, trials=200, seed=3).trials()
    for trial in range(200):
        row = trials.iloc[trial]
        data = sl.trial_patients(study, trial, seed=3)
        a = sl.analyze(study, data, simulations=0, inference=False)
        assert a.stage1.selected == row["selected_dose"]
        assert a.stage1.time == row["selection_time"]
        performed = [k for k in range(1, 4) if f"look{k}_time" in row and not math.isnan(row[f"look{k}_time"])]
        assert [look.look for look in a.looks][:len(performed)] == performed
        for look in a.looks[:len(performed)]:
            k = look.look
            assert look.time == row[f"look{k}_time"] and look.events == row[f"look{k}_cg_events"]
            assert look.binding_z == pytest.approx(row[f"look{k}_z"], abs=1e-9)
        assert all(look.decision == "continue" for look in a.looks[:len(performed) - 1])
        last = a.looks[len(performed) - 1] if performed else None
        decision = {"efficacy": "efficacy", "futility": "futility"}.get(row["stop_reason"])
        if decision:
            assert last.decision == decision
        elif last is not None:
            assert last.decision in ("final: not rejected", "continue")


def test_the_analysis_repeated_ci_is_the_simulated_trials(default_study):
    """The compiled repeated CI of each simulated trial (Illinois iterations, tabulated Dunnett) is the one the
    analysis of its data computes (Brent's method, integrated Dunnett) at the stopping look."""
    study = default_study.select("design")
    trials = sl.simulate(study, trials=12, seed=4).trials()
    for trial in range(12):
        row = trials.iloc[trial]
        a = sl.analyze(study, sl.trial_patients(study, trial, seed=4), simulations=0)
        stop = a.looks[row["stop_look"] - 1]
        assert stop.repeated_ci == pytest.approx((row["hr_repeated_ci_low"], row["hr_repeated_ci_high"]), rel=1e-7)
        for look in a.looks:  # the closed test's own upper limit: inside the interval, below 1 iff it rejects
            if math.isfinite(look.efficacy_bound):
                assert look.closed_test_upper <= look.repeated_ci[1] * (1 + 1e-9)
                assert (look.closed_test_upper < 1.0) == (look.decision == "efficacy")


# Bad data: (id, how the data set is changed, extra options, fragments of the one-line error)
def _drop(column):
    return lambda d: d.drop(columns=[column])


def _set(row, column, value):
    def change(d):
        d = d.astype({column: object})
        d.loc[row, column] = value
        return d
    return change


BAD_DATA = [
    ("missing_column", _drop("event"), [], ["missing column 'event'", "required:"]),
    ("unknown_arm", _set(4, "arm", "2.0mg"), [], ["column 'arm' row 5", "'2.0mg'", "allowed: Kd, 0.3mg"]),
    ("unknown_stratum", _set(2, "iss", "IV"), [], ["column 'iss' row 3", "'IV'", "allowed: I, II, III"]),
    ("negative_time", _set(7, "time", -1.0), [], ["column 'time' row 8", "-1.0", ">= 0"]),
    ("text_time", _set(9, "time", "soon"), [], ["column 'time' row 10", "'soon'"]),
    ("event_flag", _set(3, "event", 2), [], ["column 'event' row 4", "1 (event) or 0"]),
    ("duplicate_patient", _set(11, "patient", "3"), [], ["column 'patient' row 12", "already on row 3"]),
    ("stage2_two_doses", lambda d: _second_dose(d), [], ["column 'arm' row", "stage-2 patient on", "one dose"]),
    ("stage_3", _set(0, "stage", 3), [], ["column 'stage' row 1", "1 or 2"]),
    ("bad_entry", _set(5, "entry", "yesterday"), [], ["column 'entry' row 6", "'yesterday'", "a number >= 0"]),
    ("bad_date", lambda d: _dates(d, 7, "2021-02-30"), [], ["column 'entry' row 8", "'2021-02-30'", "ISO date"]),
    ("cutoff_before_entry", lambda d: d, ["--cutoff", "0.01"], ["--cutoff", "not after the first entry", "row"]),
    ("cutoff_after_data", lambda d: d, ["--cutoff", "99"], ["--cutoff", "after the data's last follow-up"]),
    ("selected_not_stage2", lambda d: d, ["--selected", "0.3mg"], ["--selected", "stage 2 is on 1.0mg"]),
    ("unknown_dose", lambda d: d, ["--selected", "3mg"], ["--selected", "not a dose", "allowed: 0.3mg"]),
    ("planned_hr", lambda d: d, ["--planned-hr", "0"], ["--planned-hr", "[0.001, 1000]"]),
    ("unknown_scenario", lambda d: d, ["--scenario", "nope"], ["--scenario", "unknown scenario nope"]),
    ("no_patients", lambda d: d.iloc[:0], [], ["no patients"]),
]


def _dates(d, row, value):
    d = d.copy()
    d["entry"] = (pd.Timestamp("2021-03-01") + pd.to_timedelta(d["entry"] * 30.4375, unit="D")).dt.strftime("%Y-%m-%d")
    d.loc[row, "entry"] = value
    return d


def _second_dose(d):
    d = d.copy()
    row = d.index[(d["stage"] == 2) & (d["arm"] != "Kd")][5]
    d.loc[row, "arm"] = "0.3mg"
    return d


def _analyze(cwd, *args):
    return subprocess.run([sys.executable, "-m", "seamless.cli", "analyze", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("change, extra, fragments", [case[1:] for case in BAD_DATA], ids=[c[0] for c in BAD_DATA])
def test_bad_data_gets_one_line_and_status_2(tmp_path, monkeypatch, capsys, change, extra, fragments):
    # The command's own entry point, in this process (test_unreadable_file runs it as a subprocess).
    from seamless.cli import main

    data = change(pd.read_csv(DATA / "analysis_trial6.csv", dtype={"patient": str}))
    data.to_csv(tmp_path / "data.csv", index=False)
    monkeypatch.chdir(tmp_path)
    before = {p.name for p in tmp_path.iterdir()}
    status = main(["analyze", str(DATA / "analysis.toml"), "data.csv", "--simulations", "0", *extra])
    out, err = capsys.readouterr()
    assert status == 2, err
    assert out == "" and "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("simulate: error: ")
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
    assert {p.name for p in tmp_path.iterdir()} == before


def test_unreadable_file(tmp_path):
    (tmp_path / "data.parquet").write_bytes(b"not parquet")
    result = _analyze(tmp_path, DATA / "analysis.toml", "data.parquet")
    assert result.returncode == 2 and result.stdout == "" and "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [result.stderr.strip()] and "not a readable Parquet file" in result.stderr


def test_json_report_and_dates(tmp_path):
    data = pd.read_csv(DATA / "analysis_trial3.csv")
    origin = pd.Timestamp("2021-03-01")
    data["entry"] = (origin + pd.to_timedelta(np.round(data["entry"] * 365.25 / 12), unit="D")).dt.strftime("%Y-%m-%d")
    data.to_parquet(tmp_path / "data.parquet")
    result = _analyze(tmp_path, DATA / "analysis.toml", "data.parquet", "--json", "--simulations", "0",
                      "--cutoff", "2024-01-15")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["cutoff_date"] == "2024-01-15" and out["stage1"]["selected"] == "0.6mg"
    assert out["looks"][0]["date"].startswith("2023-12") and out["looks"][0]["decision"] == "continue"
    assert out["future"][0]["expected_date"] > "2024-01-15"
    text = _analyze(tmp_path, DATA / "analysis.toml", "data.parquet", "--simulations", "0")
    assert text.returncode == 0 and "Look 2 at month" in text.stdout and "repeated CI" in text.stdout


def _at_interim(design):
    from seamless.observed.data import patient_data, read_table

    interim = REFERENCE[0]["looks"][0]["time"] + 1e-9  # the JSON's time has 15 digits
    return patient_data(design, read_table(DATA / "analysis_trial3.csv"), cutoff=interim)


def test_continuation_completes_the_trial_as_planned(design):
    from seamless.observed.analysis import selection_time
    from seamless.observed.future import Continuation, _Model

    data = _at_interim(design)
    a1, s = selection_time(design, data), data.stage2_dose
    model = _Model(design, s, 0.72)
    followed = ~data.event & np.isclose(data.entry + data.time, data.cutoff)
    rng = np.random.default_rng(8)
    new_on_dose = []
    for _ in range(50):
        full = Continuation(design)._continued(data, model, rng, a1)
        n = data.arm.size
        assert (full.stage == 2).sum() == design.stage2.patients
        assert np.array_equal(full.entry[:n], data.entry) and np.array_equal(full.arm[:n], data.arm)
        kept = ~followed
        assert np.array_equal(full.time[:n][kept], data.time[kept]) and np.array_equal(full.event[:n][kept],
                                                                                     data.event[kept])
        assert (full.time[:n][followed] >= data.time[followed] - 1e-12).all()
        assert (full.entry[n:] >= data.cutoff).all() and set(full.arm[n:]) <= {0, s}
        new_on_dose.append((full.arm[n:] == s).mean())
    share = np.mean(new_on_dose)  # 50 x about 53 new patients
    assert abs(share - 0.6) < 4 * math.sqrt(0.24 / (50 * (design.stage2.patients - (data.stage == 2).sum())))


def test_continuation_inverts_the_designs_piecewise_hazards():
    """A patient followed for a months draws T with Lambda(T) = Lambda(a) + E: the time the outcome model's
    plain twin gives for the unit exponential Lambda(a) + E (a non-selected dose keeps the design's hazards,
    here one per piece)."""
    from seamless.observed.future import _Model
    from seamless.sim.kernel_design import stratum_table
    from seamless.sim.outcome import event_times_reference

    design = sl.load(Path(__file__).parents[1] / "configs" / "successor2_delayed_effect.toml").scenarios[0].design
    model = _Model(design, 3, 0.7)
    _, _, multipliers = stratum_table(design)
    rng = np.random.default_rng(2)
    arm = np.array([0, 1, 2, 1, 0, 2] * 5)
    stratum = rng.integers(0, multipliers.size, arm.size)
    elapsed = rng.uniform(0, 12, arm.size)
    level = model.cumulative_hazard(arm, stratum, elapsed) + rng.exponential(size=arm.size)
    times = model.inverse(arm, stratum, level)
    expected, _ = event_times_reference(design.outcome, arm, multipliers[stratum], level, np.ones(arm.size))
    assert times == pytest.approx(expected, rel=1e-12)


def test_conditional_power_by_simulation_orders_with_the_hazard_ratio(design):
    """Simulated continuations in cohort mode: more power the smaller the HR assumed, the CRP (HR 1) below,
    near the formula's values (an approximation there: the log-rank's increments given the past are not
    centred, past events being re-weighted by later risk sets)."""
    from seamless.observed.analysis import analyze_data
    from seamless.observed.future import Continuation

    cohort = design.replace({"analysis.mode": "cohort"})
    data = _at_interim(cohort)
    look = analyze_data(cohort, data, planned_hr=0.6, continuation=Continuation(cohort, 400, seed=3)).looks[0]
    formula = analyze_data(cohort, data, planned_hr=0.6).looks[0]
    assert look.conditional_power_method.startswith("simulation")
    assert look.conditional_power_planned[0] > look.conditional_power_observed[0] > look.conditional_rejection[0]
    for simulated, approximation in ((look.conditional_power_planned, formula.conditional_power_planned),
                                     (look.conditional_rejection, formula.conditional_rejection)):
        assert abs(simulated[0] - approximation[0]) < 0.15


def test_expected_look_date_is_the_exponential_formula():
    """One stratum, no stage-2 patients to come, exponential PFS and dropout: the expected CG events by
    calendar time T are observed + sum over patients followed of lambda / (lambda + mu) (1 - exp(-(lambda + mu)
    (T - cutoff)))."""
    from seamless.observed.data import PatientData
    from seamless.observed.future import expected_event_time

    design = sl.load(DATA / "analysis.toml").scenarios[0].design.replace(
        {"strata": None, "stage2.patients": 10, "analysis.events": [30, 40], "analysis.information_rates": None})
    n = 40
    rng = np.random.default_rng(4)
    arm = np.where(np.arange(n) % 2 == 0, 3, 0)
    stage = np.where(np.arange(n) < 30, 1, 2)
    arm[stage == 1] = np.where(np.arange(30) % 2 == 0, 3, 0)
    entry = np.sort(rng.uniform(0, 5, n))
    cutoff = 6.0
    event = rng.random(n) < 0.3
    time = np.where(event, rng.uniform(0, 1, n), cutoff - entry)
    data = PatientData(stage, arm, np.zeros(n, np.int64), entry, time, event, cutoff, None, 3)
    hazard, theta = math.log(2) / 8.3, 0.667
    mu = -math.log(1 - 0.05) / 12
    followed = ~event
    rates = np.where(arm[followed] == 3, hazard * theta, hazard)
    target = int(event.sum()) + 8

    def expected(t):
        return event.sum() + np.sum(rates / (rates + mu) * (1 - np.exp(-(rates + mu) * (t - cutoff))))

    from scipy.optimize import brentq
    exact = brentq(lambda t: expected(t) - target, cutoff, cutoff + 200)
    assert expected_event_time(design, data, 3, theta, target, 0.0) == pytest.approx(exact, abs=2e-3)


COLUMNS = ["patient", "stage", "arm", "age", "prior_lines", "iss", "entry", "time", "event"]
ODD_VALUES = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**12, 10**12),
                       st.text(max_size=12), st.sampled_from(["Kd", "1.0mg", "2021-01-01", "II", "", " "]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(data=st.data())
def test_hostile_data_gets_a_one_line_error_or_an_analysis(design, data):
    """Any cell replaced by anything, rows dropped or repeated: a DataError (one line) or an analysis, never
    another exception."""
    table = pd.read_csv(DATA / "analysis_trial6.csv", dtype={"patient": str}).astype(object)
    for _ in range(data.draw(st.integers(1, 3))):
        row = data.draw(st.integers(0, len(table) - 1))
        table.loc[row, data.draw(st.sampled_from(COLUMNS))] = data.draw(ODD_VALUES)
    if data.draw(st.booleans()):
        table = table.sample(frac=data.draw(st.floats(0.0, 1.0)), random_state=1)
    try:
        sl.analyze(design, table, simulations=0, inference=data.draw(st.booleans()))
    except sl.ConfigError as err:
        assert "\n" not in str(err) and str(err).startswith(("DATA:", "--cutoff", "--selected", "selection.rule"))


def test_a_rule_on_response_takes_the_dose_of_stage_2_or_the_one_given():
    study = sl.load(Path(__file__).parents[1] / "configs" / "selection_on_response.toml")
    data = sl.trial_patients(study, 0, seed=1)
    a = sl.analyze(study, data, simulations=0, inference=False)
    assert a.stage1.selected == data.attrs["selected_dose"] == a.stage1.rule_choice
    stage1_only = data[data["stage"] == 1]
    with pytest.raises(sl.ConfigError, match="selects on response and toxicity.*--selected"):
        sl.analyze(study, stage1_only, simulations=0)
    dose = study.scenarios[0].design.doses[0]
    assert sl.analyze(study, stage1_only, selected=dose, simulations=0).stage1.selected == dose
