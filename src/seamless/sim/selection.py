"""The dose-selection rule of the stage-1 analysis: its parameters, how they are read, the compiled
rule and its plain twin (DESIGN.md section 3).

- ``best``: the dose with the largest stage-1 z (ties: the lowest dose);
- ``epsilon``: the lowest dose whose z is within ``epsilon`` of the largest;
- ``fixed``: always ``dose``.

A new rule is a member of `SelectionRule`, its parameters in `Rule` and `read_rule`, a branch of
`select` and of `select_reference`; nothing else in the package names a rule.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from seamless._jit import kernel
from seamless._schema import REQUIRED, ConfigError, Table, choice, number, string

__all__ = ["SelectionRule", "Rule", "read_rule", "RuleKernel", "rule_kernel", "select", "select_reference"]


class SelectionRule(enum.IntEnum):
    BEST = 0
    EPSILON = 1
    FIXED = 2


@dataclass(frozen=True)
class Rule:
    """A selection rule and its parameters: the ``rule``, ``epsilon`` and ``dose`` keys of [selection]."""

    rule: SelectionRule = SelectionRule.BEST
    epsilon: float = 0.0                   # z units, for ``epsilon``
    dose: str | None = None                # the dose name, for ``fixed``


def read_rule(t: Table, doses: tuple[str, ...]) -> Rule:
    """The rule's keys of the [selection] table ``t``, checked."""
    rule = t.get("rule", choice(SelectionRule), SelectionRule.BEST)
    dose = t.get("dose", string, REQUIRED if rule is SelectionRule.FIXED else None)
    if dose is not None and dose not in doses:
        raise ConfigError(f"{t.name('dose')}: must be one of {', '.join(doses)}, got {dose!r}")
    return Rule(rule, t.get("epsilon", number(0, 100), 0.0), dose)


class RuleKernel(NamedTuple):
    """A `Rule` as the compiled trial sees it."""

    rule: np.int64          # SelectionRule
    epsilon: float
    fixed_dose: np.int64    # arm code (1..D) of ``dose`` for FIXED, else 0


def rule_kernel(rule: Rule, doses: tuple[str, ...]) -> RuleKernel:
    fixed = doses.index(rule.dose) + 1 if rule.rule is SelectionRule.FIXED else 0
    return RuleKernel(np.int64(rule.rule), float(rule.epsilon), np.int64(fixed))


@kernel
def select(rule, z):
    """Arm code (1..D) of the selected dose given the stage-1 z of each dose (D,)."""
    if rule.rule == SelectionRule.FIXED:
        return rule.fixed_dose
    best = 0
    for j in range(1, z.size):
        if z[j] > z[best]:
            best = j
    if rule.rule == SelectionRule.EPSILON:
        for j in range(z.size):
            if z[j] >= z[best] - rule.epsilon:
                return j + 1
    return best + 1


def select_reference(rule: Rule, doses: tuple[str, ...], z) -> int:
    """Plain twin of `select`, from the `Rule` itself."""
    if rule.rule is SelectionRule.FIXED:
        return doses.index(rule.dose) + 1
    best = int(np.argmax(z))  # the first of equal maxima
    if rule.rule is SelectionRule.EPSILON:
        return int(np.flatnonzero(np.asarray(z) >= z[best] - rule.epsilon)[0]) + 1
    return best + 1
