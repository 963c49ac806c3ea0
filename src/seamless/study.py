"""A simulation study: every chosen scenario of a config, chunk by chunk, written to Parquet.

Completed chunks go to the output folder as they finish (``ChunkStore``); a run that is
interrupted continues from them when the same command is run again, and ends with the same
files as an uninterrupted run. The Parquet files are then assembled chunk by chunk, so memory
stays bounded whatever the number of trials.
"""

from __future__ import annotations

from pathlib import Path

from seamless import __version__
from seamless.design import Config, Scenario
from seamless.kernel_design import kernel_design
from seamless.output import ResultWriter, trials_table
from seamless.progress import Progress
from seamless.runner import chunk_sizes, simulate_chunks
from seamless.store import ChunkStore
from seamless.summary import SummaryAccumulator

__all__ = ["run_study"]


def run_study(config: Config, scenarios: list[Scenario], seed: int, trials: int, out_dir: Path,
              jobs: int = 1, fresh: bool = False, progress: Progress | None = None) -> tuple[list[dict], list[Path]]:
    """Simulate, store and summarise; returns the summary rows and the files written."""
    progress = progress or Progress(lines=False, bar=False)
    store = ChunkStore(out_dir, config.text, seed, trials, config.chunk_trials, __version__)
    store.open(fresh)
    sizes = chunk_sizes(trials, config.chunk_trials)
    kernels = {s.name: kernel_design(s.design) for s in scenarios}
    for index, scenario in enumerate(scenarios):
        todo = [(c, n) for c, n in enumerate(sizes) if not store.has(scenario.name, c)]
        progress.start(index, len(scenarios), scenario.name, trials, trials - sum(n for _, n in todo))
        try:
            for chunk, outputs in simulate_chunks(kernels[scenario.name], scenario.name, seed, todo, jobs):
                store.save(scenario.name, chunk, outputs)
                progress.advance(outputs.reject.size)
        finally:
            progress.finish()

    metadata = {"config": config.text, "config_name": config.name, "seed": str(seed),
                "trials_per_scenario": str(trials), "chunk_trials": str(config.chunk_trials),
                "scenarios": "\n".join(s.name for s in scenarios), "seamless_version": __version__}
    rows = []
    with ResultWriter(out_dir, metadata) as writer:
        for scenario in scenarios:
            d = kernels[scenario.name]
            summary = SummaryAccumulator(scenario, d)
            first_trial = 0
            for chunk, size in enumerate(sizes):
                outputs = store.load(scenario.name, chunk)
                writer.add_trials(trials_table(scenario.name, scenario.design.arms.doses, d, outputs, first_trial))
                summary.add(outputs)
                first_trial += size
            rows.append(summary.row())
        written = writer.commit(rows)
    store.clear()
    return rows, written
