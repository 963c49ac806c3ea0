"""Chunked runs are reproducible: same seed, same bits, whatever the number of workers."""

import numpy as np

from seamless.config import parse_config
from seamless.run.runner import chunk_seed, chunk_sizes, run_scenario


def _equal(a, b):
    for name, x, y in zip(a._fields, a, b):
        np.testing.assert_array_equal(x, y, err_msg=name)


def test_chunk_sizes():
    assert chunk_sizes(2500, 1000) == [1000, 1000, 500]
    assert chunk_sizes(1000, 1000) == [1000]
    assert chunk_sizes(7, 10) == [7]


def test_chunk_streams_depend_on_scenario_and_chunk_only():
    first = chunk_seed(1, "null", 0).generate_state(4)
    assert np.array_equal(first, chunk_seed(1, "null", 0).generate_state(4))
    assert not np.array_equal(first, chunk_seed(1, "null", 1).generate_state(4))
    assert not np.array_equal(first, chunk_seed(1, "design", 0).generate_state(4))
    assert not np.array_equal(first, chunk_seed(2, "null", 0).generate_state(4))


def test_same_seed_gives_identical_results_with_one_or_two_workers(default_text):
    scenario = parse_config(default_text, "t").scenarios[1]
    one = run_scenario(scenario, 5, 300, 100, jobs=1).outputs
    two = run_scenario(scenario, 5, 300, 100, jobs=2).outputs
    _equal(one, two)
    other_seed = run_scenario(scenario, 6, 300, 100, jobs=1).outputs
    assert not np.array_equal(one.look_z, other_seed.look_z, equal_nan=True)
