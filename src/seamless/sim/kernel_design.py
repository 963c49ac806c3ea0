"""A validated ``Design`` flattened into the arrays and scalars the compiled kernels take.

Kernels never see config objects: enums become their integer values, ratios become arm-code
sequences, strata become a flat list, and the group-sequential bounds are computed here once.
"""

import functools
import itertools
import math
from typing import NamedTuple

import numpy as np

from seamless.stats.boundaries import efficacy_bounds
from seamless.design import Design, SelectionRule
from seamless.stats.dunnett import DunnettRule, correlation_loadings, dunnett_rule
from seamless.sim.randomization import expand_blocks

__all__ = ["KernelDesign", "kernel_design", "stratum_table"]


class KernelDesign(NamedTuple):
    n_doses: int
    stage1_patients: int
    stage2_patients: int
    stage1_codes: np.ndarray        # super-block arm codes (0 = control, d = dose d), blocks concatenated
    stage1_offsets: np.ndarray      # block boundaries in stage1_codes
    stage2_codes: np.ndarray        # one block: 0 = control, 1 = selected dose
    stage2_offsets: np.ndarray
    stratum_cumprob: np.ndarray     # (n_strata,) cumulative stratum probabilities
    stratum_guide: np.ndarray       # (GUIDE_CELLS,) first stratum a uniform draw in cell g can fall in
    stratum_multiplier: np.ndarray  # (n_strata,) prognostic hazard multipliers
    accrual_rates: np.ndarray       # patients per month, per piece
    accrual_starts: np.ndarray      # calendar month each piece starts (first is 0)
    control_hazard: float           # per month
    hazard_ratios: np.ndarray       # (n_doses,)
    arm_hazard: np.ndarray          # (n_doses + 1,) by arm code: control_hazard * hazard ratio (1 for control)
    dropout_hazard: float           # per month
    trigger: int                    # design.Trigger
    followup_months: float
    selection_events: int
    stage2_delay: float
    rule: int                       # design.SelectionRule
    epsilon: float
    fixed_dose: int                 # arm code of the fixed dose (rule FIXED), else 0
    selection_futility: float       # stop at selection if the best stage-1 z is below; -inf: never
    adjustment: int                 # design.Adjustment
    correlation: int                # design.Correlation
    loadings: np.ndarray            # (n_doses,) allocation-based Dunnett loadings
    mode: int                       # design.Mode
    look_events: np.ndarray         # (K,) CG event targets
    information_rates: np.ndarray   # (K,)
    efficacy_bounds: np.ndarray     # (K,) +inf: no efficacy stop
    futility_bounds: np.ndarray     # (K,) -inf: no futility stop
    stage1_weight: float            # w1 of the cohort mode (0 without stage 1)
    selection_information: float    # t1 of the increments mode (0 without stage 1)
    dunnett: DunnettRule            # how the kernels evaluate Dunnett p-values for ``loadings``


def stratum_table(design: Design) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Stratum labels, probabilities and hazard multipliers (factors drawn independently)."""
    factors = design.strata
    labels, probs, mults = [], [], []
    for combo in itertools.product(*(range(len(f.levels)) for f in factors)):
        labels.append("/".join(f"{f.name}={f.levels[i]}" for f, i in zip(factors, combo)) or "all")
        probs.append(math.prod(f.probabilities[i] for f, i in zip(factors, combo)))
        mults.append(math.prod(f.hazard_multipliers[i] for f, i in zip(factors, combo)))
    return labels, np.array(probs), np.array(mults)


#: Cells of the guide table of the stratum draw (Chen & Asau 1974).
GUIDE_CELLS = 256


def stratum_guide(cumprob: np.ndarray) -> np.ndarray:
    """guide[g] = the first stratum h with cumprob[h] > g / GUIDE_CELLS (the last stratum if none),
    where the inverse-CDF search for a uniform draw in cell g can start."""
    first_above = np.searchsorted(cumprob, np.arange(GUIDE_CELLS) / GUIDE_CELLS, side="right")
    return np.minimum(first_above, cumprob.size - 1).astype(np.int64)


@functools.lru_cache(maxsize=256)
def _efficacy_bounds(rates: tuple[float, ...], alpha: float, spending, looks: tuple[int, ...]):
    """The bounds of ``seamless.stats.boundaries``, computed once per distinct argument set (scenarios
    and sweep points usually share them; the result is read-only)."""
    return efficacy_bounds(np.array(rates, dtype=np.float64), alpha=alpha, spending=spending, efficacy_looks=looks)


@functools.lru_cache(maxsize=64)
def _dunnett_rule(loadings: tuple[float, ...]) -> DunnettRule:
    """The rule of ``seamless.stats.dunnett`` for these loadings, tabulated once (read-only)."""
    return dunnett_rule(np.array(loadings))


def kernel_design(design: Design) -> KernelDesign:
    s1, s2, sel, an = design.stage1, design.stage2, design.selection, design.analysis
    n_doses = len(design.arms.doses)
    # Config blocks list doses first, control last; arm codes put control at 0.
    blocks = np.array([[b[-1], *b[:-1]] for b in s1.blocks], dtype=np.int64)
    stage1_codes, stage1_offsets = expand_blocks(blocks)
    repeat = s2.block_size // sum(s2.ratio)
    stage2_codes, stage2_offsets = expand_blocks(np.array([[s2.ratio[1] * repeat, s2.ratio[0] * repeat]]))
    _, probs, mults = stratum_table(design)
    cumprob = np.cumsum(probs)
    cumprob[-1] = 1.0
    bounds = _efficacy_bounds(an.information_rates, an.alpha, an.spending, an.efficacy_looks)
    has_stage1 = s1.patients > 0
    control_hazard = math.log(2.0) / design.outcome.control_median_months
    hazard_ratios = np.array(design.outcome.hazard_ratios, dtype=np.float64)
    loadings = correlation_loadings(np.array(s1.ratio[:-1]) / s1.ratio[-1])
    return KernelDesign(
        n_doses=n_doses,
        stage1_patients=s1.patients,
        stage2_patients=s2.patients,
        stage1_codes=stage1_codes, stage1_offsets=stage1_offsets,
        stage2_codes=stage2_codes, stage2_offsets=stage2_offsets,
        stratum_cumprob=cumprob,
        stratum_guide=stratum_guide(cumprob),
        stratum_multiplier=mults,
        accrual_rates=np.array(design.accrual.rates, dtype=np.float64),
        accrual_starts=np.array((0.0, *design.accrual.change_months), dtype=np.float64),
        control_hazard=control_hazard,
        hazard_ratios=hazard_ratios,
        arm_hazard=control_hazard * np.concatenate([[1.0], hazard_ratios]),
        dropout_hazard=-math.log1p(-design.outcome.dropout_per_year) / 12.0,
        trigger=int(sel.trigger),
        followup_months=sel.followup_months,
        selection_events=sel.events,
        stage2_delay=sel.stage2_delay_months if has_stage1 else 0.0,
        rule=int(sel.rule),
        epsilon=sel.epsilon,
        fixed_dose=design.arms.doses.index(sel.dose) + 1 if sel.rule is SelectionRule.FIXED else 0,
        selection_futility=sel.futility_z,
        adjustment=int(sel.adjustment),
        correlation=int(sel.correlation),
        loadings=loadings,
        mode=int(an.mode),
        look_events=np.array(an.events, dtype=np.int64),
        information_rates=np.asarray(an.information_rates, dtype=np.float64),
        efficacy_bounds=np.array(bounds.efficacy_bounds, dtype=np.float64),
        futility_bounds=np.array(an.futility_bounds, dtype=np.float64),
        stage1_weight=math.sqrt(an.stage1_weight_squared) if has_stage1 else 0.0,
        selection_information=an.selection_information if has_stage1 else 0.0,
        dunnett=_dunnett_rule(tuple(loadings)),
    )
