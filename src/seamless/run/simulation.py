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
from seamless.config import Scenario, Study
from seamless.run.output import ROW_GROUP_ROWS, ResultTables, ResultWriter, trials_table
from seamless.run.progress import Progress
from seamless.run.runner import chunk_sizes, simulate_chunks
from seamless.run.store import ChunkStore
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
            "scenarios": "\n".join(study.scenario_names()), "seamless_version": __version__}


def run_study(study: Study, seed: int, trials: int, out_dir: Path | None = None,
              executor: concurrent.futures.Executor | None = None, fresh: bool = False,
              progress: Progress | None = None) -> StudyRun:
    """Simulate and summarise every scenario of ``study``: into ``out_dir`` (resumable, as files) or,
    without one, in memory."""
    progress = progress or Progress(lines=False, bar=False)
    metadata = run_metadata(study, seed, trials)
    store = None
    if out_dir is not None:
        store = ChunkStore(out_dir, study.text, seed, trials, study.chunk_trials, __version__)
        store.open(fresh)
    sizes = chunk_sizes(trials, study.chunk_trials)
    rows = []
    sink = ResultWriter(out_dir, metadata) if out_dir is not None else ResultTables(metadata)
    with sink:
        for index, scenario in enumerate(study.scenarios):
            d = kernel_design(scenario.design)
            assembly = _Assembly(scenario, d, sizes, store, sink)
            todo = [(c, n) for c, n in enumerate(sizes) if not (store and store.has(scenario.name, c))]
            progress.start(index, len(study.scenarios), scenario.name, trials, trials - sum(n for _, n in todo))
            try:
                for chunk, outputs in simulate_chunks(d, scenario.name, seed, todo, executor):
                    if store:
                        store.save(scenario.name, chunk, outputs)
                    progress.advance(outputs.reject.size)
                    assembly.add(chunk, outputs)
            finally:
                progress.finish()
            rows.append(assembly.finish())
        files = sink.commit(rows)
    if store:
        store.clear()
    return StudyRun(rows, metadata, sink.trials if isinstance(sink, ResultTables) else [], files)


class _Assembly:
    """One scenario's rows of trials.parquet and its summary, built from its chunks in chunk order
    while later chunks are still being simulated; chunks stored by an earlier, interrupted run are
    read back when their turn comes."""

    def __init__(self, scenario: Scenario, d, sizes: list[int], store: ChunkStore | None, writer):
        self.scenario, self.d, self.sizes, self.store, self.writer = scenario, d, sizes, store, writer
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
        while self.next_chunk < len(self.sizes):
            chunk = self.next_chunk
            if chunk in self.waiting:
                outputs = self.waiting.pop(chunk)
            elif self.store and self.store.has(name, chunk):
                outputs = self.store.load(name, chunk)
            else:
                return
            self.batch.append(outputs)
            self.next_chunk += 1
            if sum(b.reject.size for b in self.batch) >= ROW_GROUP_ROWS or self.next_chunk == len(self.sizes):
                self._write_batch()

    def _write_batch(self) -> None:
        outputs = TrialOutputs(*(np.concatenate(field) for field in zip(*self.batch)))
        self.writer.add_trials(trials_table(self.scenario.name, self.scenario.design.doses, self.d, outputs,
                                            self.first_trial))
        self.summary.add(outputs)
        self.first_trial += outputs.reject.size
        self.batch = []
