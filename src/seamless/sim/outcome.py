"""The outcome model: progression-free survival and dropout of each patient (DESIGN.md section 1,
EXTENSIONS.md section 1).

PFS has piecewise-constant hazards in time since entry: pieces start at 0 = s_0 < s_1 < ... (the
last is open), the control hazard is log(2) / control median in every piece or one hazard per piece,
and each dose has one hazard ratio (proportional hazards) or one per piece; the stratum's prognostic
multiplier applies in every arm and piece. Dropout is exponential with P(dropout within 12 months)
as given, the same in every arm. A patient's times are drawn as unit exponentials
(`seamless.sim.patients`) and turned into times here once the arm is known, by exact inversion of the
cumulative hazard: T = Lambda^-1(E). Holds the [outcome] table's parameters and checks, the compiled
inversion and its plain twin.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from seamless._jit import kernel
from seamless._schema import REQUIRED, ConfigError, Table, kind_of, list_of, number

__all__ = ["Outcome", "read_outcome", "hazard_ratio_table", "OutcomeKernel", "outcome_kernel", "event_times",
           "event_times_reference"]


#: Ranges that keep event times finite and meaningful (months; README, "Limits").
MEDIAN_RANGE, HAZARD_RATIO_RANGE = (0.01, 1200.0), (1e-3, 1e3)
#: Control hazards per month, as those of MEDIAN_RANGE; at most MAX_PIECES pieces.
HAZARD_RANGE, MAX_PIECES = (math.log(2.0) / MEDIAN_RANGE[1], math.log(2.0) / MEDIAN_RANGE[0]), 20


@dataclass(frozen=True)
class Outcome:
    control_median_months: float | None            # constant control hazard log(2) / median, or None ...
    hazard_ratios: tuple[float | tuple[float, ...], ...]  # per dose: one for every piece, or one per piece
    dropout_per_year: float = 0.0                  # P(dropout within 12 months), exponential
    piece_starts_months: tuple[float, ...] = (0.0,)  # months since entry; the first is 0
    control_hazards: tuple[float, ...] | None = None  # ... one control hazard per piece (per month)

    @property
    def pieces(self) -> int:
        return len(self.piece_starts_months)

    @property
    def proportional(self) -> bool:
        return all(not isinstance(hr, tuple) or len(set(hr)) == 1 for hr in self.hazard_ratios)

    def control_hazard(self) -> np.ndarray:
        """(J,) control hazard per month of each piece."""
        if self.control_hazards is not None:
            return np.array(self.control_hazards, dtype=np.float64)
        return np.full(self.pieces, math.log(2.0) / self.control_median_months)


def _hazard_ratio(value, name):
    """One hazard ratio, or one per piece."""
    if isinstance(value, (list, tuple)):
        return list_of(number(*HAZARD_RATIO_RANGE, what="in [0.001, 1000]"))(value, name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{name}: expected a hazard ratio or a list of one per piece, got {kind_of(value)} {value!r}")
    return number(*HAZARD_RATIO_RANGE, what="in [0.001, 1000]")(value, name)


def read_outcome(t: Table, n_doses: int) -> Outcome:
    """The [outcome] table ``t``, checked."""
    starts = t.get("piece_starts_months", list_of(number(0, 1200)), (0.0,))
    if starts[0] != 0.0 or any(b <= a for a, b in zip(starts, starts[1:])) or len(starts) > MAX_PIECES:
        raise ConfigError(f"{t.name('piece_starts_months')}: must start at 0 and be strictly increasing, at most "
                          f"{MAX_PIECES} pieces, got {list(starts)}")
    pieces = len(starts)
    hazards = t.get("control_hazards", list_of(number(*HAZARD_RANGE, what=f"in [{HAZARD_RANGE[0]:.3g}, "
                                                                          f"{HAZARD_RANGE[1]:.3g}] per month")), None)
    median = t.get("control_median_months", number(*MEDIAN_RANGE, what="in [0.01, 1200] months"),
                   None if hazards is not None else REQUIRED)
    if hazards is not None:
        if median is not None:
            raise ConfigError(f"{t.name('control_hazards')}: give either control_median_months (one hazard for "
                              "every piece) or control_hazards (one per piece), not both")
        if len(hazards) != pieces:
            raise ConfigError(f"{t.name('control_hazards')}: needs {pieces} entries, one per piece of "
                              f"piece_starts_months, got {len(hazards)}")
    hrs = t.get("hazard_ratios", list_of(_hazard_ratio))
    if len(hrs) != n_doses:
        raise ConfigError(f"{t.name('hazard_ratios')}: needs {n_doses} entries, one per dose, got {len(hrs)}")
    for j, hr in enumerate(hrs):
        if isinstance(hr, tuple) and len(hr) != pieces:
            raise ConfigError(f"{t.name('hazard_ratios')}[{j}]: needs one hazard ratio, or {pieces} (one per piece "
                              f"of piece_starts_months), got {len(hr)}")
    return Outcome(median, hrs, t.get("dropout_per_year", number(0, 1, hi_open=True), 0.0), starts, hazards)


def hazard_ratio_table(outcome: Outcome) -> np.ndarray:
    """(D, J) hazard ratio of each dose in each piece."""
    return np.array([hr if isinstance(hr, tuple) else (hr,) * outcome.pieces for hr in outcome.hazard_ratios],
                    dtype=np.float64).reshape(len(outcome.hazard_ratios), outcome.pieces)


class OutcomeKernel(NamedTuple):
    """The outcome model as the compiled trial sees it."""

    piece_starts: np.ndarray        # (J,) months since entry
    arm_hazard: np.ndarray          # (D + 1, J) PFS hazard per month by arm code (0 = control) and piece
    arm_cumulative: np.ndarray      # (D + 1, J) cumulative hazard at each piece's start, multiplier 1
    stratum_multiplier: np.ndarray  # (H,) prognostic hazard multiplier of each stratum
    dropout_hazard: float           # per month


def outcome_kernel(outcome: Outcome, stratum_multiplier: np.ndarray) -> OutcomeKernel:
    starts = np.array(outcome.piece_starts_months, dtype=np.float64)
    hazard = outcome.control_hazard() * np.vstack([np.ones(outcome.pieces), hazard_ratio_table(outcome)])
    cumulative = np.zeros_like(hazard)
    cumulative[:, 1:] = np.cumsum(hazard[:, :-1] * np.diff(starts), axis=1)
    return OutcomeKernel(
        piece_starts=starts, arm_hazard=hazard, arm_cumulative=cumulative,
        stratum_multiplier=np.asarray(stratum_multiplier, dtype=np.float64),
        dropout_hazard=-math.log1p(-outcome.dropout_per_year) / 12.0,
    )


@kernel
def event_times(model, arm, arm_factor, stratum, event_unit, dropout_unit, lo, hi, event_time, dropout_time,
                exit_time):
    """PFS, dropout and exit (their minimum) times from entry of patients lo..hi-1, patient i in arm code
    arm_factor * arm[i]. With one piece: the hazards first (held in ``exit_time``), then the divisions in
    a loop the compiler vectorizes. With several: Lambda_a(T) = E / m_h, inverted in the piece where the
    arm's cumulative hazard reaches E / m_h (EXTENSIONS.md section 1)."""
    dropout_hazard = model.dropout_hazard
    if model.piece_starts.size == 1:
        hazard = exit_time
        for i in range(lo, hi):
            hazard[i] = model.arm_hazard[arm_factor * arm[i], 0] * model.stratum_multiplier[stratum[i]]
        for i in range(lo, hi):
            event_time[i] = event_unit[i] / hazard[i]
            dropout_time[i] = dropout_unit[i] / dropout_hazard if dropout_hazard > 0.0 else np.inf
            exit_time[i] = min(event_time[i], dropout_time[i])
        return
    starts, last = model.piece_starts, model.piece_starts.size - 1
    for i in range(lo, hi):
        a = arm_factor * arm[i]
        level = event_unit[i] / model.stratum_multiplier[stratum[i]]
        j = 0
        while j < last and model.arm_cumulative[a, j + 1] <= level:
            j += 1
        event_time[i] = starts[j] + (level - model.arm_cumulative[a, j]) / model.arm_hazard[a, j]
        dropout_time[i] = dropout_unit[i] / dropout_hazard if dropout_hazard > 0.0 else np.inf
        exit_time[i] = min(event_time[i], dropout_time[i])


def event_times_reference(outcome: Outcome, arms, multipliers, event_unit, dropout_unit):
    """Plain twin of `event_times`: (PFS, dropout) times of patients in ``arms`` (0 = control, d = dose d)
    with prognostic ``multipliers``, from the `Outcome` itself: each patient's hazard piece by piece,
    the unit exponential used up piece by piece until it runs out."""
    starts = list(outcome.piece_starts_months)
    ends = starts[1:] + [math.inf]
    control = outcome.control_hazard()
    event = []
    for arm, multiplier, unit in zip(arms, multipliers, event_unit):
        ratio = (1.0,) * outcome.pieces if arm == 0 else outcome.hazard_ratios[arm - 1]
        ratios = ratio if isinstance(ratio, tuple) else (ratio,) * outcome.pieces
        remaining = unit
        for start, end, base, hr in zip(starts, ends, control, ratios):
            hazard = base * hr * multiplier
            if remaining <= hazard * (end - start):
                event.append(start + remaining / hazard)
                break
            remaining -= hazard * (end - start)
    p = outcome.dropout_per_year
    dropout = np.asarray(dropout_unit) / (-math.log(1.0 - p) / 12.0) if p > 0 else np.full(len(event), np.inf)
    return np.array(event), dropout
