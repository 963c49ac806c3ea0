"""Benchmark suite: speed and memory of the simulator on configs/successor2.toml.

    python benchmarks/run.py [--quick] [--json results/benchmarks.json]

Measures (1) microseconds per simulated trial per core, single process, after compilation, for
each scenario and their mean (median of repeats); (2) trials per second with all cores;
(3) cold (compiling into an empty numba cache) and warm start-up of ``simulate``; (4) peak
memory (RSS summed over the process tree) and wall time of a 1,000,000-trial run of one scenario.
``--quick`` (CI) uses fewer repeats and trials. Times are reported, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "successor2.toml"


def machine() -> dict:
    cpu = "unknown"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    import numba
    import numpy

    return {"platform": platform.platform(), "cpu": cpu, "cores": os.cpu_count(),
            "python": platform.python_version(), "numpy": numpy.__version__, "numba": numba.__version__}


def per_trial_microseconds(trials: int, repeats: int) -> dict:
    """Median microseconds per trial of one chunk in this process, per default scenario."""
    import numpy as np

    from seamless.config import load_config
    from seamless.engine import run_chunk
    from seamless.kernel_design import kernel_design

    figures = {}
    for scenario in load_config(CONFIG).scenarios:
        d = kernel_design(scenario.design)
        run_chunk(d, np.random.SeedSequence(0), 10)  # compile or load the cache
        times = []
        for repeat in range(repeats):
            start = time.perf_counter()
            run_chunk(d, np.random.SeedSequence(repeat + 1), trials)
            times.append(time.perf_counter() - start)
        figures[scenario.name] = statistics.median(times) / trials * 1e6
    figures["mean"] = statistics.mean(figures.values())
    return figures


def trials_per_second(trials: int) -> float:
    """All cores, through the runner (joblib), design scenario."""
    from seamless.config import load_config
    from seamless.runner import run_scenario

    scenario = next(s for s in load_config(CONFIG).scenarios if s.name == "design")
    run_scenario(scenario, 1, 100, 100, jobs=os.cpu_count())  # start the workers' caches
    start = time.perf_counter()
    run_scenario(scenario, 2, trials, 1000, jobs=os.cpu_count())
    return trials / (time.perf_counter() - start)


def _simulate(args: list[str], env: dict | None = None) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "seamless.cli", str(CONFIG), *args], check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def startup_seconds(warm_repeats: int) -> dict:
    """``simulate --trials 1``: cold into an empty numba cache, then warm from it."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "NUMBA_CACHE_DIR": str(Path(tmp) / "cache")}
        args = ["--trials", "1", "--scenario", "null", "--jobs", "1", "--quiet", "--out", str(Path(tmp) / "out")]
        cold = _simulate(args, env)
        warm = statistics.median(_simulate(args, env) for _ in range(warm_repeats))
    return {"cold": cold, "warm": warm}


def peak_memory(trials: int) -> dict:
    """Peak RSS summed over the process tree (sampled every 0.1 s) and wall time of one scenario."""
    import psutil

    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "seamless.cli", str(CONFIG), "--trials", str(trials), "--scenario", "null",
                   "--quiet", "--out", tmp]
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        parent, peak = psutil.Process(process.pid), 0
        while process.poll() is None:
            try:
                tree = [parent, *parent.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
            except psutil.Error:
                pass
            time.sleep(0.1)
        wall = time.perf_counter() - start
        if process.returncode:
            raise RuntimeError(f"simulate exited with {process.returncode}")
    return {"trials": trials, "peak_mb": peak / 2**20, "wall_seconds": wall}


def table(figures: dict) -> str:
    per_trial = figures["per_trial_us"]
    lines = [f"machine: {figures['machine']['cpu']}, {figures['machine']['cores']} cores; mode {figures['mode']}",
             "  microseconds per trial per core (single process, after compilation):"]
    lines += [f"    {name:<8} {value:8.1f}" for name, value in per_trial.items()]
    memory = figures["memory"]
    lines += [f"  trials per second, all cores:      {figures['trials_per_second']:10.0f}",
              f"  start-up of simulate, cold / warm: {figures['startup']['cold']:6.1f} s / "
              f"{figures['startup']['warm']:.2f} s",
              f"  {memory['trials']} trials of one scenario: peak memory {memory['peak_mb']:.0f} MB, "
              f"wall {memory['wall_seconds']:.1f} s"]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and trials (CI)")
    parser.add_argument("--json", type=Path, default=ROOT / "results" / "benchmarks.json")
    args = parser.parse_args(argv)
    quick = args.quick
    figures = {
        "mode": "quick" if quick else "full",
        "machine": machine(),
        "per_trial_us": per_trial_microseconds(500 if quick else 2000, 3 if quick else 7),
        "trials_per_second": trials_per_second(4000 if quick else 40000),
        "startup": startup_seconds(1 if quick else 3),
        "memory": peak_memory(20000 if quick else 1_000_000),
    }
    print(table(figures))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(figures, indent=1))
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
