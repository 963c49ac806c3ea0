"""The random part of one simulated trial: who arrives, in which stratum and arm, and when.

Everything random about a trial is drawn here, before any analysis, as unit-scale
quantities; the engine turns them into calendar times once the selection is known (the
selected dose's hazard ratio and the start of stage 2 depend on stage 1). So a trial's
patients are fixed by its random stream alone, and the reference simulation can replay them.
"""

from typing import NamedTuple

import numpy as np

from seamless._jit import kernel
from seamless.sim.randomization import assign_arms
from seamless.sim.stream import exponential, load, normal, store, uniform

__all__ = ["RawPatients", "allocate_patients", "draw_patients", "entry_times"]


class RawPatients(NamedTuple):
    """Unit-scale draws for the n1 + n2 patients of one trial (stage 1 first, arrival order)."""

    stratum: np.ndarray        # (n,) int64 stratum index
    arm: np.ndarray            # (n,) int64: stage 1 0=control, d=dose d; stage 2 0=control, 1=selected
    accrual_gap: np.ndarray    # (n,) unit exponential gaps in cumulative-intensity space
    event_unit: np.ndarray     # (n,) unit exponential: PFS time = Lambda^-1(event_unit) (`seamless.sim.outcome`)
    dropout_unit: np.ndarray   # (n,) unit exponential: dropout time = dropout_unit / dropout hazard
    response_normal: np.ndarray  # (n1,) standard normal N1 of the response copula; (0,) without endpoints
    toxicity_normal: np.ndarray  # (n1,) standard normal N2 of the toxicity copula; (0,) without endpoints


class RandomizationScratch(NamedTuple):
    sequence: np.ndarray       # (n_strata, longest super-block)
    position: np.ndarray       # (n_strata,)
    block_order: np.ndarray    # (most blocks,)


def allocate_patients(d):
    """Buffers for one trial's draws under ``d`` (a KernelDesign's Enrolment), reused across the trials of
    a chunk."""
    n_patients, n_strata = d.stage1_patients + d.stage2_patients, d.stratum_cumprob.size
    raw = RawPatients(np.zeros(n_patients, np.int64), np.zeros(n_patients, np.int64),
                      np.zeros(n_patients), np.zeros(n_patients), np.zeros(n_patients),
                      np.zeros(d.endpoint_patients), np.zeros(d.endpoint_patients))
    scratch = RandomizationScratch(np.zeros((n_strata, max(d.stage1_codes.size, d.stage2_codes.size)), np.int64),
                                   np.zeros(n_strata, np.int64),
                                   np.zeros(max(d.stage1_offsets.size, d.stage2_offsets.size), np.int64))
    return raw, scratch


@kernel
def draw_patients(state, d, raw, scratch):
    """Draw one trial's patients into ``raw`` from the stream `state` (`seamless.sim.stream.new_state`,
    advanced); ``d`` is a KernelDesign's Enrolment."""
    s = load(state)
    n1 = d.stage1_patients
    n = raw.stratum.size
    cumprob, guide = d.stratum_cumprob, d.stratum_guide
    for i in range(n):
        # Inverse CDF: the first stratum h with u < cumprob[h] (the last if none), searched from
        # the guide cell of u on (Chen & Asau 1974) instead of from 0: the same h, in about one step.
        u, s = uniform(s)
        h = guide[int(u * guide.size)]
        while h < cumprob.size - 1 and u >= cumprob[h]:
            h += 1
        raw.stratum[i] = h
    n_strata = cumprob.size
    s = assign_arms(s, raw.stratum[:n1], n_strata, d.stage1_codes, d.stage1_offsets,
                    scratch.sequence, scratch.position, scratch.block_order, raw.arm[:n1])
    s = assign_arms(s, raw.stratum[n1:], n_strata, d.stage2_codes, d.stage2_offsets,
                    scratch.sequence, scratch.position, scratch.block_order, raw.arm[n1:])
    for i in range(n):
        raw.accrual_gap[i], s = exponential(s)
        raw.event_unit[i], s = exponential(s)
        raw.dropout_unit[i], s = exponential(s)
    for i in range(raw.response_normal.size):  # after the rest: designs without endpoints draw as before
        raw.response_normal[i], s = normal(s)
        raw.toxicity_normal[i], s = normal(s)
    store(state, s)


@kernel
def entry_times(start, gaps, rates, starts, out):
    """Arrival times of a piecewise-constant Poisson process begun at calendar time ``start``.

    Arrivals are the cumulative unit-exponential ``gaps`` mapped through the inverse of the
    cumulative intensity Lambda(t) = integral of the rate (rates[j] from starts[j] on).
    """
    # Lambda at each piece's start, and at ``start``.
    piece = 0
    cum_at_piece = 0.0
    while piece + 1 < starts.size and starts[piece + 1] <= start:
        cum_at_piece += rates[piece] * (starts[piece + 1] - starts[piece])
        piece += 1
    level = cum_at_piece + rates[piece] * (start - starts[piece])
    for i in range(gaps.size):
        level += gaps[i]
        while piece + 1 < starts.size and \
                level >= cum_at_piece + rates[piece] * (starts[piece + 1] - starts[piece]):
            cum_at_piece += rates[piece] * (starts[piece + 1] - starts[piece])
            piece += 1
        out[i] = starts[piece] + (level - cum_at_piece) / rates[piece]
