"""Running trials in chunks, each chunk with its own random stream, on any executor.

A chunk's stream is ``SeedSequence(seed, spawn_key=(crc32(scenario name), chunk index))``, so a
scenario's results depend only on the seed, its name and the chunk size, never on the number of
workers, the executor, the order chunks finish in, or which other scenarios run beside it.
Chunks run on a `concurrent.futures.Executor`, given by the caller (as emcee takes a pool) or
made by `executor_for`: local threads (the compiled kernels release the GIL, so threads run on
all cores without starting or feeding worker processes), local processes (loky), or a Dask cluster.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import importlib.util
import zlib
from collections.abc import Iterable, Iterator

import numpy as np

from seamless.sim.engine import TrialOutputs, run_chunk
from seamless.sim.kernel_design import KernelDesign

__all__ = ["BACKENDS", "chunk_seed", "chunk_sizes", "simulate_chunks", "check_backend", "executor_for"]

BACKENDS = ("threads", "loky", "dask")


def chunk_sizes(trials: int, chunk_trials: int) -> list[int]:
    """Trials per chunk: full chunks, then the remainder."""
    full, rest = divmod(trials, chunk_trials)
    return [chunk_trials] * full + ([rest] if rest else [])


def chunk_seed(seed: int, scenario_name: str, chunk_index: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(seed, spawn_key=(zlib.crc32(scenario_name.encode()), chunk_index))


def _indexed_chunk(d: KernelDesign, seed: int, name: str, index: int, n_trials: int):
    return index, run_chunk(d, chunk_seed(seed, name, index), n_trials)


def simulate_chunks(d: KernelDesign, name: str, seed: int, chunks: Iterable[tuple[int, int]],
                    executor: concurrent.futures.Executor | None = None,
                    in_flight: int = 16) -> Iterator[tuple[int, TrialOutputs]]:
    """Simulate (chunk index, trials) pairs of scenario ``name``; yields (index, outputs) as each
    completes. Without an executor, one after the other in this thread; with one, at most
    ``in_flight`` chunks are submitted ahead of those consumed, so memory stays bounded."""
    chunks = list(chunks)
    if not chunks:
        return
    if executor is None:
        yield from (_indexed_chunk(d, seed, name, i, n) for i, n in chunks)
        return
    _indexed_chunk(d, seed, name, chunks[0][0], 1)  # compile or load the cache here, before workers start
    pending, queue = set(), iter(chunks)
    for i, n in queue:
        pending.add(executor.submit(_indexed_chunk, d, seed, name, i, n))
        if len(pending) < in_flight:
            continue
        done, pending = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
        yield from (future.result() for future in done)
    for future in concurrent.futures.as_completed(pending):
        yield future.result()


def check_backend(backend: str, scheduler: str | None = None) -> None:
    """ValueError (one line) unless ``backend`` can run here, with ``scheduler`` only for dask."""
    if backend not in BACKENDS:
        raise ValueError(f"backend: must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if scheduler and backend != "dask":
        raise ValueError("scheduler: only with backend 'dask'")
    if backend == "dask" and importlib.util.find_spec("distributed") is None:
        raise ValueError("backend dask: needs the dask extra: pip install 'seamless[dask]'")


@contextlib.contextmanager
def executor_for(backend: str = "threads", jobs: int = 1, scheduler: str | None = None):
    """An executor for ``backend``, or None (this thread) for one local job.

    ``threads``: ``jobs`` threads of this process. ``loky``: ``jobs`` local processes. ``dask``: the
    cluster at ``scheduler`` (tcp://host:port), or, without one, a local cluster of ``jobs``
    single-threaded workers on 127.0.0.1.
    """
    check_backend(backend, scheduler)
    if backend == "threads":
        if jobs == 1:
            yield None
            return
        with concurrent.futures.ThreadPoolExecutor(jobs) as executor:
            yield executor
        return
    if backend == "loky":
        from joblib.externals.loky import get_reusable_executor

        yield get_reusable_executor(max_workers=jobs)
        return
    from dask.distributed import Client, LocalCluster

    with contextlib.ExitStack() as stack:
        if scheduler:
            client = stack.enter_context(Client(scheduler, timeout="20s"))
        else:
            cluster = stack.enter_context(LocalCluster(host="127.0.0.1", n_workers=jobs, threads_per_worker=1,
                                                       processes=True, dashboard_address=None))
            client = stack.enter_context(Client(cluster))
        yield client.get_executor(pure=False)
