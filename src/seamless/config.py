"""Reading a TOML design description into the dataclasses of ``design``, validated in one place.

A config holds a base design, named scenarios (partial designs merged over the base) and
sweeps (grids over numeric parameters, each grid point a scenario). Every error is a
``ConfigError`` with one line that names the key and what is allowed.
"""

from __future__ import annotations

import copy
import difflib
import itertools
import math
import re
import tomllib
from pathlib import Path

from seamless.design import (
    Accrual, Adjustment, Analysis, Arms, Config, Correlation, Design, Mode, Outcome, Scenario, Selection,
    SelectionRule, Stage1, Stage2, StratumFactor, Trigger,
)
from seamless.stats.spending import Spending

__all__ = ["ConfigError", "load_config", "parse_config"]


class ConfigError(ValueError):
    """A config that cannot be simulated; the message is one line."""


_REQUIRED = object()
_DESIGN_KEYS = ("arms", "stage1", "stage2", "strata", "accrual", "outcome", "selection", "analysis")


class _Table:
    """Reads one TOML table, checking types; ``close`` rejects keys it was not asked for."""

    def __init__(self, table, where: str):
        if not isinstance(table, dict):
            raise ConfigError(f"{where or 'config'}: expected a table, got {_kind(table)}")
        self.table, self.where, self.seen = table, where, set()

    def _name(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def get(self, key, check, default=_REQUIRED):
        self.seen.add(key)
        if key not in self.table:
            if default is _REQUIRED:
                close = difflib.get_close_matches(key, [k for k in self.table if k not in self.seen], n=1)
                hint = f"; is '{close[0]}' a misspelling of it?" if close else ""
                raise ConfigError(f"{self._name(key)}: missing (required){hint}")
            return default
        return check(self.table[key], self._name(key))

    def sub(self, key) -> "_Table":
        self.seen.add(key)
        return _Table(self.table.get(key, {}), self._name(key))

    def close(self):
        for key in self.table:
            if key not in self.seen:
                close = difflib.get_close_matches(key, sorted(self.seen), n=1)
                hint = f"; did you mean '{close[0]}'?" if close else f"; allowed: {', '.join(sorted(self.seen))}"
                raise ConfigError(f"{self._name(key)}: unknown key{hint}")


def _kind(value) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
            list: "a list", dict: "a table"}.get(type(value), type(value).__name__)


def _int(lo=None):
    def check(value, name):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{name}: expected an integer, got {_kind(value)} {value!r}")
        if lo is not None and value < lo:
            raise ConfigError(f"{name}: must be >= {lo}, got {value}")
        return value
    return check


def _float(lo=-math.inf, hi=math.inf, lo_open=False, hi_open=False, what=None, allow_minus_inf=False):
    def check(value, name):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{name}: expected a number, got {_kind(value)} {value!r}")
        value = float(value)
        if value == -math.inf and allow_minus_inf:
            return value
        bad = (not math.isfinite(value) or value < lo or value > hi
               or (lo_open and value == lo) or (hi_open and value == hi))
        if bad:
            left, right = "(" if lo_open else "[", ")" if hi_open else "]"
            raise ConfigError(f"{name}: must be {what or f'in {left}{lo}, {hi}{right}'}, got {value}")
        return value
    return check


def _str(value, name):
    if not isinstance(value, str):
        raise ConfigError(f"{name}: expected a string, got {_kind(value)} {value!r}")
    return value


def _choice(enum_type):
    def check(value, name):
        allowed = [m.name.lower() for m in enum_type]
        if not isinstance(value, str) or value.lower() not in allowed:
            raise ConfigError(f"{name}: must be one of {', '.join(allowed)}, got {value!r}")
        return enum_type[value.upper()]
    return check


def _list(item, min_len=1):
    def check(value, name):
        if not isinstance(value, list):
            raise ConfigError(f"{name}: expected a list, got {_kind(value)} {value!r}")
        if len(value) < min_len:
            raise ConfigError(f"{name}: needs at least {min_len} entries, got {len(value)}")
        return tuple(item(v, f"{name}[{i}]") for i, v in enumerate(value))
    return check


def _spending(value, name):
    text = _str(value, name)
    try:
        return Spending.parse(text)
    except ValueError as err:
        raise ConfigError(f"{name}: {err}") from None


def _arms(t: _Table) -> Arms:
    control = t.get("control", _str, "control")
    doses = t.get("doses", _list(_str))
    if not 1 <= len(doses) <= 6:
        raise ConfigError(f"arms.doses: 1 to 6 doses allowed, got {len(doses)}")
    if len(set(doses) | {control}) != len(doses) + 1:
        raise ConfigError("arms.doses: arm names must be distinct, control included")
    return Arms(control, doses)


def _stage1(t: _Table, n_doses: int) -> Stage1:
    patients = t.get("patients", _int(0))
    ratio = t.get("ratio", _list(_int(1)), (1,) * (n_doses + 1))
    blocks = t.get("blocks", _list(_list(_int(0))), (ratio,))
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


def _stage2(t: _Table) -> Stage2:
    patients = t.get("patients", _int(1))
    ratio = t.get("ratio", _list(_int(1)), (1, 1))
    if len(ratio) != 2:
        raise ConfigError(f"stage2.ratio: needs 2 entries (selected dose, control), got {len(ratio)}")
    block_size = t.get("block_size", _int(1), sum(ratio))
    if block_size % sum(ratio):
        raise ConfigError(f"stage2.block_size: must be a multiple of {sum(ratio)} "
                          f"(the sum of stage2.ratio {ratio[0]}:{ratio[1]}), got {block_size}")
    return Stage2(patients, ratio, block_size)


def _strata(t: _Table) -> tuple[StratumFactor, ...]:
    factors = t.table.get("factor", [])
    t.seen.add("factor")
    if not isinstance(factors, list):
        raise ConfigError("strata.factor: expected an array of tables ([[strata.factor]])")
    out = []
    for i, raw in enumerate(factors):
        f = _Table(raw, f"strata.factor[{i}]")
        name = f.get("name", _str)
        levels = f.get("levels", _list(_str, 2))
        probs = f.get("probabilities", _list(_float(0, 1, lo_open=True)))
        mults = f.get("hazard_multipliers", _list(_float(0, lo_open=True)), (1.0,) * len(levels))
        f.close()
        if len(probs) != len(levels) or len(mults) != len(levels):
            raise ConfigError(f"strata.factor[{i}]: probabilities and hazard_multipliers need "
                              f"{len(levels)} entries, one per level")
        if abs(sum(probs) - 1) > 1e-9:
            raise ConfigError(f"strata.factor[{i}].probabilities: must sum to 1, got {sum(probs):.10g}")
        out.append(StratumFactor(name, levels, probs, mults))
    return tuple(out)


def _accrual(t: _Table) -> Accrual:
    rates = t.get("rates", _list(_float(0, lo_open=True, what="> 0 patients per month")))
    changes = t.get("change_months", _list(_float(0, lo_open=True), 0), ())
    if len(changes) != len(rates) - 1:
        raise ConfigError(f"accrual.change_months: needs {len(rates) - 1} entries (one fewer than accrual.rates)")
    if any(b <= a for a, b in zip(changes, changes[1:])):
        raise ConfigError("accrual.change_months: must be strictly increasing")
    return Accrual(rates, changes)


def _outcome(t: _Table, n_doses: int) -> Outcome:
    median = t.get("control_median_months", _float(0, lo_open=True, what="> 0 months"))
    hrs = t.get("hazard_ratios", _list(_float(0, lo_open=True, what="> 0")))
    if len(hrs) != n_doses:
        raise ConfigError(f"outcome.hazard_ratios: needs {n_doses} entries, one per dose, got {len(hrs)}")
    dropout = t.get("dropout_per_year", _float(0, 1, hi_open=True), 0.0)
    return Outcome(median, hrs, dropout)


def _selection(t: _Table, arms: Arms, stage1: Stage1) -> Selection:
    trigger = t.get("trigger", _choice(Trigger), Trigger.FOLLOWUP)
    events = t.get("events", _int(1), 0 if trigger is Trigger.FOLLOWUP else _REQUIRED)
    if trigger is Trigger.EVENTS and events > stage1.patients:
        raise ConfigError(f"selection.events: {events} stage-1 events can never be reached "
                          f"with {stage1.patients} stage-1 patients")
    rule = t.get("rule", _choice(SelectionRule), SelectionRule.BEST)
    dose = t.get("dose", _str, None if rule is not SelectionRule.FIXED else _REQUIRED)
    if dose is not None and dose not in arms.doses:
        raise ConfigError(f"selection.dose: must be one of {', '.join(arms.doses)}, got {dose!r}")
    return Selection(
        trigger=trigger,
        followup_months=t.get("followup_months", _float(0), 0.0),
        events=events,
        stage2_delay_months=t.get("stage2_delay_months", _float(0), 0.0),
        rule=rule,
        epsilon=t.get("epsilon", _float(0), 0.0),
        dose=dose,
        adjustment=t.get("adjustment", _choice(Adjustment), Adjustment.DUNNETT),
        correlation=t.get("correlation", _choice(Correlation), Correlation.ALLOCATION),
        futility_z=t.get("futility_z", _float(what="a finite z value or -inf (none)", allow_minus_inf=True), -math.inf),
    )


def _analysis(t: _Table, stage1: Stage1, stage2: Stage2) -> Analysis:
    events = t.get("events", _list(_int(1)))
    if any(b <= a for a, b in zip(events, events[1:])):
        raise ConfigError(f"analysis.events: event targets must be strictly increasing, got {list(events)}")
    looks = len(events)
    efficacy = t.get("efficacy_looks", _list(_int(1)), tuple(range(1, looks + 1)))
    if any(k > looks for k in efficacy) or looks not in efficacy or len(set(efficacy)) != len(efficacy):
        raise ConfigError(f"analysis.efficacy_looks: distinct look numbers in 1..{looks} including the "
                          f"last ({looks}), got {list(efficacy)}")
    futility = t.get("futility_bounds", _list(_float(what="a finite z value or -inf (no futility stop)", allow_minus_inf=True)),
                     (-math.inf,) * looks)
    if len(futility) != looks:
        raise ConfigError(f"analysis.futility_bounds: needs {looks} entries, one per look (-inf for none)")
    # A look that can never be reached: more CG events than CG patients can ever give.
    cg_share = max(stage1.ratio[:-1]) + stage1.ratio[-1]
    max_cg = math.floor(stage1.patients * cg_share / sum(stage1.ratio)) + stage2.patients
    if events[-1] > max_cg:
        raise ConfigError(f"analysis.events: {events[-1]} CG events can never be reached: the CG has at most "
                          f"about {max_cg} patients")
    rates = t.get("information_rates", _list(_float(0, 1, lo_open=True)), tuple(e / events[-1] for e in events))
    if len(rates) != looks or rates[-1] != 1.0 or any(b <= a for a, b in zip(rates, rates[1:])):
        raise ConfigError(f"analysis.information_rates: {looks} strictly increasing rates in (0, 1] ending "
                          f"at 1, one per look, got {list(rates)}")
    info = rates[0]
    return Analysis(
        mode=t.get("mode", _choice(Mode), Mode.COHORT),
        events=events,
        information_rates=rates,
        efficacy_looks=tuple(sorted(efficacy)),
        futility_bounds=futility,
        alpha=t.get("alpha", _float(0, 0.5, True, True), 0.025),
        spending=t.get("spending", _spending, Spending.parse("obf")),
        stage1_weight_squared=t.get("stage1_weight_squared", _float(0, 1, hi_open=True), 0.33),
        selection_information=t.get(
            "selection_information",
            _float(0, info, lo_open=True, hi_open=True,
                   what=f"in (0, {info:.4g}), below the first look's information rate"),
            min(0.2, info / 2)),
    )


def _design(raw: dict) -> Design:
    top = _Table(raw, "")
    t = {key: top.sub(key) for key in _DESIGN_KEYS}
    arms = _arms(t["arms"])
    n_doses = len(arms.doses)
    stage1 = _stage1(t["stage1"], n_doses)
    stage2 = _stage2(t["stage2"])
    design = Design(
        arms=arms, stage1=stage1, stage2=stage2,
        strata=_strata(t["strata"]),
        accrual=_accrual(t["accrual"]),
        outcome=_outcome(t["outcome"], n_doses),
        selection=_selection(t["selection"], arms, stage1),
        analysis=_analysis(t["analysis"], stage1, stage2),
    )
    for table in t.values():
        table.close()
    top.close()
    return design


_PATH = re.compile(r"^([A-Za-z_][\w]*)(?:\[(\d+)\])?$")


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _set_path(raw: dict, path: str, value, where: str) -> None:
    """Set ``section.key`` or ``section.key[i]`` (0-based) in a raw design dict."""
    node, parts = raw, path.split(".")
    for depth, part in enumerate(parts):
        m = _PATH.match(part)
        if not m:
            raise ConfigError(f"{where}: '{path}' is not a parameter path like 'outcome.hazard_ratios[2]'")
        key, index = m.group(1), m.group(2)
        last = depth == len(parts) - 1
        if not isinstance(node, dict) or key not in node:
            raise ConfigError(f"{where}: '{path}' names no parameter of the design")
        if index is None and not last:
            node = node[key]
            continue
        target = node[key]
        if index is not None:
            if not isinstance(target, list) or int(index) >= len(target):
                raise ConfigError(f"{where}: '{path}' index out of range")
            if not last:
                node = target[int(index)]
                continue
            container, slot = target, int(index)
        else:
            container, slot = node, key
        if isinstance(container[slot], bool) or not isinstance(container[slot], (int, float)):
            raise ConfigError(f"{where}: '{path}' is not a numeric parameter")
        container[slot] = value


def _scenarios(doc: dict) -> tuple[Scenario, ...]:
    base = {k: doc[k] for k in _DESIGN_KEYS if k in doc}
    named = doc.get("scenarios", {})
    if not isinstance(named, dict):
        raise ConfigError("scenarios: expected tables [scenarios.NAME]")
    raws = {"base": (base, {})} if not named else {}
    for name, over in named.items():
        if not isinstance(over, dict):
            raise ConfigError(f"scenarios.{name}: expected a table of design keys")
        for key in over:
            if key not in _DESIGN_KEYS:
                close = difflib.get_close_matches(key, _DESIGN_KEYS, n=1)
                hint = f"did you mean '{close[0]}'?" if close else f"allowed: {', '.join(_DESIGN_KEYS)}"
                raise ConfigError(f"scenarios.{name}.{key}: unknown key; {hint}")
        raws[name] = (_merge(base, over), over)
    sweeps = doc.get("sweeps", {})
    if not isinstance(sweeps, dict):
        raise ConfigError("sweeps: expected tables [sweeps.NAME]")
    for sweep, spec in sweeps.items():
        where = f"sweeps.{sweep}"
        if not isinstance(spec, dict):
            raise ConfigError(f"{where}: expected a table")
        start = spec.get("base")
        if start is not None and (not isinstance(start, str) or start not in raws):
            raise ConfigError(f"{where}.base: must name a scenario ({', '.join(raws)}), got {start!r}")
        start_raw, start_over = raws[start] if start else (base, {})
        grid = {k: v for k, v in spec.items() if k != "base"}
        if not grid:
            raise ConfigError(f"{where}: give at least one parameter, e.g. \"outcome.hazard_ratios[2]\" = [1.0, 0.8]")
        for path, values in grid.items():
            _list(_float())(values, f"{where}.{path}")
        for point in itertools.product(*grid.values()):
            raw = copy.deepcopy(start_raw)
            for path, value in zip(grid, point):
                _set_path(raw, path, value, where)
            label = ",".join(f"{p}={v:g}" for p, v in zip(grid, point))
            raws[f"{sweep}:{label}"] = (raw, {**start_over, **dict(zip(grid, point))})
    scenarios = []
    for name, (raw, over) in raws.items():
        try:
            scenarios.append(Scenario(name, _design(raw), over))
        except ConfigError as err:
            prefix = "" if name == "base" else f"scenario {name}: "
            raise ConfigError(f"{prefix}{err}") from None
    first = scenarios[0].design
    for s in scenarios[1:]:
        if s.design.arms.doses != first.arms.doses or len(s.design.analysis.events) != len(first.analysis.events):
            raise ConfigError(f"scenario {s.name}: all scenarios must have the same doses and number of looks "
                              f"(their trials share one table)")
    return tuple(scenarios)


def parse_config(text: str, name: str) -> Config:
    """Parse and validate config text; ``name`` is used when the text sets none."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"TOML syntax error: {err}") from None
    top = _Table(doc, "")
    name = top.get("name", _str, name)
    if not re.fullmatch(r"\w[\w.-]*", name):
        raise ConfigError(f"name: letters, digits, '_', '-', '.', starting with a letter or digit "
                          f"(it names the results folder), got {name!r}")
    sim = top.sub("simulation")
    seed = sim.get("seed", _int(0), 20261123)
    trials = sim.get("trials", _int(1), 10000)
    chunk = sim.get("chunk_trials", _int(1), 1000)
    sim.close()
    for key in (*_DESIGN_KEYS, "scenarios", "sweeps"):
        top.seen.add(key)
    top.close()
    return Config(name, seed, trials, chunk, _scenarios(doc), text)


def load_config(path: str | Path) -> Config:
    """Read a TOML config file; the results folder is named after it unless it sets ``name``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else err.__class__.__name__
        raise ConfigError(f"cannot read config {path}: {reason}") from None
    try:
        return parse_config(text, path.stem)
    except ConfigError as err:
        raise ConfigError(f"{path}: {err}") from None
