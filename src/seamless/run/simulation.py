"""A simulation study: every scenario of a study, chunk by chunk, written to Parquet or held in memory.

One path for both: the tables go to a ``ResultWriter`` (files) or a ``ResultTables`` (memory). With
files, completed chunks go to the output folder as they finish (``ChunkStore``); a run that is
interrupted continues from them when the same command is run again, and ends with the same
files as an uninterrupted run. The Parquet rows and the summaries are assembled in chunk order
while later chunks are still being simulated, so memory stays bounded whatever the number of
trials, and writing overlaps the simulation instead of following it.
"""

from __future__ import annotations

import concurrent.futures
from pathlib import Path
from typing import NamedTuple

import numpy as np

from seamless import __version__
from seamless._schema import ConfigError
from seamless.config import Scenario, Study
from seamless.run.output import ROW_GROUP_ROWS, ResultTables, ResultWriter, trials_table
from seamless.run.progress import Progress
from seamless.run.runner import ChunkPlan, simulate_chunks
from seamless.run.store import ChunkStore, RunLock, remove_stale_temporaries
from seamless.run.summary import SummaryAccumulator
from seamless.sim.engine import TrialOutputs
from seamless.sim.kernel_design import kernel_design

__all__ = ["StudyRun", "run_study", "run_metadata"]


class StudyRun(NamedTuple):
    rows: list[dict]           # the summary rows, one per scenario
    metadata: dict[str, str]   # the metadata of both tables
    trial_tables: list         # per-trial pyarrow tables (row groups) of a run in memory, else []
    files: list[Path]          # the files written, else []


def run_metadata(study: Study, seed: int, trials: int) -> dict[str, str]:
    return {"config": study.text, "config_name": study.name, "seed": str(seed),
            "trials_per_scenario": str(trials), "chunk_trials": str(study.chunk_trials),
            "scenarios": "\n".join(study.scenario_names()), "seamless_version": __version__,
            "common_random_numbers": str(study.common_random_numbers).lower()}


def run_study(study: Study, seed: int, trials: int, out_dir: Path | None = None,
              executor: concurrent.futures.Executor | None = None, fresh: bool = False,
              progress: Progress | None = None) -> StudyRun:
    """Simulate and summarise every scenario of ``study``: into ``out_dir`` (resumable, as files) or,
    without one, in memory. Every scenario's kernel design (bounds included) is made before anything
    is written, so a design that cannot be simulated leaves no trace."""
    kernels = [_kernel_design(scenario) for scenario in study.scenarios]
    if out_dir is None:
        return _run(study, kernels, seed, trials, ResultTables(run_metadata(study, seed, trials)), None,
                    executor, progress)
    with RunLock(out_dir):
        remove_stale_temporaries(out_dir)
        store = ChunkStore(out_dir, study.text, seed, trials, study.chunk_trials, __version__)
        store.open(fresh)
        try:
            run = _run(study, kernels, seed, trials, ResultWriter(out_dir, run_metadata(study, seed, trials)),
                       store, executor, progress)
        except ConfigError:  # the design cannot be simulated after all: nothing of it is kept
            store.clear()
            raise
        store.clear()
    return run


def _kernel_design(scenario: Scenario):
    try:
        return kernel_design(scenario.design)
    except ValueError as err:  # the bounds or Dunnett tables of a design its reader let through
        raise ConfigError(f"scenario {scenario.name}: {err}") from None


def _run(study, kernels, seed, trials, sink, store, executor, progress) -> StudyRun:
    progress = progress or Progress(lines=False, bar=False)
    plan = ChunkPlan(trials, study.chunk_trials)
    rows = []
    with sink:
        for index, (scenario, d) in enumerate(zip(study.scenarios, kernels)):
            assembly = _Assembly(scenario, d, plan, store, sink)
            todo = [(c, n) for c, n in plan if not (store and store.has(scenario.name, c))]
            progress.start(index, len(study.scenarios), scenario.name, trials, trials - sum(n for _, n in todo))
            try:
                stream = None if study.common_random_numbers else scenario.name
                for chunk, outputs in simulate_chunks(d, seed, todo, executor, stream):
                    check_finite(outputs, scenario.name)
                    if store:
                        store.save(scenario.name, chunk, outputs)
                    progress.advance(outputs.reject.size)
                    assembly.add(chunk, outputs)
            finally:
                progress.finish()
            rows.append(assembly.finish())
        files = sink.commit(rows)
    return StudyRun(rows, sink.metadata, sink.trials if isinstance(sink, ResultTables) else [], files)


def check_finite(outputs: TrialOutputs, scenario: str) -> None:
    """Refuse a chunk whose calendar times are not finite numbers (a design whose values the
    floating-point arithmetic cannot hold, even inside the documented ranges) rather than write it."""
    performed = outputs.look_events >= 0
    times = (outputs.selection_time, outputs.duration, outputs.look_time[performed])
    if not all(np.isfinite(values).all() for values in times):
        raise ConfigError(f"scenario {scenario}: the simulated times are not finite numbers; bring accrual "
                          "rates, medians and follow-up closer to months and patients per month")


class _Assembly:
    """One scenario's rows of trials.parquet and its summary, built from its chunks in chunk order
    while later chunks are still being simulated; chunks stored by an earlier, interrupted run are
    read back when their turn comes."""

    def __init__(self, scenario: Scenario, d, plan: ChunkPlan, store: ChunkStore | None, writer):
        self.scenario, self.d, self.plan, self.store, self.writer = scenario, d, plan, store, writer
        self.summary = SummaryAccumulator(scenario, d)
        self.waiting: dict[int, object] = {}
        self.batch: list = []  # chunks in order, not yet written: one row group and one summary update
        self.next_chunk = self.first_trial = 0
        self._drain()

    def add(self, chunk: int, outputs) -> None:
        self.waiting[chunk] = outputs
        self._drain()

    def finish(self) -> dict:
        self._drain()
        return self.summary.row()

    def _drain(self) -> None:
        name = self.scenario.name
        while self.next_chunk < len(self.plan):
            chunk = self.next_chunk
            outputs = self.waiting.pop(chunk, None)
            if outputs is None and self.store:
                outputs = self.store.load(name, chunk)
            if outputs is None:
                return
            self.batch.append(outputs)
            self.next_chunk += 1
            if sum(b.reject.size for b in self.batch) >= ROW_GROUP_ROWS or self.next_chunk == len(self.plan):
                self._write_batch()

    def _write_batch(self) -> None:
        outputs = TrialOutputs(*(np.concatenate(field) for field in zip(*self.batch)))
        self.writer.add_trials(trials_table(self.scenario.name, self.scenario.design, self.d, outputs,
                                            self.first_trial))
        self.summary.add(outputs)
        self.first_trial += outputs.reject.size
        self.batch = []
