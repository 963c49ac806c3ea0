"""The random stream of a chunk of trials: NumPy's SFC64 generator, compiled inline.

numba's ``np.random.Generator`` reaches its bit generator through a function pointer per draw, which
the compiler cannot inline and which keeps the state in memory. Here the state is a tuple of
integers that a kernel keeps in registers and passes from draw to draw: ``value, state =
draw(state)``. The generator is Chris Doty-Humphrey's Small Fast Chaotic PRNG (SFC64, PractRand),
and every draw reproduces NumPy's, bit for bit, for the same seed: ``Generator(SFC64(seed))``'s
``random()``, ``standard_exponential()`` and ``standard_normal()`` (Marsaglia & Tsang's ziggurats,
NumPy's tables) and
``integers(0, n)`` (Lemire's bounded integers on buffered 32-bit words), which the tests check.
"""

import numpy as np
from numba import uint64
from numba.np.random._constants import (
    fe_double,
    fi_double,
    ke_double,
    ki_double,
    we_double,
    wi_double,
    ziggurat_exp_r,
    ziggurat_nor_inv_r,
    ziggurat_nor_r,
)

from seamless._jit import inline_kernel, kernel

__all__ = ["new_state", "load", "store", "uniform", "exponential", "normal", "integer_below"]

_MASK32 = uint64(0xFFFFFFFF)


def new_state(seed_sequence: np.random.SeedSequence) -> np.ndarray:
    """The stream's state as a (6,) uint64 array: NumPy's SFC64 state for ``seed_sequence`` (a, b, c,
    counter) and its buffered 32-bit word (whether one is held, the word)."""
    state = np.random.SFC64(seed_sequence).state
    return np.array([*state["state"]["state"], state["has_uint32"], state["uinteger"]], np.uint64)


@kernel
def load(array):
    """The state held in a `new_state` array, as the tuple the draws take."""
    return array[0], array[1], array[2], array[3], array[4], array[5]


@kernel
def store(array, s):
    """Write state tuple ``s`` back into its array."""
    array[0], array[1], array[2], array[3], array[4], array[5] = s


@inline_kernel
def _next64(s):
    """The next 64-bit word (sfc64_next in NumPy's sfc64.h)."""
    a, b, c, counter, has32, word = s
    value = a + b + counter
    return value, (b ^ (b >> uint64(11)), c + (c << uint64(3)), ((c << uint64(24)) | (c >> uint64(40))) + value,
                   counter + uint64(1), has32, word)


@inline_kernel
def _next32(s):
    """The next 32-bit word: the low half of a 64-bit word, its high half kept for the next call."""
    a, b, c, counter, has32, word = s
    if has32:
        return word, (a, b, c, counter, uint64(0), word)
    value, s = _next64(s)
    a, b, c, counter, has32, word = s
    return value & _MASK32, (a, b, c, counter, uint64(1), value >> uint64(32))


@inline_kernel
def uniform(s):
    """A uniform double in [0, 1): the top 53 bits of a 64-bit word."""
    value, s = _next64(s)
    return (value >> uint64(11)) * (1.0 / 9007199254740992.0), s


@inline_kernel
def exponential(s):
    """A unit exponential: NumPy's ziggurat (random_standard_exponential), whose first try is
    accepted 98.9% of the time; the rest is in `_exponential_tail`."""
    accepted, layer, x, s = _ziggurat_try(s)
    if accepted:
        return x, s
    return _exponential_tail(layer, x, s)


@inline_kernel
def _ziggurat_try(s):
    """One try of the ziggurat: whether it is accepted at once, its layer and its value."""
    bits, s = _next64(s)
    bits >>= uint64(3)
    layer = bits & uint64(0xFF)
    bits >>= uint64(8)
    x = bits * we_double[layer]
    return bits < ke_double[layer], layer, x, s


@kernel
def _exponential_tail(layer, x, s):
    """The ziggurat after its first try was rejected in ``layer`` with value x."""
    while True:
        u, s = uniform(s)
        if layer == 0:
            return ziggurat_exp_r - np.log1p(-u), s
        if (fe_double[layer - 1] - fe_double[layer]) * u + fe_double[layer] < np.exp(-x):
            return x, s
        accepted, layer, x, s = _ziggurat_try(s)
        if accepted:
            return x, s


@inline_kernel
def normal(s):
    """A standard normal: NumPy's ziggurat (random_standard_normal), whose first try is accepted
    99.3% of the time; the rest is in `_normal_tail`."""
    accepted, layer, magnitude, x, s = _normal_try(s)
    if accepted:
        return x, s
    return _normal_tail(layer, magnitude, x, s)


@inline_kernel
def _normal_try(s):
    """One try of the normal ziggurat: whether it is accepted at once, its layer, magnitude and value."""
    bits, s = _next64(s)
    layer = bits & uint64(0xFF)
    bits >>= uint64(8)
    magnitude = (bits >> uint64(1)) & uint64(0x000FFFFFFFFFFFFF)
    x = magnitude * wi_double[layer]
    if bits & uint64(1):
        x = -x
    return magnitude < ki_double[layer], layer, magnitude, x, s


@kernel
def _normal_tail(layer, magnitude, x, s):
    """The normal ziggurat after its first try was rejected in ``layer`` with value x."""
    while True:
        if layer == 0:  # the base strip: Marsaglia's tail beyond r
            while True:
                u, s = uniform(s)
                tail = -ziggurat_nor_inv_r * np.log1p(-u)
                u, s = uniform(s)
                if -2.0 * np.log1p(-u) > tail * tail:
                    return (-(ziggurat_nor_r + tail) if (magnitude >> uint64(8)) & uint64(1)
                            else ziggurat_nor_r + tail), s
        u, s = uniform(s)
        if (fi_double[layer - 1] - fi_double[layer]) * u + fi_double[layer] < np.exp(-0.5 * x * x):
            return x, s
        accepted, layer, magnitude, x, s = _normal_try(s)
        if accepted:
            return x, s


@inline_kernel
def integer_below(s, n):
    """A uniform integer in 0..n-1 for 2 <= n < 2**32: NumPy's buffered_bounded_lemire_uint32
    (Lemire 2019, ACM TOMACS 29:3), as ``Generator.integers(0, n)`` draws it."""
    bound = uint64(n)
    word, s = _next32(s)
    product = word * bound
    if (product & _MASK32) < bound:
        threshold = (_MASK32 - bound + uint64(1)) % bound
        while (product & _MASK32) < threshold:
            word, s = _next32(s)
            product = word * bound
    return np.int64(product >> uint64(32)), s
