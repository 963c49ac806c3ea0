"""Chunked runs are reproducible: same seed, same bits, whatever the number of workers or the executor."""

import concurrent.futures

import numpy as np
import pytest

import seamless as sl
from seamless.run.runner import ChunkPlan, chunk_seed, executor_for, simulate_chunks
from seamless.sim.kernel_design import kernel_design


def test_chunk_plan():
    assert list(ChunkPlan(2500, 1000)) == [(0, 1000), (1, 1000), (2, 500)]
    assert list(ChunkPlan(1000, 1000)) == [(0, 1000)]
    assert list(ChunkPlan(7, 10)) == [(0, 7)]
    huge = ChunkPlan(10**12, 1)  # planned lazily: nothing is built for a count nobody iterates
    assert len(huge) == 10**12 and huge.size(10**12 - 1) == 1


def test_chunk_streams_depend_on_seed_and_chunk_and_on_the_scenario_only_if_independent():
    first = chunk_seed(1, 0).generate_state(4)
    assert np.array_equal(first, chunk_seed(1, 0).generate_state(4))
    assert not np.array_equal(first, chunk_seed(1, 1).generate_state(4))
    assert not np.array_equal(first, chunk_seed(2, 0).generate_state(4))
    independent = chunk_seed(1, 0, "null").generate_state(4)
    assert not np.array_equal(independent, first)
    assert not np.array_equal(independent, chunk_seed(1, 0, "design").generate_state(4))
    # independent streams are those of version 0.3: SeedSequence(seed, spawn_key=(crc32(name), chunk))
    assert np.array_equal(independent, np.random.SeedSequence(1, spawn_key=(0x25CBFC4F, 0)).generate_state(4))


def _trials(result):
    return result.trials_table()


def test_same_seed_gives_identical_results_with_one_or_two_workers_or_a_given_executor(default_study):
    study = default_study.select(["design"])
    one = sl.simulate(study, trials=300, seed=5, jobs=1)
    two = sl.simulate(study, trials=300, seed=5, jobs=2)
    assert _trials(one).equals(_trials(two))
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        assert _trials(sl.simulate(study, trials=300, seed=5, executor=pool)).equals(_trials(one))
    other_seed = sl.simulate(study, trials=300, seed=6, jobs=1)
    assert not _trials(other_seed).equals(_trials(one))


def test_chunks_in_flight_stay_bounded(default_study):
    d = kernel_design(default_study["null"])
    submitted = []

    class CountingPool(concurrent.futures.ThreadPoolExecutor):
        def submit(self, *args, **kwargs):
            submitted.append(len(submitted))
            return super().submit(*args, **kwargs)

    with CountingPool(2) as pool:
        chunks = simulate_chunks(d, 1, [(i, 5) for i in range(40)], pool, in_flight=4)
        first = next(chunks)
        assert len(submitted) <= 4  # no more than in_flight submitted before the first is consumed
        rest = list(chunks)
    assert sorted(index for index, _ in [first, *rest]) == list(range(40))


def test_bad_backend_is_refused(default_study):
    with pytest.raises(ValueError, match="backend: must be one of threads, loky, dask"):
        with executor_for("mpi", 2):
            pass
    with pytest.raises(sl.ConfigError, match="scheduler: only with backend 'dask'"):
        sl.simulate(default_study["null"], trials=1,
                    scheduler="tcp://127.0.0.1:1")
