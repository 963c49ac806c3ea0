"""Stratified log-rank test, experimental arms against a shared control (DESIGN.md section 2).

For arm a vs control, in each stratum h and at each distinct event time t, with at-risk counts
Y_a, Y_0 (observed time >= t, so those censored at t are still at risk at t), Y = Y_a + Y_0 and
events d_a, d = d_a + d_0:

    U = sum_h sum_t [ d Y_a / Y - d_a ]                          (expected minus observed in arm a)
    V = sum_h sum_t d (Y_a Y_0 / Y^2) (Y - d) / (Y - 1)          (a term with Y = 1 contributes 0)
    z = U / sqrt(V)  (0 when V = 0),   HR = exp(-U / V)  (Pike estimate; nan when V = 0)

z > 0 favours the experimental arm. This is survival::survdiff(Surv(time, event) ~ arm + strata(s))
with U = sum(exp - obs) of arm 1 and V its variance.
"""

import math
from typing import NamedTuple

import numpy as np

from seamless._jit import allocating_kernel, kernel

__all__ = ["LogRankResult", "stratified_logrank", "logrank_reference"]


class LogRankResult(NamedTuple):
    """Stratified log-rank statistics of one experimental arm against control."""

    score: float  # U, expected minus observed events in the experimental arm
    variance: float  # V, the null variance of U
    z: float  # U / sqrt(V); > 0 favours the experimental arm
    hazard_ratio: float  # exp(-U / V), experimental vs control


@allocating_kernel
def _logrank_many_to_one(time, event, arm, stratum, n_arms, n_strata, score_out, variance_out):
    """U_a and V_a for every experimental arm a = 1..n_arms-1 against arm 0, in one pass.

    time (n,) float64; event (n,) bool/uint8; arm (n,) int in {-1 (ignored), 0, .., n_arms-1};
    stratum (n,) int in 0..n_strata-1. Writes score_out[a-1] = U_a, variance_out[a-1] = V_a
    (shapes (n_arms-1,)). One argsort by time, a stable counting sort by stratum (so each stratum
    is a contiguous time-ordered block), then an upward sweep per stratum over tied-time groups
    with per-arm at-risk counters. Allocates O(n + n_strata * n_arms), nothing per time.
    """
    by_time = np.argsort(time)
    at_risk_start = np.zeros((n_strata, n_arms), np.int64)  # patients per stratum and arm
    for i in range(time.size):
        if arm[i] >= 0:
            at_risk_start[stratum[i], arm[i]] += 1
    block_start = np.zeros(n_strata + 1, np.int64)
    for h in range(n_strata):
        block_start[h + 1] = block_start[h] + at_risk_start[h].sum()
    next_slot = block_start[:n_strata].copy()
    order = np.empty(block_start[n_strata], np.int64)
    for j in range(time.size):
        i = by_time[j]
        if arm[i] >= 0:
            order[next_slot[stratum[i]]] = i
            next_slot[stratum[i]] += 1

    score_out[:] = 0.0
    variance_out[:] = 0.0
    at_risk = np.zeros(n_arms, np.int64)
    events = np.zeros(n_arms, np.int64)
    leaving = np.zeros(n_arms, np.int64)
    for h in range(n_strata):
        at_risk[:] = at_risk_start[h]
        j = block_start[h]
        while j < block_start[h + 1]:
            t = time[order[j]]
            while j < block_start[h + 1] and time[order[j]] == t:  # the group of patients tied at t
                i = order[j]
                leaving[arm[i]] += 1
                if event[i]:
                    events[arm[i]] += 1
                j += 1
            _add_time_terms(at_risk, events, score_out, variance_out)
            for a in range(n_arms):
                at_risk[a] -= leaving[a]
                leaving[a] = 0
                events[a] = 0


@kernel
def _add_time_terms(at_risk, events, score_out, variance_out):
    """Add the terms of one event time t (at-risk and event counts per arm) for every arm vs arm 0."""
    control_at_risk = float(at_risk[0])
    for a in range(1, at_risk.size):
        arm_at_risk = float(at_risk[a])
        d = float(events[a] + events[0])
        if d == 0.0 or arm_at_risk == 0.0 or control_at_risk == 0.0:
            continue  # no event, or one arm empty: the term is exactly 0
        y = arm_at_risk + control_at_risk
        score_out[a - 1] += d * arm_at_risk / y - events[a]
        if y > 1.0:
            variance_out[a - 1] += d * arm_at_risk * control_at_risk * (y - d) / (y * y * (y - 1.0))


def _validated_two_arm(time, event, arm, stratum):
    """Check the inputs of a two-arm test; return (time float64, event bool, arm int64, stratum codes, n_strata)."""
    time = np.asarray(time, dtype=float)
    if time.ndim != 1 or not np.all(np.isfinite(time) & (time >= 0.0)):
        raise ValueError("time must be a 1-D array of finite non-negative numbers")
    n = time.size
    event = np.asarray(event)
    arm = np.asarray(arm)
    stratum = np.zeros(n, dtype=np.int64) if stratum is None else np.asarray(stratum)
    for name, values in (("event", event), ("arm", arm), ("stratum", stratum)):
        if values.shape != (n,):
            raise ValueError(f"{name} must be 1-D with the length of time ({n}), got shape {values.shape}")
    if not np.all((event == 0) | (event == 1)):
        raise ValueError(f"event must contain only 0/1 or booleans, got values {np.unique(event).tolist()}")
    if not np.all((arm == 0) | (arm == 1)):
        raise ValueError(
            f"arm must contain only 0 (control) and 1 (experimental), got values {np.unique(arm).tolist()}"
        )
    codes, stratum_codes = np.unique(stratum, return_inverse=True)
    return time, event.astype(bool), arm.astype(np.int64), stratum_codes.astype(np.int64).ravel(), codes.size


def _result(score: float, variance: float) -> LogRankResult:
    if variance > 0.0:
        return LogRankResult(score, variance, score / math.sqrt(variance), math.exp(-score / variance))
    return LogRankResult(score, variance, 0.0, math.nan)


def stratified_logrank(time, event, arm, stratum=None) -> LogRankResult:
    """Stratified log-rank test of arm 1 against arm 0 (DESIGN.md section 2).

    time (n,) observed times; event (n,) 1 = event, 0 = censored; arm (n,) 0 = control,
    1 = experimental; stratum (n,) any labels, or None for one stratum.
    """
    time, event, arm, stratum, n_strata = _validated_two_arm(time, event, arm, stratum)
    score = np.zeros(1)
    variance = np.zeros(1)
    _logrank_many_to_one(time, event, arm, stratum, 2, n_strata, score, variance)
    return _result(float(score[0]), float(variance[0]))


def logrank_reference(time, event, arm, stratum=None) -> LogRankResult:
    """Slow, literal pure-Python version of `stratified_logrank`, the oracle for the kernel's tests."""
    time, event, arm, stratum, _ = _validated_two_arm(time, event, arm, stratum)
    patients = list(zip(time.tolist(), event.tolist(), arm.tolist(), stratum.tolist()))
    score = 0.0
    variance = 0.0
    for h in sorted(set(stratum.tolist())):
        in_stratum = [(t, e, a) for t, e, a, s in patients if s == h]
        if {a for _, _, a in in_stratum} != {0, 1}:
            continue  # one arm is empty in this stratum: it contributes 0
        for t in sorted({u for u, e, _ in in_stratum if e}):
            y1 = sum(1 for u, _, a in in_stratum if u >= t and a == 1)
            y0 = sum(1 for u, _, a in in_stratum if u >= t and a == 0)
            d1 = sum(1 for u, e, a in in_stratum if u == t and e and a == 1)
            d0 = sum(1 for u, e, a in in_stratum if u == t and e and a == 0)
            y, d = y1 + y0, d1 + d0
            score += d * y1 / y - d1
            if y > 1:
                variance += d * (y1 * y0 / y**2) * (y - d) / (y - 1)
    return _result(score, variance)
