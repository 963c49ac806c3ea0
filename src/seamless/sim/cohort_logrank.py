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
of any cut are in order, and the administrative times tau - e_i are in order of decreasing entry.
At a cut, `_collect` gathers both and merges them into the cohort's sequence: its records by
stratum, then time, an administrative censoring after the own exits at its time (a patient
censored at t is still at risk at t). In that order the patients at risk at a record's time are
the records from it to its stratum's end, so `_sweep` counts them backwards and then adds the
log-rank terms forwards, tied own exits as one group. With more than two arms, the other arms'
records are in neither risk set of an arm against control and add zero terms: without ties,
`_sweep_group` sweeps up to _GROUP arms at once over the whole sequence, adding terms at events
only; with ties, each arm is swept over its and control's records, picked from the sequence
first (`_pair`). This is the log-rank of `logrank._logrank_many_to_one` on the observed
(time, event) data in linear time.

Two cohorts whose patients all enter one after the other (stage 1, then stage 2) have as union
the CG, whose sequence at a cut is the merge of the two cohorts' sequences: `union_logrank`
merges them instead of sorting the union. A cohort collected at a cut is not collected again at
the same cut.

Every loop runs over a whole cohort, not stratum by stratum (each record carries its stratum),
and none branches on the data except on ties: flags are added as numbers, a record is always
written and the write position advanced by a flag, and records are selected by integers, because
x86 selects integers without a branch but floating-point values with one. With fresh random data
in every trial a mispredicted branch costs more than the arithmetic it saves. A collected record
holds no time, only its order key (`_order_key`: time and censoring flag in one integer), which is
all the merges and the tie checks need: one integer comparison instead of three.
"""

from typing import NamedTuple

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from seamless._jit import kernel
from seamless.sim.sort import allocate_sort_scratch, grouped_sort

__all__ = ["CohortLogrank", "allocate_cohort_logrank", "sort_cohort", "cohort_logrank", "union_logrank"]

# Record codes: stratum << _STRATUM_SHIFT | analysis arm << _ARM_SHIFT | _CENSORED | _EVENT. In the
# patient rows of a cohort, _EVENT marks T <= C; in a collected sequence, an event by the cut.
_EVENT, _CENSORED, _ARM_SHIFT, _ARM_MASK, _STRATUM_SHIFT = 1, 2, 2, 63, 8
_SIGN = np.int64(-2**63)
_LAST_KEY = np.int64(2**63 - 1)  # the sentinel's (its stratum is past the last already)
_GROUP = 3  # arms that `_sweep_group` sweeps at once against control


class CohortLogrank(NamedTuple):
    """Up to ``n_cohorts`` sorted cohorts, and the sequence collected at the cut of each (n patients,
    A analysis arms at most). Rows of the (n_cohorts, n) arrays hold a cohort's patients by stratum
    block; row n_cohorts of a collected sequence is the union of two cohorts. A collected sequence
    ends with a sentinel record (stratum past the last, time +inf)."""

    stratum_start: np.ndarray     # (n_cohorts, H + 1) block boundaries
    by_exit: np.ndarray           # (n_cohorts, n) patient index, by exit within a block
    exit_exit: np.ndarray         # (n_cohorts, n) x, in that order
    exit_entry: np.ndarray        # (n_cohorts, n) e
    exit_code: np.ndarray         # (n_cohorts, n) code
    by_entry: np.ndarray          # (n_cohorts, n) patient index, by decreasing index within a block
    entry_entry: np.ndarray       # (n_cohorts, n) e, in that order
    entry_exit: np.ndarray        # (n_cohorts, n) x
    entry_dropout: np.ndarray     # (n_cohorts, n) C
    entry_code: np.ndarray        # (n_cohorts, n) code
    sort: object                  # sort.SortScratch
    next_slot: np.ndarray         # (H,)
    own_key: np.ndarray           # (n + 1,) own exits at the cut, by stratum and time; then a pair (scratch)
    own_code: np.ndarray          # (n + 1,)
    censor_key: np.ndarray        # (n + 1,) administrative censorings at the cut, likewise (scratch)
    censor_code: np.ndarray       # (n + 1,)
    cut: np.ndarray               # (n_cohorts,) cut of the collected sequence; nan: none yet
    key: np.ndarray               # (n_cohorts + 1, n + 1) collected sequence: `_order_key` of each record
    code: np.ndarray              # (n_cohorts + 1, n + 1) record codes
    length: np.ndarray            # (n_cohorts + 1,) records before the sentinel
    at_risk: np.ndarray           # (_GROUP + 1, n + 1) at risk in control (row 0) and in each arm swept (scratch)
    event_arm: np.ndarray         # (n + 1,) the arm of each event of a sweep (scratch)
    score_terms: np.ndarray       # (_GROUP, n + 1) each record's log-rank terms of each arm swept (scratch)
    variance_terms: np.ndarray    # (_GROUP, n + 1)
    arm_events: np.ndarray        # (A,) events per analysis arm at the cut
    score: np.ndarray             # (A - 1,) U of arm a vs arm 0
    variance: np.ndarray          # (A - 1,) V of arm a vs arm 0


def allocate_cohort_logrank(n_cohorts: int, n_patients: int, n_strata: int, n_arms: int) -> CohortLogrank:
    n, a, m = n_patients, n_arms, n_cohorts

    def ints(*shape):
        return np.zeros(shape, np.int64)

    return CohortLogrank(
        ints(m, n_strata + 1),
        ints(m, n), np.zeros((m, n)), np.zeros((m, n)), ints(m, n),
        ints(m, n), np.zeros((m, n)), np.zeros((m, n)), np.zeros((m, n)), ints(m, n),
        allocate_sort_scratch(n, n_strata), ints(n_strata),
        ints(n + 1), ints(n + 1), ints(n + 1), ints(n + 1),
        np.full(m, np.nan), ints(m + 1, n + 1), ints(m + 1, n + 1), ints(m + 1),
        np.zeros((_GROUP + 1, n + 1)), ints(n + 1), np.zeros((_GROUP, n + 1)), np.zeros((_GROUP, n + 1)), ints(a),
        np.zeros(a - 1), np.zeros(a - 1))


@kernel
def _row_code(i, stratum, event_time, dropout_time, analysis_arm):
    """Code of patient i in a cohort's rows: stratum, analysis arm, and _EVENT if T <= C."""
    return (stratum[i] << _STRATUM_SHIFT) | (analysis_arm[i] << _ARM_SHIFT) | (event_time[i] <= dropout_time[i])


@kernel
def _fill_rows(cl, c, stratum, entry, event_time, dropout_time, analysis_arm):
    """The per-patient values of cohort row c in by_exit and in by_entry order."""
    by_exit, exit_entry, exit_code = cl.by_exit[c], cl.exit_entry[c], cl.exit_code[c]
    by_entry, entry_entry, entry_exit, entry_dropout, entry_code = cl.by_entry[c], cl.entry_entry[c], \
        cl.entry_exit[c], cl.entry_dropout[c], cl.entry_code[c]
    for p in range(cl.stratum_start[c, -1]):
        i = by_exit[p]
        exit_entry[p] = entry[i]
        exit_code[p] = _row_code(i, stratum, event_time, dropout_time, analysis_arm)
        i = by_entry[p]
        entry_entry[p] = entry[i]
        entry_exit[p] = min(event_time[i], dropout_time[i])
        entry_dropout[p] = dropout_time[i]
        entry_code[p] = _row_code(i, stratum, event_time, dropout_time, analysis_arm)


@kernel
def sort_cohort(cl, c, lo, hi, stratum, entry, event_time, dropout_time, exit_time, analysis_arm):
    """Cohort row ``c`` = patients lo..hi-1 (analysis arms 0..63): by stratum, then by exit (by_exit)
    or by decreasing index (by_entry)."""
    n_strata, by_entry, start = cl.next_slot.size, cl.by_entry[c], cl.stratum_start[c]
    cl.cut[c] = np.nan
    for k in range(hi - lo):
        by_entry[k] = lo + k  # patient indices: the payload of the sort, before by_entry is filled
    grouped_sort(exit_time[lo:hi], by_entry, stratum[lo:hi], hi - lo, n_strata, cl.exit_exit[c], cl.by_exit[c], start,
                 cl.sort)
    for h in range(n_strata):
        cl.next_slot[h] = start[h]
    for i in range(hi - 1, lo - 1, -1):
        by_entry[cl.next_slot[stratum[i]]] = i
        cl.next_slot[stratum[i]] += 1
    _fill_rows(cl, c, stratum, entry, event_time, dropout_time, analysis_arm)


@intrinsic
def _float_bits(typingctx, value):
    """The bits of a float64 as an int64 (a bitcast, no instruction)."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))
    return types.int64(types.float64), codegen


@kernel
def _from_end(n, i):
    """Index n - 1 - i of a backwards loop, unsigned: numba then omits the wrap-around code of
    negative indices (it cannot tell that a backwards range stays >= 0)."""
    return np.uint64(n - 1 - i)


@kernel
def _order_key(time, censored):
    """An integer whose signed order is that of (time >= 0, censored): the time's bits (which order
    as the times do, all being >= 0) shifted left, the flag in the freed bit, the top bit flipped."""
    return ((_float_bits(time) << 1) | censored) ^ _SIGN


@kernel
def _observed(code, e, x, tau):
    """(event by cut tau, own exit by cut tau) of a patient with row code ``code``, entry e and
    exit x. An event counts when on the calendar (e + T <= tau), so the event that defines a look
    always counts at it."""
    event = ((code & _EVENT) == 1) & (e + x <= tau)
    return event, event | (((code & _EVENT) == 0) & (x <= tau - e))


@kernel
def _collect(cl, c, tau):
    """The sequence of cohort c at cut tau (row c of cl.key, cl.code; cl.length[c]): the own exits
    (by stratum and exit) and the administrative censorings (by stratum and decreasing entry),
    merged. Patients entering at or after tau are not in the analysis. Nothing to do if row c holds
    the cut tau already."""
    if cl.cut[c] == tau:
        return
    cl.cut[c] = tau
    n = cl.stratum_start[c, -1]
    sentinel = cl.next_slot.size << _STRATUM_SHIFT
    exit_entry, exit_exit, exit_code = cl.exit_entry[c], cl.exit_exit[c], cl.exit_code[c]
    entry_entry, entry_exit, entry_dropout, entry_code = cl.entry_entry[c], cl.entry_exit[c], cl.entry_dropout[c], \
        cl.entry_code[c]
    own_key, own_code, censor_key, censor_code = cl.own_key, cl.own_code, cl.censor_key, cl.censor_code
    w = 0
    for p in range(n):
        e, x, code = exit_entry[p], exit_exit[p], exit_code[p]
        event, own = _observed(code, e, x, tau)
        own_key[w] = _order_key(x, 0)
        own_code[w] = (code & ~_EVENT) | event
        w += (e < tau) & own
    own_key[w], own_code[w] = _LAST_KEY, sentinel
    n_own = w
    w = 0
    for p in range(n):
        e, code = entry_entry[p], entry_code[p]
        own = _observed(code, e, entry_exit[p], tau)[1]
        censor_key[w] = _order_key(min(entry_dropout[p], tau - e), 1)
        censor_code[w] = (code & ~_EVENT) | _CENSORED
        w += (e < tau) & (own == 0)
    censor_key[w], censor_code[w] = _LAST_KEY, sentinel
    cl.length[c] = _merge(own_key, own_code, n_own, censor_key, censor_code, w, cl.key[c], cl.code[c])


@kernel
def _merge(a_key, a_code, a_length, b_key, b_code, b_length, key, code):
    """Sequences a and b (each ordered by stratum, time, own exit before censoring, and closed by a
    sentinel) merged in that order into key/code, a's first on full ties; returns the length.

    The merge runs from both ends at once, the smallest records forwards and the largest backwards:
    each step waits for the previous one's comparison, so two independent chains take about the time
    of one. Both use the same order, so together they place every record exactly once; with n odd both
    place the middle record, the last one left."""
    n = a_length + b_length
    i = j = w = 0
    i_back, j_back = a_length - 1, b_length - 1
    for w_back in range(n - 1, n // 2 - 1, -1):
        a_k, b_k, a_c, b_c = a_key[i], b_key[j], a_code[i], b_code[j]
        take_b = _before(b_c, b_k, a_c, a_k)
        key[w] = b_k if take_b else a_k
        code[w] = b_c if take_b else a_c
        w += 1
        j += take_b
        i += not take_b
        # Backwards: the larger of the two last records, b's on full ties; an exhausted sequence is
        # read at 0 and never taken.
        a_k, b_k = a_key[max(i_back, 0)], b_key[max(j_back, 0)]
        a_c, b_c = a_code[max(i_back, 0)], b_code[max(j_back, 0)]
        take_b = (j_back >= 0) & ((i_back < 0) | (_before(b_c, b_k, a_c, a_k) == 0))
        key[w_back] = b_k if take_b else a_k
        code[w_back] = b_c if take_b else a_c
        j_back -= take_b
        i_back -= not take_b
    key[n], code[n] = a_key[a_length], a_code[a_length]  # the sentinel
    return n


@kernel
def _before(x_code, x_key, y_code, y_key):
    """Whether record x comes strictly before record y: by stratum, then time, then own exit before
    censoring (the last two: by key)."""
    x_stratum, y_stratum = x_code >> _STRATUM_SHIFT, y_code >> _STRATUM_SHIFT
    return (x_stratum < y_stratum) | ((x_stratum == y_stratum) & (x_key < y_key))


@kernel
def _pair(key, code, length, arm, pair_key, pair_code):
    """The records of analysis arms 0 and ``arm`` of a collected sequence, the latter as arm 1, with
    the sentinel, into pair_key/pair_code; returns their number."""
    w = 0
    for k in range(length):
        a = (code[k] >> _ARM_SHIFT) & _ARM_MASK
        pair_key[w] = key[k]
        pair_code[w] = (code[k] & ~(_ARM_MASK << _ARM_SHIFT)) | ((a == arm) << _ARM_SHIFT)
        w += (a == 0) | (a == arm)
    pair_key[w], pair_code[w] = key[length], code[length]
    return w


@kernel
def _terms(d, arm_events, y_arm, y_control):
    """The log-rank terms of d events (arm_events in the arm) among y_arm + y_control at risk:
    d Y_a / Y - d_a and d Y_a Y_0 (Y - d) / (Y^2 (Y - 1)); 0 without events, with an empty arm, and
    (V) at Y = 1 (DESIGN.md section 2). Counts as floats: every product is an exact integer."""
    y = y_arm + y_control
    term = 1.0 if (d > 0.0) & (y_arm > 0.0) & (y_control > 0.0) else 0.0
    ry = 1.0 / max(y, 1.0)
    return (term * (d * y_arm * ry - arm_events),
            term * ((d * y_arm * y_control * (y - d)) * (ry * ry * (1.0 / max(y - 1.0, 1.0)))))


@kernel
def _tied_with_next(key, code, k):
    """Whether record k and the next are own exits of one stratum at the same time."""
    c, following = code[k], code[k + 1]
    return (((c | following) & _CENSORED) == 0) & ((c >> _STRATUM_SHIFT) == (following >> _STRATUM_SHIFT)) & \
        (key[k + 1] == key[k])


@kernel
def _sweep(cl, key, code, n):
    """(U, V, events in arm 1, events in control) of analysis arm 1 vs arm 0 in a collected sequence
    of these two arms only (a two-arm cohort, or a `_pair`), key[:n + 1], code[:n + 1]. At risk at a
    record's time: the records from it to its stratum's end, counted backwards. Without tied own
    exits every record is its own term, computed for all records at once (a loop the compiler
    vectorizes) and summed in order; with ties, `_tied_sums`."""
    arm_at_risk, control_at_risk = cl.at_risk[1], cl.at_risk[0]
    in_arm = in_control = 0
    following = code[n] >> _STRATUM_SHIFT  # the stratum of the record after k
    for i in range(n):
        k = _from_end(n, i)
        c = code[k]
        same_stratum = (c >> _STRATUM_SHIFT) == following
        following = c >> _STRATUM_SHIFT
        in_arm_1 = ((c >> _ARM_SHIFT) & _ARM_MASK) == 1
        in_arm = (in_arm if same_stratum else 0) + in_arm_1
        in_control = (in_control if same_stratum else 0) + (in_arm_1 == 0)
        arm_at_risk[k], control_at_risk[k] = in_arm, in_control
    score_terms, variance_terms = cl.score_terms[0], cl.variance_terms[0]
    arm_total = control_total = ties = 0
    for k in range(n):
        in_arm_1 = ((code[k] >> _ARM_SHIFT) & _ARM_MASK) == 1
        event = (code[k] & _EVENT) == 1
        arm_total += event & in_arm_1
        control_total += event & (in_arm_1 == 0)
        ties += _tied_with_next(key, code, k)
        score_terms[k], variance_terms[k] = _terms(1.0 if event else 0.0, 1.0 if event & in_arm_1 else 0.0,
                                                   arm_at_risk[k], control_at_risk[k])
    if ties > 0:
        score, variance = _tied_sums(code, key, n, arm_at_risk, control_at_risk)
        return score, variance, arm_total, control_total
    score = variance = 0.0
    for k in range(n):
        score += score_terms[k]
        variance += variance_terms[k]
    return score, variance, arm_total, control_total


@kernel
def _tied_sums(code, key, n, arm_at_risk, control_at_risk):
    """(U, V) of `_sweep` when own exits are tied: a group of tied own exits is one term, with
    the events of the group and those at risk at its first record."""
    score = variance = 0.0
    arm_events = control_events = 0.0
    tied = False
    y_arm = y_control = 0.0
    for k in range(n):
        in_arm_1 = ((code[k] >> _ARM_SHIFT) & _ARM_MASK) == 1
        event = code[k] & _EVENT
        arm_events += event & in_arm_1
        control_events += event & (in_arm_1 == 0)
        if not tied:
            y_arm, y_control = arm_at_risk[k], control_at_risk[k]
        tied = _tied_with_next(key, code, k)
        if not tied:
            score_term, variance_term = _terms(arm_events + control_events, arm_events, y_arm, y_control)
            score += score_term
            variance += variance_term
            arm_events = control_events = 0.0
    return score, variance


@kernel
def _any_tie(key, code, n):
    """Whether two own exits of a stratum in key[:n + 1], code[:n + 1] share their time."""
    ties = 0
    for k in range(n):
        ties += _tied_with_next(key, code, k)
    return ties > 0


@kernel
def _sweep_group(cl, code, n, first, n_arms):
    """`_sweep` of analysis arms first..first + _GROUP - 1 (those below n_arms) against arm 0 at once,
    over a collected sequence of all arms without tied own exits, code[:n + 1]. The at-risk counts of
    an arm and of control at a record are the same whether the other arms' records are there or not,
    and only events add terms, so each arm's sums are those of `_sweep` over its `_pair`, term by term
    in the same order. Backwards, the counts at each event are set aside; then each arm's terms are
    computed for all events at once and summed forwards. Writes cl.score, cl.variance and
    cl.arm_events of these arms and of arm 0."""
    y_control, y_arm1, y_arm2, y_arm3 = cl.at_risk[0], cl.at_risk[1], cl.at_risk[2], cl.at_risk[3]
    event_arm = cl.event_arm
    y0 = y1 = y2 = y3 = 0
    w = 0
    following = code[n] >> _STRATUM_SHIFT
    for i in range(n):
        c = code[_from_end(n, i)]
        same_stratum = (c >> _STRATUM_SHIFT) == following
        following = c >> _STRATUM_SHIFT
        arm = (c >> _ARM_SHIFT) & _ARM_MASK
        y0 = (y0 if same_stratum else 0) + (arm == 0)
        y1 = (y1 if same_stratum else 0) + (arm == first)
        y2 = (y2 if same_stratum else 0) + (arm == first + 1)
        y3 = (y3 if same_stratum else 0) + (arm == first + 2)
        y_control[w], y_arm1[w], y_arm2[w], y_arm3[w], event_arm[w] = y0, y1, y2, y3, arm
        w += c & _EVENT
    for j in range(min(_GROUP, n_arms - first)):  # arms past the last: no terms, their sums unused
        _arm_terms(event_arm, w, first + j, cl.at_risk[j + 1], y_control, cl.score_terms[j], cl.variance_terms[j])
    s1 = s2 = s3 = v1 = v2 = v3 = 0.0
    score1, score2, score3 = cl.score_terms[0], cl.score_terms[1], cl.score_terms[2]
    variance1, variance2, variance3 = cl.variance_terms[0], cl.variance_terms[1], cl.variance_terms[2]
    for i in range(w):  # the events in sequence order
        k = _from_end(w, i)
        s1 += score1[k]
        s2 += score2[k]
        s3 += score3[k]
        v1 += variance1[k]
        v2 += variance2[k]
        v3 += variance3[k]
    e0 = e1 = e2 = e3 = 0
    for k in range(w):
        arm = event_arm[k]
        e0 += arm == 0
        e1 += arm == first
        e2 += arm == first + 1
        e3 += arm == first + 2
    cl.arm_events[0] = e0
    for a, u, v, events in ((first, s1, v1, e1), (first + 1, s2, v2, e2), (first + 2, s3, v3, e3)):
        if a < n_arms:
            cl.score[a - 1], cl.variance[a - 1], cl.arm_events[a] = u, v, events


@kernel
def _arm_terms(event_arm, n, arm, arm_at_risk, control_at_risk, score_terms, variance_terms):
    """The log-rank terms of analysis arm ``arm`` vs arm 0 at n single events (zero for other arms')."""
    for k in range(n):  # a loop the compiler vectorizes
        in_arm = event_arm[k] == arm
        score_terms[k], variance_terms[k] = _terms(1.0 if in_arm | (event_arm[k] == 0) else 0.0,
                                                   1.0 if in_arm else 0.0, arm_at_risk[k], control_at_risk[k])


@kernel
def cohort_logrank(cl, c, tau, n_arms):
    """Stratified log-rank of analysis arms 1..n_arms-1 against arm 0 in cohort ``c`` (sorted by
    `sort_cohort`) at calendar cut tau, among the patients entered before tau. Writes cl.score,
    cl.variance (U, V of arm a at a - 1) and cl.arm_events."""
    _collect(cl, c, tau)
    key, code, n = cl.key[c], cl.code[c], cl.length[c]
    if n_arms == 2:
        cl.score[0], cl.variance[0], cl.arm_events[1], cl.arm_events[0] = _sweep(cl, key, code, n)
        return
    if not _any_tie(key, code, n):
        for first in range(1, n_arms, _GROUP):
            _sweep_group(cl, code, n, first, n_arms)
        return
    for a in range(1, n_arms):  # each arm's sweep runs over its and control's records only
        n_pair = _pair(key, code, n, a, cl.own_key, cl.own_code)
        cl.score[a - 1], cl.variance[a - 1], cl.arm_events[a], cl.arm_events[0] = _sweep(cl, cl.own_key, cl.own_code,
                                                                                      n_pair)


@kernel
def union_logrank(cl, first, second, tau, first_arm):
    """(U, V, events) of the two-arm stratified log-rank at cut tau on the union of cohort ``first``'s
    analysis arms 0 and first_arm with cohort ``second`` (arms 0 and 1; its patients all enter after
    first's): the CG of stage 1 and stage 2."""
    _collect(cl, first, tau)
    _collect(cl, second, tau)
    u = cl.cut.size
    n_pair = _pair(cl.key[first], cl.code[first], cl.length[first], first_arm, cl.own_key, cl.own_code)
    cl.length[u] = _merge(cl.own_key, cl.own_code, n_pair, cl.key[second], cl.code[second], cl.length[second],
                          cl.key[u], cl.code[u])
    score, variance, arm_events, control_events = _sweep(cl, cl.key[u], cl.code[u], cl.length[u])
    return score, variance, arm_events + control_events
