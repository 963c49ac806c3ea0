"""Tests for the ``simulate`` console command, run as a real subprocess in a scratch folder.

Bad input: exit status 2, one line "simulate: error: ..." on stderr, nothing on stdout, no
traceback and no file written. Good input: the boundaries table/JSON and one small real run.
"""

import json
import subprocess
import sys

import pytest
from numpy.testing import assert_allclose

import seamless

# DESIGN.md section 5, rpact 3.3.4:
#   getDesignGroupSequential(informationRates = c(0.3, 0.75, 1), typeOfDesign = "asOF", alpha = 0.025,
#                            sided = 1, typeBetaSpending = "none") with no efficacy stop at 0.3
# published to 6 decimals: inf, 2.339711, 2.011777 (tolerance 1e-6).
PUBLISHED_BOUNDS = [2.339711, 2.011777]
BOUNDARIES_ARGS = ["boundaries", "--info-rates", "0.3,0.75,1", "--alpha", "0.025", "--spending", "obf",
                   "--efficacy-looks", "2,3"]


def _simulate(cwd, *args, timeout=300):
    return subprocess.run([sys.executable, "-m", "seamless.cli", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def _edit(text: str, *replacements: tuple[str, str]) -> str:
    for old, new in replacements:
        assert old in text, f"default config no longer contains {old!r}"
        text = text.replace(old, new, 1)
    return text


def _assert_usage_error(result, before: set, folder, fragments=()):
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].strip(), f"not one line: {result.stderr!r}"
    assert lines[0].startswith("simulate: error: ")
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
    assert {p.name for p in folder.iterdir()} == before, "a bad run wrote something"


# (case id, replacements in the default config or None for no config file, extra arguments, fragments)
BAD_RUNS = [
    ("missing_config", None, [], ["config file not found", "cfg.toml"]),
    ("toml_syntax_error", [("seed = 20261123", "seed = = 1")], [], ["TOML syntax error", "line"]),
    ("unknown_key", [("followup_months = 3.0", "folowup_months = 3.0")], ["--out", "OUT"],
     ["selection.folowup_months", "followup_months"]),
    ("wrong_type", [("patients = 235", 'patients = "235"')], [], ["stage1.patients", "expected an integer"]),
    ("inconsistent_ratios", [("blocks = [[1, 1, 1, 0], [1, 1, 1, 1], [1, 1, 1, 1]]", "blocks = [[1, 1, 1, 1]]")],
     ["--out", "OUT"], ["stage1.blocks", "stage1.ratio"]),
    ("nonpositive_median", [("control_median_months = 8.3", "control_median_months = 0")], [],
     ["outcome.control_median_months"]),
    ("nonpositive_hazard_ratio", [("[0.80, 0.72, 0.667]", "[0.80, 0.0, 0.667]")], [],
     ["design", "outcome.hazard_ratios[1]"]),
    ("events_not_increasing", [("events = [82, 205, 273]", "events = [82, 273, 205]")], ["--out", "OUT"],
     ["analysis.events", "strictly increasing"]),
    ("unreachable_look", [("events = [82, 205, 273]", "events = [82, 205, 1000]")], [],
     ["analysis.events", "never be reached"]),
    ("probability_above_one", [("dropout_per_year = 0.05", "dropout_per_year = 0.05\n\n[endpoints]\n"
                                                        "response_probabilities = [0.3, 0.4, 1.5, 0.3]")],
     ["--out", "OUT"], ["endpoints.response_probabilities[2]", "[0, 1]", "1.5"]),
    ("pieces_not_increasing", [("dropout_per_year = 0.05", "dropout_per_year = 0.05\npiece_starts_months = [0, 4, 2]")],
     [], ["outcome.piece_starts_months", "strictly increasing"]),
    ("piecewise_hazard_ratios_of_wrong_length",
     [("dropout_per_year = 0.05", "dropout_per_year = 0.05\npiece_starts_months = [0, 4]"),
      ("[0.80, 0.72, 0.667]", "[[1.0, 0.8, 0.7], 0.72, 0.667]")], ["--out", "OUT"],
     ["design", "outcome.hazard_ratios[0]", "or 2 (one per piece"]),
    ("utility_rule_without_its_keys", [('rule = "best"', 'rule = "utility"\nutility_weight = 1.0')], [],
     ["selection.max_toxicity", "missing"]),
    ("user_rule_from_a_file", [('rule = "best"', 'rule = "user"')], ["--out", "OUT"],
     ["selection.rule", "numba-compiled function, from Python"]),
    ("unknown_scenario", [], ["--scenario", "nul", "--out", "OUT"], ["--scenario", "nul", "null, design, flat"]),
    ("zero_trials", [], ["--trials", "0"], ["--trials"]),
    ("non_numeric_trials", [], ["--trials", "abc", "--out", "OUT"], ["--trials", "abc"]),
    ("zero_jobs", [], ["--jobs", "0"], ["--jobs"]),
    ("negative_seed", [], ["--seed", "-1", "--out", "OUT"], ["--seed"]),
    ("unknown_flag", [], ["--trails", "10"], ["--trails"]),
]


@pytest.mark.parametrize(("replacements", "extra", "fragments"),
                         [pytest.param(r, e, f, id=case) for case, r, e, f in BAD_RUNS])
def test_bad_run_input(tmp_path, default_text, replacements, extra, fragments):
    if replacements is not None:
        (tmp_path / "cfg.toml").write_text(_edit(default_text, *replacements))
    before = {p.name for p in tmp_path.iterdir()}
    result = _simulate(tmp_path, "cfg.toml", *extra)
    _assert_usage_error(result, before, tmp_path, fragments)


BAD_BOUNDARIES = [
    ("rates_not_increasing", ["--info-rates", "0.75,0.3,1"], ["strictly increasing"]),
    ("rates_equal", ["--info-rates", "0.5,0.5,1"], ["strictly increasing"]),
    ("rate_above_one", ["--info-rates", "0.3,1.2"], ["(0, 1]"]),
    ("rate_zero", ["--info-rates", "0,1"], ["(0, 1]"]),
    ("rate_not_a_number", ["--info-rates", "0.3,x,1"], ["--info-rates"]),
    ("alpha_zero", ["--info-rates", "0.3,1", "--alpha", "0"], ["--alpha", "[1e-06, 0.5)"]),
    ("alpha_half", ["--info-rates", "0.3,1", "--alpha", "0.5"], ["--alpha", "[1e-06, 0.5)"]),
    ("alpha_tiny", ["--info-rates", "0.3,1", "--alpha", "1e-17"], ["--alpha", "[1e-06, 0.5)", "1e-17"]),
    ("spending_overflow", ["--info-rates", "0.3,1", "--spending", "hsd:-1000"], ["--spending", "gamma in [-30, 30]"]),
    ("rates_too_close", ["--info-rates", "0.3,0.300001,1"], ["--info-rates", "at least 1%", "0.300001"]),
    ("alpha_not_a_number", ["--info-rates", "0.3,1", "--alpha", "abc"], ["--alpha"]),
    ("unknown_spending", ["--info-rates", "0.3,1", "--spending", "obrien"], ["--spending", "obf, pocock", "'obrien'"]),
    ("efficacy_looks_out_of_range", ["--info-rates", "0.3,0.75,1", "--efficacy-looks", "2,4"], ["1..3"]),
    ("efficacy_looks_without_last", ["--info-rates", "0.3,0.75,1", "--efficacy-looks", "1,2"], ["last look 3"]),
    ("missing_info_rates", ["--alpha", "0.025"], ["--info-rates"]),
    ("unknown_flag", ["--info-rates", "0.3,1", "--bogus"], ["--bogus"]),
]


@pytest.mark.parametrize(("args", "fragments"), [pytest.param(a, f, id=case) for case, a, f in BAD_BOUNDARIES])
def test_bad_boundaries_input(tmp_path, args, fragments):
    result = _simulate(tmp_path, "boundaries", *args)
    _assert_usage_error(result, set(), tmp_path, fragments)


def test_boundaries_json_matches_rpact(tmp_path):
    result = _simulate(tmp_path, *BOUNDARIES_ARGS, "--json")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = json.loads(result.stdout)
    assert set(out) == {"information_rates", "efficacy_bounds", "nominal_p", "cumulative_alpha"}
    assert out["information_rates"] == [0.3, 0.75, 1.0]
    assert out["efficacy_bounds"][0] is None
    assert_allclose(out["efficacy_bounds"][1:], PUBLISHED_BOUNDS, rtol=0, atol=1e-6)
    assert out["nominal_p"][0] is None and out["cumulative_alpha"][0] is None
    # rpact alphaSpent = c(0.00964932495351212, 0.025) (tests/reference/boundaries.json).
    assert_allclose(out["cumulative_alpha"][1:], [0.00964932495351212, 0.025], rtol=1e-7)
    assert_allclose(out["nominal_p"][1:], [0.0096493249, 0.0221217314], atol=1e-8)
    assert list(tmp_path.iterdir()) == []


def test_boundaries_table(tmp_path):
    result = _simulate(tmp_path, *BOUNDARIES_ARGS)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    look_lines = [line for line in lines if line.split()[:1] in (["1"], ["2"], ["3"])]
    rows = [line.split() for line in look_lines]
    assert [row[0] for row in rows] == ["1", "2", "3"]
    assert [float(row[1]) for row in rows] == [0.3, 0.75, 1.0]
    assert rows[0][2] == "-" and "no efficacy stop" in look_lines[0]
    assert [float(row[2]) for row in rows[1:]] == pytest.approx(PUBLISHED_BOUNDS, abs=1e-6)
    assert "obf" in lines[0] and "0.025" in lines[0]


def _small_config(default_text: str) -> str:
    return _edit(default_text, ("trials = 10000", "trials = 200"), ("chunk_trials = 1000", "chunk_trials = 100"))


def test_small_run_writes_json_and_parquet(tmp_path, default_text):
    import pyarrow.parquet as pq

    (tmp_path / "cfg.toml").write_text(_small_config(default_text))
    result = _simulate(tmp_path, "cfg.toml", "--trials", "200", "--scenario", "null", "--jobs", "1", "--json",
                       "--out", "OUT")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    rows = json.loads(result.stdout)
    assert isinstance(rows, list) and len(rows) == 1
    assert rows[0]["scenario"] == "null" and rows[0]["trials"] == 200
    assert not (tmp_path / "results").exists()

    trials = pq.read_table(tmp_path / "OUT" / "trials.parquet")
    summary = pq.read_table(tmp_path / "OUT" / "summary.parquet")
    assert trials.num_rows == 200
    assert set(trials.column("scenario").to_pylist()) == {"null"}
    assert trials.column("trial").to_pylist() == list(range(200))
    assert summary.num_rows == 1 and summary.column("scenario").to_pylist() == ["null"]
    for table in (trials, summary):
        metadata = table.schema.metadata
        assert {b"config", b"seed", b"seamless_version"} <= set(metadata)
        assert metadata[b"config"].decode() == _small_config(default_text)
        assert metadata[b"seed"] == b"20261123"
        assert metadata[b"seamless_version"] == seamless.__version__.encode()
    leftovers = [p.name for p in (tmp_path / "OUT").iterdir() if p.name.startswith(".")]
    assert leftovers == []  # no staged temporary files


def test_small_run_defaults_to_results_folder_named_after_config(tmp_path, default_text):
    (tmp_path / "small.toml").write_text(_small_config(default_text))
    result = _simulate(tmp_path, "small.toml", "--trials", "50", "--scenario", "design", "--jobs", "1", "--quiet")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""
    assert sorted(p.name for p in (tmp_path / "results" / "small").iterdir()) == ["summary.parquet",
                                                                                   "trials.parquet"]


def test_config_path_under_a_file(tmp_path, default_text):
    (tmp_path / "cfg.toml").write_text(default_text)
    result = _simulate(tmp_path, "cfg.toml/x.toml")
    _assert_usage_error(result, {"cfg.toml"}, tmp_path, ["cfg.toml"])


def test_output_folder_under_a_file(tmp_path, default_text):
    (tmp_path / "cfg.toml").write_text(default_text)
    (tmp_path / "taken").write_text("a file, not a folder")
    result = _simulate(tmp_path, "cfg.toml", "--trials", "5", "--out", "taken/out")
    _assert_usage_error(result, {"cfg.toml", "taken"}, tmp_path, ["--out", "taken"])
