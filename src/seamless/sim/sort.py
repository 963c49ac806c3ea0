"""Sorting positive float keys with an integer payload, grouped, into preallocated buffers.

The per-trial kernels sort a few hundred random times several times per trial. A comparison sort
of random keys mispredicts a branch about once per comparison, which costs more than everything
else it does; numba's ``np.argsort`` also allocates. So `grouped_sort` is a bucket sort (Knuth,
TAOCP vol. 3, 5.2.5; two stable counting-sort passes, least significant key first): bucket by the
leading bits of the key (the exponent and six mantissa bits of a positive float64: 64 buckets
per octave, in key order; MAX_BUCKETS buckets cover the 16 octaves below the largest key, and
smaller keys share the first), then by group, then a final insertion sort that only has to
swap the keys that share a bucket. `kth_smallest` uses the same buckets to find one order
statistic: count per bucket, then sort only the bucket that holds it (`order_statistics`: several
from one count). (Keys below 2^-16 of the largest all share the first bucket; the insertion sort
is quadratic in their number, and no realistic time scale has many.)
"""

from typing import NamedTuple

import numpy as np

from seamless._jit import kernel

__all__ = ["MAX_BUCKETS", "SortScratch", "allocate_sort_scratch", "grouped_sort", "kth_smallest", "order_statistics"]

MAX_BUCKETS = 1024
_BUCKET_SHIFT = 46  # float64 bits >> 46: sign, 11 exponent bits, the 6 leading mantissa bits


class SortScratch(NamedTuple):
    keys: np.ndarray     # (n,)
    payload: np.ndarray  # (n,)
    group: np.ndarray    # (n,)
    bucket: np.ndarray   # (n,)
    counts: np.ndarray   # (max(MAX_BUCKETS, n_groups) + 1,)


def allocate_sort_scratch(n: int, n_groups: int) -> SortScratch:
    return SortScratch(np.zeros(n), np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n, np.int64),
                       np.zeros(max(MAX_BUCKETS, n_groups) + 1, np.int64))


@kernel
def _exclusive_prefix(counts, lo, hi):
    """counts[b] <- sum(counts[lo:b]) for b in lo..hi-1 (the running sum kept in a register)."""
    running = 0
    for b in range(lo, hi):
        running, counts[b] = running + counts[b], running


@kernel
def _bucket(key_bits, lowest):
    """Bucket of a key (its float64 bits) with buckets from ``lowest`` on; smaller keys share bucket 0."""
    return max((key_bits >> _BUCKET_SHIFT) - lowest, 0)


@kernel
def _bucket_range(bits, n):
    """(lowest bucket, number of buckets) of keys 0..n-1 (their float64 bits): MAX_BUCKETS buckets at
    most, ending at the largest key's."""
    lowest = highest = bits[0] >> _BUCKET_SHIFT
    for k in range(n):
        highest = max(highest, bits[k] >> _BUCKET_SHIFT)
        lowest = min(lowest, bits[k] >> _BUCKET_SHIFT)
    lowest = max(lowest, highest - MAX_BUCKETS + 1)
    return lowest, highest - lowest + 1


@kernel
def _bucket_pass(keys, payload, group, n, scratch):
    """Stable counting sort of records 0..n-1 by bucket into the scratch. The MAX_BUCKETS buckets
    end at the largest key's; smaller keys share the first bucket."""
    bits = keys.view(np.int64)
    lowest, n_buckets = _bucket_range(bits, n)
    counts, bucket = scratch.counts, scratch.bucket
    counts[:n_buckets] = 0
    for k in range(n):
        bucket[k] = _bucket(bits[k], lowest)
        counts[bucket[k]] += 1
    _exclusive_prefix(counts, 0, n_buckets)
    for k in range(n):
        slot = counts[bucket[k]]
        counts[bucket[k]] += 1
        scratch.keys[slot], scratch.payload[slot], scratch.group[slot] = keys[k], payload[k], group[k]


@kernel
def kth_smallest(keys, n, k, scratch):
    """The k-th smallest (1 <= k <= n) of keys[:n] (all > 0), in time linear in n: count the keys
    per bucket, then sort only the keys of the bucket that holds the k-th. scratch:
    `allocate_sort_scratch` for at least n keys."""
    lowest = _count_buckets(keys, n, scratch.counts)
    target, below = _bucket_of_rank(scratch.counts, k, 0, 0)
    return _rank_in_bucket(keys, n, lowest, target, k - below, scratch)


@kernel
def order_statistics(keys, n, ranks, out, scratch):
    """out[j] = the ranks[j]-th smallest of keys[:n] (all > 0) for each ranks[j] <= n (ranks increasing;
    out[j] untouched for the others): `kth_smallest` with one count of the buckets for all ranks."""
    lowest = _count_buckets(keys, n, scratch.counts)
    target = below = 0
    for j in range(ranks.size):
        if ranks[j] <= n:
            target, below = _bucket_of_rank(scratch.counts, ranks[j], target, below)
            out[j] = _rank_in_bucket(keys, n, lowest, target, ranks[j] - below, scratch)


@kernel
def _count_buckets(keys, n, counts):
    """counts[b] = number of keys[:n] in bucket b (the buckets of `_bucket_range`); returns its lowest."""
    bits = keys.view(np.int64)
    lowest, n_buckets = _bucket_range(bits, n)
    counts[:n_buckets] = 0
    for i in range(n):
        counts[_bucket(bits[i], lowest)] += 1
    return lowest


@kernel
def _bucket_of_rank(counts, k, target, below):
    """(bucket holding the k-th smallest key, keys in the buckets before it), searched from bucket
    ``target`` on, with ``below`` keys before that."""
    while below + counts[target] < k:
        below += counts[target]
        target += 1
    return target, below


@kernel
def _rank_in_bucket(keys, n, lowest, target, rank, scratch):
    """The rank-th smallest key of bucket ``target``: its keys compacted without a branch, then sorted
    (a few keys; the payload is not needed)."""
    bits = keys.view(np.int64)
    m = 0
    for i in range(n):
        scratch.keys[m] = keys[i]
        m += _bucket(bits[i], lowest) == target
    _insertion_sort(scratch.keys, scratch.payload, 0, m)
    return scratch.keys[rank - 1]


@kernel
def _group_pass(keys, payload, group, n, n_groups, out_keys, out_payload, group_start, counts):
    """Stable counting sort of records 0..n-1 by group into out; group g ends up in
    group_start[g]:group_start[g + 1]."""
    counts[:n_groups] = 0
    for k in range(n):
        counts[group[k]] += 1
    _exclusive_prefix(counts, 0, n_groups)
    for g in range(n_groups):
        group_start[g] = counts[g]
    group_start[n_groups] = n
    for k in range(n):
        slot = counts[group[k]]
        counts[group[k]] += 1
        out_keys[slot], out_payload[slot] = keys[k], payload[k]


@kernel
def grouped_sort(keys, payload, group, n, n_groups, out_keys, out_payload, group_start, scratch):
    """Order records 0..n-1 (keys > 0 with their payload, group in 0..n_groups-1) by group, then
    by key, into out_keys[:n], out_payload[:n]; group g occupies group_start[g]:group_start[g + 1].
    Records with equal keys in a group keep their input order. out may be keys and payload
    themselves. scratch: `allocate_sort_scratch`.
    """
    if n == 0:
        group_start[:n_groups + 1] = 0
        return
    _bucket_pass(keys, payload, group, n, scratch)
    if n_groups > 1:
        _group_pass(scratch.keys, scratch.payload, scratch.group, n, n_groups, out_keys, out_payload, group_start,
                    scratch.counts)
    else:
        for k in range(n):
            out_keys[k], out_payload[k] = scratch.keys[k], scratch.payload[k]
        group_start[0], group_start[1] = 0, n
    for g in range(n_groups):  # only keys that share a bucket are out of order
        _insertion_sort(out_keys, out_payload, group_start[g], group_start[g + 1])


@kernel
def _insertion_sort(keys, payload, lo, hi):
    """Stable insertion sort of keys[lo:hi], with their payload: fast when few are out of order."""
    for k in range(lo + 1, hi):
        key, value = keys[k], payload[k]
        i = k - 1
        while i >= lo and keys[i] > key:
            keys[i + 1], payload[i + 1] = keys[i], payload[i]
            i -= 1
        keys[i + 1], payload[i + 1] = key, value
