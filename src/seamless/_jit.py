"""The one place where numba options are set for every compiled kernel."""

import numba

__all__ = ["kernel"]

#: Decorator for all compiled kernels: cached on disk (NUMBA_CACHE_DIR moves the cache),
#: numpy error semantics (division by zero gives inf/nan, never raises inside a kernel).
kernel = numba.njit(cache=True, error_model="numpy", nogil=True)
