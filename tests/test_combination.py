"""Closed testing and the inverse-normal combinations against their formulas (scipy, the public
Dunnett function) and published values."""

import itertools
import math

import numpy as np
import pytest
from scipy.stats import norm

from seamless.stats.combination import closed_stage1_p, combine_cohort, combine_increments
from seamless.stats.dunnett import correlation_loadings, dunnett_adjusted_p, dunnett_rule


def _closed(z, selected, loadings, unadjusted=False):
    loadings = np.asarray(loadings, float)
    return closed_stage1_p(np.asarray(z, float), selected, loadings, unadjusted, dunnett_rule(loadings),
                           np.zeros(len(z)))


@pytest.mark.parametrize("seed", range(12))
def test_closed_p_is_the_largest_intersection_p(seed):
    rng = np.random.default_rng(seed)
    n_doses = int(rng.integers(1, 6))
    z = rng.normal(1.0, 1.0, n_doses)
    loadings = correlation_loadings(rng.uniform(0.5, 2.0, n_doses))
    selected = int(rng.integers(n_doses))
    others = [j for j in range(n_doses) if j != selected]
    expected = max(dunnett_adjusted_p(z[[selected, *rest]].max(), loadings[[selected, *rest]])
                   for size in range(n_doses) for rest in itertools.combinations(others, size))
    assert _closed(z, selected, loadings) == pytest.approx(expected, abs=1e-12)


def test_closed_p_when_the_selected_dose_is_best_is_the_global_dunnett_p():
    # DESIGN.md s.3 (mvtnorm::pmvnorm): k = 3, rho = 0.6, adjusted p at z = 2.0 is 0.05412.
    loadings = np.full(3, math.sqrt(0.6))
    assert _closed([1.0, 2.0, 0.5], 1, loadings) == pytest.approx(0.05412, abs=5e-6)


def test_closed_p_when_another_dose_leads_is_bound_by_an_intersection_without_it():
    loadings = np.full(3, math.sqrt(0.6))
    z = np.array([1.0, 2.5, 0.0])
    # The selected dose (z = 1.0) no longer leads: the binding intersection is {selected, weakest},
    # whose p exceeds both the global Dunnett p and the selected dose's own p.
    binding = dunnett_adjusted_p(1.0, loadings[[0, 2]])
    assert binding > norm.sf(1.0) > dunnett_adjusted_p(2.5, loadings)
    assert _closed(z, 0, loadings) == pytest.approx(binding, abs=1e-12)
    assert _closed(z, 0, loadings, unadjusted=True) == pytest.approx(norm.sf(1.0), abs=1e-15)


def test_one_dose_is_unadjusted():
    assert _closed([1.7], 0, [math.sqrt(0.6)]) == pytest.approx(norm.sf(1.7), abs=1e-12)


@pytest.mark.parametrize("p1, z2, w1", [(0.05, 1.645, math.sqrt(0.5)), (0.3, 2.2, math.sqrt(0.33)),
                                        (1e-9, -0.5, 0.8), (0.999, 0.0, 0.1)])
def test_cohort_combination_formula(p1, z2, w1):
    assert combine_cohort(p1, z2, w1) == pytest.approx(w1 * norm.isf(p1) + math.sqrt(1 - w1 ** 2) * z2, abs=1e-12)


def test_cohort_combination_published_example():
    # Lehmacher & Wassmer (1999): equal weights, p1 = p2 = 0.05 -> z = sqrt(2) * 1.6449 = 2.3262.
    assert combine_cohort(0.05, norm.isf(0.05), math.sqrt(0.5)) == pytest.approx(2.32617, abs=1e-5)


def test_increments_combination_formula_and_limits():
    score1, variance1, score, variance = 3.0, 12.0, 9.0, 40.0
    p1, t1, tk = 0.02, 0.2, 0.75
    z_increment = (score - score1) / math.sqrt(variance - variance1)
    expected = (math.sqrt(t1) * norm.isf(p1) + math.sqrt(tk - t1) * z_increment) / math.sqrt(tk)
    assert combine_increments(p1, t1, tk, score, variance, score1, variance1) == pytest.approx(expected, abs=1e-12)
    # No new information since selection: the increment counts as 0.
    assert combine_increments(p1, t1, tk, score, variance1, score1, variance1) == pytest.approx(
        math.sqrt(t1) * norm.isf(p1) / math.sqrt(tk), abs=1e-12)
    # Without a stage 1 (t1 = 0) it is the cumulative log-rank z.
    assert combine_increments(0.5, 0.0, 1.0, score, variance, 0.0, 0.0) == pytest.approx(score / math.sqrt(variance))
