"""Closed testing with the weighted inverse-normal combination of two stages (DESIGN.md s.4, s.6).

Pure compiled functions the engine calls, each also usable from Python:

- ``closed_stage1_p``: the stage-1 p-value of the closed test for the selected dose, the largest
  Dunnett p_S over all intersections S that contain it (Bretz et al. 2006, Biom J 48:623, s.3);
  with ``unadjusted`` the plain p of the selected dose.
- ``combine_cohort``: w1 Phi^-1(1 - p1) + w2 z2, w1^2 + w2^2 = 1 (Lehmacher & Wassmer 1999), with
  stage = randomization cohort (Jenkins, Stone & Jennison 2011).
- ``combine_increments``: [sqrt(t1) Phi^-1(1 - p1) + sqrt(tk - t1) z_(1,k]] / sqrt(tk) with the
  independent log-rank increment z_(1,k] = (U_k - U_1) / sqrt(V_k - V_1) (Wassmer 2006).
"""

import math

from seamless._jit import kernel
from seamless.stats.dunnett import _closed_dunnett_p
from seamless.stats.normal import normal_ppf, normal_sf

__all__ = ["closed_stage1_p", "combine_cohort", "combine_increments"]


@kernel
def closed_stage1_p(z, selected, loadings, unadjusted, rule, scratch):
    """Largest Dunnett p_S over the intersections S containing dose ``selected`` (0-based).

    z, loadings: (D,) stage-1 z and Dunnett loadings; scratch: (D,) work space; rule: the
    ``seamless.stats.dunnett.DunnettRule`` of the design's loadings. At most D p-values, not 2^(D-1):
    see ``seamless.stats.dunnett._closed_dunnett_p``.
    """
    if unadjusted:
        return normal_sf(z[selected])
    return _closed_dunnett_p(z, loadings, selected, rule, scratch)


@kernel
def combine_cohort(stage1_p, stage2_z, stage1_weight):
    """Weighted inverse-normal statistic of two independent cohorts; Phi^-1(1 - p) = -Phi^-1(p)."""
    return stage1_weight * -normal_ppf(stage1_p) + math.sqrt(1.0 - stage1_weight * stage1_weight) * stage2_z


@kernel
def combine_increments(stage1_p, selection_information, information, score, variance, score1, variance1):
    """Inverse-normal combination of the stage-1 p and the log-rank increment since selection."""
    increment = variance - variance1
    z_increment = (score - score1) / math.sqrt(increment) if increment > 0.0 else 0.0
    t1 = selection_information
    return (math.sqrt(t1) * -normal_ppf(stage1_p) + math.sqrt(information - t1) * z_increment) / math.sqrt(information)
