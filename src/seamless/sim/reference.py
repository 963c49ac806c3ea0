"""Plain-Python twin of the compiled trial (``engine.simulate_trial``), for tests.

Given the same drawn patients it must reach the same statistics and decisions. It is written
for obviousness, not speed: every analysis recomputes from the definitions of DESIGN.md, each
log-rank is the slow ``logrank_reference`` of one dose against control, and the Dunnett
p-values come from the public numpy function.
"""

import itertools
import math

import numpy as np
from scipy.stats import norm

from seamless.stats.dunnett import dunnett_adjusted_p
from seamless.stats.logrank import logrank_reference

__all__ = ["reference_trial"]


def _cumulative_intensity(t, rates, starts):
    """Lambda(t) for a piecewise-constant accrual rate."""
    ends = list(starts[1:]) + [math.inf]
    return sum(r * max(0.0, min(t, e) - s) for r, s, e in zip(rates, starts, ends))


def _entries(start, gaps, rates, starts):
    """Arrival times: Lambda^-1(Lambda(start) + cumulative gaps)."""
    levels = _cumulative_intensity(start, rates, starts) + np.cumsum(gaps)
    out = []
    for level in levels:
        piece = max(j for j in range(len(starts)) if _cumulative_intensity(starts[j], rates, starts) <= level)
        out.append(starts[piece] + (level - _cumulative_intensity(starts[piece], rates, starts)) / rates[piece])
    return np.array(out)


class _Trial:
    """One trial's patients on the calendar, and the analyses of DESIGN.md on them."""

    def __init__(self, d, raw):
        self.d, self.raw = d, raw
        n = len(raw.stratum)
        self.entry = np.full(n, np.inf)
        self.arm = np.zeros(n, dtype=int)
        self.event_time = np.full(n, np.inf)
        self.dropout_time = np.full(n, np.inf)
        self.stage1 = np.arange(n) < d.stage1_patients

    def place(self, patients, start, arms):
        d, raw = self.d, self.raw
        self.entry[patients] = _entries(start, raw.accrual_gap[patients], d.accrual_rates, d.accrual_starts)
        self.arm[patients] = arms
        hazard_ratio = np.array([1.0, *d.hazard_ratios])[arms]
        hazard = d.control_hazard * hazard_ratio * d.stratum_multiplier[raw.stratum[patients]]
        self.event_time[patients] = raw.event_unit[patients] / hazard
        if d.dropout_hazard > 0:
            self.dropout_time[patients] = raw.dropout_unit[patients] / d.dropout_hazard

    def logrank(self, tau, cohort, dose):
        """(U, V) of ``dose`` vs control among ``cohort`` patients enrolled before tau."""
        keep = cohort & (self.entry < tau) & np.isin(self.arm, [0, dose])
        entry, event_time, dropout_time = self.entry[keep], self.event_time[keep], self.dropout_time[keep]
        event = (event_time <= dropout_time) & (entry + event_time <= tau)
        time = np.where(event, event_time, np.minimum(dropout_time, tau - entry))
        if not keep.any():
            return 0.0, 0.0, 0
        result = logrank_reference(time, event, (self.arm[keep] == dose).astype(int), self.raw.stratum[keep])
        return result.score, result.variance, int(event.sum())

    def stage1_analysis(self, tau):
        """Stage-1 z of each dose and the Dunnett loadings (allocation- or event-based)."""
        d = self.d
        stats = [self.logrank(tau, self.stage1, dose) for dose in range(1, d.n_doses + 1)]
        z = np.array([u / math.sqrt(v) if v > 0 else 0.0 for u, v, _ in stats])
        loadings = np.array(d.loadings, dtype=float)
        if d.correlation == 1:
            keep = self.stage1 & (self.entry < tau)
            event = keep & (self.event_time <= self.dropout_time) & (self.entry + self.event_time <= tau)
            counts = np.bincount(self.arm[event], minlength=d.n_doses + 1)
            if counts[0] > 0:
                ratio = counts[1:] / counts[0]
                loadings = np.sqrt(ratio / (1 + ratio))
        return stats, z, loadings

    def closed_p(self, z, loadings, selected):
        """Largest intersection p over all S containing the selected dose (DESIGN.md s.4)."""
        if self.d.adjustment == 1:
            return norm.sf(z[selected - 1])
        others = [j for j in range(self.d.n_doses) if j != selected - 1]
        p_values = []
        for size in range(len(others) + 1):
            for rest in itertools.combinations(others, size):
                members = [selected - 1, *rest]
                p_values.append(dunnett_adjusted_p(z[members].max(), loadings[members]))
        return max(p_values)


def _select(d, z):
    if d.rule == 2:
        return d.fixed_dose
    best = int(np.argmax(z))
    if d.rule == 1:
        return int(np.flatnonzero(z >= z[best] - d.epsilon)[0]) + 1
    return best + 1


def reference_trial(d, raw) -> dict:
    """Outcome of one trial (the fields of ``engine.TrialOutputs``) for KernelDesign ``d``."""
    n1, n, n_looks = d.stage1_patients, len(raw.stratum), len(d.look_events)
    trial = _Trial(d, raw)
    stage1_idx, stage2_idx = np.arange(n1), np.arange(n1, n)
    trial.place(stage1_idx, 0.0, raw.arm[:n1])
    result = dict(stage1_z=np.full(d.n_doses, np.nan), stage1_adjusted_p=np.nan,
                  look_time=np.full(n_looks, np.nan), look_events=np.full(n_looks, -1),
                  look_z=np.full(n_looks, np.nan), look_target_reached=np.zeros(n_looks, bool))
    selected, selection_time, stage1_p, score1, variance1 = 1, 0.0, 0.5, 0.0, 0.0
    if n1 > 0:
        last_entry = trial.entry[n1 - 1]
        if d.trigger == 0:
            selection_time = last_entry + d.followup_months
        else:
            events = np.sort([e + t for e, t, c in zip(trial.entry[:n1], trial.event_time[:n1],
                                                         trial.dropout_time[:n1]) if t <= c])
            ends = trial.entry[:n1] + np.minimum(trial.event_time[:n1], trial.dropout_time[:n1])
            selection_time = (max(last_entry, events[d.selection_events - 1])
                              if len(events) >= d.selection_events else max(last_entry, ends.max()))
        stats, z, loadings = trial.stage1_analysis(selection_time)
        selected = _select(d, z)
        score1, variance1 = stats[selected - 1][:2]
        stage1_p = trial.closed_p(z, loadings, selected)
        result.update(stage1_z=z, stage1_adjusted_p=dunnett_adjusted_p(z[selected - 1], loadings))
    result.update(selected=selected, selection_time=selection_time)
    cg = lambda: np.isin(trial.arm, [0, selected])  # noqa: E731

    def finish(tau, look, reason):
        u, v, events = trial.logrank(tau, np.ones(n, bool), selected)
        result.update(stop_look=look, stop_reason=reason, reject=reason == 1, duration=tau,
                      patients=n1 + int((trial.entry[n1:] < tau).sum()),
                      cg_events=events, hr_estimate=math.exp(-u / v) if v > 0 else np.nan)
        return result

    if n1 > 0 and result["stage1_z"].max() < d.selection_futility:
        return finish(selection_time, 0, 2)
    trial.place(stage2_idx, selection_time + d.stage2_delay, np.where(raw.arm[n1:] == 1, selected, 0))
    in_cg = cg()
    has_event = in_cg & (trial.event_time <= trial.dropout_time)
    cg_event_times = np.sort(trial.entry[has_event] + trial.event_time[has_event])
    last_end = max(selection_time, (trial.entry + np.minimum(trial.event_time, trial.dropout_time))[in_cg].max())
    tau = selection_time
    for k in range(n_looks):
        target = d.look_events[k]
        reached = target <= len(cg_event_times)
        tau = max(cg_event_times[target - 1], selection_time) if reached else last_end
        if d.mode == 0:  # cohort: stage-1 cohort Dunnett p, stage-2 cohort log-rank
            u2, v2, _ = trial.logrank(tau, ~trial.stage1, selected)
            z2 = u2 / math.sqrt(v2) if v2 > 0 else 0.0
            if n1 == 0:
                combined = z2
            else:
                _, z, loadings = trial.stage1_analysis(tau)
                w1 = d.stage1_weight
                combined = w1 * norm.isf(trial.closed_p(z, loadings, selected)) + math.sqrt(1 - w1 ** 2) * z2
        else:  # increments: stage-1 p at selection, then the independent increment of the CG log-rank
            u, v, _ = trial.logrank(tau, np.ones(n, bool), selected)
            z_increment = (u - score1) / math.sqrt(v - variance1) if v - variance1 > 0 else 0.0
            t1, tk = d.selection_information, d.information_rates[k]
            combined = (math.sqrt(t1) * norm.isf(stage1_p) + math.sqrt(tk - t1) * z_increment) / math.sqrt(tk)
        result["look_time"][k] = tau
        result["look_events"][k] = int((cg_event_times <= tau).sum())
        result["look_z"][k] = combined
        result["look_target_reached"][k] = reached
        if combined >= d.efficacy_bounds[k]:
            return finish(tau, k + 1, 1)
        if combined < d.futility_bounds[k]:
            return finish(tau, k + 1, 2)
    return finish(tau, n_looks, 0)
