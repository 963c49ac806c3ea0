"""One simulated trial's patients as data (`sl.trial_patients`): the data set reproduces that trial's
selection, enrolment, events and hazard-ratio estimate, computed again from the data alone with the
plain stratified log-rank."""

import dataclasses

import numpy as np
import pytest

import seamless as sl
from seamless.stats.logrank import logrank_reference


@pytest.fixture(scope="module")
def run(default_study):
    study = dataclasses.replace(default_study, chunk_trials=7)  # trials in several chunks
    return study, sl.simulate(study, trials=20, seed=5, scenarios="design").trials()


def test_each_trial_is_rebuilt_from_its_data(run):
    study, trials = run
    factors = [f.name for f in study["design"].strata]
    for trial in range(20):
        data = sl.trial_patients(study, trial, seed=5, scenario="design")
        row = trials.iloc[trial]
        assert data.attrs["selected_dose"] == row["selected_dose"] and data.attrs["cutoff"] == row["duration"]
        assert len(data) == row["patients"] and (data["entry"] < row["duration"]).all()
        assert set(data.loc[data["stage"] == 2, "arm"]) <= {row["selected_dose"], "Kd"}
        cg = data[data["arm"].isin([row["selected_dose"], "Kd"])]
        assert cg["event"].sum() == row["cg_events"]
        strata = cg[factors].astype(str).agg("/".join, axis=1)
        result = logrank_reference(cg["time"].to_numpy(), cg["event"].to_numpy().astype(bool),
                                   (cg["arm"] == row["selected_dose"]).to_numpy().astype(int),
                                   strata.factorize()[0])
        assert np.exp(-result.score / result.variance) == pytest.approx(row["hr_estimate"], rel=1e-9)
        assert list(data["patient"]) == list(range(1, len(data) + 1))


def test_a_trial_stopped_for_safety_has_no_stage_2(default_study):
    design = default_study["design"].replace({
        "endpoints.response_probabilities": [0.3, 0.4, 0.5, 0.3], "endpoints.toxicity_probabilities": [0.5] * 4,
        "selection.rule": "utility", "selection.utility_weight": 1.0, "selection.max_toxicity": 0.1})
    data = sl.trial_patients(design, 0, seed=1)
    assert data.attrs["selected_dose"] is None and set(data["stage"]) == {1} and len(data) == 235


def test_bad_trial_numbers_are_refused(default_study):
    with pytest.raises(sl.ConfigError, match="trial: must be an integer >= 0"):
        sl.trial_patients(default_study, -1)
