"""A simulation study: every chosen scenario of a config, chunk by chunk, written to Parquet.

Completed chunks go to the output folder as they finish (``ChunkStore``); a run that is
interrupted continues from them when the same command is run again, and ends with the same
files as an uninterrupted run. The Parquet rows and the summaries are assembled in chunk order
while later chunks are still being simulated, so memory stays bounded whatever the number of
trials, and writing overlaps the simulation instead of following it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from seamless import __version__
from seamless.design import Config, Scenario
from seamless.sim.kernel_design import kernel_design
from seamless.sim.engine import TrialOutputs
from seamless.run.output import ROW_GROUP_ROWS, ResultWriter, trials_table
from seamless.run.progress import Progress
from seamless.run.runner import chunk_sizes, simulate_chunks
from seamless.run.store import ChunkStore
from seamless.run.summary import SummaryAccumulator

__all__ = ["run_study"]


def run_study(config: Config, scenarios: list[Scenario], seed: int, trials: int, out_dir: Path,
              jobs: int = 1, fresh: bool = False, progress: Progress | None = None) -> tuple[list[dict], list[Path]]:
    """Simulate, store and summarise; returns the summary rows and the files written."""
    progress = progress or Progress(lines=False, bar=False)
    store = ChunkStore(out_dir, config.text, seed, trials, config.chunk_trials, __version__)
    store.open(fresh)
    sizes = chunk_sizes(trials, config.chunk_trials)
    metadata = {"config": config.text, "config_name": config.name, "seed": str(seed),
                "trials_per_scenario": str(trials), "chunk_trials": str(config.chunk_trials),
                "scenarios": "\n".join(s.name for s in scenarios), "seamless_version": __version__}
    rows = []
    with ResultWriter(out_dir, metadata) as writer:
        for index, scenario in enumerate(scenarios):
            d = kernel_design(scenario.design)
            assembly = _Assembly(scenario, d, sizes, store, writer)
            todo = [(c, n) for c, n in enumerate(sizes) if not store.has(scenario.name, c)]
            progress.start(index, len(scenarios), scenario.name, trials, trials - sum(n for _, n in todo))
            try:
                for chunk, outputs in simulate_chunks(d, scenario.name, seed, todo, jobs):
                    store.save(scenario.name, chunk, outputs)
                    progress.advance(outputs.reject.size)
                    assembly.add(chunk, outputs)
            finally:
                progress.finish()
            rows.append(assembly.finish())
        written = writer.commit(rows)
    store.clear()
    return rows, written


class _Assembly:
    """One scenario's rows of trials.parquet and its summary, built from its chunks in chunk order
    while later chunks are still being simulated; chunks stored by an earlier, interrupted run are
    read back when their turn comes."""

    def __init__(self, scenario: Scenario, d, sizes: list[int], store: ChunkStore, writer: ResultWriter):
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
            elif self.store.has(name, chunk):
                outputs = self.store.load(name, chunk)
            else:
                return
            self.batch.append(outputs)
            self.next_chunk += 1
            if sum(b.reject.size for b in self.batch) >= ROW_GROUP_ROWS or self.next_chunk == len(self.sizes):
                self._write_batch()

    def _write_batch(self) -> None:
        outputs = TrialOutputs(*(np.concatenate(field) for field in zip(*self.batch)))
        self.writer.add_trials(trials_table(self.scenario.name, self.scenario.design.arms.doses, self.d, outputs,
                                            self.first_trial))
        self.summary.add(outputs)
        self.first_trial += outputs.reject.size
        self.batch = []
