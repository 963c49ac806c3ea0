"""The per-cut cohort log-rank (sorted once, merged at each cut) against the plain log-rank kernel
on the observed data of each cut, built literally from DESIGN.md section 1."""

import numpy as np
import pytest

from seamless.sim.cohort_logrank import allocate_cohort_logrank, cohort_logrank, sort_cohort, union_logrank
from seamless.stats.logrank import _logrank_many_to_one


def _cohort(seed, n, n_arms, n_strata, ties):
    rng = np.random.default_rng(seed)
    entry = np.sort(rng.uniform(0.0, 20.0, n))
    event_time = rng.exponential(8.0, n)
    dropout_time = rng.exponential(60.0, n)
    if ties:  # ties among exits, and between exits and administrative censoring
        event_time, dropout_time, entry = np.round(event_time), np.round(dropout_time), np.round(entry)
        entry = np.sort(entry)
        event_time, dropout_time = np.maximum(event_time, 1.0), np.maximum(dropout_time, 1.0)
    arm = rng.integers(0, n_arms, n).astype(np.int64)
    stratum = rng.integers(0, n_strata, n).astype(np.int64)
    return entry, event_time, dropout_time, arm, stratum


def _observed_statistics(tau, entry, event_time, dropout_time, arm, stratum, n_arms, n_strata):
    keep = entry < tau
    event = (event_time <= dropout_time) & (entry + event_time <= tau)
    time = np.where(event, event_time, np.minimum(dropout_time, tau - entry))
    score, variance = np.zeros(n_arms - 1), np.zeros(n_arms - 1)
    _logrank_many_to_one(time[keep], event[keep], arm[keep], stratum[keep], n_arms, n_strata, score, variance)
    return score, variance, np.bincount(arm[keep & event], minlength=n_arms)


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize(("n_arms", "n_strata"), [(2, 1), (2, 12), (4, 12), (4, 3), (6, 12), (8, 3)])
@pytest.mark.parametrize("seed", range(3))
def test_cohort_logrank_matches_plain_kernel_at_every_cut(seed, n_arms, n_strata, ties):
    n = 300
    entry, event_time, dropout_time, arm, stratum = _cohort(seed, n, n_arms, n_strata, ties)
    cl = allocate_cohort_logrank(1, n, n_strata, n_arms)
    sort_cohort(cl, np.int64(0), np.int64(0), np.int64(n), stratum, entry, event_time, dropout_time,
                np.minimum(event_time, dropout_time), arm)
    for tau in [5.0, 12.5, 21.0, 30.0, 55.0, 200.0]:
        cohort_logrank(cl, np.int64(0), tau, np.int64(n_arms))
        score, variance, events = _observed_statistics(tau, entry, event_time, dropout_time, arm, stratum, n_arms,
                                                       n_strata)
        np.testing.assert_allclose(cl.score[:n_arms - 1], score, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(cl.variance[:n_arms - 1], variance, rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(cl.arm_events[:n_arms], events)


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("seed", range(3))
def test_union_of_two_cohorts_is_the_cg(seed, ties):
    """Stage 1 (arms 0..3, of which 0 and 2 are in the CG, as 0 and 1) and stage 2 (arms 0/1, entering
    later): the union's log-rank equals the plain kernel's on the CG patients, also when cut after
    both cohorts were analysed at other cuts."""
    n1, n2, n_strata = 120, 200, 6
    e1, t1, c1, a1, s1 = _cohort(seed, n1, 4, n_strata, ties)
    e2, t2, c2, a2, s2 = _cohort(seed + 10, n2, 2, n_strata, ties)
    entry, event_time = np.concatenate([e1, e2 + 25.0]), np.concatenate([t1, t2])
    dropout_time = np.concatenate([c1, c2])
    arm, stratum = np.concatenate([a1, a2]), np.concatenate([s1, s2])
    cg_arm = np.concatenate([np.select([a1 == 0, a1 == 2], [0, 1], -1), a2]).astype(np.int64)
    cl = allocate_cohort_logrank(2, n1 + n2, n_strata, 4)
    exit_time = np.minimum(event_time, dropout_time)
    sort_cohort(cl, np.int64(0), np.int64(0), np.int64(n1), stratum, entry, event_time, dropout_time, exit_time, arm)
    sort_cohort(cl, np.int64(1), np.int64(n1), np.int64(n1 + n2), stratum, entry, event_time, dropout_time, exit_time,
                arm)
    in_cg = cg_arm >= 0
    for tau in [20.0, 40.0, 80.0]:
        cohort_logrank(cl, np.int64(0), tau - 1.0, np.int64(4))
        score, variance, events = union_logrank(cl, np.int64(0), np.int64(1), tau, np.int64(2))
        want_score, want_variance, want_events = _observed_statistics(
            tau, entry[in_cg], event_time[in_cg], dropout_time[in_cg], cg_arm[in_cg], stratum[in_cg], 2, n_strata)
        np.testing.assert_allclose(score, want_score[0], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(variance, want_variance[0], rtol=1e-12, atol=1e-12)
        assert events == want_events.sum()


@pytest.mark.parametrize(("a_length", "b_length"), [(0, 0), (0, 5), (4, 0), (1, 1), (7, 8), (30, 17), (64, 64)])
def test_merge_from_both_ends_is_the_ordered_union(a_length, b_length):
    """Both sequences ordered by (stratum, time, own exit before censoring), with full ties across and
    within them: the merge is their stable ordered union, a's records first on full ties."""
    from seamless.sim.cohort_logrank import _CENSORED, _LAST_KEY, _STRATUM_SHIFT, _merge, _order_key

    rng = np.random.default_rng(a_length * 100 + b_length)
    n_strata = 3
    keys = np.vectorize(_order_key, otypes=[np.int64])

    def sequence(length):
        stratum = rng.integers(0, n_strata, length)
        time = rng.integers(0, 6, length) * 1.5  # few distinct times, 0 and > 2 among them: many ties
        censored = rng.integers(0, 2, length)
        order = np.lexsort((censored, time, stratum))
        code = (stratum[order] << _STRATUM_SHIFT) | (censored[order] * _CENSORED) | (rng.integers(0, 2, length) << 2)
        key = keys(time[order], censored[order]).astype(np.int64)
        return np.append(key, _LAST_KEY), np.append(code, n_strata << _STRATUM_SHIFT), time[order]

    a_key, a_code, a_time = sequence(a_length)
    b_key, b_code, b_time = sequence(b_length)
    key, code = np.zeros(a_length + b_length + 1, np.int64), np.zeros(a_length + b_length + 1, np.int64)
    n = _merge(a_key, a_code, np.int64(a_length), b_key, b_code, np.int64(b_length), key, code)

    all_key = np.concatenate([a_key[:-1], b_key[:-1]])
    all_time = np.concatenate([a_time, b_time])
    all_code = np.concatenate([a_code[:-1], b_code[:-1]])
    source = np.repeat([0, 1], [a_length, b_length])
    order = np.lexsort((np.arange(n), source, all_code & _CENSORED, all_time, all_code >> _STRATUM_SHIFT))
    assert n == a_length + b_length
    np.testing.assert_array_equal(key[:n], all_key[order])
    np.testing.assert_array_equal(code[:n], all_code[order])
    assert key[n] == _LAST_KEY and code[n] == n_strata << _STRATUM_SHIFT


@pytest.mark.parametrize("seed", range(3))
def test_order_keys_order_as_time_then_censoring(seed):
    """The signed order of _order_key is that of (time, censored) for times >= 0, +inf included."""
    from seamless.sim.cohort_logrank import _order_key

    rng = np.random.default_rng(seed)
    time = np.concatenate([[0.0, 5e-324, 1.0, 2.0, np.nextafter(2.0, 0.0), 1e300, np.inf],
                           rng.exponential(10.0, 500), np.exp(rng.uniform(-700.0, 700.0, 500))])
    time = np.concatenate([time, time])
    censored = rng.integers(0, 2, time.size)
    key = np.array([_order_key(t, c) for t, c in zip(time, censored)])
    np.testing.assert_array_equal(np.argsort(key, kind="stable"), np.lexsort((censored, time)))
