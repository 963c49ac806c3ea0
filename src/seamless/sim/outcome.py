"""The outcome model: progression-free survival and dropout of each patient (DESIGN.md section 1).

PFS is exponential with hazard log(2) / control median x the arm's hazard ratio x the stratum's
prognostic multiplier; dropout is exponential with P(dropout within 12 months) as given, the same
in every arm. A patient's times are drawn as unit exponentials (`seamless.sim.patients`) and
scaled here once the arm is known: time = unit draw / hazard, the inversion of the cumulative
hazard. Holds the [outcome] table's parameters and checks, the compiled scaling and its plain twin.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from seamless._jit import kernel
from seamless._schema import ConfigError, Table, list_of, number

__all__ = ["Outcome", "read_outcome", "OutcomeKernel", "outcome_kernel", "event_times", "event_times_reference"]


#: Ranges that keep event times finite and meaningful (months; README, "Limits").
MEDIAN_RANGE, HAZARD_RATIO_RANGE = (0.01, 1200.0), (1e-3, 1e3)


@dataclass(frozen=True)
class Outcome:
    control_median_months: float
    hazard_ratios: tuple[float, ...]       # one per dose, vs control
    dropout_per_year: float = 0.0          # P(dropout within 12 months), exponential


def read_outcome(t: Table, n_doses: int) -> Outcome:
    """The [outcome] table ``t``, checked."""
    median = t.get("control_median_months", number(*MEDIAN_RANGE, what="in [0.01, 1200] months"))
    hrs = t.get("hazard_ratios", list_of(number(*HAZARD_RATIO_RANGE, what="in [0.001, 1000]")))
    if len(hrs) != n_doses:
        raise ConfigError(f"{t.name('hazard_ratios')}: needs {n_doses} entries, one per dose, got {len(hrs)}")
    return Outcome(median, hrs, t.get("dropout_per_year", number(0, 1, hi_open=True), 0.0))


class OutcomeKernel(NamedTuple):
    """The outcome model as the compiled trial sees it."""

    arm_hazard: np.ndarray          # (D + 1,) PFS hazard per month by arm code (0 = control), multiplier 1
    stratum_multiplier: np.ndarray  # (H,) prognostic hazard multiplier of each stratum
    dropout_hazard: float           # per month


def outcome_kernel(outcome: Outcome, stratum_multiplier: np.ndarray) -> OutcomeKernel:
    control_hazard = math.log(2.0) / outcome.control_median_months
    return OutcomeKernel(
        arm_hazard=control_hazard * np.concatenate([[1.0], np.array(outcome.hazard_ratios, dtype=np.float64)]),
        stratum_multiplier=np.asarray(stratum_multiplier, dtype=np.float64),
        dropout_hazard=-math.log1p(-outcome.dropout_per_year) / 12.0,
    )


@kernel
def event_times(model, arm, arm_factor, stratum, event_unit, dropout_unit, lo, hi, event_time, dropout_time,
                exit_time):
    """PFS, dropout and exit (their minimum) times from entry of patients lo..hi-1, patient i in arm code
    arm_factor * arm[i]. The hazards first (held in ``exit_time``), then the divisions in a loop the
    compiler vectorizes."""
    hazard = exit_time
    for i in range(lo, hi):
        hazard[i] = model.arm_hazard[arm_factor * arm[i]] * model.stratum_multiplier[stratum[i]]
    dropout_hazard = model.dropout_hazard
    for i in range(lo, hi):
        event_time[i] = event_unit[i] / hazard[i]
        dropout_time[i] = dropout_unit[i] / dropout_hazard if dropout_hazard > 0.0 else np.inf
        exit_time[i] = min(event_time[i], dropout_time[i])


def event_times_reference(outcome: Outcome, arms, multipliers, event_unit, dropout_unit):
    """Plain twin of `event_times`: (PFS, dropout) times of patients in ``arms`` (0 = control, d = dose d)
    with prognostic ``multipliers``, from the `Outcome` itself."""
    hazard_ratio = np.array([1.0, *outcome.hazard_ratios])[np.asarray(arms)]
    hazard = math.log(2.0) / outcome.control_median_months * hazard_ratio * np.asarray(multipliers)
    p = outcome.dropout_per_year
    dropout = np.asarray(dropout_unit) / (-math.log(1.0 - p) / 12.0) if p > 0 else np.full(len(hazard), np.inf)
    return np.asarray(event_unit) / hazard, dropout
