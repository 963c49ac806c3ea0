"""Running trials in chunks, each chunk with its own random stream, on any executor.

A chunk's stream is ``SeedSequence(seed, spawn_key=(chunk index,))``, the same in every scenario:
trial i of two scenarios shares its patients' random numbers (common random numbers), so their
difference is not blurred by independent noise. With independent streams it is
``SeedSequence(seed, spawn_key=(crc32(scenario name), chunk index))``. Either way results depend
only on the seed and the chunk size (and the name), never on the number of workers, the executor,
the order chunks finish in, or which other scenarios run beside it.
Chunks run on a `concurrent.futures.Executor`, given by the caller (as emcee takes a pool) or
made by `executor_for`: local threads (the compiled kernels release the GIL, so threads run on
all cores without starting or feeding worker processes), local processes (loky), or a Dask cluster.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import importlib.util
import os
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from seamless.sim.engine import TrialOutputs, run_chunk
from seamless.sim.kernel_design import KernelDesign

__all__ = ["BACKENDS", "BackendUnavailable", "ChunkPlan", "chunk_seed", "simulate_chunks", "check_backend",
           "executor_for"]

BACKENDS = ("threads", "loky", "dask")


@dataclass(frozen=True)
class ChunkPlan:
    """A scenario's trials in chunks of ``chunk_trials`` (the last holds the rest), planned lazily."""

    trials: int
    chunk_trials: int

    def __len__(self) -> int:
        return -(-self.trials // self.chunk_trials)

    def size(self, index: int) -> int:
        return min(self.chunk_trials, self.trials - index * self.chunk_trials)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return ((index, self.size(index)) for index in range(len(self)))


def chunk_seed(seed: int, index: int, stream: str | None = None) -> np.random.SeedSequence:
    """The random stream of chunk ``index``: common to every scenario (common random numbers), or,
    with ``stream`` (a scenario's name), that scenario's own."""
    key = (index,) if stream is None else (zlib.crc32(stream.encode()), index)
    return np.random.SeedSequence(seed, spawn_key=key)


def _indexed_chunk(d: KernelDesign, seed: int, stream: str | None, index: int, n_trials: int):
    return index, run_chunk(d, chunk_seed(seed, index, stream), n_trials)


def simulate_chunks(d: KernelDesign, seed: int, chunks: Iterable[tuple[int, int]],
                    executor: concurrent.futures.Executor | None = None, stream: str | None = None,
                    in_flight: int = 16) -> Iterator[tuple[int, TrialOutputs]]:
    """Simulate (chunk index, trials) pairs; yields (index, outputs) as each completes. Without an
    executor, one after the other in this thread; with one, at most ``in_flight`` chunks are
    submitted ahead of those consumed, so memory stays bounded. ``stream``: see `chunk_seed`."""
    chunks = list(chunks)
    if not chunks:
        return
    if executor is None:
        yield from (_indexed_chunk(d, seed, stream, i, n) for i, n in chunks)
        return
    _indexed_chunk(d, seed, stream, chunks[0][0], 1)  # compile or load the cache here, before workers start
    pending, queue = set(), iter(chunks)
    for i, n in queue:
        pending.add(executor.submit(_indexed_chunk, d, seed, stream, i, n))
        if len(pending) < in_flight:
            continue
        done, pending = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
        yield from (future.result() for future in done)
    for future in concurrent.futures.as_completed(pending):
        yield future.result()


class BackendUnavailable(Exception):
    """The parallel backend could not be reached (a Dask scheduler); the message is one line."""


_SCHEDULER = re.compile(r"((tcp|tls)://)?[A-Za-z0-9.\-]+:\d{1,5}|(tcp|tls)://\[[0-9A-Fa-f:]+\]:\d{1,5}")


def check_backend(backend: str, scheduler: str | None = None) -> None:
    """ValueError (one line) unless ``backend`` can run here, with ``scheduler`` only for dask."""
    if backend not in BACKENDS:
        raise ValueError(f"backend: must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if scheduler and backend != "dask":
        raise ValueError("scheduler: only with backend 'dask'")
    if scheduler is not None and not (isinstance(scheduler, str) and _SCHEDULER.fullmatch(scheduler)):
        raise ValueError(f"scheduler: an address like tcp://HOST:PORT, got {scheduler!r}")
    if backend == "dask" and importlib.util.find_spec("distributed") is None:
        raise ValueError("backend dask: needs the dask extra: pip install 'seamless[dask]'")


@contextlib.contextmanager
def executor_for(backend: str = "threads", jobs: int = 1, scheduler: str | None = None):
    """An executor for ``backend``, or None (this thread) for one local job.

    ``threads``: ``jobs`` threads of this process. ``loky``: ``jobs`` local processes. ``dask``: the
    cluster at ``scheduler`` (tcp://host:port), or, without one, a local cluster of ``jobs``
    single-threaded workers on 127.0.0.1. Local workers are capped at the number of cores: more
    only compete for them. On an error or an interrupt, chunks not started are cancelled and
    worker processes are stopped.
    """
    check_backend(backend, scheduler)
    if not scheduler:
        jobs = max(1, min(jobs, os.cpu_count() or 1))
    if backend == "threads":
        if jobs == 1:
            yield None
            return
        executor = concurrent.futures.ThreadPoolExecutor(jobs)
        try:
            yield executor
        except BaseException:
            executor.shutdown(wait=True, cancel_futures=True)
            raise
        executor.shutdown(wait=True)
        return
    if backend == "loky":
        from joblib.externals.loky import get_reusable_executor

        executor = get_reusable_executor(max_workers=jobs)
        try:
            yield executor
        except BaseException:
            with _quiet_thread("ExecutorManagerThread"):
                executor.shutdown(wait=True, kill_workers=True)
            raise
        return
    yield from _dask_executor(jobs, scheduler)


@contextlib.contextmanager
def _quiet_thread(name: str):
    """Silence an exception that ends the thread ``name`` meanwhile: when workers are killed midway,
    loky's manager thread can trip over the work items the kill withdrew (a KeyError), and its
    traceback would follow the run's own one-line message."""
    import threading

    default = threading.excepthook

    def hook(args):
        if args.thread is None or args.thread.name != name:
            default(args)

    threading.excepthook = hook
    try:
        yield
    finally:
        threading.excepthook = default


def _dask_executor(jobs: int, scheduler: str | None):
    from dask.distributed import Client, LocalCluster

    with contextlib.ExitStack() as stack:
        if scheduler:
            try:
                client = stack.enter_context(Client(scheduler, timeout="10s"))
            except (OSError, TimeoutError) as err:
                raise BackendUnavailable(f"scheduler {scheduler}: cannot connect ({err})") from None
        else:
            cluster = stack.enter_context(LocalCluster(host="127.0.0.1", n_workers=jobs, threads_per_worker=1,
                                                       processes=True, dashboard_address=None))
            client = stack.enter_context(Client(cluster))
        yield client.get_executor(pure=False)
