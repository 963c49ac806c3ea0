"""Standard normal CDF, survival function and quantile for use inside compiled kernels, and the
CDF elementwise on arrays for the boundary recursion.

scipy.special is not callable from numba, so the quantile uses Acklam's rational
approximation refined by one Halley step against ``math.erfc`` (relative error ~1e-15),
the usual construction (Acklam 2003; Press et al., Numerical Recipes, 3rd ed., 6.14).
The array CDF is ``math.erfc`` too: importing scipy.special would cost more start-up time than
the few thousand evaluations a set of bounds needs.
"""

import math

import numpy as np

from seamless._jit import kernel

__all__ = ["normal_cdf", "normal_sf", "normal_ppf", "normal_cdf_array"]

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
