"""The dose-selection rule of the stage-1 analysis: its parameters, how they are read, the compiled
rule and its plain twin (DESIGN.md section 3, EXTENSIONS.md section 2).

- ``best``: the dose with the largest stage-1 z;
- ``epsilon``: the lowest dose whose z is within ``epsilon`` of the largest;
- ``fixed``: always ``dose``;
- ``response``: the highest observed response rate (responders / assessed; 0 when none assessed);
- ``utility``: the highest observed response rate minus ``utility_weight`` times the observed
  toxicity rate, among doses whose observed toxicity rate is at most ``max_toxicity``; when none is
  eligible the trial stops at the selection analysis for safety;
- a user's rule, from Python: a numba-compiled function of the `DoseSummaries` that returns a dose
  index (0..D-1), or -1 to stop for safety. It is compiled into the simulated trial. In a design's
  tables it is named by `rule_label` (its name and a digest of its code), under which it is kept for
  this process: results of a run with a user's rule can be read anywhere, simulated only where the
  function is defined.

Ties go to the lower dose (the earlier in ``arms.doses``). The rules return an arm code: 1..D, or 0
(stop for safety). A new built-in rule is a member of `SelectionRule`, its parameters in `Rule` and
`read_rule`, a branch of `select` and of `select_reference`; nothing else in the package names a rule.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from seamless._jit import kernel
from seamless._schema import REQUIRED, ConfigError, Table, choice, number, string

__all__ = ["SelectionRule", "Rule", "read_rule", "DoseSummaries", "RuleKernel", "rule_kernel", "select",
           "select_reference", "rule_label", "SAFETY"]

#: Users' rules of this process, by `rule_label`.
_USER_RULES: dict[str, Callable] = {}
_LABEL = "python:"

#: The arm code a rule returns to stop the trial for safety (no eligible dose).
SAFETY = 0


class SelectionRule(enum.IntEnum):
    BEST = 0
    EPSILON = 1
    FIXED = 2
    RESPONSE = 3
    UTILITY = 4
    USER = 5


@dataclass(frozen=True)
class Rule:
    """A selection rule and its parameters: the ``rule``, ``epsilon``, ``dose``, ``utility_weight`` and
    ``max_toxicity`` keys of [selection]; ``user`` names a user's rule (``rule`` is then USER)."""

    rule: SelectionRule = SelectionRule.BEST
    epsilon: float = 0.0                   # z units, for ``epsilon``
    dose: str | None = None                # the dose name, for ``fixed``
    utility_weight: float | None = None    # for ``utility``
    max_toxicity: float | None = None      # for ``utility``
    user: str | None = None                # `rule_label` of a user's rule, for USER

    @property
    def function(self) -> Callable | None:
        """The user's numba-compiled rule, if this process has it."""
        return _USER_RULES.get(self.user) if self.user else None


def _rule(value, name):
    """A rule's name, a user's numba-compiled function, or its `rule_label`."""
    if callable(value):
        from numba.core.registry import CPUDispatcher

        if not isinstance(value, CPUDispatcher):
            raise ConfigError(f"{name}: a user's rule must be a numba-compiled function (@numba.njit) of the dose "
                              "summaries, returning a dose index or -1")
        label = rule_label(value)
        _USER_RULES[label] = value
        return label
    if isinstance(value, str) and value.startswith(_LABEL):
        return value
    allowed = [m.name.lower() for m in SelectionRule if m is not SelectionRule.USER]
    if isinstance(value, str) and value.lower() == "user":
        raise ConfigError(f"{name}: a user's rule is given as its numba-compiled function, from Python")
    if isinstance(value, SelectionRule) or (isinstance(value, str) and value.lower() in allowed):
        return choice(SelectionRule)(value, name)
    raise ConfigError(f"{name}: must be one of {', '.join(allowed)}, or a numba-compiled function from Python, "
                      f"got {value!r}")


def read_rule(t: Table, doses: tuple[str, ...]) -> Rule:
    """The rule's keys of the [selection] table ``t``, checked."""
    rule = t.get("rule", _rule, SelectionRule.BEST)
    user = rule if isinstance(rule, str) else None
    rule = SelectionRule.USER if user else rule
    dose = t.get("dose", string, REQUIRED if rule is SelectionRule.FIXED else None)
    if dose is not None and dose not in doses:
        raise ConfigError(f"{t.name('dose')}: must be one of {', '.join(doses)}, got {dose!r}")
    utility = rule is SelectionRule.UTILITY
    return Rule(rule, t.get("epsilon", number(0, 100), 0.0), dose,
                t.get("utility_weight", number(0, 100), REQUIRED if utility else None),
                t.get("max_toxicity", number(0, 1, what="a toxicity rate in [0, 1]"), REQUIRED if utility else None),
                user)


def rule_label(function) -> str:
    """A user's rule as text: its qualified name and the SHA-256 of its code (a changed rule is another)."""
    code = function.py_func.__code__
    digest = hashlib.sha256(code.co_code + repr(code.co_consts).encode() + repr(code.co_names).encode())
    return f"{_LABEL}{function.py_func.__module__}.{function.py_func.__qualname__}@{digest.hexdigest()[:16]}"


class DoseSummaries(NamedTuple):
    """What the selection analysis knows of each dose (D,), vs control in the stage-1 cohort: the input of
    every rule, a user's included."""

    z: np.ndarray                  # stratified log-rank z (> 0 favours the dose)
    events: np.ndarray             # PFS events on the dose
    patients: np.ndarray           # patients on the dose
    responders: np.ndarray         # observed responders
    response_assessed: np.ndarray  # patients assessed for response
    toxicities: np.ndarray         # observed toxicities
    toxicity_assessed: np.ndarray  # patients whose toxicity window has ended


class RuleKernel(NamedTuple):
    """A built-in `Rule` as the compiled trial sees it."""

    rule: np.int64          # SelectionRule
    epsilon: float
    fixed_dose: np.int64    # arm code (1..D) of ``dose`` for FIXED, else 0
    utility_weight: float
    max_toxicity: float


def rule_kernel(rule: Rule, doses: tuple[str, ...]) -> RuleKernel:
    fixed = doses.index(rule.dose) + 1 if rule.rule is SelectionRule.FIXED else 0
    return RuleKernel(np.int64(rule.rule), float(rule.epsilon), np.int64(fixed), float(rule.utility_weight or 0.0),
                      float(1.0 if rule.max_toxicity is None else rule.max_toxicity))


@kernel
def _rate(count, assessed):
    return count / assessed if assessed > 0 else 0.0


@kernel
def _highest_utility(rule, s):
    """The eligible dose of highest utility (the lowest of equal ones), or SAFETY."""
    best, best_value = SAFETY, -np.inf
    for j in range(s.z.size):
        toxicity = _rate(s.toxicities[j], s.toxicity_assessed[j])
        value = _rate(s.responders[j], s.response_assessed[j]) - rule.utility_weight * toxicity
        if toxicity <= rule.max_toxicity and value > best_value:
            best, best_value = j + 1, value
    return best


@kernel
def _highest_response(s):
    """The dose of highest observed response rate (the lowest of equal ones)."""
    best = 0
    for j in range(1, s.z.size):
        if _rate(s.responders[j], s.response_assessed[j]) > _rate(s.responders[best], s.response_assessed[best]):
            best = j
    return best + 1


@kernel
def select(rule, s):
    """Arm code (1..D) of the selected dose, or SAFETY, from the DoseSummaries ``s``."""
    if rule.rule == SelectionRule.FIXED:
        return rule.fixed_dose
    if rule.rule == SelectionRule.UTILITY:
        return _highest_utility(rule, s)
    if rule.rule == SelectionRule.RESPONSE:
        return _highest_response(s)
    best = 0
    for j in range(1, s.z.size):
        if s.z[j] > s.z[best]:
            best = j
    if rule.rule == SelectionRule.EPSILON:
        for j in range(s.z.size):
            if s.z[j] >= s.z[best] - rule.epsilon:
                return j + 1
    return best + 1


def select_reference(rule: Rule, doses: tuple[str, ...], s: DoseSummaries) -> int:
    """Plain twin of `select` (and of a user's rule, run as plain Python), from the `Rule` itself."""
    z = np.asarray(s.z)
    with np.errstate(invalid="ignore", divide="ignore"):
        response = np.nan_to_num(np.asarray(s.responders) / np.asarray(s.response_assessed))
        toxicity = np.nan_to_num(np.asarray(s.toxicities) / np.asarray(s.toxicity_assessed))
    if rule.rule is SelectionRule.USER:
        return int(rule.function.py_func(s)) + 1
    if rule.rule is SelectionRule.FIXED:
        return doses.index(rule.dose) + 1
    if rule.rule is SelectionRule.RESPONSE:
        return int(np.argmax(response)) + 1  # the first of equal maxima
    if rule.rule is SelectionRule.UTILITY:
        eligible = np.flatnonzero(toxicity <= rule.max_toxicity)
        if not eligible.size:
            return SAFETY
        utility = response - rule.utility_weight * toxicity
        return int(eligible[np.argmax(utility[eligible])]) + 1
    best = int(np.argmax(z))
    if rule.rule is SelectionRule.EPSILON:
        return int(np.flatnonzero(z >= z[best] - rule.epsilon)[0]) + 1
    return best + 1
