"""The compiled trial: from one trial's drawn patients to its analyses and decisions.

Per trial (DESIGN.md sections 1-6): stage-1 entry and event times; the selection analysis
(stratified many-to-one log-rank, Dunnett closed test, selection rule); stage-2 patients on
the selected dose; the confirmatory (CG) looks at calendar times of the D-th CG event; at
each look the closed weighted inverse-normal test in ``cohort`` or ``increments`` mode,
efficacy and non-binding futility stopping. The selection rule sees each dose's `DoseSummaries`
(with the short-term endpoints of EXTENSIONS.md section 2, if modelled); a user's rule is an
argument of its own (None for the built-in rules), compiled into the trial. ``simulate_chunk``
loops over trials.
"""

import enum
import math
import threading
from typing import NamedTuple

import numpy as np

from seamless._jit import kernel
from seamless._schema import ConfigError
from seamless.design import Adjustment, Correlation, Mode, Trigger
from seamless.sim.cohort_logrank import allocate_cohort_logrank, cohort_logrank, sort_cohort, union_logrank
from seamless.sim.endpoints import observe_endpoints
from seamless.sim.outcome import event_times
from seamless.sim.patients import allocate_patients, draw_patients, entry_times
from seamless.sim.selection import SAFETY, DoseSummaries, select
from seamless.sim.sort import kth_smallest, order_statistics
from seamless.sim.stream import new_state
from seamless.stats.combination import closed_stage1_p, combine_cohort, combine_increments
from seamless.stats.dunnett import dunnett_set_p
from seamless.stats.inference import repeated_ci_kernel

__all__ = ["StopReason", "TrialOutputs", "Workspace", "allocate_outputs", "allocate_workspace",
           "simulate_trial", "simulate_chunk", "run_chunk", "replay_trial"]


class StopReason(enum.IntEnum):
    """Why a trial ended (``TrialOutputs.stop_reason``): at its last look, or early."""

    NONE = 0
    EFFICACY = 1
    FUTILITY = 2
    SAFETY = 3      # at the selection analysis: no dose eligible


# NumPy integers, not Python ints, wherever kernels pass them as arguments: numba compiles a
# separate specialisation of the callee for each literal Python int.

# Rows of the cohort orderings in ``Workspace.cohorts``: the stage-1 cohort, the stage-2 cohort (whose
# analysis arm 1 is the selected dose); their union is the CG.
_STAGE1, _STAGE2 = np.int64(0), np.int64(1)
_SELECTION_LOOK, _TWO_ARMS, _FIRST = np.int64(0), np.int64(2), np.int64(0)
_AS_DRAWN = np.int64(1)  # `_set_times` arm factor of stage 1, whose drawn arm codes are the arms


class TrialOutputs(NamedTuple):
    """Per-trial results of a chunk (n trials, D doses, K CG looks)."""

    selected: np.ndarray             # (n,) arm code of the selected dose, 1..D; 0: stopped for safety
    stage1_z: np.ndarray             # (n, D) stage-1 z of each dose at selection (nan: no stage 1)
    stage1_adjusted_p: np.ndarray    # (n,) Dunnett p over all doses at the selected dose's z
    selection_time: np.ndarray       # (n,) months
    look_time: np.ndarray            # (n, K) months; nan: look not performed
    look_events: np.ndarray          # (n, K) CG events at the look; -1: not performed
    look_z: np.ndarray               # (n, K) combined z (closed test: the binding intersection)
    look_target_reached: np.ndarray  # (n, K) False: the event target was never reached
    stop_look: np.ndarray            # (n,) 0 = selection analysis, k = CG look k
    stop_reason: np.ndarray          # (n,) StopReason
    reject: np.ndarray               # (n,) H_s rejected
    patients: np.ndarray             # (n,) patients enrolled when the trial ended
    cg_events: np.ndarray            # (n,) CG events at the last analysis
    duration: np.ndarray             # (n,) months to the last analysis
    hr_estimate: np.ndarray          # (n,) exp(-U/V), selected dose vs control, all CG, last analysis
    log_hr_se: np.ndarray            # (n,) 1 / sqrt(V): the naive standard error of log(hr_estimate)
    repeated_ci_low: np.ndarray      # (n,) repeated CI of the selected dose's HR at the stopping look (EXTENSIONS
    repeated_ci_high: np.ndarray     # (n,) s.4): (0, inf) at a look without efficacy bound; nan: no dose selected
    responders: np.ndarray           # (n, D) at the selection analysis, as `DoseSummaries`; (n, 0) without endpoints
    response_assessed: np.ndarray    # (n, D)
    toxicities: np.ndarray           # (n, D)
    toxicity_assessed: np.ndarray    # (n, D)


class Workspace(NamedTuple):
    """Per-trial scratch, allocated once per chunk (n patients, D doses, H strata)."""

    entry: np.ndarray             # (n,) calendar entry time
    event_time: np.ndarray        # (n,) PFS time from entry
    dropout_time: np.ndarray      # (n,) dropout time from entry
    exit_time: np.ndarray         # (n,) min(event, dropout) time from entry
    calendar: np.ndarray          # (n,) calendar times of events (of stage 1, or of the CG)
    cohorts: object               # cohort_logrank.CohortLogrank of _STAGE1 and _STAGE2
    z: np.ndarray                 # (D,)
    doses: DoseSummaries          # (D,) each, what the selection rule sees (its z is ``z``; events and
                                  # patients are counted for a user's rule only, the built-in ones use z)
    loadings: np.ndarray          # (D,) Dunnett loadings in use
    subset: np.ndarray            # (D,) loadings of one intersection
    look_cut: np.ndarray          # (K,) calendar time of the D-th CG event of each look, if reached


def allocate_outputs(n_trials: int, d) -> TrialOutputs:
    """Outputs of ``n_trials`` trials of KernelDesign ``d`` (the endpoint counts have no columns when the
    design has no endpoints)."""
    n_doses, n_looks = d.n_doses, d.looks.events.size
    counted = n_doses if d.enrolment.endpoint_patients else 0
    return TrialOutputs(
        np.zeros(n_trials, np.int64), np.zeros((n_trials, n_doses)), np.zeros(n_trials),
        np.zeros(n_trials), np.zeros((n_trials, n_looks)), np.zeros((n_trials, n_looks), np.int64),
        np.zeros((n_trials, n_looks)), np.zeros((n_trials, n_looks), np.bool_),
        np.zeros(n_trials, np.int64), np.zeros(n_trials, np.int64), np.zeros(n_trials, np.bool_),
        np.zeros(n_trials, np.int64), np.zeros(n_trials, np.int64), np.zeros(n_trials),
        np.zeros(n_trials), np.zeros(n_trials), np.zeros(n_trials), np.zeros(n_trials),
        *(np.zeros((n_trials, counted), np.int64) for _ in range(4)))


def allocate_workspace(d) -> Workspace:
    """Scratch of one trial of KernelDesign ``d``."""
    n, n_doses = d.enrolment.stage1_patients + d.enrolment.stage2_patients, d.n_doses
    z = np.zeros(n_doses)
    return Workspace(np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n),
                     allocate_cohort_logrank(2, n, d.enrolment.stratum_cumprob.size, n_doses + 1),
                     z, DoseSummaries(z, *(np.zeros(n_doses, np.int64) for _ in range(6))),
                     np.zeros(n_doses), np.zeros(n_doses), np.zeros(d.looks.events.size))


@kernel
def _set_times(d, raw, ws, lo, hi, arm_factor):
    """PFS and dropout times of patients lo..hi-1, patient i in arm code arm_factor * raw.arm[i]."""
    event_times(d.outcome, raw.arm, arm_factor, raw.stratum, raw.event_unit, raw.dropout_unit, lo, hi, ws.event_time,
                ws.dropout_time, ws.exit_time)


@kernel
def _stage2_statistics(cl, tau):
    """(U, V) of the selected dose vs control in the stage-2 cohort at calendar cut tau."""
    cohort_logrank(cl, _STAGE2, tau, _TWO_ARMS)
    return cl.score[0], cl.variance[0]


@kernel
def _stage1_statistics(cl, tau, design_loadings, event_based, z, loadings):
    """Stage-1 cohort, every dose vs control at cut tau: z (D,) and the Dunnett loadings in use (D,)."""
    n_doses = z.size
    cohort_logrank(cl, _STAGE1, tau, n_doses + 1)
    for j in range(n_doses):
        z[j] = cl.score[j] / math.sqrt(cl.variance[j]) if cl.variance[j] > 0.0 else 0.0
        loadings[j] = design_loadings[j]
    if event_based and cl.arm_events[0] > 0:
        # DESIGN.md s.3: event-based r_i = d_i / d_0, lambda_i = sqrt(r_i / (1 + r_i)).
        for j in range(n_doses):
            ratio = cl.arm_events[j + 1] / cl.arm_events[0]
            loadings[j] = math.sqrt(ratio / (1.0 + ratio))


@kernel
def _largest(values):
    """max(values) without numba's array reduction (one specialisation less to compile)."""
    largest = -np.inf
    for v in values:
        largest = max(largest, v)
    return largest


@kernel
def _selection_time(d, ws):
    """Calendar time of the selection analysis: last stage-1 entry + follow-up, or the time of
    the N-th stage-1 event (not before the last entry; end of follow-up if never reached)."""
    n1, a1 = d.enrolment.stage1_patients, d.selection
    last_entry = ws.entry[n1 - 1]
    if a1.trigger == Trigger.FOLLOWUP:
        return last_entry + a1.followup_months
    m = np.int64(0)  # not a literal 0: see the constants above
    last_end = last_entry
    for i in range(n1):
        last_end = max(last_end, ws.entry[i] + ws.exit_time[i])
        ws.calendar[m] = ws.entry[i] + ws.event_time[i]
        m += ws.event_time[i] <= ws.dropout_time[i]
    if m < a1.events:
        return last_end
    return max(last_entry, kth_smallest(ws.calendar, m, a1.events, ws.cohorts.sort))


@kernel
def _combined_z(d, ws, k, tau, selected, stage1_p_at_selection, score1, variance1):
    """Closed-test combination statistic at CG look k (DESIGN.md s.4 and s.6), and what the repeated CI needs
    of the selected dose: (z, stage-1 z, its V, stage-2 z, its V) (`seamless.stats.inference.repeated_ci`)."""
    n1, cl, a1, looks = d.enrolment.stage1_patients, ws.cohorts, d.selection, d.looks
    s = selected - 1
    if looks.mode == Mode.COHORT:
        u2, v2 = _stage2_statistics(cl, tau)
        z2 = u2 / math.sqrt(v2) if v2 > 0.0 else 0.0
        if n1 == 0:
            return z2, 0.0, 0.0, z2, v2
        _stage1_statistics(cl, tau, a1.loadings, a1.correlation == Correlation.EVENTS, ws.z, ws.loadings)
        p1 = closed_stage1_p(ws.z, s, ws.loadings, a1.adjustment == Adjustment.NONE, a1.dunnett, ws.subset)
        return combine_cohort(p1, z2, looks.stage1_weight), ws.z[s], cl.variance[s], z2, v2
    u, v, _ = union_logrank(cl, _STAGE1, _STAGE2, tau, selected)
    increment = v - variance1
    z_increment = (u - score1) / math.sqrt(increment) if increment > 0.0 else 0.0
    z = combine_increments(stage1_p_at_selection, looks.selection_information, looks.information_rates[k], u, v,
                           score1, variance1)
    return z, ws.z[s] if n1 > 0 else 0.0, variance1, z_increment, increment


@kernel
def _repeated_ci(d, ws, out, row, k, z, stage1_z, stage1_v, stage2_z, stage2_v):
    """The repeated CI of the selected dose's HR at CG look k, into ``out``."""
    looks = d.looks
    if looks.mode == Mode.COHORT:
        w1 = looks.stage1_weight
        w2 = math.sqrt(1.0 - w1 * w1)
    else:
        w1 = math.sqrt(looks.selection_information)
        w2 = math.sqrt(looks.information_rates[k] - looks.selection_information)
    low, high = repeated_ci_kernel(stage1_z, stage1_v, stage2_z, stage2_v, w1, w2, looks.efficacy_bounds[k], z,
                                   ws.loadings, d.selection.adjustment == Adjustment.DUNNETT, d.selection.dunnett,
                                   ws.subset)
    out.repeated_ci_low[row] = low
    out.repeated_ci_high[row] = high


@kernel
def _finish(d, ws, out, row, tau, selected, look, reason):
    """Record the end of a trial at calendar time tau."""
    enrolled = d.enrolment.stage1_patients
    for i in range(d.enrolment.stage1_patients, ws.entry.size):
        enrolled += ws.entry[i] < tau
    u, v, cg_events = union_logrank(ws.cohorts, _STAGE1, _STAGE2, tau, selected)
    out.hr_estimate[row] = math.exp(-u / v) if v > 0.0 else np.nan
    out.log_hr_se[row] = 1.0 / math.sqrt(v) if v > 0.0 else np.nan
    out.cg_events[row] = cg_events
    out.patients[row] = enrolled
    out.duration[row] = tau
    out.stop_look[row] = look
    out.stop_reason[row] = reason
    out.reject[row] = reason == StopReason.EFFICACY


@kernel
def _observe_endpoints(d, ws, raw, tau, out, row):
    """Responses and toxicities that A1 at calendar time tau sees, by dose, into ``ws.doses`` and ``out``."""
    s = ws.doses
    s.responders[:] = 0
    s.response_assessed[:] = 0
    s.toxicities[:] = 0
    s.toxicity_assessed[:] = 0
    observe_endpoints(d.endpoints, tau, ws.entry, ws.event_time, ws.dropout_time, raw.arm, raw.event_unit,
                      raw.response_normal, raw.toxicity_normal, s.responders, s.response_assessed, s.toxicities,
                      s.toxicity_assessed)
    for j in range(d.n_doses):
        out.responders[row, j] = s.responders[j]
        out.response_assessed[row, j] = s.response_assessed[j]
        out.toxicities[row, j] = s.toxicities[j]
        out.toxicity_assessed[row, j] = s.toxicity_assessed[j]


@kernel
def _count_doses(d, ws, raw):
    """Stage-1 events (at the last cut of the stage-1 cohort) and patients of each dose, into ``ws.doses``."""
    s = ws.doses
    s.patients[:] = 0
    for j in range(d.n_doses):
        s.events[j] = ws.cohorts.arm_events[j + 1]
    for i in range(d.enrolment.stage1_patients):
        if raw.arm[i] > 0:
            s.patients[raw.arm[i] - 1] += 1


@kernel
def _selection_analysis(d, ws, raw, out, row, user_rule):
    """Stage 1 and the selection analysis (A1): returns (selected arm code, selection time, closed-test
    stage-1 p, U and V of the selected dose). The arm code is SAFETY when no dose is eligible, and
    outside 0..D when a user's rule returned an invalid dose (the chunk is then refused)."""
    n_doses, n1, e, a1 = d.n_doses, d.enrolment.stage1_patients, d.enrolment, d.selection
    entry_times(0.0, raw.accrual_gap[:n1], e.accrual_rates, e.accrual_starts, ws.entry[:n1])
    _set_times(d, raw, ws, _FIRST, n1, _AS_DRAWN)
    if n1 == 0:
        return 1, 0.0, 0.5, 0.0, 0.0
    sort_cohort(ws.cohorts, _STAGE1, _FIRST, n1, raw.stratum, ws.entry, ws.event_time, ws.dropout_time, ws.exit_time,
                raw.arm)
    selection_time = _selection_time(d, ws)
    _stage1_statistics(ws.cohorts, selection_time, a1.loadings, a1.correlation == Correlation.EVENTS, ws.z,
                       ws.loadings)
    for j in range(n_doses):
        out.stage1_z[row, j] = ws.z[j]
    if raw.response_normal.size:
        _observe_endpoints(d, ws, raw, selection_time, out, row)
    if user_rule is None:  # numba compiles one branch only: the argument's type is known
        selected = select(a1.rule, ws.doses)
    else:
        _count_doses(d, ws, raw)
        selected = np.int64(user_rule(ws.doses)) + 1
    if selected < 1 or selected > n_doses:
        return selected, selection_time, 0.5, 0.0, 0.0
    s = selected - 1
    stage1_p = closed_stage1_p(ws.z, s, ws.loadings, a1.adjustment == Adjustment.NONE, a1.dunnett, ws.subset)
    if a1.adjustment == Adjustment.DUNNETT and ws.z[s] >= _largest(ws.z):
        out.stage1_adjusted_p[row] = stage1_p  # the closed test's binding intersection is then all doses
    else:
        all_doses = (np.int64(1) << n_doses) - 1
        out.stage1_adjusted_p[row] = dunnett_set_p(ws.z[s], ws.loadings, all_doses, a1.dunnett, ws.subset)
    return selected, selection_time, stage1_p, ws.cohorts.score[s], ws.cohorts.variance[s]


@kernel
def _stage2_cohort(d, ws, raw, selected, stage2_start):
    """Stage-2 patients on the selected dose, entering from calendar time ``stage2_start`` (+inf: stage 2
    never starts), and the stage-2 cohort (analysis arm 1: the selected dose)."""
    n1, n = d.enrolment.stage1_patients, ws.entry.size
    entry_times(stage2_start, raw.accrual_gap[n1:], d.enrolment.accrual_rates, d.enrolment.accrual_starts,
                ws.entry[n1:])
    _set_times(d, raw, ws, n1, n, selected)  # stage-2 arm 1 is the selected dose
    stage2_end = n if stage2_start < np.inf else n1
    sort_cohort(ws.cohorts, _STAGE2, n1, stage2_end, raw.stratum, ws.entry, ws.event_time, ws.dropout_time,
                ws.exit_time, raw.arm)


@kernel
def _count_at_most(values, value):
    """Number of values <= value."""
    count = 0
    for v in values:
        count += v <= value
    return count


@kernel
def _cg_event_times(d, ws, raw, selected, selection_time):
    """(m, end of the last CG follow-up): the calendar times of the m CG events are ws.calendar[:m], in
    patient order."""
    m = np.int64(0)  # not a literal 0: see the constants above
    last_end = selection_time
    for i in range(ws.entry.size):
        in_cg = (i >= d.enrolment.stage1_patients) | (raw.arm[i] == 0) | (raw.arm[i] == selected)
        last_end = max(last_end, in_cg * (ws.entry[i] + ws.exit_time[i]))  # times are finite and >= 0
        ws.calendar[m] = ws.entry[i] + ws.event_time[i]
        m += in_cg & (ws.event_time[i] <= ws.dropout_time[i])
    return m, last_end


@kernel
def _stop_for_safety(d, out, row, selection_time):
    """Record a trial stopped at the selection analysis because no dose is eligible."""
    out.hr_estimate[row] = np.nan
    out.log_hr_se[row] = np.nan
    out.repeated_ci_low[row] = np.nan
    out.repeated_ci_high[row] = np.nan
    out.cg_events[row] = 0
    out.patients[row] = d.enrolment.stage1_patients
    out.duration[row] = selection_time
    out.stop_look[row] = 0
    out.stop_reason[row] = StopReason.SAFETY
    out.reject[row] = False


@kernel
def simulate_trial(d, raw, ws, out, row, user_rule):
    """Analyse one trial's drawn patients ``raw`` with design ``d`` (and a user's selection rule, or
    None); write row ``row`` of ``out``."""
    n1, looks = d.enrolment.stage1_patients, d.looks
    out.look_time[row, :] = np.nan
    out.look_events[row, :] = -1
    out.look_z[row, :] = np.nan
    out.look_target_reached[row, :] = False
    out.stage1_z[row, :] = np.nan
    out.stage1_adjusted_p[row] = np.nan
    out.repeated_ci_low[row] = 0.0  # the selection analysis has no efficacy bound
    out.repeated_ci_high[row] = np.inf

    selected, selection_time, stage1_p, score1, variance1 = _selection_analysis(d, ws, raw, out, row, user_rule)
    out.selected[row] = selected
    out.selection_time[row] = selection_time
    if selected < 1 or selected > d.n_doses:  # SAFETY, or a user's rule's invalid dose
        _stop_for_safety(d, out, row, selection_time)
        return
    if n1 > 0 and _largest(ws.z) < d.selection.futility_z:
        _stage2_cohort(d, ws, raw, selected, np.inf)  # stage 2 never starts
        _finish(d, ws, out, row, selection_time, selected, _SELECTION_LOOK, StopReason.FUTILITY)
        return

    # Stage 2 on the selected dose, then the CG looks at the D-th CG event.
    _stage2_cohort(d, ws, raw, selected, selection_time + d.selection.stage2_delay)
    m, last_end = _cg_event_times(d, ws, raw, selected, selection_time)
    cg_event_times = ws.calendar[:m]
    n_looks = looks.events.size
    order_statistics(cg_event_times, m, looks.events, ws.look_cut, ws.cohorts.sort)
    tau = selection_time
    for k in range(n_looks):
        reached = looks.events[k] <= m
        # A look is never before the selection analysis that defines the CG.
        tau = max(ws.look_cut[k], selection_time) if reached else last_end
        z, stage1_z, stage1_v, stage2_z, stage2_v = _combined_z(d, ws, k, tau, selected, stage1_p, score1, variance1)
        out.look_time[row, k] = tau
        out.look_events[row, k] = _count_at_most(cg_event_times, tau)
        out.look_z[row, k] = z
        out.look_target_reached[row, k] = reached
        reason = StopReason.EFFICACY if z >= looks.efficacy_bounds[k] else \
            StopReason.FUTILITY if z < looks.futility_bounds[k] else StopReason.NONE
        if reason != StopReason.NONE or k == n_looks - 1:
            _repeated_ci(d, ws, out, row, k, z, stage1_z, stage1_v, stage2_z, stage2_v)
            _finish(d, ws, out, row, tau, selected, k + 1, reason)
            return


@kernel
def simulate_chunk(state, d, raw, scratch, ws, out, user_rule):
    """Draw and analyse ``out.selected.size`` trials from one random stream (its state array)."""
    for row in range(out.selected.size):
        draw_patients(state, d.enrolment, raw, scratch)
        simulate_trial(d, raw, ws, out, row, user_rule)


def _prepared(d):
    """Buffers of one chunk of ``d``, ``d`` without its user's rule and the rule (or None), compiled: a
    user's rule is passed to the kernels as an argument of its own (`_compile_for_rule`)."""
    raw, scratch = allocate_patients(d.enrolment)
    ws = allocate_workspace(d)
    user_rule, d = d.user_rule, d._replace(user_rule=None)
    if user_rule is not None:
        _compile_for_rule(d, raw, scratch, ws, user_rule)
    return d, user_rule, raw, scratch, ws


def run_chunk(d, seed_sequence: np.random.SeedSequence, n_trials: int) -> TrialOutputs:
    """Simulate ``n_trials`` trials of KernelDesign ``d`` from their own random stream."""
    d, user_rule, raw, scratch, ws = _prepared(d)
    out = allocate_outputs(n_trials, d)
    simulate_chunk(new_state(seed_sequence), d, raw, scratch, ws, out, user_rule)
    invalid = (out.selected < SAFETY) | (out.selected > d.n_doses)  # SAFETY = 0; codes 1..D
    if invalid.any():
        raise ConfigError(f"selection.rule: the user's rule returned {out.selected[invalid][0] - 1} in a trial; "
                          f"allowed a dose index 0..{d.n_doses - 1}, or -1 to stop for safety")
    return out


def replay_trial(d, seed_sequence: np.random.SeedSequence, place: int):
    """Trial ``place`` (0-based) of the chunk whose stream is ``seed_sequence``, alone: its drawn patients,
    the workspace holding their calendar times as its analyses left them, and its outputs (one row).
    The trials before it are drawn, not analysed."""
    d, user_rule, raw, scratch, ws = _prepared(d)
    state = new_state(seed_sequence)
    for _ in range(place + 1):
        draw_patients(state, d.enrolment, raw, scratch)
    out = allocate_outputs(1, d)
    simulate_trial(d, raw, ws, out, 0, user_rule)
    return raw, ws, out


_RULE_LOCK = threading.Lock()
_RULES_COMPILED: set = set()


def _compile_for_rule(d, raw, scratch, ws, user_rule) -> None:
    """Compile the trial for a user's rule once per process, without writing it to numba's cache: the
    rule is part of the compiled code's type, which no other process can have, so every cached copy
    would be dead weight in the package's cache. numba keeps the cache of a kernel in its ``_cache``
    attribute (a private one, as ``_nrt`` of `seamless._jit`); it is a `NullCache` meanwhile."""
    from numba.core.caching import NullCache

    with _RULE_LOCK:
        if user_rule in _RULES_COMPILED:
            return
        takes_rule = (simulate_chunk, simulate_trial, _selection_analysis)
        caches = [kernel_._cache for kernel_ in takes_rule]
        for kernel_ in takes_rule:
            kernel_._cache = NullCache()
        try:  # no trials: only the compilation
            simulate_chunk(new_state(np.random.SeedSequence(0)), d, raw, scratch, ws, allocate_outputs(0, d), user_rule)
        finally:
            for kernel_, cache in zip(takes_rule, caches):
                kernel_._cache = cache
        _RULES_COMPILED.add(user_rule)
