"""A validated ``Design`` flattened into the arrays and scalars the compiled kernels take.

Kernels never see config objects: enums become their integer values, ratios become arm-code
sequences, strata become a flat list, and the group-sequential bounds are computed here once.
The outcome model, the short-term endpoints and the selection rule build their own parts
(`outcome_kernel`, `endpoints_kernel`, `rule_kernel`); a user's rule travels as its compiled function.
"""

import functools
import itertools
import math
from typing import NamedTuple

import numpy as np

from seamless.design import Design
from seamless.sim.endpoints import EndpointsKernel, endpoints_kernel
from seamless.sim.outcome import OutcomeKernel, outcome_kernel
from seamless.sim.randomization import expand_blocks
from seamless.sim.selection import RuleKernel, rule_kernel
from seamless.stats.boundaries import efficacy_bounds
from seamless.stats.dunnett import DunnettRule, correlation_loadings, dunnett_rule

__all__ = ["KernelDesign", "Enrolment", "SelectionAnalysis", "Looks", "kernel_design", "stratum_table"]


class Enrolment(NamedTuple):
    """Who enters when, in which stratum and arm (`seamless.sim.patients`)."""

    stage1_patients: int
    stage2_patients: int
    stage1_codes: np.ndarray        # super-block arm codes (0 = control, d = dose d), blocks concatenated
    stage1_offsets: np.ndarray      # block boundaries in stage1_codes
    stage2_codes: np.ndarray        # one block: 0 = control, 1 = selected dose
    stage2_offsets: np.ndarray
    stratum_cumprob: np.ndarray     # (n_strata,) cumulative stratum probabilities
    stratum_guide: np.ndarray       # (GUIDE_CELLS,) first stratum a uniform draw in cell g can fall in
    accrual_rates: np.ndarray       # patients per month, per piece
    accrual_starts: np.ndarray      # calendar month each piece starts (first is 0)
    endpoint_patients: int          # stage-1 patients with response and toxicity draws (0: not modelled)


class SelectionAnalysis(NamedTuple):
    """The stage-1 analysis A1: when it happens, how doses are compared and chosen."""

    trigger: int                    # design.Trigger
    followup_months: float
    events: int                     # stage-1 events of trigger EVENTS, else 0
    stage2_delay: float             # months from A1 to stage-2 accrual (0 without stage 1)
    rule: RuleKernel
    futility_z: float               # stop at A1 if the best stage-1 z is below; -inf: never
    adjustment: int                 # design.Adjustment
    correlation: int                # design.Correlation
    loadings: np.ndarray            # (n_doses,) allocation-based Dunnett loadings
    dunnett: DunnettRule            # how the kernels evaluate Dunnett p-values for ``loadings``


class Looks(NamedTuple):
    """The confirmatory looks on the CG and their combination test."""

    mode: int                       # design.Mode
    events: np.ndarray              # (K,) CG event targets
    information_rates: np.ndarray   # (K,)
    efficacy_bounds: np.ndarray     # (K,) +inf: no efficacy stop
    futility_bounds: np.ndarray     # (K,) -inf: no futility stop
    stage1_weight: float            # w1 of the cohort mode (0 without stage 1)
    selection_information: float    # t1 of the increments mode (0 without stage 1)


class KernelDesign(NamedTuple):
    """A `Design` as the compiled trial sees it, by concern."""

    n_doses: int
    enrolment: Enrolment
    outcome: OutcomeKernel
    endpoints: EndpointsKernel
    selection: SelectionAnalysis
    looks: Looks
    user_rule: object = None        # a user's numba-compiled rule (`seamless.sim.selection`), else None


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
    if not isinstance(design, Design):  # every Design is checked when it is made
        raise TypeError(f"expected a seamless Design, got {type(design).__name__}")
    s1, s2, sel, an = design.stage1, design.stage2, design.selection, design.analysis
    # Design blocks list doses first, control last; arm codes put control at 0.
    blocks = np.array([[b[-1], *b[:-1]] for b in s1.blocks], dtype=np.int64)
    stage1_codes, stage1_offsets = expand_blocks(blocks)
    repeat = s2.block_size // sum(s2.ratio)
    stage2_codes, stage2_offsets = expand_blocks(np.array([[s2.ratio[1] * repeat, s2.ratio[0] * repeat]]))
    _, probs, mults = stratum_table(design)
    cumprob = np.cumsum(probs)
    cumprob[-1] = 1.0
    bounds = _efficacy_bounds(an.information_rates, an.alpha, an.spending, an.efficacy_looks)
    has_stage1 = s1.patients > 0
    loadings = correlation_loadings(np.array(s1.ratio[:-1]) / s1.ratio[-1])
    enrolment = Enrolment(
        stage1_patients=s1.patients,
        stage2_patients=s2.patients,
        stage1_codes=stage1_codes, stage1_offsets=stage1_offsets,
        stage2_codes=stage2_codes, stage2_offsets=stage2_offsets,
        stratum_cumprob=cumprob,
        stratum_guide=stratum_guide(cumprob),
        accrual_rates=np.array(design.accrual.rates, dtype=np.float64),
        accrual_starts=np.array((0.0, *design.accrual.change_months), dtype=np.float64),
        endpoint_patients=s1.patients if design.endpoints.modelled else 0,
    )
    selection = SelectionAnalysis(
        trigger=int(sel.trigger),
        followup_months=sel.followup_months,
        events=sel.events or 0,
        stage2_delay=sel.stage2_delay_months if has_stage1 else 0.0,
        rule=rule_kernel(sel.rule, design.doses),
        futility_z=sel.futility_z,
        adjustment=int(sel.adjustment),
        correlation=int(sel.correlation),
        loadings=loadings,
        dunnett=_dunnett_rule(tuple(loadings)),
    )
    looks = Looks(
        mode=int(an.mode),
        events=np.array(an.events, dtype=np.int64),
        information_rates=np.asarray(an.information_rates, dtype=np.float64),
        efficacy_bounds=np.array(bounds.efficacy_bounds, dtype=np.float64),
        futility_bounds=np.array(an.futility_bounds, dtype=np.float64),
        stage1_weight=math.sqrt(an.stage1_weight_squared) if has_stage1 else 0.0,
        selection_information=an.selection_information if has_stage1 else 0.0,
    )
    user_rule = None
    if sel.rule.user:
        user_rule = sel.rule.function
        if user_rule is None:
            raise ValueError(f"selection.rule: the user's rule {sel.rule.user} is not defined in this process; give "
                             "its function")
    return KernelDesign(len(design.doses), enrolment, outcome_kernel(design.outcome, mults),
                        endpoints_kernel(design.endpoints, len(design.doses)), selection, looks, user_rule)
