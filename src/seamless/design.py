"""What a simulated design is: frozen dataclasses, checked whenever one is made.

A design is read from nested tables shaped like its TOML description (`Design.from_dict`), built
from its dataclasses (checked in ``__post_init__``), or derived from another one with
`Design.replace`, which takes the dotted paths of scenarios and sweeps. All three run the same
checks and give the same one-line `ConfigError`, so the compiled kernels never see an unchecked
design. Defaults that depend on other values (stage-1 blocks, stage-2 block size, information
rates, the selection information) are derived when the design is read, and derived again when a
`replace` changes what they depend on.
"""

from __future__ import annotations

import copy
import difflib
import enum
import math
import re
from dataclasses import dataclass, field, fields, is_dataclass

from seamless._schema import REQUIRED, ConfigError, Table, choice, integer, list_of, number, string
from seamless.sim.endpoints import Endpoints, read_endpoints
from seamless.sim.outcome import Outcome, read_outcome
from seamless.sim.selection import Rule, SelectionRule, read_rule, rule_label
from seamless.stats.boundaries import check_information_rates
from seamless.stats.spending import Spending

__all__ = [
    "ConfigError", "Trigger", "Adjustment", "Correlation", "Mode",
    "Arms", "Stage1", "Stage2", "StratumFactor", "Accrual", "Outcome", "Endpoints", "Rule", "Selection", "Analysis",
    "Design", "SECTIONS", "set_path", "plain_tables",
]

#: The tables of a design, in the order they are read.
SECTIONS = ("arms", "stage1", "stage2", "strata", "accrual", "outcome", "endpoints", "selection", "analysis")

#: Ranges that keep every simulated time, count and bound a finite, meaningful number (README, "Limits").
MAX_PATIENTS, MAX_RATIO, MAX_STRATA = 1_000_000, 100, 1000
RATE_RANGE = (1e-3, 1e5)                # patients per month
MAX_MONTHS = 1200.0                     # a century: medians, follow-up, delays, accrual changes
FACTOR_RANGE = (1e-3, 1e3)              # hazard ratios and prognostic multipliers
MAX_Z, MIN_ALPHA = 40.0, 1e-6
#: Suffixes of the columns that go with each estimate in the summary (standard error, 95% interval).
ESTIMATE_SUFFIXES = ("_se", "_ci_low", "_ci_high")


class Trigger(enum.IntEnum):
    FOLLOWUP = 0
    EVENTS = 1


class Adjustment(enum.IntEnum):
    DUNNETT = 0
    NONE = 1


class Correlation(enum.IntEnum):
    ALLOCATION = 0
    EVENTS = 1


class Mode(enum.IntEnum):
    COHORT = 0
    INCREMENTS = 1


@dataclass(frozen=True)
class Arms:
    doses: tuple[str, ...]
    control: str = "control"


@dataclass(frozen=True)
class Stage1:
    patients: int
    ratio: tuple[int, ...] | None = None                  # doses..., control; default all 1
    blocks: tuple[tuple[int, ...], ...] | None = None     # each: counts for doses..., control; default (ratio,)


@dataclass(frozen=True)
class Stage2:
    patients: int
    ratio: tuple[int, int] = (1, 1)                       # selected dose, control
    block_size: int | None = None                         # default: the sum of ratio


@dataclass(frozen=True)
class StratumFactor:
    name: str
    levels: tuple[str, ...]
    probabilities: tuple[float, ...]
    hazard_multipliers: tuple[float, ...] | None = None   # default all 1


@dataclass(frozen=True)
class Accrual:
    rates: tuple[float, ...]                              # patients per month
    change_months: tuple[float, ...] = ()                 # calendar months at which the next rate starts


@dataclass(frozen=True)
class Selection:
    trigger: Trigger = Trigger.FOLLOWUP
    followup_months: float = 0.0
    events: int | None = None                             # stage-1 events, for trigger EVENTS
    stage2_delay_months: float = 0.0
    rule: Rule = Rule()
    adjustment: Adjustment = Adjustment.DUNNETT
    correlation: Correlation = Correlation.ALLOCATION
    futility_z: float = -math.inf


@dataclass(frozen=True)
class Analysis:
    events: tuple[int, ...]
    mode: Mode = Mode.COHORT
    information_rates: tuple[float, ...] | None = None    # planned; default events / final events
    efficacy_looks: tuple[int, ...] | None = None         # default all looks
    futility_bounds: tuple[float, ...] | None = None      # default all -inf
    alpha: float = 0.025
    spending: Spending | str = "obf"
    stage1_weight_squared: float = 0.33
    selection_information: float | None = None           # default min(0.2, first rate / 2)


@dataclass(frozen=True)
class Design:
    arms: Arms
    stage1: Stage1
    stage2: Stage2
    accrual: Accrual
    outcome: Outcome
    analysis: Analysis
    selection: Selection = Selection()
    strata: tuple[StratumFactor, ...] = ()
    endpoints: Endpoints = Endpoints()
    #: The tables the design was read from, as given (defaults left out): what `replace` changes.
    source: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        given = self.to_dict()  # defaults left as None are derived by the reader, and again by `replace`
        for name, value in _read(given).items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "source", given)

    @classmethod
    def from_dict(cls, tables: dict) -> Design:
        """A design from tables shaped like its TOML description (defaults filled in, all checked)."""
        design = object.__new__(cls)
        for name, value in _read(tables).items():
            object.__setattr__(design, name, value)
        object.__setattr__(design, "source", copy.deepcopy(tables))
        return design

    def to_dict(self) -> dict:
        """The design as TOML-shaped tables, every value explicit (``Design.from_dict`` reads it back)."""
        tables = {name: _plain(getattr(self, name)) for name in SECTIONS if name not in ("strata", "selection")}
        tables["strata"] = {"factor": _plain(self.strata)}
        selection = _plain(self.selection)
        rule = selection.pop("rule", {})
        rule = rule if isinstance(rule, dict) else {"rule": rule}
        if "user" in rule:  # a user's rule is named by its label
            rule["rule"] = rule.pop("user")
        tables["selection"] = {**selection, **rule}
        return tables

    def replace(self, changes: dict) -> Design:
        """A new design with ``changes``, ``{path: value}`` by the dotted paths of scenarios and sweeps,
        e.g. ``{"outcome.hazard_ratios[2]": 0.6, "analysis.mode": "increments"}``; checked like any."""
        tables, full = copy.deepcopy(self.source), self.to_dict()
        for path, value in changes.items():
            set_path(tables, full, path, value)
        return Design.from_dict(tables)

    @property
    def doses(self) -> tuple[str, ...]:
        return self.arms.doses

    @property
    def looks(self) -> int:
        return len(self.analysis.events)


def plain_tables(tables: dict) -> dict:
    """Design tables (as given to `Design.from_dict`) with only TOML values: enums by their lower-case
    name, spending functions by their text, tuples as lists."""
    return _plain(tables)


def _plain(value):
    """Dataclasses, enums, spending functions and tuples as TOML values; None (a default) left out."""
    if isinstance(value, dict):
        return {key: _plain(v) for key, v in value.items() if v is not None}
    if isinstance(value, Spending):
        return str(value)
    if callable(value) and hasattr(value, "py_func"):  # a user's compiled selection rule, by its label
        return rule_label(value)
    if is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)
                if f.init and getattr(value, f.name) is not None}
    if isinstance(value, enum.Enum):
        return value.name.lower()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


_PART = re.compile(r"^([A-Za-z_]\w*)(?:\[(\d+)\])?$")


def set_path(tables: dict, full: dict, path: str, value, numeric: bool = False) -> None:
    """Set ``section.key``, ``section.key[i]`` (0-based) or deeper (``strata.factor[0].levels``) in
    ``tables`` (None removes the key); a list or table it lacks (a default) is taken from ``full``, the
    design's explicit tables. ``numeric``: the parameter must be a number (sweeps). Keys the design lacks
    are left to its reader to refuse, with the closest known one."""
    node, known = tables, full
    parts = path.split(".")
    for depth, part in enumerate(parts):
        match = _PART.match(part)
        if not match:
            raise ConfigError(f"'{path}' is not a parameter path like 'outcome.hazard_ratios[2]'")
        key, index = match.group(1), match.group(2)
        last = depth == len(parts) - 1
        if not isinstance(node, dict):
            raise ConfigError(f"'{path}' names no parameter of the design")
        options = known if isinstance(known, dict) else {}
        known = options.get(key)
        if known is None and key not in node and (index is not None or numeric):
            close = difflib.get_close_matches(key, list(options), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ConfigError(f"'{path}' names no parameter of the design{hint}")
        if index is None:
            if last:
                if numeric and (isinstance(known, bool) or not isinstance(known, (int, float))):
                    raise ConfigError(f"'{path}' is not a numeric parameter")
                _assign(node, key, value)
            else:
                node = node.setdefault(key, {})
            continue
        if key not in node and known is not None:
            node[key] = copy.deepcopy(known)
        items = node.get(key)
        if not isinstance(items, list) or int(index) >= len(items):
            raise ConfigError(f"'{path}' index out of range")
        known = known[int(index)] if isinstance(known, list) and int(index) < len(known) else None
        if last:
            if numeric and (isinstance(items[int(index)], bool) or not isinstance(items[int(index)], (int, float))):
                raise ConfigError(f"'{path}' is not a numeric parameter")
            items[int(index)] = value
        else:
            node = items[int(index)]


def _assign(table: dict, key: str, value) -> None:
    """table[key] = value; None removes the key: its default, or none (control_median_months beside
    control_hazards)."""
    if value is None:
        table.pop(key, None)
    else:
        table[key] = value


# The checks, one function per table; each reads its keys through a `Table`.

def _arms(t: Table) -> Arms:
    control = t.get("control", string, "control")
    doses = t.get("doses", list_of(string))
    if not 1 <= len(doses) <= 6:
        raise ConfigError(f"arms.doses: 1 to 6 doses allowed, got {len(doses)}")
    if len(set(doses) | {control}) != len(doses) + 1:
        raise ConfigError("arms.doses: arm names must be distinct, control included")
    for dose in doses:  # select_<dose>_se must not also be select_<another dose>
        clash = next((other for other in doses for suffix in ESTIMATE_SUFFIXES if other == dose + suffix), None)
        if clash:
            raise ConfigError(f"arms.doses: '{dose}' and '{clash}' would name the same result column "
                              f"(select_{clash}); a dose name cannot be another's followed by "
                              f"{', '.join(ESTIMATE_SUFFIXES)}")
    return Arms(doses, control)


def _stage1(t: Table, n_doses: int) -> Stage1:
    patients = t.get("patients", integer(0, MAX_PATIENTS))
    ratio = t.get("ratio", list_of(integer(1, MAX_RATIO)), (1,) * (n_doses + 1))
    blocks = t.get("blocks", list_of(list_of(integer(0, MAX_RATIO))), (ratio,))
    if len(ratio) != n_doses + 1:
        raise ConfigError(f"stage1.ratio: needs {n_doses + 1} entries (doses, then control), got {len(ratio)}")
    for i, block in enumerate(blocks):
        if len(block) != n_doses + 1 or sum(block) == 0:
            raise ConfigError(f"stage1.blocks[{i}]: needs {n_doses + 1} counts (doses, then control), not all 0")
    totals = [sum(col) for col in zip(*blocks)]
    if any(a * sum(ratio) != r * sum(totals) for a, r in zip(totals, ratio)):
        raise ConfigError(f"stage1.blocks: the blocks allocate {':'.join(map(str, totals))}, "
                          f"inconsistent with stage1.ratio {':'.join(map(str, ratio))}")
    if patients == 0 and n_doses != 1:
        raise ConfigError("stage1.patients: 0 (no selection stage) needs exactly one dose in arms.doses")
    return Stage1(patients, ratio, blocks)


def _stage2(t: Table) -> Stage2:
    patients = t.get("patients", integer(1, MAX_PATIENTS))
    ratio = t.get("ratio", list_of(integer(1, MAX_RATIO)), (1, 1))
    if len(ratio) != 2:
        raise ConfigError(f"stage2.ratio: needs 2 entries (selected dose, control), got {len(ratio)}")
    block_size = t.get("block_size", integer(1, 100 * MAX_RATIO), sum(ratio))
    if block_size % sum(ratio):
        raise ConfigError(f"stage2.block_size: must be a multiple of {sum(ratio)} "
                          f"(the sum of stage2.ratio {ratio[0]}:{ratio[1]}), got {block_size}")
    return Stage2(patients, ratio, block_size)


def _strata(t: Table) -> tuple[StratumFactor, ...]:
    factors = t.get("factor", lambda value, name: value, [])
    if not isinstance(factors, (list, tuple)):
        raise ConfigError("strata.factor: expected an array of tables ([[strata.factor]])")
    out = []
    for i, raw in enumerate(factors):
        f = Table(raw, f"strata.factor[{i}]")
        name = f.get("name", string)
        levels = f.get("levels", list_of(string, 2))
        probs = f.get("probabilities", list_of(number(0, 1, lo_open=True)))
        mults = f.get("hazard_multipliers", list_of(number(*FACTOR_RANGE)), (1.0,) * len(levels))
        f.close()
        if len(probs) != len(levels) or len(mults) != len(levels):
            raise ConfigError(f"strata.factor[{i}]: probabilities and hazard_multipliers need "
                              f"{len(levels)} entries, one per level")
        if abs(sum(probs) - 1) > 1e-9:
            raise ConfigError(f"strata.factor[{i}].probabilities: must sum to 1, got {sum(probs):.10g}")
        out.append(StratumFactor(name, levels, probs, mults))
    if math.prod(len(f.levels) for f in out) > MAX_STRATA:
        raise ConfigError(f"strata.factor: the factors make {math.prod(len(f.levels) for f in out):,} strata, "
                          f"at most {MAX_STRATA:,}")
    return tuple(out)


def _accrual(t: Table) -> Accrual:
    rates = t.get("rates", list_of(number(*RATE_RANGE, what=f"in [{RATE_RANGE[0]:g}, {RATE_RANGE[1]:g}] patients "
                                                            "per month")))
    changes = t.get("change_months", list_of(number(0, MAX_MONTHS, lo_open=True), 0), ())
    if len(changes) != len(rates) - 1:
        raise ConfigError(f"accrual.change_months: needs {len(rates) - 1} entries (one fewer than accrual.rates)")
    if any(b <= a for a, b in zip(changes, changes[1:])):
        raise ConfigError("accrual.change_months: must be strictly increasing")
    return Accrual(rates, changes)


def _selection(t: Table, arms: Arms, stage1: Stage1) -> Selection:
    trigger = t.get("trigger", choice(Trigger), Trigger.FOLLOWUP)
    events = t.get("events", integer(1), None if trigger is Trigger.FOLLOWUP else REQUIRED)
    if trigger is Trigger.EVENTS and events > stage1.patients:
        raise ConfigError(f"selection.events: {events} stage-1 events can never be reached "
                          f"with {stage1.patients} stage-1 patients")
    return Selection(
        trigger=trigger,
        followup_months=t.get("followup_months", number(0, MAX_MONTHS), 0.0),
        events=events,
        stage2_delay_months=t.get("stage2_delay_months", number(0, MAX_MONTHS), 0.0),
        rule=read_rule(t, arms.doses),
        adjustment=t.get("adjustment", choice(Adjustment), Adjustment.DUNNETT),
        correlation=t.get("correlation", choice(Correlation), Correlation.ALLOCATION),
        futility_z=t.get("futility_z", number(-MAX_Z, MAX_Z, what=f"a z value in [-{MAX_Z:g}, {MAX_Z:g}] or -inf "
                                                             "(none)", allow_minus_inf=True), -math.inf),
    )


def _spending(value, name):
    if isinstance(value, Spending):
        return value
    string(value, name)
    try:
        return Spending.parse(value)
    except ValueError as err:
        raise ConfigError(f"{name}: {err}") from None


def _analysis(t: Table, stage1: Stage1, stage2: Stage2) -> Analysis:
    events = t.get("events", list_of(integer(1)))
    if any(b <= a for a, b in zip(events, events[1:])):
        raise ConfigError(f"analysis.events: event targets must be strictly increasing, got {list(events)}")
    looks = len(events)
    efficacy = t.get("efficacy_looks", list_of(integer(1)), tuple(range(1, looks + 1)))
    if any(k > looks for k in efficacy) or looks not in efficacy or len(set(efficacy)) != len(efficacy):
        raise ConfigError(f"analysis.efficacy_looks: distinct look numbers in 1..{looks} including the "
                          f"last ({looks}), got {list(efficacy)}")
    futility = t.get("futility_bounds",
                     list_of(number(-MAX_Z, MAX_Z, what=f"a z value in [-{MAX_Z:g}, {MAX_Z:g}] or -inf (no futility "
                                                        "stop)", allow_minus_inf=True)),
                     (-math.inf,) * looks)
    if len(futility) != looks:
        raise ConfigError(f"analysis.futility_bounds: needs {looks} entries, one per look (-inf for none)")
    # A look that can never be reached: more CG events than CG patients can ever give.
    cg_share = max(stage1.ratio[:-1]) + stage1.ratio[-1]
    max_cg = math.floor(stage1.patients * cg_share / sum(stage1.ratio)) + stage2.patients
    if events[-1] > max_cg:
        raise ConfigError(f"analysis.events: {events[-1]} CG events can never be reached: the CG has at most "
                          f"about {max_cg} patients")
    rates = t.get("information_rates", list_of(number(0, 1, lo_open=True)), tuple(e / events[-1] for e in events))
    if len(rates) != looks or rates[-1] != 1.0 or any(b <= a for a, b in zip(rates, rates[1:])):
        raise ConfigError(f"analysis.information_rates: {looks} strictly increasing rates in (0, 1] ending "
                          f"at 1, one per look, got {list(rates)}")
    _accurate_rates(rates, given="information_rates" in t.table)
    info = rates[0]
    return Analysis(
        events=events,
        mode=t.get("mode", choice(Mode), Mode.COHORT),
        information_rates=rates,
        efficacy_looks=tuple(sorted(efficacy)),
        futility_bounds=futility,
        alpha=t.get("alpha", number(MIN_ALPHA, 0.5, hi_open=True), 0.025),
        spending=t.get("spending", _spending, Spending.parse("obf")),
        stage1_weight_squared=t.get("stage1_weight_squared", number(0, 1, hi_open=True), 0.33),
        selection_information=t.get(
            "selection_information",
            number(0, info, lo_open=True, hi_open=True,
                   what=f"in (0, {info:.4g}), below the first look's information rate"),
            min(0.2, info / 2)),
    )


def _accurate_rates(rates, given: bool) -> None:
    """The bounds' limits on the looks (`seamless.stats.boundaries.check_information_rates`), named by the
    key the rates come from."""
    try:
        check_information_rates(rates)
    except ValueError as err:
        reason = str(err).split(": ", 1)[1]
        if given:
            raise ConfigError(f"analysis.information_rates: {reason}") from None
        raise ConfigError(f"analysis.events: {reason} (the information rates are the events over the last "
                          f"look's: {', '.join(f'{r:.4g}' for r in rates)})") from None


def _read(tables: dict) -> dict:
    """The checked sections of a design from its tables (unknown keys refused)."""
    top = Table(tables, "")
    t = {key: top.sub(key) for key in SECTIONS}
    arms = _arms(t["arms"])
    n_doses = len(arms.doses)
    stage1 = _stage1(t["stage1"], n_doses)
    stage2 = _stage2(t["stage2"])
    sections = dict(
        arms=arms, stage1=stage1, stage2=stage2,
        strata=_strata(t["strata"]),
        accrual=_accrual(t["accrual"]),
        outcome=read_outcome(t["outcome"], n_doses),
        endpoints=read_endpoints(t["endpoints"], n_doses),
        selection=_selection(t["selection"], arms, stage1),
        analysis=_analysis(t["analysis"], stage1, stage2),
    )
    for table in t.values():
        table.close()
    top.close()
    _observed_by_rule(sections["selection"].rule, sections["endpoints"])
    return sections


def _observed_by_rule(rule: Rule, endpoints: Endpoints) -> None:
    """A rule on response or toxicity needs them modelled."""
    needs = {SelectionRule.RESPONSE: ("response_probabilities",),
             SelectionRule.UTILITY: ("response_probabilities", "toxicity_probabilities")}.get(rule.rule, ())
    missing = [key for key in needs if getattr(endpoints, key) is None]
    if missing:
        raise ConfigError(f"selection.rule: '{rule.rule.name.lower()}' needs endpoints.{missing[0]} (a probability "
                          "per arm: doses, then control)")
