"""The Python interface: a run in memory is the run the command writes, and it reads back from disk."""

import json
import math

import pandas as pd
import pytest
from scipy.stats import binomtest

import seamless as sl
from conftest import DEFAULT_CONFIG
from seamless.cli import main
from seamless.config import Study, parse_study

TRIALS, SEED = 400, 3


@pytest.fixture(scope="module")
def in_memory(default_study):
    return sl.simulate(default_study, trials=TRIALS, seed=SEED, scenarios=["null", "design"], jobs=2)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "out"
    assert main([str(DEFAULT_CONFIG), "--trials", str(TRIALS), "--seed", str(SEED), "--scenario", "null",
                 "--scenario", "design", "--out", str(out), "--quiet"]) == 0
    return out


def test_saved_result_is_the_command_output_byte_for_byte(in_memory, written, tmp_path):
    files = in_memory.save(tmp_path / "saved")
    assert [f.name for f in files] == ["trials.parquet", "summary.parquet"]
    for f in files:
        assert f.read_bytes() == (written / f.name).read_bytes(), f.name


def test_open_gives_the_result_back(in_memory, written, tmp_path):
    opened = sl.open(written)
    pd.testing.assert_frame_equal(opened.summary(), in_memory.summary())
    pd.testing.assert_frame_equal(opened.trials(), in_memory.trials())
    assert opened.seed == SEED and opened.trials_per_scenario == TRIALS
    assert opened.study.scenario_names() == ["null", "design"]
    assert opened.study["design"] == in_memory.study["design"]
    # saving an opened result copies its files
    opened.save(tmp_path / "copy")
    assert (tmp_path / "copy" / "trials.parquet").read_bytes() == (written / "trials.parquet").read_bytes()


def test_open_refuses_a_folder_without_results(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a results folder"):
        sl.open(tmp_path)


def test_summary_has_standard_errors_and_wilson_intervals(in_memory):
    summary = in_memory.summary()
    assert list(summary.index) == ["null", "design"]
    row = summary.loc["design"]
    for name in ("power", "type1_error", "correct_selection", "select_1.0mg", "stop_futility_look1"):
        successes = round(row[name] * TRIALS)
        interval = binomtest(successes, TRIALS).proportion_ci(0.95, method="wilson")
        assert row[f"{name}_ci_low"] == pytest.approx(interval.low, abs=1e-12)
        assert row[f"{name}_ci_high"] == pytest.approx(interval.high, abs=1e-12)
        assert row[f"{name}_se"] == pytest.approx(math.sqrt(row[name] * (1 - row[name]) / TRIALS))
    # means: estimate +- 1.96 SE
    half = row["expected_duration_ci_high"] - row["expected_duration"]
    assert half == pytest.approx(1.959963984540054 * row["expected_duration_se"])
    assert summary.loc["null", "hazard_ratio_1.0mg"] == 1.0 and row["hazard_ratio_1.0mg"] == 0.667
    assert json.loads(row["parameters"])["outcome"]["hazard_ratios"] == [0.8, 0.72, 0.667]


def test_trials_read_as_text(in_memory):
    trials = in_memory.trials()
    assert len(trials) == 2 * TRIALS
    assert set(trials["selected_dose"]) <= {"0.3mg", "0.6mg", "1.0mg"}
    assert set(trials["stop_reason"]) <= {"none", "efficacy", "futility"}
    stopped_early = trials["stop_look"] == 1
    assert (trials.loc[stopped_early, "stop_reason"] == "futility").all()
    assert trials.loc[stopped_early, "look2_z"].isna().all()  # looks not performed are missing


def test_representations_show_the_table(in_memory):
    text = repr(in_memory)
    assert text.startswith("SimulationResult of successor2: 2 scenario(s) x 400 trials, seed 3")
    assert "Scenario design" in text and "power, P(reject H_s)" in text and "selection" in text
    html = in_memory._repr_html_()
    assert "<table" in html and "1.0mg" in html


def test_a_design_runs_as_scenario_base_and_a_sweep_names_its_points(default_study):
    design = default_study["design"]
    base = sl.simulate(design, trials=50, seed=1, jobs=1)
    assert list(base.summary().index) == ["base"]
    study = sl.sweep(design, {"outcome.hazard_ratios[2]": [1.0, 0.8]}, name="hr", trials=50)
    summary = sl.simulate(study, seed=1, jobs=1).summary()
    assert list(summary.index) == ["hr:outcome.hazard_ratios[2]=1", "hr:outcome.hazard_ratios[2]=0.8"]
    assert list(summary["sweep"]) == ["hr", "hr"]
    assert [json.loads(p) for p in summary["sweep_point"]] == [{"outcome.hazard_ratios[2]": 1.0},
                                                             {"outcome.hazard_ratios[2]": 0.8}]
    assert list(summary["hazard_ratio_1.0mg"]) == [1.0, 0.8]


def test_a_study_built_in_python_carries_the_toml_that_reads_back_to_it(default_study):
    designs = {"null": default_study["null"], "better": default_study["design"].replace(
        {"outcome.hazard_ratios": [0.7, 0.6, 0.5]})}
    study = Study.from_designs(designs, name="mine", seed=7, trials=100)
    again = parse_study(study.text, "other")
    assert again == study
    assert again["better"].outcome.hazard_ratios == (0.7, 0.6, 0.5) and again.seed == 7


def test_named_designs_run_like_a_config(default_study):
    result = sl.simulate({"null": default_study["null"]}, trials=60, seed=9, jobs=1)
    from_config = sl.simulate(default_study, trials=60, seed=9, scenarios="null", jobs=1)
    assert result.trials_table().equals(from_config.trials_table())


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"trials": 0}, "trials: must be an integer >= 1, got 0"),
    ({"trials": 10, "seed": -1}, "seed: must be an integer >= 0, got -1"),
    ({"trials": 10, "jobs": 0}, "jobs: must be an integer >= 1, got 0"),
    ({"trials": 10, "backend": "mpi"}, "backend: must be one of threads, loky, dask"),
    ({"trials": 10, "scenarios": ["nul"]}, "unknown scenario nul; the study has null, design, flat"),
])
def test_bad_arguments_are_config_errors(default_study, kwargs, message):
    with pytest.raises(sl.ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        sl.simulate(default_study, **kwargs)


def test_simulate_refuses_what_is_not_a_design(default_study):
    with pytest.raises(TypeError, match="expected a Study, a Design or a dict of Designs"):
        sl.simulate("configs/successor2.toml", trials=1)


def test_wilson_interval_contains_the_estimate_at_the_edges():
    from seamless.run.summary import wilson_interval

    for successes in (0, 1, 399, 400):
        p = successes / 400
        low, high = wilson_interval(p, 400)
        reference = binomtest(successes, 400).proportion_ci(0.95, method="wilson")
        assert low <= p <= high
        assert low == pytest.approx(reference.low, abs=1e-12) and high == pytest.approx(reference.high, abs=1e-12)
