"""What a simulated design is: the frozen dataclasses that ``config`` builds from TOML.

Variants are enums; the kernels see their integer values (``kernel_design``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from seamless.stats.spending import Spending

__all__ = [
    "Trigger", "SelectionRule", "Adjustment", "Correlation", "Mode",
    "Arms", "Stage1", "Stage2", "StratumFactor", "Accrual", "Outcome", "Selection",
    "Analysis", "Design", "Scenario", "Config",
]


class Trigger(enum.IntEnum):
    FOLLOWUP = 0
    EVENTS = 1


class SelectionRule(enum.IntEnum):
    BEST = 0
    EPSILON = 1
    FIXED = 2


class Adjustment(enum.IntEnum):
    DUNNETT = 0
    NONE = 1


class Correlation(enum.IntEnum):
    ALLOCATION = 0
    EVENTS = 1


class Mode(enum.IntEnum):
    COHORT = 0
    INCREMENTS = 1


@dataclass(frozen=True)
class Arms:
    control: str
    doses: tuple[str, ...]


@dataclass(frozen=True)
class Stage1:
    patients: int
    ratio: tuple[int, ...]                 # doses..., control
    blocks: tuple[tuple[int, ...], ...]    # each block: counts for doses..., control


@dataclass(frozen=True)
class Stage2:
    patients: int
    ratio: tuple[int, int]                 # selected dose, control
    block_size: int


@dataclass(frozen=True)
class StratumFactor:
    name: str
    levels: tuple[str, ...]
    probabilities: tuple[float, ...]
    hazard_multipliers: tuple[float, ...]


@dataclass(frozen=True)
class Accrual:
    rates: tuple[float, ...]               # patients per month
    change_months: tuple[float, ...]       # calendar months at which the next rate starts


@dataclass(frozen=True)
class Outcome:
    control_median_months: float
    hazard_ratios: tuple[float, ...]       # one per dose, vs control
    dropout_per_year: float                # P(dropout within 12 months), exponential


@dataclass(frozen=True)
class Selection:
    trigger: Trigger
    followup_months: float
    events: int
    stage2_delay_months: float
    rule: SelectionRule
    epsilon: float
    dose: str | None
    adjustment: Adjustment
    correlation: Correlation
    futility_z: float


@dataclass(frozen=True)
class Analysis:
    mode: Mode
    events: tuple[int, ...]
    information_rates: tuple[float, ...]    # planned; default events / final events
    efficacy_looks: tuple[int, ...]
    futility_bounds: tuple[float, ...]
    alpha: float
    spending: Spending
    stage1_weight_squared: float
    selection_information: float


@dataclass(frozen=True)
class Design:
    arms: Arms
    stage1: Stage1
    stage2: Stage2
    strata: tuple[StratumFactor, ...]
    accrual: Accrual
    outcome: Outcome
    selection: Selection
    analysis: Analysis


@dataclass(frozen=True)
class Scenario:
    name: str
    design: Design
    overrides: dict


@dataclass(frozen=True)
class Config:
    name: str
    seed: int
    trials: int
    chunk_trials: int
    scenarios: tuple[Scenario, ...]
    text: str

    def scenario_names(self) -> list[str]:
        return [s.name for s in self.scenarios]
