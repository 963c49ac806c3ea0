"""The compiled random stream reproduces NumPy's Generator(SFC64) draw for draw."""

import numpy as np
import pytest
from numba import njit

from seamless.sim.stream import exponential, integer_below, load, new_state, normal, store, uniform

UNIFORM, EXPONENTIAL, INTEGER, NORMAL = 0, 1, 2, 3


@njit
def _draw(state, kinds, bounds):
    """Draw kinds[k] (with bound bounds[k] for integers) for each k from the stream in ``state``."""
    s = load(state)
    values = np.empty(kinds.size)
    for k in range(kinds.size):
        if kinds[k] == UNIFORM:
            values[k], s = uniform(s)
        elif kinds[k] == EXPONENTIAL:
            values[k], s = exponential(s)
        elif kinds[k] == NORMAL:
            values[k], s = normal(s)
        else:
            value, s = integer_below(s, bounds[k])
            values[k] = value
    store(state, s)
    return values


def _numpy_draws(generator, kinds, bounds):
    draws = {UNIFORM: lambda bound: generator.random(), EXPONENTIAL: lambda bound: generator.standard_exponential(),
             NORMAL: lambda bound: generator.standard_normal(), INTEGER: lambda bound: generator.integers(0, bound)}
    return np.array([draws[kind](bound) for kind, bound in zip(kinds, bounds)])


def _mixed_calls(seed, n):
    """Interleaved kinds of draw; integer bounds small (as in block permutations) and up to 2**32 - 1,
    where Lemire's method rejects up to half of its words."""
    rng = np.random.default_rng(seed)
    kinds = rng.integers(0, 4, n)
    bounds = rng.integers(2, 12, n)
    large = rng.random(n) < 0.2
    bounds[large] = rng.integers(2, 2**32, large.sum())
    return kinds, bounds


@pytest.mark.parametrize("seed", [0, 20261123])
def test_draws_equal_numpy_sfc64(seed):
    kinds, bounds = _mixed_calls(seed, 300_000)
    got = _draw(new_state(np.random.SeedSequence(seed)), kinds, bounds)
    want = _numpy_draws(np.random.Generator(np.random.SFC64(np.random.SeedSequence(seed))), kinds, bounds)
    np.testing.assert_array_equal(got, want)
    # The ziggurat's base-layer tail (x > r = 7.697...) was drawn, not only its rectangles.
    assert (got[kinds == EXPONENTIAL] > 7.6971174701310497).sum() > 5
    # Likewise the normal ziggurat's tail beyond r = 3.654..., on both sides.
    normals = got[kinds == NORMAL]
    assert (normals > 3.6541528853610088).sum() > 5 and (normals < -3.6541528853610088).sum() > 5


def test_the_stream_continues_across_calls():
    kinds, bounds = _mixed_calls(1, 1001)
    state = new_state(np.random.SeedSequence(9))
    pieces = [_draw(state, kinds[a:b], bounds[a:b]) for a, b in ((0, 1), (1, 500), (500, 1001))]
    np.testing.assert_array_equal(np.concatenate(pieces), _draw(new_state(np.random.SeedSequence(9)), kinds, bounds))


def test_streams_of_different_seeds_differ():
    kinds = np.full(100, UNIFORM)
    bounds = np.zeros(100, np.int64)
    first, second = (_draw(new_state(np.random.SeedSequence(7, spawn_key=(k,))), kinds, bounds) for k in (0, 1))
    assert not np.any(first == second)
