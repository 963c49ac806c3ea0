"""What the rest of a trial may bring under the design's outcome model, from the data at a cut-off.

Patients still followed at the cut-off keep their arm's hazard (piecewise in time since entry, times the
stratum's multiplier) from the time they have already been followed, and the design's dropout; the
stage-2 patients still to come enter by the design's accrual from the cut-off (or from the planned start
of stage 2), each stratum with its probability, on the selected dose with probability r / (1 + r) (r the
stage-2 allocation ratio; randomization by blocks is not reproduced). The selected dose's hazard is the
control's times the assumed hazard ratio; the other doses keep the design's.

- ``expected_event_time``: the calendar time at which the expected CG events reach a look's target.
- ``Continuation``: conditional power by simulating the rest of the trial (EXTENSIONS.md section 4,
  ``cohort`` mode), the closed test of the design at each remaining look of each simulated trial.
"""

from __future__ import annotations

import math

import numpy as np

from seamless.design import Design
from seamless.observed.data import PatientData
from seamless.sim.kernel_design import kernel_design, stratum_table
from seamless.sim.outcome import event_times
from seamless.sim.patients import entry_times

__all__ = ["expected_event_time", "Continuation"]

#: The projection's horizon after the cut-off (months) and grid step.
HORIZON, STEP = 240.0, 0.05


class _Model:
    """The design's hazards with the selected dose's replaced by control x theta."""

    def __init__(self, design: Design, selected: int, theta: float):
        kd = kernel_design(design)
        hazard, cumulative = kd.outcome.arm_hazard.copy(), kd.outcome.arm_cumulative.copy()
        hazard[selected], cumulative[selected] = hazard[0] * theta, cumulative[0] * theta
        self.outcome = kd.outcome._replace(arm_hazard=hazard, arm_cumulative=cumulative)
        self.starts, self.hazard, self.cumulative = self.outcome.piece_starts, hazard, cumulative
        self.multiplier, self.dropout = self.outcome.stratum_multiplier, self.outcome.dropout_hazard
        self.accrual_rates, self.accrual_starts = kd.enrolment.accrual_rates, kd.enrolment.accrual_starts
        _, self.stratum_probabilities, _ = stratum_table(design)
        ratio = design.stage2.ratio
        self.on_dose = ratio[0] / (ratio[0] + ratio[1])
        self.selected = selected

    def cumulative_hazard(self, arm, stratum, x):
        """Lambda of patients (arm, stratum) at time x since entry (broadcasting)."""
        j = np.searchsorted(self.starts, x, side="right") - 1
        return self.multiplier[stratum] * (self.cumulative[arm, j] + self.hazard[arm, j] * (x - self.starts[j]))

    def inverse(self, arm, stratum, level):
        """The time since entry at which Lambda reaches ``level`` (arrays): the simulated trial's inversion
        (`seamless.sim.outcome.event_times`) with the unit exponential ``level``."""
        n = np.size(level)
        times, dropout, exit_time = np.empty(n), np.empty(n), np.empty(n)
        event_times(self.outcome, np.asarray(arm, np.int64), np.int64(1), np.asarray(stratum, np.int64),
                    np.asarray(level, np.float64), np.ones(n), np.int64(0), np.int64(n), times, dropout, exit_time)
        return times

    def entries(self, start: float, gaps: np.ndarray) -> np.ndarray:
        out = np.empty(gaps.size)
        entry_times(float(start), gaps, self.accrual_rates, self.accrual_starts, out)
        return out


def _stage2_start(design: Design, data: PatientData, a1: float) -> float:
    return max(data.cutoff, a1 + design.selection.stage2_delay_months)


def expected_event_time(design: Design, data: PatientData, selected: int, theta: float, target: int,
                        a1: float) -> float:
    """Calendar month at which the expected CG events reach ``target`` (inf beyond 240 months)."""
    model = _Model(design, selected, theta)
    rows = data.confirmatory(selected)
    observed = int((rows & data.event).sum())
    if observed >= target:
        return math.nan
    grid = np.arange(0.0, HORIZON + STEP, STEP)
    calendar = data.cutoff + grid
    followed = data.followed(rows)
    elapsed = (data.cutoff - data.entry)[followed]
    arm = np.where(data.arm[followed] == selected, selected, 0)
    stratum = data.stratum[followed]
    expected = observed + _event_probability(model, arm, stratum, elapsed[:, None] + grid[None, :],
                                             elapsed[:, None]).sum(axis=0)
    remaining = design.stage2.patients - int((data.stage == 2).sum())
    if remaining > 0:  # P(event by u months after entry) of a patient still to come, then at each calendar time
        entries = model.entries(_stage2_start(design, data, a1), np.ones(remaining))  # one unit of intensity apart
        newcomer = np.zeros(grid.size)
        for h, p in enumerate(model.stratum_probabilities):
            for arm_code, share in ((selected, model.on_dose), (0, 1.0 - model.on_dose)):
                newcomer += p * share * _event_probability(model, np.int64(arm_code), np.int64(h), grid, 0.0)
        expected = expected + np.interp(calendar[None, :] - entries[:, None], grid, newcomer, left=0.0).sum(axis=0)
    reached = np.flatnonzero(expected >= target)
    if not reached.size:
        return math.inf
    i = reached[0]
    if i == 0:
        return float(calendar[0])
    low, high = expected[i - 1], expected[i]
    return float(calendar[i - 1] + STEP * (target - low) / (high - low))


def _event_probability(model: _Model, arm, stratum, x, since) -> np.ndarray:
    """P(event in (since, x] | no event or dropout by ``since``) under the model, along the last axis of x
    (a grid of step STEP), by the trapezoid rule of hazard x survival."""
    arm, stratum = np.asarray(arm), np.asarray(stratum)
    if arm.ndim:
        arm, stratum = arm[:, None], stratum[:, None]
    base = model.cumulative_hazard(arm, stratum, np.asarray(since, dtype=float))
    survival = np.exp(-(model.cumulative_hazard(arm, stratum, x) - base) - model.dropout * (x - since))
    j = np.searchsorted(model.starts, x, side="right") - 1
    density = model.multiplier[stratum] * model.hazard[arm, j] * survival
    density = np.where(x >= since, density, 0.0)
    steps = np.diff(x, axis=-1)
    cumulative = np.concatenate([np.zeros(x.shape[:-1] + (1,)),
                                 np.cumsum(0.5 * (density[..., 1:] + density[..., :-1]) * steps, axis=-1)], axis=-1)
    return cumulative


class Continuation:
    """Conditional power by simulation: ``simulations`` continuations of the trial from the data at a look,
    with the random numbers of ``seed`` (the same for every assumed hazard ratio). Used in cohort mode, and in
    increments mode too with ``every_mode`` (where the formula is exact, to compare the two)."""

    def __init__(self, design: Design, simulations: int = 1000, seed: int = 1, every_mode: bool = False):
        self.design, self.simulations, self.seed, self.every_mode = design, simulations, seed, every_mode

    def describe(self) -> str:
        return (f"{self.simulations} simulated continuations, seed {self.seed}; the other doses at the design's "
                "hazard ratios")

    def __call__(self, looks, k: int, tau: float, theta: float) -> list:
        """Cumulative probabilities of rejecting H_s by each look after k."""
        from seamless.observed.analysis import look_times

        design, trial, s = self.design, looks.trial, looks.s
        data = trial.data.cut(tau)
        model = _Model(design, s, theta)
        rng = np.random.default_rng([self.seed, k])
        n_looks = len(design.analysis.events)
        rejected = np.zeros(n_looks - k)
        original = trial.data
        try:
            for _ in range(self.simulations):
                trial.data = self._continued(data, model, rng, looks.a1)
                times = look_times(design, trial.data, s, looks.a1)
                for j in range(k + 1, n_looks + 1):
                    when, reached = times[j - 1]
                    if not math.isfinite(when):
                        break
                    look = looks.at(j, when, reached)
                    if look.decision == "efficacy":
                        rejected[j - k - 1:] += 1
                        break
                    if look.decision == "futility":
                        break
        finally:
            trial.data = original
        return (rejected / self.simulations).tolist()

    def _continued(self, data: PatientData, model: _Model, rng, a1: float) -> PatientData:
        """One simulated completion of the trial: full follow-up of everyone, stage 2 filled up."""
        followed = data.followed(np.ones(data.arm.size, bool))
        elapsed = (data.cutoff - data.entry)[followed]
        arm = data.arm[followed]
        stratum = data.stratum[followed]
        level = model.cumulative_hazard(arm, stratum, elapsed) + rng.exponential(size=elapsed.size)
        event_time = model.inverse(arm, stratum, level)
        dropout = elapsed + (rng.exponential(size=elapsed.size) / model.dropout if model.dropout > 0
                             else np.full(elapsed.size, np.inf))
        time, event = data.time.copy(), data.event.copy()
        time[followed] = np.minimum(event_time, dropout)
        event[followed] = event_time <= dropout

        remaining = self.design.stage2.patients - int((data.stage == 2).sum())
        new = max(remaining, 0)
        entry = model.entries(_stage2_start(self.design, data, a1), rng.exponential(size=new))
        new_stratum = rng.choice(model.stratum_probabilities.size, size=new, p=model.stratum_probabilities)
        new_arm = np.where(rng.random(new) < model.on_dose, model.selected, 0)
        units = rng.exponential(size=new)
        new_event = model.inverse(new_arm, new_stratum, units * model.multiplier[new_stratum])
        new_dropout = rng.exponential(size=new) / model.dropout if model.dropout > 0 else np.full(new, np.inf)
        full = PatientData(
            stage=np.concatenate([data.stage, np.full(new, 2)]), arm=np.concatenate([data.arm, new_arm]),
            stratum=np.concatenate([data.stratum, new_stratum]), entry=np.concatenate([data.entry, entry]),
            time=np.concatenate([time, np.minimum(new_event, new_dropout)]),
            event=np.concatenate([event, new_event <= new_dropout]), cutoff=math.inf, origin=data.origin,
            stage2_dose=model.selected)
        return full._replace(cutoff=float(np.max(full.entry + full.time)) + 1.0)  # every follow-up has ended
