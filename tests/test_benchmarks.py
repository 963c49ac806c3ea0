"""The benchmark script stays importable and its table and JSON writer work (on made-up figures;
nothing is measured here)."""

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "run.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("benchmarks_run", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FIGURES = {
    "mode": "quick",
    "date": "2026-01-01T00:00:00+00:00",
    "config": "configs/successor2.toml",
    "machine": {"platform": "Linux-test", "cpu": "Test CPU", "cores": 2, "python": "3.11.0", "numpy": "2.0",
                "numba": "0.60"},
    "sizes": {"chunk": 500},
    "per_trial_us": {"null": 51.25, "design": 58.5, "flat": 57.0, "mean": 55.58, "full_featured": 74.75},
    "trials_per_second": {"null": 38000.0, "design": 34000.0, "flat": 35000.0, "all": 35600.0, "jobs": 2},
    "startup_seconds": {"cold": 31.5, "warm": 1.25, "warm_runs": [1.2, 1.25, 1.3]},
    "memory": {"trials": 20000, "peak_mb": 512.4, "wall_seconds": 3.5},
    "analyze": {"increments": 2.25, "cohort": 9.75},
}


def test_table_shows_every_figure(bench):
    text = bench.table(FIGURES)
    assert "quick mode" in text and "Test CPU" in text and "2 cores" in text
    for expected in ["null", "design", "flat", "mean", "full_featured", "74.8",
                     "51.2", "58.5", "55.6", "35600", "2 jobs", "31.50", "1.25",
                     "512", "3.5", "20000 trials", "analyze, cohort mode", "9.75", "2.25"]:
        assert expected in text, expected


def test_json_round_trips(bench, tmp_path):
    path = bench.write_json(FIGURES, tmp_path / "nested" / "benchmarks.json")
    assert json.loads(path.read_text()) == FIGURES


def test_modes_and_command(bench):
    assert set(bench.SIZES) == {"quick", "full"}
    assert bench.SIZES["quick"]["memory_trials"] < bench.SIZES["full"]["memory_trials"] == 1_000_000
    command = bench._simulate_command("--trials", "1")
    assert str(bench.CONFIG) in command and command[-2:] == ["--trials", "1"]
