"""The analyses of a real trial's data with the closed combination test the design simulates
(EXTENSIONS.md section 4; DESIGN.md sections 2-6).

The stage-1 analysis (A1) and every confirmatory (CG) look the data reach are computed as the simulated
trial computes them (`seamless.sim.engine`): when A1 happens (the design's trigger), each dose's stratified
log-rank z in the stage-1 cohort, the Dunnett p-value of every intersection, the selected dose (the
design's rule, or the dose given); each CG look at the calendar time of its D-th CG event, with the
stage-wise statistics of the design's mode, the combined z of every intersection containing the selected
dose, the bound and the decision. At each look with an efficacy bound: the repeated confidence interval and
repeated p-value of the selected dose's HR, conditional power; and the expected date of each future look.

Definitions (each with its source and its relation to rpact's ``getAnalysisResults``):

- Repeated CI at look k (Posch et al. 2005, s.4; Wassmer & Brannath 2016, s.11.1): the hazard ratios
  theta0 not rejected by the combination test of the selected dose's single-step Dunnett-adjusted stage-wise
  p-values (the intersection of all doses, evaluated at the selected dose's own statistic), every stage-wise
  statistic of the selected dose shifted to z + log(theta0) sqrt(V); the lower limit mirrors it (HR <= theta0,
  statistics negated), each side at the design's alpha. This is rpact's definition. Its p-values are never
  smaller than the closed test's, so the interval contains every theta0 the closed test (with the selected
  dose's statistics shifted) does not reject; the two coincide when the selected dose's shifted stage-1 z is
  the largest of the doses'. The closed test's own inversion, a one-sided upper limit (below 1 exactly when
  the closed test rejects), is reported beside it (``closed_test_upper``).
- Repeated p-value: the smallest alpha whose bounds (the design's spending and looks) reject H_s with the
  closed test at look k (rpact's definition; rpact gives none for user-defined spending).
- Conditional power (and the conditional rejection probability, under HR 1) in ``increments`` mode: the
  inverse-normal formula of `seamless.stats.inference.conditional_power` with the planned increments of
  information (planned CG events x r / (1 + r)^2, r the stage-2 allocation ratio): rpact's definition. In
  ``cohort`` mode the stage-1 p-values keep changing as stage-1 patients are followed, so conditional power
  is defined by simulating the rest of the trial from the observed patients (`seamless.observed.continuation`);
  the inverse-normal formula is reported beside it, labelled an approximation.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import NamedTuple

import numpy as np

from seamless._schema import ConfigError
from seamless.design import Adjustment, Correlation, Design, Mode, Trigger
from seamless.observed.data import PatientData
from seamless.sim.kernel_design import KernelDesign, kernel_design
from seamless.sim.selection import DoseSummaries, SelectionRule, select
from seamless.stats.combination import closed_stage1_p, combine_cohort, combine_increments
from seamless.stats.dunnett import dunnett_set_p
from seamless.stats.inference import Z_LIMIT, conditional_power, invert, repeated_ci, repeated_p_value, shifted_z
from seamless.stats.logrank import _logrank_many_to_one
from seamless.stats.normal import normal_ppf, normal_sf

__all__ = ["StageOne", "Look", "FutureLook", "Analysis", "LookStatistics", "analyze_data", "look_times"]

#: z of the naive two-sided 95% interval.
Z95 = 1.959963984540054


@dataclass
class StageOne:
    """The selection analysis (A1)."""

    time: float                       # months: when A1 happens (or is due, if not reached)
    date: str | None
    reached: bool                     # False: the data end before A1; the statistics are at the cut-off
    z: dict                           # dose -> stratified log-rank z in the stage-1 cohort
    hazard_ratio: dict                # dose -> exp(-U/V)
    events: dict                      # arm -> stage-1 events
    intersection_p: dict              # "d1+d2" -> Dunnett p of the intersection (unadjusted p without Dunnett)
    selected: str | None              # the dose stage 2 is on
    selected_by: str                  # "rule", "given" or "data" (stage 2 differs from the rule's choice)
    rule_choice: str | None           # the design's rule's dose (None: stop for safety, or not applicable)
    closed_p: float                   # the closed test's stage-1 p of the selected dose
    decision: str                     # "select", "futility" (best z below selection.futility_z), "not reached"


@dataclass
class Look:
    """One CG look the data reach."""

    look: int                         # 1-based, as in analysis.events
    time: float
    date: str | None
    target_events: int
    events: int                       # CG events at the look
    target_reached: bool              # False: the target can no longer be reached (all follow-up ended)
    stage1_p: dict                    # intersection -> stage-wise p_1,S (cohort: at the look; increments: at A1)
    stage2_z: float                   # cohort: stage-2 cohort z; increments: the log-rank increment z since A1
    stage2_p: float
    combined_z: dict                  # intersection containing the selected dose -> combined z
    binding_z: float                  # the smallest: the closed test's statistic
    efficacy_bound: float             # inf: no efficacy at this look
    futility_bound: float             # -inf: none
    decision: str                     # "efficacy", "futility", "continue", "final: not rejected"
    hazard_ratio: float               # exp(-U/V), selected dose vs control, all CG
    naive_ci: tuple                   # exp(log HR -+ 1.96 / sqrt(V))
    repeated_ci: tuple                # (lower, upper); (0, inf) at a look without efficacy bound
    repeated_p: float
    closed_test_upper: float = math.nan  # the one-sided upper limit from inverting the closed test itself
    conditional_rejection: list = field(default_factory=list)   # CRP by each remaining look (HR 1)
    conditional_power_planned: list = field(default_factory=list)
    conditional_power_observed: list = field(default_factory=list)
    conditional_power_method: str = ""


@dataclass
class FutureLook:
    look: int
    target_events: int
    expected_time: float              # months; inf: not reached under the planned model
    expected_date: str | None


@dataclass
class Analysis:
    """What ``simulate analyze`` reports."""

    mode: str
    cutoff: float
    cutoff_date: str | None
    patients: dict                    # stage -> patients in the data at the cut-off
    planned_hazard_ratio: float
    stage1: StageOne
    looks: list
    future: list
    notes: list

    def to_dict(self) -> dict:
        return asdict(self)

    def text(self) -> str:
        from seamless.observed.text import analysis_text

        return analysis_text(self)


def _label(doses, mask: int) -> str:
    return "+".join(d for i, d in enumerate(doses) if mask >> i & 1)


def _logrank(data: PatientData, tau: float, arm: np.ndarray, n_arms: int, n_strata: int):
    """(U (n_arms - 1,), V, events per arm) of arms 1.. vs 0 on the data cut at tau; arm -1 leaves a patient out."""
    cut = data.cut(tau)
    arm = arm[data.entry < tau].astype(np.int64)
    score, variance = np.zeros(n_arms - 1), np.zeros(n_arms - 1)
    _logrank_many_to_one(cut.time, cut.event, arm, cut.stratum, n_arms, n_strata, score, variance)
    events = np.bincount(arm[cut.event & (arm >= 0)], minlength=n_arms)
    return score, variance, events


def _union_arm(data: PatientData, selected: int) -> np.ndarray:
    """Analysis arms of the CG: 1 = the selected dose, 0 = control, -1 = not in the CG."""
    return np.where(data.confirmatory(selected), (data.arm == selected).astype(np.int64), -1)


class _Trial:
    """The data and the design's compiled parts the analyses need."""

    def __init__(self, design: Design, data: PatientData):
        self.design, self.data = design, data
        self.kd: KernelDesign = kernel_design(design)
        self.n_doses = len(design.doses)
        self.n_strata = self.kd.enrolment.stratum_cumprob.size
        self.subset = np.zeros(self.n_doses)

    def stage1(self, tau):
        """Stage-1 cohort at tau: z (D,), U, V, events per arm, the Dunnett loadings in use."""
        d = self.data
        arm = np.where(d.stage == 1, d.arm, -1)
        score, variance, events = _logrank(d, tau, arm, self.n_doses + 1, self.n_strata)
        z = np.where(variance > 0.0, score / np.sqrt(np.where(variance > 0, variance, 1.0)), 0.0)
        loadings = self.kd.selection.loadings.copy()
        if self.design.selection.correlation is Correlation.EVENTS and events[0] > 0:
            ratio = events[1:] / events[0]
            loadings = np.sqrt(ratio / (1.0 + ratio))
        return z, score, variance, events, loadings

    def intersection_p(self, z, loadings, selected=None) -> dict:
        """Dunnett p of every intersection (those containing ``selected``, 1-based, if given)."""
        doses, rule = self.design.doses, self.kd.selection.dunnett
        if self.design.selection.adjustment is Adjustment.NONE:
            chosen = range(self.n_doses) if selected is None else [selected - 1]
            return {doses[i]: float(normal_sf(z[i])) for i in chosen}
        out = {}
        for mask in range(1, 2 ** self.n_doses):
            if selected is not None and not mask >> (selected - 1) & 1:
                continue
            members = [i for i in range(self.n_doses) if mask >> i & 1]
            largest = max(z[i] for i in members)
            out[_label(doses, mask)] = float(dunnett_set_p(largest, loadings, np.int64(mask), rule, self.subset))
        return out

    def closed_p(self, z, loadings, selected: int) -> float:
        a1 = self.kd.selection
        return float(closed_stage1_p(z, np.int64(selected - 1), loadings, a1.adjustment == Adjustment.NONE,
                                     a1.dunnett, self.subset))

    def single_step_p(self, z: float, loadings) -> float:
        """The selected dose's single-step Dunnett p over all doses at its own z (unadjusted without Dunnett)."""
        if self.design.selection.adjustment is Adjustment.NONE or self.n_doses == 1:
            return float(normal_sf(z))
        all_doses = np.int64(2 ** self.n_doses - 1)
        return float(dunnett_set_p(z, loadings, all_doses, self.kd.selection.dunnett, self.subset))


def selection_time(design: Design, data: PatientData) -> float:
    """When A1 happens (DESIGN.md s.1): the last stage-1 entry + the follow-up, or the N-th stage-1 event
    (not before the last entry; at the end of stage-1 follow-up if never reached); inf when the data do not
    yet hold all of stage 1, or (events trigger) too few events and patients still at risk."""
    n1, sel = design.stage1.patients, design.selection
    if n1 == 0:
        return 0.0
    first = data.stage == 1
    if first.sum() < n1:
        return math.inf
    last_entry = float(data.entry[first].max())
    if sel.trigger is Trigger.FOLLOWUP:
        return last_entry + sel.followup_months
    calendar = np.sort((data.entry + data.time)[first & data.event])
    if calendar.size >= sel.events:
        return max(last_entry, float(calendar[sel.events - 1]))
    if not data.followed(first).any():
        return max(last_entry, float((data.entry + data.time)[first].max()))
    return math.inf


def look_times(design: Design, data: PatientData, selected: int, a1: float) -> list[tuple[float, bool]]:
    """(calendar time, target reached) of each CG look; time inf when the data do not reach it. A look is at
    the D-th CG event, never before A1; when every planned patient is in and no CG patient is still followed,
    the looks whose targets cannot be reached happen at the end of the last CG follow-up (as simulated)."""
    rows = data.confirmatory(selected)
    calendar = np.sort((data.entry + data.time)[rows & data.event])
    ended = (data.stage == 2).sum() >= design.stage2.patients and not data.followed(rows).any()
    last_end = max(a1, float((data.entry + data.time)[rows].max())) if rows.any() else a1
    out = []
    for target in design.analysis.events:
        if calendar.size >= target:
            out.append((max(a1, float(calendar[target - 1])), True))
        elif ended:
            out.append((last_end, False))
        else:
            out.append((math.inf, False))
    return out


def analyze_data(design: Design, data: PatientData, selected: str | None = None, planned_hr: float | None = None,
                 continuation=None, inference: bool = True) -> Analysis:
    """The analyses of ``data`` (already checked and cut) with ``design``; ``continuation`` computes
    conditional power by simulation in cohort mode (`seamless.observed.future.Continuation`; None: the formula);
    ``inference`` False leaves out the repeated CI and p-value and conditional power (decisions only)."""
    trial = _Trial(design, data)
    doses = design.doses
    notes = []
    a1 = selection_time(design, data)
    reached = a1 <= data.cutoff
    tau1 = a1 if reached else data.cutoff
    z1, u1, v1, events1, loadings1 = trial.stage1(tau1) if design.stage1.patients else (
        np.zeros(1), np.zeros(1), np.zeros(1), np.zeros(2, np.int64), trial.kd.selection.loadings)
    arms = [design.arms.control, *doses]
    stage1 = StageOne(
        time=a1, date=data.date(a1), reached=bool(reached),
        z={dose: float(z1[i]) for i, dose in enumerate(doses)} if design.stage1.patients else {},
        hazard_ratio={dose: (math.exp(-u1[i] / v1[i]) if v1[i] > 0 else math.nan) for i, dose in enumerate(doses)}
        if design.stage1.patients else {},
        events={arms[i]: int(events1[i]) for i in range(len(arms))} if design.stage1.patients else {},
        intersection_p=trial.intersection_p(z1, loadings1) if design.stage1.patients else {},
        selected=None, selected_by="rule", rule_choice=None, closed_p=math.nan, decision="not reached")
    analysis = Analysis(mode=design.analysis.mode.name.lower(), cutoff=data.cutoff, cutoff_date=data.date(data.cutoff),
                        patients={str(s): int((data.stage == s).sum()) for s in (1, 2)},
                        planned_hazard_ratio=math.nan, stage1=stage1, looks=[], future=[], notes=notes)
    if not reached:
        if (data.stage == 2).any():
            notes.append("stage-2 patients are in the data although the selection analysis is not reached")
        notes.append("the selection analysis is not reached: the stage-1 statistics are at the cut-off")
        return analysis

    # The selection (A1).
    code = _rule_choice(design, trial, z1, events1, data, selected) if design.stage1.patients else 1
    stage1.rule_choice = arms[code] if code > 0 else None
    chosen = doses.index(selected) + 1 if selected is not None else data.stage2_dose or code
    stage1.selected_by = "given" if selected is not None else ("data" if data.stage2_dose and
                                                               data.stage2_dose != code else "rule")
    if stage1.selected_by == "data":
        notes.append(f"stage 2 is on {arms[chosen]}; the design's rule selects "
                     f"{stage1.rule_choice or 'no dose (safety)'}: the data's dose is analysed")
    if chosen <= 0:
        stage1.decision = "safety"
        notes.append("the design's rule finds no eligible dose: the trial stops for safety at A1")
        return analysis
    stage1.selected = arms[chosen]
    s = chosen
    if design.stage1.patients:
        stage1.closed_p = trial.closed_p(z1, loadings1, s)
        if float(np.max(z1)) < design.selection.futility_z:
            stage1.decision = "futility"
            notes.append(f"the best stage-1 z is below selection.futility_z = {design.selection.futility_z:g}: "
                         "the design stops for futility at A1")
            return analysis
    stage1.decision = "select"
    early = (data.stage == 2) & (data.entry < a1 + design.selection.stage2_delay_months)
    if design.stage1.patients and early.any():
        notes.append(f"{int(early.sum())} stage-2 patients entered before the design's start of stage 2 (month "
                     f"{a1 + design.selection.stage2_delay_months:.2f})")

    hr_planned = _planned_hr(design, s) if planned_hr is None else planned_hr
    analysis.planned_hazard_ratio = hr_planned
    looks = _Looks(trial, s, a1, float(u1[s - 1]), float(v1[s - 1]), z1, loadings1)
    times = look_times(design, data, s, a1)
    stopped = False
    for k, (tau, target_reached) in enumerate(times, start=1):
        if not math.isfinite(tau) or tau > data.cutoff or stopped:
            continue
        look = looks.at(k, tau, target_reached)
        if inference:
            _inference(trial, look, looks, k, tau, hr_planned, continuation)
        analysis.looks.append(look)
        stopped = look.decision == "efficacy"
    if inference and not stopped:
        analysis.future = _future(trial, s, times, hr_planned, a1)
    return analysis


def _rule_choice(design, trial, z1, events1, data, selected) -> int:
    """Arm code the design's rule selects from the stage-1 statistics (0: stop for safety). A rule on response
    or toxicity cannot be applied (the data hold neither): the dose of stage 2 or the dose given stands."""
    rule = design.selection.rule
    if rule.rule in (SelectionRule.RESPONSE, SelectionRule.UTILITY):
        if selected is not None:
            return design.doses.index(selected) + 1
        if not data.stage2_dose:
            raise _needs_dose(rule.rule.name.lower())
        return data.stage2_dose
    counts = np.bincount(data.arm[data.stage == 1], minlength=trial.n_doses + 1)[1:]
    zeros = np.zeros(trial.n_doses, np.int64)
    summaries = DoseSummaries(np.ascontiguousarray(z1, dtype=np.float64), events1[1:].astype(np.int64),
                              counts.astype(np.int64), zeros, zeros, zeros, zeros)
    if trial.kd.user_rule is not None:
        code = int(trial.kd.user_rule(summaries)) + 1
        if not 0 <= code <= trial.n_doses:
            raise ConfigError(f"selection.rule: the user's rule returned {code - 1}; allowed a dose index "
                              f"0..{trial.n_doses - 1}, or -1 to stop for safety")
        return code
    return int(select(trial.kd.selection.rule, summaries))


def _needs_dose(rule: str):
    from seamless.observed.data import DataError

    return DataError(f"selection.rule: {rule!r} selects on response and toxicity, which the data do not hold; "
                     "give the selected dose (--selected)")


def _planned_hr(design: Design, s: int) -> float:
    """The selected dose's hazard ratio in the design (its first piece when it has several)."""
    hr = design.outcome.hazard_ratios[s - 1]
    return float(hr[0] if isinstance(hr, tuple) else hr)


class LookStatistics(NamedTuple):
    """What the repeated CI at a look needs of the selected dose (`seamless.stats.inference.repeated_ci`)."""

    stage1_z: float            # its stage-1 z (cohort: at the look; increments: at A1)
    stage1_information: float  # V of that z
    loadings: np.ndarray       # the Dunnett loadings of its stage-1 p
    stage2_z: float            # cohort: the stage-2 cohort's z; increments: the increment since A1
    stage2_information: float
    weights: tuple             # (w1, w2) of the combination
    stage1_all_z: np.ndarray   # every dose's stage-1 z at the same time (the closed test's intersections)


class _Looks:
    """The closed test at each CG look, in the design's mode."""

    def __init__(self, trial, s, a1, u1, v1, z1, loadings1):
        self.trial, self.s, self.a1 = trial, s, a1
        self.u1, self.v1, self.z1, self.loadings1 = u1, v1, z1, loadings1  # the selection analysis's
        self.statistics = {}

    def at(self, k: int, tau: float, target_reached: bool) -> Look:
        trial, s, design = self.trial, self.s, self.trial.design
        d, looks = trial.data, trial.kd.looks
        n1 = design.stage1.patients
        u, v, _ = _logrank(d, tau, _union_arm(d, s), 2, trial.n_strata)
        u, v = float(u[0]), float(v[0])
        cg_events = int(((d.entry + d.time <= tau) & d.event & d.confirmatory(s)).sum())
        if looks.mode == Mode.COHORT:
            arm2 = np.where(d.stage == 2, (d.arm == s).astype(np.int64), -1)
            u2, v2, _ = _logrank(d, tau, arm2, 2, trial.n_strata)
            u2, v2 = float(u2[0]), float(v2[0])
            z2 = u2 / math.sqrt(v2) if v2 > 0 else 0.0
            if n1:
                z1, _, v1, _, loadings = trial.stage1(tau)
                p1 = trial.intersection_p(z1, loadings, s)
            else:
                z1, v1, loadings, p1 = np.zeros(1), np.zeros(1), np.zeros(1), {}
            combined = {S: float(combine_cohort(p, z2, looks.stage1_weight)) for S, p in p1.items()}
            self.statistics[k] = LookStatistics(z1[s - 1] if n1 else 0.0, v1[s - 1] if n1 else 0.0, loadings, z2,
                                                v2, (looks.stage1_weight, math.sqrt(1.0 - looks.stage1_weight ** 2)),
                                                z1)
        else:
            p1 = trial.intersection_p(self.z1, self.loadings1, s) if n1 else {}
            t1, tk = looks.selection_information, looks.information_rates[k - 1]
            increment = v - self.v1
            z2 = (u - self.u1) / math.sqrt(increment) if increment > 0 else 0.0
            combined = {S: float(combine_increments(p, t1, tk, u, v, self.u1, self.v1)) for S, p in p1.items()}
            self.statistics[k] = LookStatistics(self.z1[s - 1] if n1 else 0.0, self.v1, self.loadings1, z2, increment,
                                                (math.sqrt(t1), math.sqrt(tk - t1)), self.z1)
        # The closed test's statistic is the binding (smallest) intersection's; without stage 1, the stage-2 z.
        combined = combined or {design.doses[0]: z2}
        binding = min(combined.values())
        bound, futility = float(looks.efficacy_bounds[k - 1]), float(looks.futility_bounds[k - 1])
        decision = "efficacy" if binding >= bound else "futility" if binding < futility else \
            ("final: not rejected" if k == looks.events.size else "continue")
        hr = math.exp(-u / v) if v > 0 else math.nan
        half = Z95 / math.sqrt(v) if v > 0 else math.nan
        return Look(look=k, time=tau, date=d.date(tau), target_events=int(looks.events[k - 1]), events=cg_events,
                    target_reached=bool(target_reached), stage1_p=p1, stage2_z=z2, stage2_p=float(normal_sf(z2)),
                    combined_z=combined, binding_z=binding, efficacy_bound=bound, futility_bound=futility,
                    decision=decision, hazard_ratio=hr, naive_ci=(hr * math.exp(-half), hr * math.exp(half)),
                    repeated_ci=(math.nan, math.nan), repeated_p=math.nan)


def _closed_combination(trial: _Trial, st: LookStatistics, s: int, log_theta0: float) -> float:
    """The closed test's combined z at a look for H(theta0): HR_s >= theta0, every stage-wise statistic of the
    selected dose shifted, the other doses' as they are (the binding intersection's)."""
    z = st.stage1_all_z.copy()
    z[s - 1] = min(max(shifted_z(st.stage1_z, st.stage1_information, log_theta0), -Z_LIMIT), Z_LIMIT)
    stage2 = min(max(shifted_z(st.stage2_z, st.stage2_information, log_theta0), -Z_LIMIT), Z_LIMIT)
    stage1 = min(max(-float(normal_ppf(trial.closed_p(z, st.loadings, s))), -Z_LIMIT), Z_LIMIT)
    w1, w2 = st.weights
    return (w1 * stage1 + w2 * stage2) / math.hypot(w1, w2)


def _inference(trial, look: Look, looks: _Looks, k: int, tau: float, hr_planned: float, continuation) -> None:
    """Repeated CI and p-value, conditional rejection probability and power at look k (in place)."""
    design, kd = trial.design, trial.kd
    an = design.analysis
    st = looks.statistics[k]
    look.repeated_ci = repeated_ci(st.stage1_z, st.stage1_information, st.stage2_z, st.stage2_information,
                                   st.weights, look.efficacy_bound, lambda z: trial.single_step_p(z, st.loadings))
    look.closed_test_upper = look.repeated_ci[1]
    if design.stage1.patients and math.isfinite(look.efficacy_bound):
        look.closed_test_upper = invert(lambda x: _closed_combination(trial, st, looks.s, x), look.efficacy_bound,
                                        increasing=True)
    efficacy_looks = tuple(int(j) + 1 for j in np.flatnonzero(np.isfinite(kd.looks.efficacy_bounds)))
    look.repeated_p = repeated_p_value(look.binding_z, k, kd.looks.information_rates, an.spending, efficacy_looks)
    if k == kd.looks.events.size or look.decision == "efficacy":
        return
    future = _future_information(design, k, look.events)
    formula = lambda theta: conditional_power(  # noqa: E731
        look.binding_z, k, kd.looks.information_rates, kd.looks.efficacy_bounds, kd.looks.futility_bounds, future,
        math.log(theta)).tolist()
    observed = look.hazard_ratio if math.isfinite(look.hazard_ratio) else 1.0
    if continuation is None or (kd.looks.mode == Mode.INCREMENTS and not continuation.every_mode):
        look.conditional_rejection = formula(1.0)
        look.conditional_power_planned = formula(hr_planned)
        look.conditional_power_observed = formula(observed)
        look.conditional_power_method = "inverse-normal formula" + (
            "" if kd.looks.mode == Mode.INCREMENTS else " (an approximation in cohort mode)")
        return
    look.conditional_rejection = continuation(looks, k, tau, 1.0)
    look.conditional_power_planned = continuation(looks, k, tau, hr_planned)
    look.conditional_power_observed = continuation(looks, k, tau, observed)
    look.conditional_power_method = "simulation of the rest of the trial (" + continuation.describe() + ")"


def _future_information(design: Design, k: int, events_now: int) -> np.ndarray:
    """Planned information increments of looks k+1..K: planned CG events x r / (1 + r)^2."""
    r = design.stage2.ratio[0] / design.stage2.ratio[1]
    targets = np.array(design.analysis.events, dtype=float)
    steps = np.diff(np.concatenate(([min(events_now, targets[k - 1])], targets[k - 1:])))[1:]
    return np.maximum(steps, 0.0) * r / (1.0 + r) ** 2


def _future(trial, s: int, times, hr_planned: float, a1: float) -> list:
    """Expected dates of the looks the data do not reach, under the design's outcome model."""
    from seamless.observed.future import expected_event_time

    design, data = trial.design, trial.data
    out = []
    for k, (tau, _) in enumerate(times, start=1):
        if math.isfinite(tau) and tau <= data.cutoff:
            continue
        target = design.analysis.events[k - 1]
        when = expected_event_time(design, data, s, hr_planned, target, a1)
        out.append(FutureLook(look=k, target_events=target, expected_time=when, expected_date=data.date(when)))
    return out
