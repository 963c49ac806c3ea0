"""Tests for seamless.stats.normal against scipy, an independent reference: scipy.stats.norm.cdf / .sf
(Cephes ndtr) for the CDF and survival function, scipy.special.ndtri for the quantile.

Tolerances were set a small factor above the largest errors measured (numba 0.68, scipy 1.17, x86-64)."""

import numpy as np
from scipy.special import ndtri
from scipy.stats import norm

from seamless.stats.normal import normal_cdf, normal_cdf_array, normal_ppf, normal_sf

EPS = np.finfo(float).eps
TINY = np.finfo(float).tiny  # smallest normal double; below it values are denormal
X = np.linspace(-38.0, 38.0, 7601)  # step 0.01; Phi(-38) ~ 3e-316 is denormal


def _each(function, values):
    return np.array([function(float(value)) for value in values])


def test_cdf_and_sf_match_scipy_in_both_tails():
    # Phi has relative condition number ~x^2 (d log Phi / d log x = x phi / Phi), so the rounding of x / sqrt(2)
    # alone costs any implementation ~x^2 eps / 2: the two implementations differ by up to
    # 2.1 eps max(1, x^2) (2.4e-13 at |x| = 37.4; 6.9e-15 for |x| <= 5), hence the 4 eps max(1, x^2) below.
    # Denormal values (|x| > 37.5) differ by at most 5.3e-311 in absolute terms.
    for ours, reference in ((_each(normal_cdf, X), norm.cdf(X)), (_each(normal_sf, X), norm.sf(X))):
        normal = reference >= TINY
        tolerance = 4 * EPS * np.maximum(1.0, X**2)
        relative = np.abs(ours[normal] - reference[normal]) / reference[normal]
        assert np.all(relative <= tolerance[normal]), X[normal][np.argmax(relative / tolerance[normal])]
        assert np.all(np.abs(ours[~normal] - reference[~normal]) <= 1e-310)
        assert np.all(ours >= 0.0) and np.all(ours <= 1.0)
    # the upper tail of sf keeps relative precision where 1 - cdf would be 0
    assert normal_sf(37.0) > 0.0 and normal_cdf(37.0) == 1.0


def test_ppf_matches_ndtri_across_regions():
    boundaries = [0.02425, 1.0 - 0.02425]  # Acklam's switch between the tail and the central approximation
    p = np.concatenate([
        np.logspace(-300, np.log10(0.5), 3001),
        1.0 - np.logspace(-16, np.log10(0.5), 1001),
        np.linspace(0.001, 0.999, 1999),
        boundaries, np.nextafter(boundaries, 0.0), np.nextafter(boundaries, 1.0),
    ])
    # measured: relative error 7.7e-16 in the central region away from p = 0.5, 4.4e-16 in either tail;
    # absolute error 6.9e-17 where the quantile is near 0 (|p - 0.5| < 0.05)
    np.testing.assert_allclose(_each(normal_ppf, p), ndtri(p), rtol=2e-15, atol=3e-16)


def test_ppf_endpoints_are_infinite():
    assert normal_ppf(0.0) == -np.inf
    assert normal_ppf(1.0) == np.inf


def test_ppf_inverts_cdf_and_sf():
    # The CDF rounds p to eps relative, which the quantile magnifies by dx/dp = 1/phi: the error bound is
    # eps (|x| + Phi(x) / phi(x)). Measured: 1.0 times that bound for ppf(cdf(x)) on [-37.5, 5] (7.1e-15 absolute
    # for x <= 0) and for ppf(sf(x)) = -x on [0, 37.5].
    x = np.linspace(-37.5, 5.0, 4251)
    tolerance = 2 * EPS * (np.abs(x) + norm.cdf(x) / norm.pdf(x))
    assert np.all(np.abs(_each(lambda v: normal_ppf(normal_cdf(v)), x) - x) <= tolerance)
    x = np.linspace(0.0, 37.5, 3751)
    tolerance = 2 * EPS * (np.abs(x) + norm.sf(x) / norm.pdf(x))
    assert np.all(np.abs(_each(lambda v: normal_ppf(normal_sf(v)), x) + x) <= tolerance)


def test_cdf_array_equals_scalar_cdf_elementwise():
    x = np.concatenate([[-np.inf, np.inf], X[::13]])[:576].reshape(24, 24)
    got = normal_cdf_array(x)
    assert got.shape == x.shape and got.dtype == np.float64
    np.testing.assert_array_equal(got, np.vectorize(normal_cdf)(x))


def test_exponential_normal_score_is_the_normal_quantile_of_the_exponential_cdf():
    """Phi^-1(1 - exp(-e)) against scipy's ndtri on both sides (the upper tail as -ndtri(exp(-e)), exact
    there), across AS241's three regions and far into both tails."""
    from seamless.stats.normal import exponential_normal_score

    pieces = (np.geomspace(1e-12, 0.05, 200), np.linspace(0.05, 3, 400), np.geomspace(3, 700, 300))
    e = np.unique(np.concatenate(pieces))
    got = np.array([exponential_normal_score(v) for v in e])
    want = np.where(e < 1.0, ndtri(-np.expm1(-e)), -ndtri(np.exp(-e)))
    np.testing.assert_allclose(got, want, rtol=4e-15, atol=1e-15)
    assert np.all(np.diff(got) > 0)  # a rank-preserving transform
