"""Plain-Python twin of the compiled trial (``engine.simulate_trial``), for tests.

Given the same drawn patients it must reach the same statistics and decisions. It is written
for obviousness, not speed, and works from the `Design` itself, not from the kernels' arrays, so
that their conversions are checked too: every analysis recomputes from the definitions of
DESIGN.md, each log-rank is the slow ``logrank_reference`` of one dose against control, the
Dunnett p-values come from the public numpy function, the outcome, the short-term endpoints and the
selection from their modules' twins.
"""

import itertools
import math

import numpy as np
from scipy.stats import norm

from seamless.design import Adjustment, Correlation, Design, Mode, Trigger
from seamless.sim.endpoints import observe_endpoints_reference
from seamless.sim.engine import StopReason
from seamless.sim.outcome import event_times_reference
from seamless.sim.selection import DoseSummaries, select_reference
from seamless.stats.boundaries import efficacy_bounds
from seamless.stats.dunnett import dunnett_adjusted_p
from seamless.stats.inference import repeated_ci
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


def _stratum_multipliers(design: Design, stratum) -> np.ndarray:
    """Prognostic multiplier of each patient: stratum h is a combination of factor levels, the last
    factor's level varying fastest."""
    out = []
    for h in stratum:
        multiplier = 1.0
        for factor in reversed(design.strata):
            h, level = divmod(int(h), len(factor.levels))
            multiplier *= factor.hazard_multipliers[level]
        out.append(multiplier)
    return np.array(out)


class _Trial:
    """One trial's patients on the calendar, and the analyses of DESIGN.md on them."""

    def __init__(self, design, raw):
        self.design, self.raw = design, raw
        n = len(raw.stratum)
        self.entry = np.full(n, np.inf)
        self.arm = np.zeros(n, dtype=int)
        self.event_time = np.full(n, np.inf)
        self.dropout_time = np.full(n, np.inf)
        self.stage1 = np.arange(n) < design.stage1.patients
        ratio = design.stage1.ratio
        self.loadings = np.array([math.sqrt(r / ratio[-1] / (1 + r / ratio[-1])) for r in ratio[:-1]])

    def place(self, patients, start, arms):
        design, raw = self.design, self.raw
        accrual = design.accrual
        self.entry[patients] = _entries(start, raw.accrual_gap[patients], accrual.rates, (0.0, *accrual.change_months))
        self.arm[patients] = arms
        self.event_time[patients], self.dropout_time[patients] = event_times_reference(
            design.outcome, arms, _stratum_multipliers(design, raw.stratum[patients]), raw.event_unit[patients],
            raw.dropout_unit[patients])

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
        n_doses = len(self.design.doses)
        stats = [self.logrank(tau, self.stage1, dose) for dose in range(1, n_doses + 1)]
        z = np.array([u / math.sqrt(v) if v > 0 else 0.0 for u, v, _ in stats])
        loadings = self.loadings
        if self.design.selection.correlation is Correlation.EVENTS:
            keep = self.stage1 & (self.entry < tau)
            event = keep & (self.event_time <= self.dropout_time) & (self.entry + self.event_time <= tau)
            counts = np.bincount(self.arm[event], minlength=n_doses + 1)
            if counts[0] > 0:
                ratio = counts[1:] / counts[0]
                loadings = np.sqrt(ratio / (1 + ratio))
        return stats, z, loadings

    def dose_summaries(self, tau, z) -> DoseSummaries:
        """What the selection analysis at tau knows of each dose (EXTENSIONS.md section 2)."""
        design, raw, n1 = self.design, self.raw, self.design.stage1.patients
        doses = range(1, len(design.doses) + 1)
        arm = self.arm[:n1]
        event = (self.event_time[:n1] <= self.dropout_time[:n1]) & (self.entry[:n1] + self.event_time[:n1] <= tau)
        seen = observe_endpoints_reference(design.endpoints, len(design.doses), tau, self.entry, self.event_time,
                                           self.dropout_time, self.arm, raw.event_unit, raw.response_normal,
                                           raw.toxicity_normal)
        return DoseSummaries(z, np.array([(event & (arm == d)).sum() for d in doses]),
                             np.array([(arm == d).sum() for d in doses]), **seen)

    def closed_p(self, z, loadings, selected):
        """Largest intersection p over all S containing the selected dose (DESIGN.md s.4)."""
        if self.design.selection.adjustment is Adjustment.NONE:
            return norm.sf(z[selected - 1])
        others = [j for j in range(len(self.design.doses)) if j != selected - 1]
        p_values = []
        for size in range(len(others) + 1):
            for rest in itertools.combinations(others, size):
                members = [selected - 1, *rest]
                p_values.append(dunnett_adjusted_p(z[members].max(), loadings[members]))
        return max(p_values)


def reference_trial(design: Design, raw) -> dict:
    """Outcome of one trial (the fields of ``engine.TrialOutputs``) of ``design`` for drawn patients ``raw``."""
    sel, an = design.selection, design.analysis
    n1, n, n_looks, n_doses = design.stage1.patients, len(raw.stratum), len(an.events), len(design.doses)
    bounds = efficacy_bounds(an.information_rates, alpha=an.alpha, spending=an.spending,
                             efficacy_looks=an.efficacy_looks).efficacy_bounds
    trial = _Trial(design, raw)
    stage1_idx, stage2_idx = np.arange(n1), np.arange(n1, n)
    trial.place(stage1_idx, 0.0, raw.arm[:n1])
    result = dict(stage1_z=np.full(n_doses, np.nan), stage1_adjusted_p=np.nan,
                  look_time=np.full(n_looks, np.nan), look_events=np.full(n_looks, -1),
                  look_z=np.full(n_looks, np.nan), look_target_reached=np.zeros(n_looks, bool),
                  **{name: np.zeros(n_doses if design.endpoints.modelled else 0, int)
                     for name in DoseSummaries._fields[3:]})
    selected, selection_time, stage1_p, score1, variance1 = 1, 0.0, 0.5, 0.0, 0.0
    if n1 > 0:
        last_entry = trial.entry[n1 - 1]
        if sel.trigger is Trigger.FOLLOWUP:
            selection_time = last_entry + sel.followup_months
        else:
            events = np.sort([e + t for e, t, c in zip(trial.entry[:n1], trial.event_time[:n1],
                                                         trial.dropout_time[:n1]) if t <= c])
            ends = trial.entry[:n1] + np.minimum(trial.event_time[:n1], trial.dropout_time[:n1])
            selection_time = (max(last_entry, events[sel.events - 1])
                              if len(events) >= sel.events else max(last_entry, ends.max()))
        stats, z, loadings = trial.stage1_analysis(selection_time)
        summaries = trial.dose_summaries(selection_time, z)
        if design.endpoints.modelled:
            result.update({name: getattr(summaries, name) for name in DoseSummaries._fields[3:]})
        selected = select_reference(sel.rule, design.doses, summaries)
        result.update(stage1_z=z)
        if not 1 <= selected <= n_doses:  # no dose eligible
            result.update(selected=selected, selection_time=selection_time, stop_look=0,
                          stop_reason=StopReason.SAFETY, reject=False, duration=selection_time, patients=n1,
                          cg_events=0, hr_estimate=np.nan, log_hr_se=np.nan, repeated_ci_low=np.nan,
                          repeated_ci_high=np.nan)
            return result
        score1, variance1 = stats[selected - 1][:2]
        stage1_p = trial.closed_p(z, loadings, selected)
        result.update(stage1_adjusted_p=dunnett_adjusted_p(z[selected - 1], loadings))
    result.update(selected=selected, selection_time=selection_time)

    def finish(tau, look, reason, interval=(0.0, math.inf)):
        u, v, events = trial.logrank(tau, np.ones(n, bool), selected)
        result.update(repeated_ci_low=interval[0], repeated_ci_high=interval[1])
        result.update(stop_look=look, stop_reason=reason, reject=reason is StopReason.EFFICACY, duration=tau,
                      patients=n1 + int((trial.entry[n1:] < tau).sum()),
                      cg_events=events, hr_estimate=math.exp(-u / v) if v > 0 else np.nan,
                      log_hr_se=1 / math.sqrt(v) if v > 0 else np.nan)
        return result

    if n1 > 0 and result["stage1_z"].max() < sel.futility_z:
        return finish(selection_time, 0, StopReason.FUTILITY)
    stage2_start = selection_time + (sel.stage2_delay_months if n1 > 0 else 0.0)
    trial.place(stage2_idx, stage2_start, np.where(raw.arm[n1:] == 1, selected, 0))
    in_cg = np.isin(trial.arm, [0, selected])
    has_event = in_cg & (trial.event_time <= trial.dropout_time)
    cg_event_times = np.sort(trial.entry[has_event] + trial.event_time[has_event])
    last_end = max(selection_time, (trial.entry + np.minimum(trial.event_time, trial.dropout_time))[in_cg].max())
    tau = selection_time
    for k in range(n_looks):
        target = an.events[k]
        reached = target <= len(cg_event_times)
        tau = max(cg_event_times[target - 1], selection_time) if reached else last_end
        if an.mode is Mode.COHORT:  # stage-1 cohort Dunnett p, stage-2 cohort log-rank
            u2, v2, _ = trial.logrank(tau, ~trial.stage1, selected)
            z2 = u2 / math.sqrt(v2) if v2 > 0 else 0.0
            w1 = math.sqrt(an.stage1_weight_squared) if n1 > 0 else 0.0
            if n1 == 0:
                combined, pieces = z2, (0.0, 0.0, z2, v2, None)
            else:
                stats, z, loadings = trial.stage1_analysis(tau)
                combined = w1 * norm.isf(trial.closed_p(z, loadings, selected)) + math.sqrt(1 - w1 ** 2) * z2
                pieces = (z[selected - 1], stats[selected - 1][1], z2, v2, loadings)
            weights = (w1, math.sqrt(1 - w1 ** 2))
        else:  # increments: stage-1 p at selection, then the independent increment of the CG log-rank
            u, v, _ = trial.logrank(tau, np.ones(n, bool), selected)
            z_increment = (u - score1) / math.sqrt(v - variance1) if v - variance1 > 0 else 0.0
            t1 = an.selection_information if n1 > 0 else 0.0
            tk = an.information_rates[k]
            combined = (math.sqrt(t1) * norm.isf(stage1_p) + math.sqrt(tk - t1) * z_increment) / math.sqrt(tk)
            pieces = (result["stage1_z"][selected - 1] if n1 > 0 else 0.0, variance1, z_increment, v - variance1,
                      loadings if n1 > 0 else None)
            weights = (math.sqrt(t1), math.sqrt(tk - t1))
        result["look_time"][k] = tau
        result["look_events"][k] = int((cg_event_times <= tau).sum())
        result["look_z"][k] = combined
        result["look_target_reached"][k] = reached
        reason = StopReason.EFFICACY if combined >= bounds[k] else \
            StopReason.FUTILITY if combined < an.futility_bounds[k] else StopReason.NONE
        if reason is not StopReason.NONE or k == n_looks - 1:
            return finish(tau, k + 1, reason, _repeated_ci(design, pieces, weights, bounds[k]))


def _repeated_ci(design: Design, pieces, weights, bound):
    """EXTENSIONS.md s.4: the selected dose's single-step Dunnett p (over all doses) at its shifted stage-1 z,
    combined with its shifted later z, inverted at the look's bound."""
    stage1_z, stage1_v, stage2_z, stage2_v, loadings = pieces
    if design.selection.adjustment is Adjustment.DUNNETT and loadings is not None:
        stage1_p = lambda z: dunnett_adjusted_p(z, loadings)  # noqa: E731
    else:
        stage1_p = norm.sf
    return repeated_ci(stage1_z, stage1_v, stage2_z, stage2_v, weights, bound, stage1_p)
