"""Alpha-spending functions for group-sequential designs (Lan & DeMets 1983, Biometrika 70:659).

A spending function alpha(t) gives the type I error spent by information fraction t in [0, 1],
with alpha(0) = 0 and alpha(1) = alpha. The four families of DESIGN.md section 5:

- ``obf``: Lan-DeMets O'Brien-Fleming type, alpha(t) = 2 - 2*Phi(Phi^-1(1 - alpha/2)/sqrt(t));
- ``pocock``: Lan-DeMets Pocock type, alpha(t) = alpha*log(1 + (e - 1)*t);
- ``hsd:<gamma>``: Hwang, Shih & DeCani (1990), alpha(t) = alpha*(1 - exp(-gamma*t))/(1 - exp(-gamma)),
  any real gamma (gamma = 0 is the limit alpha*t);
- ``kd:<rho>``: Kim & DeMets (1987) power family, alpha(t) = alpha*t^rho, rho > 0.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

__all__ = ["Spending", "SpendingKind"]

#: Parameter ranges: beyond them the spending functions overflow or spend all alpha at once.
MAX_GAMMA, MAX_RHO = 30.0, 30.0
_ALLOWED = f"obf, pocock, hsd:<gamma> (gamma in [-{MAX_GAMMA:g}, {MAX_GAMMA:g}]), kd:<rho> (rho in (0, {MAX_RHO:g}])"


class SpendingKind(enum.Enum):
    """Family of spending function; the value is the name used in configuration text."""

    OBRIEN_FLEMING = "obf"
    POCOCK = "pocock"
    HWANG_SHIH_DECANI = "hsd"
    KIM_DEMETS = "kd"


_PARAMETRIZED = (SpendingKind.HWANG_SHIH_DECANI, SpendingKind.KIM_DEMETS)


@dataclass(frozen=True)
class Spending:
    """A spending function: its family and, for ``hsd``/``kd``, its parameter (gamma / rho)."""

    kind: SpendingKind
    parameter: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.kind, SpendingKind):
            raise ValueError(f"spending kind must be a SpendingKind, got {self.kind!r}")
        if self.kind not in _PARAMETRIZED:
            if self.parameter is not None:
                raise ValueError(f"spending {self.kind.value} takes no parameter, got {self.parameter!r}")
            return
        if self.parameter is None or not math.isfinite(self.parameter):
            raise ValueError(f"spending {self.kind.value} needs a finite parameter, got {self.parameter!r}")
        if self.kind is SpendingKind.KIM_DEMETS and not 0 < self.parameter <= MAX_RHO:
            raise ValueError(f"spending kd needs rho in (0, {MAX_RHO:g}], got {self.parameter!r}")
        if self.kind is SpendingKind.HWANG_SHIH_DECANI and abs(self.parameter) > MAX_GAMMA:
            raise ValueError(f"spending hsd needs gamma in [-{MAX_GAMMA:g}, {MAX_GAMMA:g}], got {self.parameter!r}")
        object.__setattr__(self, "parameter", float(self.parameter))

    @classmethod
    def parse(cls, text: str) -> Spending:
        """Read ``"obf"``, ``"pocock"``, ``"hsd:<gamma>"`` or ``"kd:<rho>"``; ValueError otherwise."""
        error = ValueError(f"spending must be one of {_ALLOWED}, got {text!r}")
        if not isinstance(text, str):
            raise error
        name, colon, value = text.strip().partition(":")
        try:
            kind = SpendingKind(name.strip().lower())
        except ValueError:
            raise error from None
        if kind not in _PARAMETRIZED:
            if colon:
                raise error
            return cls(kind)
        try:
            parameter = float(value)
        except ValueError:
            raise error from None
        if not math.isfinite(parameter):
            raise error
        return cls(kind, parameter)

    def __str__(self) -> str:
        if self.parameter is None:
            return self.kind.value
        return f"{self.kind.value}:{repr(self.parameter).removesuffix('.0')}"

    def cumulative(self, t: np.ndarray | float, alpha: float) -> np.ndarray:
        """Alpha spent by information fraction ``t`` (array of any shape, values in [0, 1]).

        Returns an array of the shape of ``t``; alpha(0) = 0 and alpha(1) = ``alpha``.
        """
        from seamless.stats.normal import normal_cdf_array

        t = np.asarray(t, dtype=float)
        if np.any(~((t >= 0) & (t <= 1))):
            shown = ", ".join(str(value) for value in t.ravel())
            raise ValueError(f"information fraction t must be in [0, 1], got {shown}")
        if self.kind is SpendingKind.OBRIEN_FLEMING:
            # 2 - 2*Phi(c/sqrt(t)) written as 2*Phi(-c/sqrt(t)) to keep precision for small t.
            with np.errstate(divide="ignore"):
                return 2.0 * normal_cdf_array(-NormalDist().inv_cdf(1.0 - alpha / 2.0) / np.sqrt(t))
        if self.kind is SpendingKind.POCOCK:
            return alpha * np.log1p((math.e - 1.0) * t)
        if self.kind is SpendingKind.HWANG_SHIH_DECANI:
            gamma = self.parameter
            if gamma == 0.0:
                return alpha * t
            return alpha * np.expm1(-gamma * t) / math.expm1(-gamma)
        return alpha * t**self.parameter
