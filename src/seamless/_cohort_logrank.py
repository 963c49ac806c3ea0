"""Stratified log-rank of a cohort at successive calendar cuts, sorting once per trial, not per cut.

A cohort is a set of patients, each with its analysis arm (0 = control), whose entry times e_i
do not decrease with the patient index (stage 1, stage 2, or the CG of both: stage 2 starts
after the last stage-1 entry). Patient i has event time T_i, dropout time C_i and exit
x_i = min(T_i, C_i). At calendar cut tau a patient enrolled before tau is observed (DESIGN.md
section 1) at

* its own exit x_i if that is on the calendar by tau: an event if T_i <= C_i and e_i + T_i <= tau,
  a dropout if C_i < T_i and C_i <= tau - e_i;
* otherwise administratively censored at min(C_i, tau - e_i), which is tau - e_i.

So once each stratum's patients are sorted by exit (`sort_cohort`, once per trial), the own exits
of any cut are in order, and the administrative times tau - e_i are in order of decreasing entry,
i.e. of decreasing patient index. At a cut, `cohort_logrank` collects both sequences per stratum
and sweeps the own exits upwards; before each exit time t it drops the administrative censorings
below t from the risk sets (those at t are still at risk at t). Tied exits are one group. This is
the log-rank of `logrank._logrank_many_to_one` on the observed (time, event) data in linear time.

The per-cut loops read the patients' values from copies in sorted order (no indirection), and
have no data-dependent branches where that can be avoided (flags are added as numbers; a record
is always written and the write position advanced by a flag): with fresh random data in every
trial, mispredicted branches would cost more than the arithmetic.
"""

from typing import NamedTuple

import numpy as np

from seamless._jit import kernel
from seamless._sort import allocate_sort_scratch, grouped_sort

__all__ = ["CohortLogrank", "allocate_cohort_logrank", "sort_cohort", "join_cohorts", "cohort_logrank"]


class CohortLogrank(NamedTuple):
    """Up to ``n_cohorts`` sorted cohorts, and the scratch of one cut (n patients, H strata, A
    analysis arms at most). Rows of the (n_cohorts, n + 1) arrays hold a cohort's patients by
    stratum block (the spare column lets compaction loops write one record past the last kept one);
    ``code`` is 2 * analysis arm + (T <= C). Per stratum h the sequences collected at a cut start at
    slot ``stratum_start[c, h] + h`` and end with an +inf sentinel."""

    stratum_start: np.ndarray     # (n_cohorts, H + 1) block boundaries
    by_exit: np.ndarray           # (n_cohorts, n + 1) patient index, by exit within a block
    exit_exit: np.ndarray         # (n_cohorts, n + 1) x, in that order
    exit_entry: np.ndarray        # (n_cohorts, n + 1) e
    exit_code: np.ndarray         # (n_cohorts, n + 1) code
    by_entry: np.ndarray          # (n_cohorts, n + 1) patient index, by index within a block
    entry_entry: np.ndarray       # (n_cohorts, n + 1) e, in that order
    entry_exit: np.ndarray        # (n_cohorts, n + 1) x
    entry_dropout: np.ndarray     # (n_cohorts, n + 1) C
    entry_code: np.ndarray        # (n_cohorts, n + 1) code
    sort: object                  # _sort.SortScratch
    next_slot: np.ndarray         # (H,)
    own_time: np.ndarray          # (n + H,) own exits at the cut, per stratum, ascending
    own_code: np.ndarray          # (n + H,) 2 * analysis arm + event
    own_end: np.ndarray           # (H,)
    censor_time: np.ndarray       # (n + H,) administrative censoring times at the cut, ascending
    censor_arm: np.ndarray        # (n + H,) their analysis arm
    censor_end: np.ndarray        # (H,)
    reciprocal: np.ndarray        # (n + 1,) 1 / y, and 0 at y = 0
    arm_events: np.ndarray        # (A,) events per analysis arm at the cut
    score: np.ndarray             # (A - 1,) U of arm a vs arm 0
    variance: np.ndarray          # (A - 1,) V of arm a vs arm 0


def allocate_cohort_logrank(n_cohorts: int, n_patients: int, n_strata: int, n_arms: int) -> CohortLogrank:
    n, h, a = n_patients, n_strata, n_arms
    rows_int = [np.zeros((n_cohorts, n + 1), np.int64) for _ in range(4)]
    rows_float = [np.zeros((n_cohorts, n + 1)) for _ in range(5)]
    reciprocal = np.zeros(n + 1)
    reciprocal[1:] = 1.0 / np.arange(1, n + 1)
    return CohortLogrank(
        np.zeros((n_cohorts, h + 1), np.int64),
        rows_int[0], rows_float[0], rows_float[1], rows_int[1],
        rows_int[2], rows_float[2], rows_float[3], rows_float[4], rows_int[3],
        allocate_sort_scratch(n, h), np.zeros(h, np.int64),
        np.zeros(n + h), np.zeros(n + h, np.int64), np.zeros(h, np.int64),
        np.zeros(n + h), np.zeros(n + h, np.int64), np.zeros(h, np.int64),
        reciprocal, np.zeros(a, np.int64), np.zeros(a - 1), np.zeros(a - 1))


@kernel
def _fill_rows(cl, c, entry, event_time, dropout_time, analysis_arm):
    """The per-patient values of cohort row c in by_exit and in by_entry order."""
    by_exit, exit_entry, exit_code = cl.by_exit[c], cl.exit_entry[c], cl.exit_code[c]
    by_entry, entry_entry, entry_exit, entry_dropout, entry_code = cl.by_entry[c], cl.entry_entry[c], \
        cl.entry_exit[c], cl.entry_dropout[c], cl.entry_code[c]
    for p in range(cl.stratum_start[c, -1]):
        i = by_exit[p]
        exit_entry[p] = entry[i]
        exit_code[p] = 2 * analysis_arm[i] + (event_time[i] <= dropout_time[i])
        i = by_entry[p]
        entry_entry[p] = entry[i]
        entry_exit[p] = min(event_time[i], dropout_time[i])
        entry_dropout[p] = dropout_time[i]
        entry_code[p] = 2 * analysis_arm[i] + (event_time[i] <= dropout_time[i])


@kernel
def sort_cohort(cl, c, lo, hi, stratum, entry, event_time, dropout_time, exit_time, analysis_arm):
    """Cohort row ``c`` = patients lo..hi-1 in analysis arms analysis_arm[i] >= 0: by stratum, then
    by exit (by_exit) or by index (by_entry)."""
    n_strata, by_entry, start = cl.next_slot.size, cl.by_entry[c], cl.stratum_start[c]
    for k in range(hi - lo):
        by_entry[k] = lo + k  # patient indices: the payload of the sort, before by_entry is filled
    grouped_sort(exit_time[lo:hi], by_entry, stratum[lo:hi], hi - lo, n_strata, cl.exit_exit[c], cl.by_exit[c], start,
                 cl.sort)
    for h in range(n_strata):
        cl.next_slot[h] = start[h]
    for i in range(lo, hi):
        by_entry[cl.next_slot[stratum[i]]] = i
        cl.next_slot[stratum[i]] += 1
    _fill_rows(cl, c, entry, event_time, dropout_time, analysis_arm)


@kernel
def join_cohorts(cl, first, second, joined, first_arm_map, arm, entry, event_time, dropout_time, analysis_arm):
    """Cohort row ``joined``: the patients of cohort ``first`` whose arm code maps to an analysis arm
    ``first_arm_map[arm[i]] >= 0``, and all of cohort ``second`` (whose patients all enter after
    first's). analysis_arm (n,): written for first's kept patients, read for all joined ones. Per
    stratum by_entry is first's block then second's, by_exit their merge."""
    start, first_start, second_start = cl.stratum_start[joined], cl.stratum_start[first], cl.stratum_start[second]
    entry_out, first_entry, second_entry = cl.by_entry[joined], cl.by_entry[first], cl.by_entry[second]
    exit_out, first_exit, second_exit = cl.by_exit[joined], cl.by_exit[first], cl.by_exit[second]
    key_out, first_key, second_key = cl.exit_exit[joined], cl.exit_exit[first], cl.exit_exit[second]
    start[0] = 0
    for h in range(cl.next_slot.size):
        k = start[h]
        for p in range(first_start[h], first_start[h + 1]):
            i = first_entry[p]
            analysis_arm[i] = first_arm_map[arm[i]]
            entry_out[k] = i
            k += analysis_arm[i] >= 0
        second_lo, second_hi = second_start[h], second_start[h + 1]
        middle = k
        for p in range(second_lo, second_hi):
            entry_out[k] = second_entry[p]
            k += 1
        start[h + 1] = k
        # by_exit: first's kept patients compacted, then merged with second's from the top down, so
        # that nothing is overwritten before it is read; an exhausted side reads as -inf (from an
        # in-bounds slot); ties put first's patient first.
        kept = start[h]
        for p in range(first_start[h], first_start[h + 1]):
            i = first_exit[p]
            exit_out[kept], key_out[kept] = i, first_key[p]
            kept += analysis_arm[i] >= 0
        lo, i, j = start[h], middle - 1, second_hi - 1
        for k in range(middle + second_hi - second_lo - 1, lo - 1, -1):
            ii, jj = max(i, lo), max(j, second_lo)
            a_key, b_key, a_value, b_value = key_out[ii], second_key[jj], exit_out[ii], second_exit[jj]
            a_key = a_key if i >= lo else -np.inf
            b_key = b_key if j >= second_lo else -np.inf
            take_b = b_key >= a_key
            key_out[k] = b_key if take_b else a_key
            exit_out[k] = b_value if take_b else a_value
            j -= take_b
            i -= not take_b
    _fill_rows(cl, joined, entry, event_time, dropout_time, analysis_arm)


@kernel
def _collect(cl, c, tau):
    """Per stratum at cut tau: the own exits in exit order (own_time/own_code) and the
    administrative censorings in reverse entry order (censor_time/censor_arm), each closed by +inf.
    Patients entering at or after tau are not in the analysis."""
    start = cl.stratum_start[c]
    exit_entry, exit_exit, exit_code = cl.exit_entry[c], cl.exit_exit[c], cl.exit_code[c]
    entry_entry, entry_exit, entry_dropout, entry_code = cl.entry_entry[c], cl.entry_exit[c], cl.entry_dropout[c], \
        cl.entry_code[c]
    own_time, own_code, censor_time, censor_arm = cl.own_time, cl.own_code, cl.censor_time, cl.censor_arm
    for h in range(cl.next_slot.size):
        lo, hi = start[h], start[h + 1]
        w = lo + h
        for p in range(lo, hi):
            e, x, code = exit_entry[p], exit_exit[p], exit_code[p]
            # Event on the calendar (e + T <= tau), so the event that defines a look always counts at it.
            event = ((code & 1) == 1) & (e + x <= tau)
            own = event | (((code & 1) == 0) & (x <= tau - e))
            own_time[w] = x
            own_code[w] = (code >> 1) * 2 + event
            w += (e < tau) & own
        own_time[w] = np.inf
        cl.own_end[h] = w
        w = lo + h
        for p in range(hi - 1, lo - 1, -1):
            e, x, code = entry_entry[p], entry_exit[p], entry_code[p]
            own = (((code & 1) == 1) & (e + x <= tau)) | (((code & 1) == 0) & (x <= tau - e))
            censor_time[w] = min(entry_dropout[p], tau - e)
            censor_arm[w] = code >> 1
            w += (e < tau) & (own == 0)
        censor_time[w] = np.inf
        cl.censor_end[h] = w


@kernel
def _sweep(own_time, own_code, own_end, censor_time, censor_arm, censor_end, stratum_start, reciprocal, arm):
    """(U, V, events in the arm, events in control) of analysis arm ``arm`` vs arm 0 (DESIGN.md
    section 2), from the sequences of `_collect` (stratum h's at slot stratum_start[h] + h on;
    records of other arms are in neither risk set). Per stratum, walk the own exits upwards, one
    group of tied exits at a time (the group's events count at t, then the group leaves the risk
    sets), dropping the administrative censorings below t first. Counts and sums are scalars
    (registers)."""
    r = reciprocal
    score = variance = 0.0
    arm_total = control_total = 0
    for h in range(own_end.size):
        begin = stratum_start[h] + h
        arm_at_risk = control_at_risk = 0
        for k in range(begin, own_end[h]):
            arm_at_risk += (own_code[k] >> 1) == arm
            control_at_risk += own_code[k] <= 1
        for k in range(begin, censor_end[h]):
            arm_at_risk += censor_arm[k] == arm
            control_at_risk += censor_arm[k] == 0
        i = j = begin
        while i < own_end[h]:
            t = own_time[i]
            while censor_time[j] < t:  # censored before t: out of the risk sets at t
                arm_at_risk -= censor_arm[j] == arm
                control_at_risk -= censor_arm[j] == 0
                j += 1
            arm_events = control_events = arm_leaving = control_leaving = 0
            while True:  # the group of exits tied at t
                in_arm, in_control = (own_code[i] >> 1) == arm, own_code[i] <= 1
                event = own_code[i] & 1
                arm_events += event & in_arm
                control_events += event & in_control
                arm_leaving += in_arm
                control_leaving += in_control
                i += 1
                if own_time[i] != t:
                    break
            # d Y_a / Y - d_a and d Y_a Y_0 (Y - d) / (Y^2 (Y - 1)); 0 without events, with an empty
            # arm, and (V) at Y = 1.
            d = arm_events + control_events
            y = arm_at_risk + control_at_risk
            term = (d > 0) & (arm_at_risk > 0) & (control_at_risk > 0)
            score += term * (d * arm_at_risk * r[y] - arm_events)
            variance += term * ((d * arm_at_risk * control_at_risk * (y - d)) * (r[y] * r[y] * r[max(y - 1, 0)]))
            arm_at_risk -= arm_leaving
            control_at_risk -= control_leaving
            arm_total += arm_events
            control_total += control_events
    return score, variance, arm_total, control_total


@kernel
def cohort_logrank(cl, c, tau, n_arms):
    """Stratified log-rank of analysis arms 1..n_arms-1 against arm 0 in cohort ``c`` (sorted by
    `sort_cohort`/`join_cohorts`) at calendar cut tau, among the patients entered before tau. Writes
    cl.score, cl.variance (U, V of arm a at a - 1) and cl.arm_events."""
    _collect(cl, c, tau)
    for a in range(1, n_arms):  # one branch-free sweep per arm beats one branching sweep over all
        cl.score[a - 1], cl.variance[a - 1], cl.arm_events[a], cl.arm_events[0] = _sweep(
            cl.own_time, cl.own_code, cl.own_end, cl.censor_time, cl.censor_arm, cl.censor_end, cl.stratum_start[c],
            cl.reciprocal, a)
