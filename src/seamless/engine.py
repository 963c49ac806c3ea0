"""The compiled trial: from one trial's drawn patients to its analyses and decisions.

Per trial (DESIGN.md sections 1-6): stage-1 entry and event times; the selection analysis
(stratified many-to-one log-rank, Dunnett closed test, selection rule); stage-2 patients on
the selected dose; the confirmatory (CG) looks at calendar times of the D-th CG event; at
each look the closed weighted inverse-normal test in ``cohort`` or ``increments`` mode,
efficacy and non-binding futility stopping. ``simulate_chunk`` loops over trials.
"""

import math
from typing import NamedTuple

import numpy as np

from seamless._jit import kernel
from seamless._normal import normal_ppf, normal_sf
from seamless.dunnett import _dunnett_p
from seamless.logrank import _logrank_many_to_one
from seamless.patients import allocate_patients, draw_patients, entry_times

__all__ = ["TrialOutputs", "Workspace", "allocate_outputs", "allocate_workspace",
           "simulate_trial", "simulate_chunk", "run_chunk",
           "STOP_NONE", "STOP_EFFICACY", "STOP_FUTILITY"]

STOP_NONE, STOP_EFFICACY, STOP_FUTILITY = 0, 1, 2

# Integer values of the config enums, as the kernels see them.
_FOLLOWUP, _EVENTS = 0, 1
_BEST, _EPSILON, _FIXED = 0, 1, 2
_DUNNETT, _UNADJUSTED = 0, 1
_ALLOCATION, _EVENT_BASED = 0, 1
_COHORT, _INCREMENTS = 0, 1


class TrialOutputs(NamedTuple):
    """Per-trial results of a chunk (n trials, D doses, K CG looks)."""

    selected: np.ndarray             # (n,) arm code of the selected dose, 1..D
    stage1_z: np.ndarray             # (n, D) stage-1 z of each dose at selection (nan: no stage 1)
    stage1_adjusted_p: np.ndarray    # (n,) Dunnett p over all doses at the selected dose's z
    selection_time: np.ndarray       # (n,) months
    look_time: np.ndarray            # (n, K) months; nan: look not performed
    look_events: np.ndarray          # (n, K) CG events at the look; -1: not performed
    look_z: np.ndarray               # (n, K) combined z (closed test: the binding intersection)
    look_target_reached: np.ndarray  # (n, K) False: the event target was never reached
    stop_look: np.ndarray            # (n,) 0 = selection analysis, k = CG look k
    stop_reason: np.ndarray          # (n,) STOP_NONE / STOP_EFFICACY / STOP_FUTILITY
    reject: np.ndarray               # (n,) H_s rejected
    patients: np.ndarray             # (n,) patients enrolled when the trial ended
    cg_events: np.ndarray            # (n,) CG events at the last analysis
    duration: np.ndarray             # (n,) months to the last analysis
    hr_estimate: np.ndarray          # (n,) exp(-U/V), selected dose vs control, all CG, last analysis


class Workspace(NamedTuple):
    """Per-trial scratch, allocated once per chunk (n patients, D doses)."""

    entry: np.ndarray          # (n,) calendar entry time
    event_time: np.ndarray     # (n,) PFS time from entry
    dropout_time: np.ndarray   # (n,) dropout time from entry
    arm: np.ndarray            # (n,) arm code 0..D
    calendar: np.ndarray       # (n,) calendar event times (sorted subsets)
    obs_time: np.ndarray       # (n,) observed times of the patients in an analysis
    obs_event: np.ndarray      # (n,)
    obs_arm: np.ndarray        # (n,)
    obs_stratum: np.ndarray    # (n,)
    arm_map: np.ndarray        # (D + 1,) arm code -> analysis arm (-1: left out)
    arm_events: np.ndarray     # (D + 1,) events per analysis arm
    score: np.ndarray          # (D,) log-rank U per dose
    variance: np.ndarray       # (D,) log-rank V per dose
    z: np.ndarray              # (D,)
    loadings: np.ndarray       # (D,) Dunnett loadings in use
    subset: np.ndarray         # (D,) loadings of one intersection


def allocate_outputs(n_trials: int, n_doses: int, n_looks: int) -> TrialOutputs:
    return TrialOutputs(
        np.zeros(n_trials, np.int64), np.zeros((n_trials, n_doses)), np.zeros(n_trials),
        np.zeros(n_trials), np.zeros((n_trials, n_looks)), np.zeros((n_trials, n_looks), np.int64),
        np.zeros((n_trials, n_looks)), np.zeros((n_trials, n_looks), np.bool_),
        np.zeros(n_trials, np.int64), np.zeros(n_trials, np.int64), np.zeros(n_trials, np.bool_),
        np.zeros(n_trials, np.int64), np.zeros(n_trials, np.int64), np.zeros(n_trials),
        np.zeros(n_trials))


def allocate_workspace(n_patients: int, n_doses: int) -> Workspace:
    n, d = n_patients, n_doses
    return Workspace(np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n, np.int64), np.zeros(n),
                     np.zeros(n), np.zeros(n, np.bool_), np.zeros(n, np.int64), np.zeros(n, np.int64),
                     np.zeros(d + 1, np.int64), np.zeros(d + 1, np.int64), np.zeros(d), np.zeros(d),
                     np.zeros(d), np.zeros(d), np.zeros(d))


@kernel
def _set_times(d, raw, ws, i, arm):
    """Arm and PFS/dropout times of patient i (exponential; DESIGN.md section 1)."""
    ws.arm[i] = arm
    hazard_ratio = 1.0 if arm == 0 else d.hazard_ratios[arm - 1]
    ws.event_time[i] = raw.event_unit[i] / (d.control_hazard * hazard_ratio * d.stratum_multiplier[raw.stratum[i]])
    ws.dropout_time[i] = raw.dropout_unit[i] / d.dropout_hazard if d.dropout_hazard > 0.0 else np.inf


@kernel
def _logrank_at(ws, raw, tau, lo, hi, n_arms, n_strata):
    """Stratified log-rank of arms 1..n_arms-1 vs 0 (through ``ws.arm_map``) at calendar cut tau,
    over patients lo..hi-1: observed time min(T, C, tau - e), event if T <= C and e + T <= tau."""
    m = 0
    ws.arm_events[:] = 0
    for i in range(lo, hi):
        if ws.entry[i] >= tau:
            break  # entries are increasing within a stage
        a = ws.arm_map[ws.arm[i]]
        if a < 0:
            continue
        # Event on the calendar (e + T <= tau), so the event that defines a look always counts at it.
        event = ws.event_time[i] <= ws.dropout_time[i] and ws.entry[i] + ws.event_time[i] <= tau
        t = ws.event_time[i] if event else min(ws.dropout_time[i], tau - ws.entry[i])
        ws.obs_time[m] = t
        ws.obs_event[m] = event
        ws.obs_arm[m] = a
        ws.obs_stratum[m] = raw.stratum[i]
        ws.arm_events[a] += event
        m += 1
    _logrank_many_to_one(ws.obs_time[:m], ws.obs_event[:m], ws.obs_arm[:m], ws.obs_stratum[:m],
                         n_arms, n_strata, ws.score[:n_arms - 1], ws.variance[:n_arms - 1])


@kernel
def _two_arm(ws, raw, tau, lo, hi, selected, n_strata):
    """(U, V) of the selected dose vs control over patients lo..hi-1 at cut tau."""
    ws.arm_map[:] = -1
    ws.arm_map[0] = 0
    ws.arm_map[selected] = 1
    _logrank_at(ws, raw, tau, lo, hi, 2, n_strata)
    return ws.score[0], ws.variance[0]


@kernel
def _stage1_statistics(d, ws, raw, tau, n_strata):
    """Stage-1 cohort, all doses vs control at cut tau: ws.z, and the Dunnett loadings in use."""
    n_doses = d.n_doses
    for a in range(n_doses + 1):
        ws.arm_map[a] = a
    _logrank_at(ws, raw, tau, 0, d.stage1_patients, n_doses + 1, n_strata)
    for j in range(n_doses):
        ws.z[j] = ws.score[j] / math.sqrt(ws.variance[j]) if ws.variance[j] > 0.0 else 0.0
        ws.loadings[j] = d.loadings[j]
    if d.correlation == _EVENT_BASED and ws.arm_events[0] > 0:
        # DESIGN.md s.3: event-based r_i = d_i / d_0, lambda_i = sqrt(r_i / (1 + r_i)).
        for j in range(n_doses):
            ratio = ws.arm_events[j + 1] / ws.arm_events[0]
            ws.loadings[j] = math.sqrt(ratio / (1.0 + ratio))


@kernel
def _closed_stage1_p(d, ws, selected):
    """Stage-1 p-value of the closed test for the selected dose: the largest Dunnett p_S over all
    intersections S containing it (DESIGN.md s.4); unadjusted p with adjustment 'none'."""
    s = selected - 1
    if d.adjustment == _UNADJUSTED:
        return normal_sf(ws.z[s])
    largest = 0.0
    for mask in range(1 << d.n_doses):
        if not (mask >> s) & 1:
            continue
        size = 0
        max_z = -np.inf
        for j in range(d.n_doses):
            if (mask >> j) & 1:
                ws.subset[size] = ws.loadings[j]
                size += 1
                max_z = max(max_z, ws.z[j])
        largest = max(largest, _dunnett_p(max_z, ws.subset[:size], d.gh_nodes, d.gh_weights))
    return largest


@kernel
def _select(d, z):
    """Arm code of the selected dose: best z, lowest dose within epsilon of the best, or fixed."""
    if d.rule == _FIXED:
        return d.fixed_dose
    best = 0
    for j in range(1, d.n_doses):
        if z[j] > z[best]:
            best = j
    if d.rule == _EPSILON:
        for j in range(d.n_doses):
            if z[j] >= z[best] - d.epsilon:
                return j + 1
    return best + 1


@kernel
def _selection_time(d, ws):
    """Calendar time of the selection analysis: last stage-1 entry + follow-up, or the time of
    the N-th stage-1 event (not before the last entry; end of follow-up if never reached)."""
    n1 = d.stage1_patients
    last_entry = ws.entry[n1 - 1]
    if d.trigger == _FOLLOWUP:
        return last_entry + d.followup_months
    m = 0
    last_end = last_entry
    for i in range(n1):
        last_end = max(last_end, ws.entry[i] + min(ws.event_time[i], ws.dropout_time[i]))
        if ws.event_time[i] <= ws.dropout_time[i]:
            ws.calendar[m] = ws.entry[i] + ws.event_time[i]
            m += 1
    if m < d.selection_events:
        return last_end
    ws.calendar[:m].sort()
    return max(last_entry, ws.calendar[d.selection_events - 1])


@kernel
def _combined_z(d, ws, raw, k, tau, selected, stage1_p_at_selection, score1, variance1, n_strata):
    """Closed-test combination statistic at CG look k (DESIGN.md s.4 and s.6)."""
    n = raw.stratum.size
    n1 = d.stage1_patients
    if d.mode == _COHORT:
        u2, v2 = _two_arm(ws, raw, tau, n1, n, selected, n_strata)
        z2 = u2 / math.sqrt(v2) if v2 > 0.0 else 0.0
        if n1 == 0:
            return z2
        _stage1_statistics(d, ws, raw, tau, n_strata)
        p1 = _closed_stage1_p(d, ws, selected)
        w1 = d.stage1_weight
        return w1 * -normal_ppf(p1) + math.sqrt(1.0 - w1 * w1) * z2
    u, v = _two_arm(ws, raw, tau, 0, n, selected, n_strata)
    du, dv = u - score1, v - variance1
    z_increment = du / math.sqrt(dv) if dv > 0.0 else 0.0
    t1, tk = d.selection_information, d.information_rates[k]
    return (math.sqrt(t1) * -normal_ppf(stage1_p_at_selection) + math.sqrt(tk - t1) * z_increment) / math.sqrt(tk)


@kernel
def _finish(d, ws, raw, out, row, tau, selected, look, reason, n_strata):
    """Record the end of a trial at calendar time tau."""
    n = raw.stratum.size
    enrolled = d.stage1_patients
    for i in range(d.stage1_patients, n):
        enrolled += ws.entry[i] < tau
    u, v = _two_arm(ws, raw, tau, 0, n, selected, n_strata)
    out.hr_estimate[row] = math.exp(-u / v) if v > 0.0 else np.nan
    out.cg_events[row] = ws.arm_events[0] + ws.arm_events[1]
    out.patients[row] = enrolled
    out.duration[row] = tau
    out.stop_look[row] = look
    out.stop_reason[row] = reason
    out.reject[row] = reason == STOP_EFFICACY


@kernel
def simulate_trial(d, raw, ws, out, row):
    """Analyse one trial's drawn patients ``raw`` with design ``d``; write row ``row`` of ``out``."""
    n_doses, n1, n = d.n_doses, d.stage1_patients, raw.stratum.size
    n_strata = d.stratum_multiplier.size
    out.look_time[row, :] = np.nan
    out.look_events[row, :] = -1
    out.look_z[row, :] = np.nan
    out.look_target_reached[row, :] = False
    out.stage1_z[row, :] = np.nan
    out.stage1_adjusted_p[row] = np.nan

    # Stage 1 and the selection analysis (A1).
    entry_times(0.0, raw.accrual_gap[:n1], d.accrual_rates, d.accrual_starts, ws.entry[:n1])
    for i in range(n1):
        _set_times(d, raw, ws, i, raw.arm[i])
    selected, selection_time = 1, 0.0
    stage1_p, score1, variance1 = 0.5, 0.0, 0.0
    if n1 > 0:
        selection_time = _selection_time(d, ws)
        _stage1_statistics(d, ws, raw, selection_time, n_strata)
        out.stage1_z[row, :] = ws.z[:n_doses]
        selected = _select(d, ws.z)
        score1, variance1 = ws.score[selected - 1], ws.variance[selected - 1]
        stage1_p = _closed_stage1_p(d, ws, selected)
        out.stage1_adjusted_p[row] = _dunnett_p(ws.z[selected - 1], ws.loadings[:n_doses], d.gh_nodes, d.gh_weights)
    out.selected[row] = selected
    out.selection_time[row] = selection_time
    if n1 > 0 and ws.z[:n_doses].max() < d.selection_futility:
        for i in range(n1, n):
            ws.entry[i] = np.inf  # stage 2 never starts
        _finish(d, ws, raw, out, row, selection_time, selected, 0, STOP_FUTILITY, n_strata)
        return

    # Stage 2 on the selected dose, then the CG looks at the D-th CG event.
    entry_times(selection_time + d.stage2_delay, raw.accrual_gap[n1:], d.accrual_rates, d.accrual_starts,
                ws.entry[n1:])
    for i in range(n1, n):
        _set_times(d, raw, ws, i, selected if raw.arm[i] == 1 else 0)
    m = 0
    last_end = selection_time
    for i in range(n):
        if ws.arm[i] == 0 or ws.arm[i] == selected:
            last_end = max(last_end, ws.entry[i] + min(ws.event_time[i], ws.dropout_time[i]))
            if ws.event_time[i] <= ws.dropout_time[i]:
                ws.calendar[m] = ws.entry[i] + ws.event_time[i]
                m += 1
    cg_event_times = ws.calendar[:m]
    cg_event_times.sort()
    n_looks = d.look_events.size
    tau = selection_time
    for k in range(n_looks):
        target = d.look_events[k]
        reached = target <= m
        # A look is never before the selection analysis that defines the CG.
        tau = max(cg_event_times[target - 1], selection_time) if reached else last_end
        z = _combined_z(d, ws, raw, k, tau, selected, stage1_p, score1, variance1, n_strata)
        out.look_time[row, k] = tau
        out.look_events[row, k] = np.searchsorted(cg_event_times, tau, side="right")
        out.look_z[row, k] = z
        out.look_target_reached[row, k] = reached
        if z >= d.efficacy_bounds[k]:
            _finish(d, ws, raw, out, row, tau, selected, k + 1, STOP_EFFICACY, n_strata)
            return
        if z < d.futility_bounds[k]:
            _finish(d, ws, raw, out, row, tau, selected, k + 1, STOP_FUTILITY, n_strata)
            return
    _finish(d, ws, raw, out, row, tau, selected, n_looks, STOP_NONE, n_strata)


@kernel
def simulate_chunk(rng, d, raw, scratch, ws, out):
    """Draw and analyse ``out.selected.size`` trials from one random stream."""
    for row in range(out.selected.size):
        draw_patients(rng, d, raw, scratch)
        simulate_trial(d, raw, ws, out, row)


def run_chunk(d, seed_sequence: np.random.SeedSequence, n_trials: int) -> TrialOutputs:
    """Simulate ``n_trials`` trials of KernelDesign ``d`` from their own random stream."""
    n_patients = d.stage1_patients + d.stage2_patients
    raw, scratch = allocate_patients(n_patients, d.stratum_multiplier.size,
                                     max(d.stage1_codes.size, d.stage2_codes.size),
                                     max(d.stage1_offsets.size, d.stage2_offsets.size))
    ws = allocate_workspace(n_patients, d.n_doses)
    out = allocate_outputs(n_trials, d.n_doses, d.look_events.size)
    rng = np.random.Generator(np.random.PCG64(seed_sequence))
    simulate_chunk(rng, d, raw, scratch, ws, out)
    return out
