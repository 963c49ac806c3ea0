"""The benchmark script stays runnable: its report renders figures of the shape it measures."""

import importlib.util

from conftest import ROOT


def _script():
    spec = importlib.util.spec_from_file_location("benchmarks_run", ROOT / "benchmarks" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_table_renders_every_figure():
    bench = _script()
    figures = {"mode": "quick", "machine": bench.machine(),
               "per_trial_us": {"null": 50.0, "design": 55.0, "flat": 56.0, "mean": 53.7},
               "trials_per_second": 30000.0, "startup": {"cold": 40.0, "warm": 1.5},
               "memory": {"trials": 20000, "peak_mb": 300.0, "wall_seconds": 3.0}}
    text = bench.table(figures)
    for fragment in ("53.7", "30000", "40.0 s / 1.50 s", "peak memory 300 MB", "cores"):
        assert fragment in text
