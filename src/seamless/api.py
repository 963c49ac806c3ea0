"""The Python interface: load or build a study, simulate it, look at the result, save it, open it again.

    import seamless as sl
    study = sl.load("configs/successor2.toml")
    design = study["design"].replace({"outcome.hazard_ratios[2]": 0.6})
    result = sl.simulate(design, trials=2000, seed=1)
    result.summary()                       # one row per scenario (pandas), with SE and 95% interval
    result.save("results/mine"); sl.open("results/mine")

`simulate` is the one code path of the ``simulate`` command too: the same chunks, streams and
tables, in memory or in files.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

from seamless._schema import ConfigError
from seamless.config import Study, check_run_size, load_study
from seamless.config import sweep as _sweep
from seamless.design import Design

__all__ = ["load", "simulate", "sweep", "open", "trial_patients", "analyze", "SimulationResult"]


def load(path: str | Path) -> Study:
    """The study of a TOML config file: its scenarios, sweeps and simulation settings."""
    return load_study(path)


def sweep(design: Design, grid: dict, name: str = "sweep", **settings) -> Study:
    """A study of every point of ``grid`` ({parameter path: values}) over ``design``, e.g.
    ``sl.sweep(design, {"outcome.hazard_ratios[2]": [1.0, 0.9, 0.8]})``; ``settings``: seed, trials,
    chunk_trials."""
    return _sweep(design, grid, name, **settings)


def _as_study(what) -> Study:
    if isinstance(what, Study):
        return what
    if isinstance(what, Design) or isinstance(what, dict):
        return Study.from_designs(what)
    raise TypeError(f"simulate: expected a Study, a Design or a dict of Designs, got {type(what).__name__}")


def _count(value, name: str, lo: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < lo:
        raise ConfigError(f"{name}: must be an integer >= {lo}, got {value!r}")
    return value


def simulate(study: Study | Design | dict, trials: int | None = None, seed: int | None = None,
             scenarios=None, jobs: int | None = None, backend: str = "threads", scheduler: str | None = None,
             executor=None, out: str | Path | None = None, fresh: bool = False, progress=None) -> SimulationResult:
    """Simulate a study (or one design, or named designs) and summarise each scenario.

    trials, seed: default the study's. scenarios: names to run (a sweep's name runs all its points).
    Parallelism: ``executor``, any `concurrent.futures.Executor` (a dask ``client.get_executor()``
    too), or one made for ``backend`` (``threads``, ``loky`` or ``dask``; ``scheduler`` a Dask
    scheduler address) with ``jobs`` workers (default: all cores). Results do not depend on it.
    out: a folder to write the Parquet files to as the run goes (resumable; ``fresh`` discards an
    unfinished run there); without it the result is held in memory (`SimulationResult.save`).
    progress: a `seamless.run.progress.Progress`, or None for silence.
    """
    from seamless.run.runner import check_backend, executor_for
    from seamless.run.simulation import run_study

    study = _as_study(study).select(scenarios)
    trials = _count(study.trials if trials is None else trials, "trials", 1)
    check_run_size(trials, study.chunk_trials)
    seed = _count(study.seed if seed is None else seed, "seed", 0)
    jobs = _count((os.cpu_count() or 1) if jobs is None else jobs, "jobs", 1)
    if executor is None:
        try:
            check_backend(backend, scheduler)
        except ValueError as err:
            raise ConfigError(str(err)) from None
    out = Path(out) if out is not None else None
    pool = contextlib.nullcontext(executor) if executor is not None else executor_for(backend, jobs, scheduler)
    with pool as running:
        run = run_study(study, seed, trials, out, running, fresh, progress)
    return SimulationResult(study, run.rows, run.metadata, run.trial_tables, out)


def trial_patients(what: Study | Design, trial: int, seed: int | None = None, scenario: str | None = None):
    """The patients of one simulated trial as a data set (pandas), cut at the trial's last analysis:
    trial ``trial`` of ``scenario`` (default: the first) in ``sl.simulate(what, seed=seed)``, rebuilt
    alone from its random stream (`seamless.run.trial_data`)."""
    from seamless.run.trial_data import trial_patients as replay

    study = _as_study(what)
    if scenario is not None:
        study = study.select(scenario)
    seed = _count(study.seed if seed is None else seed, "seed", 0)
    trial = _count(trial, "trial", 0)
    return replay(study.scenarios[0], seed, trial, study.chunk_trials, study.common_random_numbers)


def analyze(what: Study | Design, data, cutoff=None, selected: str | None = None, scenario: str | None = None,
            planned_hr: float | None = None, simulations: int = 1000, seed: int = 1, inference: bool = True):
    """The interim or final analyses of a trial's patient-level data with the design's closed combination
    test (`seamless.observed.analysis`): ``data`` a pandas DataFrame or a CSV/Parquet path (columns in the
    README); ``cutoff`` re-cuts the data at an earlier calendar time (months, or an ISO date when entries
    are dates); ``selected`` the dose stage 2 is on when the data do not show it (default: the design's
    rule); ``scenario`` the study's scenario whose design is analysed (default: the first); ``planned_hr``
    the selected dose's HR assumed for conditional power (default: the design's); ``simulations`` and
    ``seed`` those of conditional power in cohort mode (0 simulations: the formula); ``inference`` False gives
    the decisions only. Returns an `Analysis` (``.text()``, ``.to_dict()``)."""
    from seamless.observed.analysis import analyze_data
    from seamless.observed.data import patient_data, read_table
    from seamless.observed.future import Continuation

    if isinstance(what, Design):
        design = what
    else:
        study = _as_study(what)
        design = (study.select(scenario) if scenario is not None else study).scenarios[0].design
    if isinstance(data, (str, Path)):
        data = read_table(data)
    if planned_hr is not None and not (isinstance(planned_hr, (int, float)) and 1e-3 <= planned_hr <= 1e3):
        raise ConfigError(f"planned_hr: a hazard ratio in [0.001, 1000], got {planned_hr!r}")
    simulations, seed = _count(simulations, "simulations", 0), _count(seed, "seed", 0)
    checked = patient_data(design, data, cutoff, selected)
    return analyze_data(design, checked, selected, planned_hr,
                        Continuation(design, simulations, seed) if simulations else None, inference)


def open(folder: str | Path) -> SimulationResult:  # noqa: A001 (the name a user expects: sl.open)
    """The result of a run saved in ``folder`` (``trials.parquet`` and ``summary.parquet``)."""
    from seamless.run.output import read_results

    folder = Path(folder)
    study, rows, metadata = read_results(folder)
    return SimulationResult(study, rows, metadata, [], folder)


class SimulationResult:
    """The operating characteristics and per-trial results of a run, in memory or in a folder."""

    def __init__(self, study: Study, rows: list[dict], metadata: dict[str, str], trial_tables: list,
                 folder: Path | None):
        self.study, self.rows, self.metadata = study, rows, metadata
        self._trial_tables, self.folder = trial_tables, folder

    @property
    def seed(self) -> int:
        return int(self.metadata["seed"])

    @property
    def trials_per_scenario(self) -> int:
        return int(self.metadata["trials_per_scenario"])

    def summary(self):
        """One row per scenario (a pandas DataFrame indexed by scenario): every operating characteristic
        with its Monte Carlo standard error (``_se``) and 95% interval (``_ci_low``, ``_ci_high``)."""
        import pandas as pd

        return pd.DataFrame(self.rows).set_index("scenario")

    def trials_table(self):
        """The per-trial rows as a pyarrow Table."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        from seamless.run.output import TRIALS_FILE

        if self.folder is not None and not self._trial_tables:
            return pq.read_table(self.folder / TRIALS_FILE)
        return pa.concat_tables(self._trial_tables)

    def trials(self):
        """The per-trial rows (a pandas DataFrame): dose names and stop reasons as text; looks not
        performed are missing."""
        return self.trials_table().to_pandas()

    def save(self, folder: str | Path) -> list[Path]:
        """Write ``trials.parquet`` and ``summary.parquet`` to ``folder``: the files ``simulate`` writes,
        byte for byte. A result held in memory is then also the result of that folder (`report`)."""
        from seamless.run.output import SUMMARY_FILE, TRIALS_FILE, write_results

        folder = Path(folder)
        if self._trial_tables:
            written = write_results(folder, self.metadata, self._trial_tables, self.rows)
            self.folder = self.folder or folder
            return written
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for name in (TRIALS_FILE, SUMMARY_FILE):
            if (folder / name).resolve() != (self.folder / name).resolve():
                shutil.copyfile(self.folder / name, folder / name)
            written.append(folder / name)
        return written

    def __repr__(self) -> str:
        head = (f"SimulationResult of {self.study.name}: {len(self.rows)} scenario(s) x "
                f"{self.trials_per_scenario} trials, seed {self.seed}")
        return f"{head}\n\n{self.text()}"

    def text(self) -> str:
        """The table the ``simulate`` command prints: each scenario's characteristics ± Monte Carlo SE."""
        from seamless.run.tables import scenarios_report

        design = self.study.scenarios[0].design
        return scenarios_report(self.rows, design.doses, design.analysis.events)

    def report(self, path: str | Path | None = None) -> Path:
        """Write the HTML report of this run (`simulate report`): from its saved files, so the result
        must have been saved (``out=`` or `save`) first. Default path: ``<folder>/report.html``."""
        from seamless.report.document import write_report

        if self.folder is None:
            raise ValueError("report: save the result first (result.save(folder)); a report is made from "
                             "the saved files")
        return write_report(self.folder, path)

    def plot(self, what: str):
        """A figure of the report as a matplotlib Figure: ``power``, ``selection``, ``stopping``,
        ``analysis_times``, ``hr_estimate`` or ``sweep``."""
        from seamless.report.figures import figure

        return figure(what, self.summary(), self.trials(), self.study.scenarios[0].design)

    def _repr_html_(self) -> str:
        from seamless.run.tables import summary_html

        return summary_html(self.rows, self.study.scenarios[0].design.doses)
