"""Running scenarios: trials in chunks, each chunk with its own random stream, on joblib workers.

A chunk's stream is ``SeedSequence(seed, spawn_key=(scenario key, chunk index))``, so a
scenario's results depend only on the seed, its name and the chunk size, never on the number
of workers, the order chunks finish in, or which other scenarios run beside it.
"""

from __future__ import annotations

import zlib
from typing import NamedTuple

import numpy as np

from seamless.config import Scenario
from seamless.engine import TrialOutputs, run_chunk
from seamless.kernel_design import KernelDesign, kernel_design

__all__ = ["ScenarioRun", "chunk_seed", "chunk_sizes", "run_scenario"]


class ScenarioRun(NamedTuple):
    scenario: Scenario
    kernel: KernelDesign
    outputs: TrialOutputs


def chunk_sizes(trials: int, chunk_trials: int) -> list[int]:
    """Trials per chunk: full chunks, then the remainder."""
    full, rest = divmod(trials, chunk_trials)
    return [chunk_trials] * full + ([rest] if rest else [])


def chunk_seed(seed: int, scenario_name: str, chunk_index: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(seed, spawn_key=(zlib.crc32(scenario_name.encode()), chunk_index))


def _concatenate(parts: list[TrialOutputs]) -> TrialOutputs:
    return TrialOutputs(*(np.concatenate(field) for field in zip(*parts)))


def run_scenario(scenario: Scenario, seed: int, trials: int, chunk_trials: int, jobs: int = 1) -> ScenarioRun:
    """Simulate ``trials`` trials of one scenario, ``jobs`` chunks at a time."""
    d = kernel_design(scenario.design)
    sizes = chunk_sizes(trials, chunk_trials)
    seeds = [chunk_seed(seed, scenario.name, i) for i in range(len(sizes))]
    if jobs == 1 or len(sizes) == 1:
        parts = [run_chunk(d, s, n) for s, n in zip(seeds, sizes)]
    else:
        from joblib import Parallel, delayed

        run_chunk(d, seeds[0], 1)  # compile (or load the cache) here, before workers start
        parts = Parallel(n_jobs=jobs)(delayed(run_chunk)(d, s, n) for s, n in zip(seeds, sizes))
    return ScenarioRun(scenario, d, _concatenate(parts))
