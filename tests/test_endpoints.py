"""Response and toxicity (EXTENSIONS.md section 2): the Gaussian copula, the observed rates at the
selection analysis, and the [endpoints] table's checks. The compiled counts are compared with their
plain twin trial by trial in test_engine_vs_reference."""

import math

import numba
import numpy as np
import pytest
from scipy import stats

import seamless as sl
from seamless import ConfigError
from seamless.sim.endpoints import latent_response


@numba.njit
def _latent(rho, units, normals):
    out = np.empty(units.size)
    for i in range(units.size):
        out[i] = latent_response(rho, units[i], normals[i])
    return out


@pytest.mark.parametrize("rho", [-0.5, 0.0, 0.3, 0.8])
def test_kendall_tau_of_response_and_pfs_is_that_of_the_gaussian_copula(rho):
    """tau(X_resp, X_pfs) = 2 / pi arcsin(rho); X_pfs is increasing in E, so tau(X_resp, E) is the same.
    Kendall's tau of n pairs has SE at most sqrt(2 (2n + 5) / (9 n (n - 1))) (its null value): within 4 SE."""
    n = 20_000
    rng = np.random.default_rng(11)
    units, normals = rng.standard_exponential(n), rng.standard_normal(n)
    x_response = _latent(rho, units, normals)
    assert np.std(x_response) == pytest.approx(1.0, abs=0.03)  # a standard normal margin
    tau = stats.kendalltau(x_response, units).statistic
    se = math.sqrt(2 * (2 * n + 5) / (9 * n * (n - 1)))
    assert abs(tau - 2 / math.pi * math.asin(rho)) < 4 * se


def test_latent_pfs_is_accurate_for_long_pfs():
    """X_pfs = -Phi^-1(exp(-E)): E = 40 gives a finite, exact quantile (1 - exp(-40) rounds to 1)."""
    value = _latent(1.0 - 1e-12, np.array([40.0]), np.array([0.0]))[0]
    assert value == pytest.approx(-stats.norm.ppf(math.exp(-40.0)), rel=1e-9)


ENDPOINTS = {"endpoints.response_probabilities": [0.2, 0.45, 0.7, 0.3], "endpoints.response_months": 1e-6,
             "endpoints.toxicity_probabilities": [0.05, 0.25, 0.5, 0.1], "endpoints.toxicity_window_months": 1e-6,
             "endpoints.response_pfs_correlation": 0.6, "endpoints.response_toxicity_correlation": 0.5}


def test_observed_rates_are_the_set_probabilities_when_everyone_is_assessed(default_study):
    """Assessment right after entry (nobody has progressed or dropped out yet): each dose's observed rate
    estimates its probability, whatever the correlations; within 3 Monte Carlo SE."""
    result = sl.simulate(default_study["design"].replace(ENDPOINTS), trials=400, seed=3)
    row = result.summary().iloc[0]
    for dose, p_response, p_toxicity in zip(("0.3mg", "0.6mg", "1.0mg"), ENDPOINTS["endpoints.response_probabilities"],
                                            ENDPOINTS["endpoints.toxicity_probabilities"]):
        assert abs(row[f"response_rate_{dose}"] - p_response) < 3 * row[f"response_rate_{dose}_se"]
        assert abs(row[f"toxicity_rate_{dose}"] - p_toxicity) < 3 * row[f"toxicity_rate_{dose}_se"]
    trials = result.trials()
    # every stage-1 patient of a dose is assessed for both: 3/11 of the 235, on average
    assert (trials["response_assessed_1.0mg"] == trials["toxicity_assessed_1.0mg"]).all()
    assert trials["response_assessed_1.0mg"].mean() == pytest.approx(235 * 3 / 11, abs=0.5)


def test_progression_before_the_assessment_is_non_response_and_dropout_is_not_assessed(default_study):
    """With response assessed at 6 months and the PFS independent of response, the observed rate is about
    p S(6) among those assessed, and patients who dropped out first are not assessed."""
    design = default_study["design"].replace({
        "strata.factor": [], "outcome.dropout_per_year": 0.5, "endpoints.response_probabilities": [0.5, 0.5, 0.5, 0.5],
        "endpoints.response_months": 6.0})
    trials = sl.simulate(design, trials=300, seed=4).trials()
    responders, assessed = trials["responders_1.0mg"].sum(), trials["response_assessed_1.0mg"].sum()
    hazard, dropout = math.log(2) / 8.3 * 0.667, -math.log(0.5) / 12
    # P(assessed) = P(no dropout before min(T, 6)); among the assessed, responders need T > 6:
    # P(T > 6, D > 6) / P(assessed), P(assessed) = 1 - P(D < T, D < 6).
    p_both_late = math.exp(-(hazard + dropout) * 6)
    p_dropout_first = dropout / (hazard + dropout) * (1 - p_both_late)
    expected = 0.5 * p_both_late / (1 - p_dropout_first)
    se = math.sqrt(expected * (1 - expected) / assessed)
    assert abs(responders / assessed - expected) < 4 * se
    assert assessed < 0.9 * len(trials) * 64  # about 16% drop out before their assessment


@pytest.mark.parametrize("changes, message", [
    ({"endpoints.response_probabilities": [0.2, 0.4, 1.2, 0.3]},
     "endpoints.response_probabilities[2]: must be a probability in [0, 1], got 1.2"),
    ({"endpoints.toxicity_probabilities": [0.2, 0.4, 0.3]},
     "endpoints.toxicity_probabilities: needs 4 entries (doses, then control), got 3"),
    ({"endpoints.response_pfs_correlation": 1.0},
     "endpoints.response_pfs_correlation: must be a correlation in (-1, 1)"),
    ({"endpoints.response_months": 0.0}, "endpoints.response_months: must be in (0, 1200]"),
    ({"endpoints.response_month": 2.0}, "endpoints.response_month: unknown key; did you mean 'response_months'?"),
])
def test_bad_endpoints_give_one_line_naming_the_key(default_study, changes, message):
    with pytest.raises(ConfigError) as err:
        default_study["design"].replace(changes)
    assert str(err.value).startswith(message), str(err.value)
