"""Benchmark suite: speed, start-up and memory of the simulator on configs/successor2.toml.

    python benchmarks/run.py [--quick] [--json results/benchmarks.json]

Measures
  (1) microseconds per simulated trial per core: one process, after compilation, each default
      scenario (median of repeated chunks), their mean, and the design scenario with every feature
      of outcome and selection at work (`FULL_FEATURED`);
  (2) trials per second with all cores, through ``seamless.simulate`` (in memory, threads);
  (3) start-up of ``simulate CONFIG --trials 1 --quiet --out TMP``: cold (compiling into an empty
      numba cache) and warm (from that cache, median of repeats);
  (4) peak memory (RSS summed over the process tree, sampled every 0.1 s) and wall time of
      ``simulate CONFIG --trials 1000000 --scenario null --quiet --out TMP``;
  (5) wall time of ``simulate report`` on the default run (3 scenarios x 10,000 trials);
  (6) wall time of ``simulate analyze`` on a simulated trial's data (tests/data/analysis_trial3.csv): in
      increments mode (tests/data/analysis.toml; conditional power by formula) and with the default
      config in cohort mode (conditional power by 1000 simulated continuations at two looks).
``--quick`` (CI, a few minutes) uses fewer repeats and trials. Figures are reported, never asserted.
Writes a table to stdout and every figure, with the machine and the mode, to a JSON file.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
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

#: Sizes per mode: trials per timed chunk and repeats for (1), trials per scenario and chunk size
#: for (2), warm start-up repeats for (3), trials for (4).
SIZES = {
    "full": {"chunk": 2000, "repeats": 7, "throughput_trials": 20000, "throughput_chunk": 1000,
             "warm_repeats": 3, "memory_trials": 1_000_000, "report_trials": 10_000},
    "quick": {"chunk": 500, "repeats": 5, "throughput_trials": 2000, "throughput_chunk": 500,
              "warm_repeats": 3, "memory_trials": 20000, "report_trials": 2000},
}


#: The default design scenario with every feature of the outcome and the selection at work: a delayed
#: effect (piecewise hazards), response and toxicity (Gaussian copula) and selection on their utility.
FULL_FEATURED = {
    "outcome.piece_starts_months": [0.0, 4.0], "outcome.hazard_ratios": [[1.0, 0.8], [1.0, 0.72], [1.0, 0.667]],
    "endpoints.response_probabilities": [0.3, 0.45, 0.6, 0.3], "endpoints.response_pfs_correlation": 0.5,
    "endpoints.toxicity_probabilities": [0.1, 0.2, 0.35, 0.1], "endpoints.response_toxicity_correlation": 0.3,
    "selection.rule": "utility", "selection.utility_weight": 0.5, "selection.max_toxicity": 0.33,
}


def machine() -> dict:
    """Where the figures come from."""
    cpu = "unknown"
    with contextlib.suppress(OSError):  # no /proc/cpuinfo: the CPU stays unknown
        cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name")), cpu)
    import numba
    import numpy

    return {"platform": platform.platform(), "cpu": cpu, "cores": os.cpu_count(),
            "python": platform.python_version(), "numpy": numpy.__version__, "numba": numba.__version__}


def per_trial_microseconds(chunk: int, repeats: int) -> dict:
    """Median microseconds per trial of a ``chunk``-trial chunk in this process, per default
    scenario and for `FULL_FEATURED`, after a first call has compiled the kernels (or loaded them from
    the cache)."""
    import numpy as np

    from seamless.config import load_study
    from seamless.sim.engine import run_chunk
    from seamless.sim.kernel_design import kernel_design

    def median_us(design) -> float:
        d = kernel_design(design)
        run_chunk(d, np.random.SeedSequence(0), 10)
        times = []
        for repeat in range(repeats):
            start = time.perf_counter()
            run_chunk(d, np.random.SeedSequence(1, spawn_key=(repeat,)), chunk)
            times.append(time.perf_counter() - start)
        return statistics.median(times) / chunk * 1e6

    study = load_study(CONFIG)
    figures = {scenario.name: median_us(scenario.design) for scenario in study.scenarios}
    figures["mean"] = statistics.mean(figures.values())
    figures["full_featured"] = median_us(study["design"].replace(FULL_FEATURED))
    return figures


def trials_per_second(trials: int, chunk_trials: int) -> dict:
    """Trials per second of each default scenario on all cores (``seamless.simulate`` in memory on
    its default backend, threads), and of all of them together; the kernels are loaded first."""
    import dataclasses

    import seamless as sl

    study = dataclasses.replace(sl.load(CONFIG), chunk_trials=chunk_trials)
    jobs = os.cpu_count() or 1
    sl.simulate(study, trials=2 * jobs, seed=0, scenarios=study.scenarios[0].name, jobs=jobs)
    figures, total = {}, 0.0
    for name in study.scenario_names():
        start = time.perf_counter()
        sl.simulate(study, trials=trials, seed=1, scenarios=name, jobs=jobs)
        elapsed = time.perf_counter() - start
        figures[name] = trials / elapsed
        total += elapsed
    figures["all"] = trials * len(study.scenarios) / total
    figures["jobs"] = jobs
    return figures


def _simulate_command(*args: str, config: Path | None = CONFIG) -> list[str]:
    """``simulate [CONFIG] ARGS`` by the console script of this interpreter's environment, or by
    ``-m seamless.cli``."""
    script = Path(sys.executable).with_name("simulate")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "seamless.cli"]
    return [*command, *([str(config)] if config else []), *args]


def _run_seconds(command: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - start


def startup_seconds(warm_repeats: int) -> dict:
    """Wall time of ``simulate CONFIG --trials 1 --quiet --out TMP``: cold, compiling into an empty
    numba cache; then warm from that cache (median of ``warm_repeats``)."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "NUMBA_CACHE_DIR": str(Path(tmp) / "numba-cache")}
        command = _simulate_command("--trials", "1", "--quiet", "--out", str(Path(tmp) / "out"))
        cold = _run_seconds(command, env)
        warm = [_run_seconds(command, env) for _ in range(warm_repeats)]
    return {"cold": cold, "warm": statistics.median(warm), "warm_runs": warm}


def peak_memory(trials: int) -> dict:
    """Peak RSS, summed over the process tree and sampled every 0.1 s, and wall time of
    ``simulate CONFIG --trials N --scenario null --quiet --out TMP``."""
    import psutil

    with tempfile.TemporaryDirectory() as tmp:
        command = _simulate_command("--trials", str(trials), "--scenario", "null", "--quiet", "--out", tmp)
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        root, peak = psutil.Process(process.pid), 0
        while process.poll() is None:
            try:
                tree = [root, *root.children(recursive=True)]
            except psutil.Error:
                break
            rss = 0
            for member in tree:
                try:
                    rss += member.memory_info().rss
                except psutil.Error:
                    pass  # exited between listing and sampling
            peak = max(peak, rss)
            time.sleep(0.1)
        wall = time.perf_counter() - start
        stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
        if process.returncode:
            raise RuntimeError(f"simulate exited with {process.returncode}: {stderr.strip()[-500:]}")
    return {"trials": trials, "peak_mb": peak / 2**20, "wall_seconds": wall}


def report_seconds(trials: int) -> dict:
    """Wall time of ``simulate report DIR`` on a run of the default config (all three scenarios,
    ``trials`` each), the command's start-up included (median of three)."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(_simulate_command("--trials", str(trials), "--quiet", "--out", tmp), check=True,
                       stdout=subprocess.DEVNULL)
        command = _simulate_command("report", tmp, config=None)
        times = [_run_seconds(command, dict(os.environ)) for _ in range(3)]
    return {"trials": trials, "seconds": statistics.median(times)}


ANALYSIS_DATA = ROOT / "tests" / "data" / "analysis_trial3.csv"


def analyze_seconds() -> dict:
    """Wall time of ``simulate analyze`` (start-up included, median of three) in both modes."""
    commands = {
        "increments": _simulate_command("analyze", str(ROOT / "tests" / "data" / "analysis.toml"), str(ANALYSIS_DATA),
                                        config=None),
        "cohort": _simulate_command("analyze", str(CONFIG), str(ANALYSIS_DATA), "--scenario", "design", "--cutoff",
                                    "30", config=None),
    }
    return {mode: statistics.median(_run_seconds(command, dict(os.environ)) for _ in range(3))
            for mode, command in commands.items()}


def table(figures: dict) -> str:
    """The figures as a plain-text table."""
    m, per_trial = figures["machine"], figures["per_trial_us"]
    throughput, startup, memory = figures["trials_per_second"], figures["startup_seconds"], figures["memory"]
    lines = [f"seamless benchmarks ({figures['mode']} mode) on {m['cpu']}, {m['cores']} cores, "
             f"Python {m['python']}, numba {m['numba']}",
             "",
             f"{'measure':<46}{'value':>12}",
             "-" * 58]
    rows = [(f"us per trial, 1 core, {name}", f"{value:.1f}") for name, value in per_trial.items()]
    jobs = throughput["jobs"]
    rows += [(f"trials per second, {jobs} jobs, {name}", f"{value:.0f}")
             for name, value in throughput.items() if name != "jobs"]
    trials = memory["trials"]
    rows += [("start-up of simulate --trials 1, cold (s)", f"{startup['cold']:.2f}"),
             ("start-up of simulate --trials 1, warm (s)", f"{startup['warm']:.2f}"),
             (f"peak memory, {trials} trials, null (MB)", f"{memory['peak_mb']:.0f}"),
             (f"wall time, {trials} trials, null (s)", f"{memory['wall_seconds']:.1f}")]
    if "report" in figures:
        report = figures["report"]
        rows.append((f"simulate report, 3 x {report['trials']} trials (s)", f"{report['seconds']:.2f}"))
    for mode, seconds in figures.get("analyze", {}).items():
        rows.append((f"simulate analyze, {mode} mode (s)", f"{seconds:.2f}"))
    lines += [f"{label:<46}{value:>12}" for label, value in rows]
    return "\n".join(lines)


def write_json(figures: dict, path: Path) -> Path:
    """Write the figures to ``path`` (parents created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=2) + "\n")
    return path


def run(quick: bool) -> dict:
    mode = "quick" if quick else "full"
    sizes = SIZES[mode]
    figures = {"mode": mode, "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
               "config": str(CONFIG.relative_to(ROOT)), "machine": machine(), "sizes": sizes}
    figures["per_trial_us"] = per_trial_microseconds(sizes["chunk"], sizes["repeats"])
    figures["trials_per_second"] = trials_per_second(sizes["throughput_trials"], sizes["throughput_chunk"])
    figures["startup_seconds"] = startup_seconds(sizes["warm_repeats"])
    figures["memory"] = peak_memory(sizes["memory_trials"])
    figures["report"] = report_seconds(sizes["report_trials"])
    figures["analyze"] = analyze_seconds()
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and trials (CI, a few minutes)")
    parser.add_argument("--json", type=Path, default=ROOT / "results" / "benchmarks.json",
                        help="where to write the figures (default: results/benchmarks.json)")
    args = parser.parse_args(argv)
    figures = run(args.quick)
    print(table(figures))
    print(f"\nwrote {write_json(figures, args.json)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
