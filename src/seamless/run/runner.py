"""Running trials in chunks, each chunk with its own random stream, on joblib workers.

A chunk's stream is ``SeedSequence(seed, spawn_key=(crc32(scenario name), chunk index))``, so a
scenario's results depend only on the seed, its name and the chunk size, never on the number of
workers, the backend, the order chunks finish in, or which other scenarios run beside it.
Parallelism is joblib's: local threads (the compiled kernels release the GIL, so threads run on
all cores without starting or feeding worker processes), local processes (loky), or a Dask cluster.
"""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import Iterable, Iterator
from typing import NamedTuple

import numpy as np

from seamless.design import Scenario
from seamless.sim.engine import TrialOutputs, run_chunk
from seamless.sim.kernel_design import KernelDesign, kernel_design

__all__ = ["ScenarioRun", "chunk_seed", "chunk_sizes", "simulate_chunks", "run_scenario", "parallel_backend"]


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


def _indexed_chunk(d: KernelDesign, seed: int, name: str, index: int, n_trials: int):
    return index, run_chunk(d, chunk_seed(seed, name, index), n_trials)


def simulate_chunks(d: KernelDesign, name: str, seed: int, chunks: Iterable[tuple[int, int]],
                    jobs: int = 1) -> Iterator[tuple[int, TrialOutputs]]:
    """Simulate (chunk index, trials) pairs of scenario ``name``; yields (index, outputs) as each
    completes. ``jobs`` is joblib's n_jobs (1: in this process)."""
    chunks = list(chunks)
    if not chunks:
        return
    if jobs == 1:
        yield from (_indexed_chunk(d, seed, name, i, n) for i, n in chunks)
        return
    from joblib import Parallel, delayed

    _indexed_chunk(d, seed, name, chunks[0][0], 1)  # compile or load the cache here, before workers start

    yield from Parallel(n_jobs=jobs, return_as="generator_unordered")(
        delayed(_indexed_chunk)(d, seed, name, i, n) for i, n in chunks)


def run_scenario(scenario: Scenario, seed: int, trials: int, chunk_trials: int, jobs: int = 1) -> ScenarioRun:
    """All trials of one scenario, in memory (for tests and the Python API)."""
    d = kernel_design(scenario.design)
    sizes = chunk_sizes(trials, chunk_trials)
    parts = dict(simulate_chunks(d, scenario.name, seed, enumerate(sizes), jobs))
    outputs = TrialOutputs(*(np.concatenate(field) for field in zip(*(parts[i] for i in range(len(sizes))))))
    return ScenarioRun(scenario, d, outputs)


@contextlib.contextmanager
def parallel_backend(backend: str, jobs: int, scheduler: str | None = None):
    """Context in which ``simulate_chunks`` runs on ``backend``; yields the n_jobs to pass it.

    ``threads``: ``jobs`` threads of this process. ``loky``: ``jobs`` local processes. ``dask``: the
    cluster at ``scheduler`` (tcp://host:port), or, without one, a local cluster of ``jobs``
    single-threaded workers on 127.0.0.1.
    """
    import joblib

    if backend in ("threads", "loky"):
        with joblib.parallel_config(backend="threading" if backend == "threads" else "loky"):
            yield jobs
        return
    from dask.distributed import Client, LocalCluster

    with contextlib.ExitStack() as stack:
        if scheduler:
            stack.enter_context(Client(scheduler, timeout="20s"))
        else:
            cluster = stack.enter_context(LocalCluster(host="127.0.0.1", n_workers=jobs, threads_per_worker=1,
                                                       processes=True, dashboard_address=None))
            stack.enter_context(Client(cluster))
        stack.enter_context(joblib.parallel_config(backend="dask"))
        yield -1
