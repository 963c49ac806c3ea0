"""The allocation-free grouped bucket sort of the per-trial kernels against NumPy's stable sort."""

import numpy as np
import pytest

from seamless.sim.sort import allocate_sort_scratch, grouped_sort, kth_smallest, order_statistics


def _expected(keys, group):
    order = np.lexsort((np.arange(keys.size), keys, group))  # by group, key, then input order
    return keys[order], order


CASES = {
    # name: (n, n_groups, key generator)
    "exponential_12_groups": (350, 12, lambda rng, n: rng.exponential(10.0, n)),
    "one_group": (300, 1, lambda rng, n: 5.0 + rng.uniform(0.0, 60.0, n)),
    "ties": (200, 3, lambda rng, n: np.round(rng.exponential(5.0, n), 0) + 1.0),
    "empty_groups": (40, 20, lambda rng, n: rng.exponential(1.0, n)),
    "wide_spread": (300, 4, lambda rng, n: np.exp(rng.uniform(-200.0, 200.0, n))),
    "single": (1, 3, lambda rng, n: np.array([2.5])),
    "empty": (0, 2, lambda rng, n: np.zeros(0)),
}


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("case", CASES)
def test_grouped_sort_matches_numpy(case, seed):
    n, n_groups, draw = CASES[case]
    rng = np.random.default_rng(seed)
    keys = draw(rng, n).astype(float)
    group = rng.integers(0, n_groups, n).astype(np.int64)
    payload = np.arange(n, dtype=np.int64)
    out_keys, out_payload = np.full(n, np.nan), np.full(n, -1, np.int64)
    group_start = np.full(n_groups + 1, -1, np.int64)
    scratch = allocate_sort_scratch(n, n_groups)
    grouped_sort(keys, payload, group, n, n_groups, out_keys, out_payload, group_start, scratch)
    want_keys, want_order = _expected(keys, group)
    np.testing.assert_array_equal(out_keys, want_keys)
    np.testing.assert_array_equal(out_payload, want_order)
    np.testing.assert_array_equal(group_start, np.concatenate([[0], np.cumsum(np.bincount(group, minlength=n_groups))]))


def test_grouped_sort_in_place():
    rng = np.random.default_rng(5)
    keys = rng.exponential(3.0, 100)
    payload = np.arange(100, dtype=np.int64)
    want_keys, want_order = _expected(keys, np.zeros(100, np.int64))
    grouped_sort(keys, payload, np.zeros(100, np.int64), 100, 1, keys, payload, np.zeros(2, np.int64),
                 allocate_sort_scratch(100, 1))
    np.testing.assert_array_equal(keys, want_keys)
    np.testing.assert_array_equal(payload, want_order)


def _keys_and_ranks(case, seed):
    """(n, keys, keys sorted, ranks from 1 to n spread over the range) of a non-empty case."""
    n, _, draw = CASES[case]
    keys = draw(np.random.default_rng(seed), n).astype(float)
    return n, keys, np.sort(keys), sorted({k for k in (1, 2, n // 3 + 1, n // 2 + 1, n - 1, n) if 1 <= k <= n})


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("case", [c for c in CASES if c != "empty"])
def test_kth_smallest_matches_numpy(case, seed):
    n, keys, want, ranks = _keys_and_ranks(case, seed)
    before = keys.copy()
    scratch = allocate_sort_scratch(n, 1)
    for k in ranks:
        assert kth_smallest(keys, np.int64(n), np.int64(k), scratch) == want[k - 1]
    np.testing.assert_array_equal(keys, before)  # the keys are left as they were


def test_kth_smallest_of_a_prefix_with_zero_and_ties():
    keys = np.array([3.0, 0.0, 3.0, 1.0, 3.0, 2.0, 99.0, 0.5])
    scratch = allocate_sort_scratch(keys.size, 1)
    smallest = [kth_smallest(keys, np.int64(6), np.int64(k), scratch) for k in range(1, 7)]
    assert smallest == [0.0, 1.0, 2.0, 3.0, 3.0, 3.0]


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("case", [c for c in CASES if c != "empty"])
def test_order_statistics_match_numpy_and_skip_ranks_beyond_n(case, seed):
    n, keys, want, ranks = _keys_and_ranks(case, seed)
    ranks = np.array(ranks + [n + 1, n + 5], np.int64)
    out = np.full(ranks.size, -1.0)
    order_statistics(keys, np.int64(n), ranks, out, allocate_sort_scratch(n, 1))
    np.testing.assert_array_equal(out[:-2], want[ranks[:-2] - 1])
    np.testing.assert_array_equal(out[-2:], [-1.0, -1.0])  # ranks beyond n leave their slot alone
