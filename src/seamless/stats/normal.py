"""Standard normal CDF, survival function and quantile for use inside compiled kernels, and the
CDF elementwise on arrays for the boundary recursion.

scipy.special is not callable from numba, so the quantile uses Acklam's rational
approximation refined by one Halley step against ``math.erfc`` (relative error ~1e-15),
the usual construction (Acklam 2003; Press et al., Numerical Recipes, 3rd ed., 6.14).
The array CDF is ``math.erfc`` too: importing scipy.special would cost more start-up time than
the few thousand evaluations a set of bounds needs. `exponential_normal_score`, evaluated once per
patient, uses Wichura's AS241 instead (rational functions only, relative error ~1e-16; Wichura 1988,
Appl. Statist. 37:477; as R's qnorm and Python's statistics.NormalDist.inv_cdf), four times faster.
"""

import math

import numpy as np

from seamless._jit import kernel

__all__ = ["normal_cdf", "normal_sf", "normal_ppf", "normal_cdf_array", "exponential_normal_score"]

_SQRT2 = math.sqrt(2.0)
_SQRT2PI = math.sqrt(2.0 * math.pi)

_A = (-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02,
      1.383577518672690e02, -3.066479806614716e01, 2.506628277459239e00)
_B = (-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02,
      6.680131188771972e01, -1.328068155288572e01)
_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00,
      -2.549732539343734e00, 4.374664141464968e00, 2.938163982698783e00)
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00,
      3.754408661907416e00)


@kernel
def normal_cdf(x):
    """Phi(x)."""
    return 0.5 * math.erfc(-x / _SQRT2)


@kernel
def normal_sf(x):
    """1 - Phi(x), accurate in the upper tail."""
    return 0.5 * math.erfc(x / _SQRT2)


_ERFC = np.frompyfunc(math.erfc, 1, 1)


def normal_cdf_array(x) -> np.ndarray:
    """Phi(x) elementwise as 0.5 erfc(-x / sqrt(2)), accurate in both tails."""
    return 0.5 * np.asarray(_ERFC(-np.asarray(x, dtype=float) / _SQRT2), dtype=float)


@kernel
def normal_ppf(p):
    """Phi^-1(p) for p in [0, 1]; -inf / +inf at the ends."""
    if p <= 0.0:
        return -math.inf
    if p >= 1.0:
        return math.inf
    if p < 0.02425:
        q = math.sqrt(-2.0 * math.log(p))
        x = ((((((_C[0] * q + _C[1]) * q + _C[2]) * q + _C[3]) * q + _C[4]) * q + _C[5])
             / ((((_D[0] * q + _D[1]) * q + _D[2]) * q + _D[3]) * q + 1.0))
    elif p <= 1.0 - 0.02425:
        q = p - 0.5
        r = q * q
        x = ((((((_A[0] * r + _A[1]) * r + _A[2]) * r + _A[3]) * r + _A[4]) * r + _A[5]) * q
             / (((((_B[0] * r + _B[1]) * r + _B[2]) * r + _B[3]) * r + _B[4]) * r + 1.0))
    else:
        q = math.sqrt(-2.0 * math.log1p(-p))
        x = -((((((_C[0] * q + _C[1]) * q + _C[2]) * q + _C[3]) * q + _C[4]) * q + _C[5])
              / ((((_D[0] * q + _D[1]) * q + _D[2]) * q + _D[3]) * q + 1.0))
    # One Halley step on Phi(x) - p; use the upper tail where it is the accurate side.
    if x > 0.0:
        e = -(normal_sf(x) - (1.0 - p))
    else:
        e = normal_cdf(x) - p
    u = e * _SQRT2PI * math.exp(0.5 * x * x)
    return x - u / (1.0 + 0.5 * x * u)


# Wichura's AS241 coefficients (PPND16), highest power first: central region, then the two tail pieces.
_AS241_A = (2.5090809287301226727e+3, 3.3430575583588128105e+4, 6.7265770927008700853e+4, 4.5921953931549871457e+4,
            1.3731693765509461125e+4, 1.9715909503065514427e+3, 1.3314166789178437745e+2, 3.3871328727963666080e+0)
_AS241_B = (5.2264952788528545610e+3, 2.8729085735721942674e+4, 3.9307895800092710610e+4, 2.1213794301586595867e+4,
            5.3941960214247511077e+3, 6.8718700749205790830e+2, 4.2313330701600911252e+1, 1.0)
_AS241_C = (7.74545014278341407640e-4, 2.27238449892691845833e-2, 2.41780725177450611770e-1, 1.27045825245236838258e+0,
            3.64784832476320460504e+0, 5.76949722146069140550e+0, 4.63033784615654529590e+0, 1.42343711074968357734e+0)
_AS241_D = (1.05075007164441684324e-9, 5.47593808499534494600e-4, 1.51986665636164571966e-2, 1.48103976427480074590e-1,
            6.89767334985100004550e-1, 1.67638483018380384940e+0, 2.05319162663775882187e+0, 1.0)
_AS241_E = (2.01033439929228813265e-7, 2.71155556874348757815e-5, 1.24266094738807843860e-3, 2.65321895265761230930e-2,
            2.96560571828504891230e-1, 1.78482653991729133580e+0, 5.46378491116411436990e+0, 6.65790464350110377720e+0)
_AS241_F = (2.04426310338993978564e-15, 1.42151175831644588870e-7, 1.84631831751005468180e-5, 7.86869131145613259100e-4,
            1.48753612908506148525e-2, 1.36929880922735805310e-1, 5.99832206555887937690e-1, 1.0)


@kernel
def _polynomial(c, x):
    """c[0] x^7 + ... + c[7] by Horner's rule."""
    value = c[0]
    for k in range(1, 8):
        value = value * x + c[k]
    return value


@kernel
def exponential_normal_score(e):
    """Phi^-1(1 - exp(-e)) for a unit exponential draw e >= 0: the standard normal with the same rank
    (AS241). Its tails come from e itself, -log(exp(-e)) = e, so a long draw keeps its precision."""
    q = 0.5 - math.exp(-e)  # AS241's p - 0.5 with p = 1 - exp(-e)
    if abs(q) <= 0.425:
        r = 0.180625 - q * q
        return q * _polynomial(_AS241_A, r) / _polynomial(_AS241_B, r)
    r = math.sqrt(e) if q > 0.0 else math.sqrt(-math.log(-math.expm1(-e)))
    if r <= 5.0:
        x = _polynomial(_AS241_C, r - 1.6) / _polynomial(_AS241_D, r - 1.6)
    else:
        x = _polynomial(_AS241_E, r - 5.0) / _polynomial(_AS241_F, r - 5.0)
    return x if q > 0.0 else -x
