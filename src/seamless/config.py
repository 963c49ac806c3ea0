"""A study: named scenarios of a design, their sweeps and the simulation settings, read from TOML.

A config holds a base design, named scenarios (partial designs merged over the base) and
sweeps (grids over numeric parameters, each grid point a scenario). Every error is a
``ConfigError`` with one line that names the key and what is allowed. A study built in Python
(`Study.from_designs`, `sweep`) carries the TOML text that reads back to it, so every run can be
reproduced from the text stored with its results.
"""

from __future__ import annotations

import copy
import difflib
import itertools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import tomllib

from seamless._schema import ConfigError, Table, boolean, integer, list_of, number
from seamless.design import SECTIONS, Design, plain_tables, set_path

__all__ = ["ConfigError", "Scenario", "Study", "parse_study", "load_study", "sweep", "check_folder_name",
           "check_run_size", "DEFAULT_SEED", "DEFAULT_TRIALS", "DEFAULT_CHUNK_TRIALS", "MAX_TRIALS",
           "MAX_CHUNK_TRIALS", "MAX_CHUNKS", "MAX_SCENARIOS"]

DEFAULT_SEED, DEFAULT_TRIALS, DEFAULT_CHUNK_TRIALS = 20261123, 10000, 1000
#: Limits that keep a run's plan, memory and time bounded (README, "Limits").
MAX_TRIALS, MAX_CHUNK_TRIALS, MAX_CHUNKS, MAX_SCENARIOS = 100_000_000, 100_000, 1_000_000, 10_000
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_. -]{0,99}")


def check_folder_name(name, what: str = "name") -> str:
    """A name that is safe as one folder name: up to 100 letters, digits, '_', '-', '.', spaces, not
    starting with '.', '-' or a space."""
    if not isinstance(name, str) or not _NAME.fullmatch(name) or name != name.rstrip():
        raise ConfigError(f"{what}: up to 100 letters, digits, '_', '-', '.' or spaces, starting with a letter, "
                          f"digit or '_' (it names the results folder), got {name!r}")
    return name


def check_run_size(trials: int, chunk_trials: int, what: str = "trials") -> None:
    """Refuse runs beyond the documented limits before anything is planned."""
    if trials > MAX_TRIALS:
        raise ConfigError(f"{what}: at most {MAX_TRIALS:,} trials per scenario, got {trials:,}")
    chunks = -(-trials // chunk_trials)
    if chunks > MAX_CHUNKS:
        raise ConfigError(f"{what}: {trials:,} trials in chunks of {chunk_trials:,} make {chunks:,} chunks per "
                          f"scenario, at most {MAX_CHUNKS:,}: raise simulation.chunk_trials")


@dataclass(frozen=True)
class Scenario:
    name: str
    design: Design
    sweep: str | None = None                        # the sweep this scenario is a point of
    point: tuple[tuple[str, float], ...] = ()       # that point: (parameter path, value) pairs


@dataclass(frozen=True)
class Study:
    name: str
    seed: int
    trials: int
    chunk_trials: int
    scenarios: tuple[Scenario, ...]
    text: str                                       # the TOML that reads back to this study
    common_random_numbers: bool = True              # trial i of every scenario shares its random numbers

    def __post_init__(self):
        if not self.scenarios:
            raise ConfigError("a study needs at least one scenario")
        first = self.scenarios[0].design
        for s in self.scenarios[1:]:
            if s.design.doses != first.doses or s.design.looks != first.looks:
                raise ConfigError(f"scenario {s.name}: all scenarios must have the same doses and number of looks "
                                  f"(their trials share one table)")

    def scenario_names(self) -> list[str]:
        return [s.name for s in self.scenarios]

    def __getitem__(self, name: str) -> Design:
        for s in self.scenarios:
            if s.name == name:
                return s.design
        raise KeyError(f"no scenario {name!r}; the study has {', '.join(self.scenario_names())}")

    def select(self, names) -> Study:
        """The study with only the scenarios named (a sweep's name picks all its points)."""
        if not names:
            return self
        names = [names] if isinstance(names, str) else list(names)
        known = list(dict.fromkeys(s.sweep or s.name for s in self.scenarios))  # a sweep by its name, in order
        unknown = [n for n in names if n not in known and n not in self.scenario_names()]
        if unknown:
            raise ConfigError(f"unknown scenario {', '.join(unknown)}; the study has {', '.join(known)}")
        chosen = tuple(s for s in self.scenarios if s.name in names or s.sweep in names)
        return replace(self, scenarios=chosen)

    @classmethod
    def from_designs(cls, designs: Design | Mapping[str, Design], name: str = "study", seed: int = DEFAULT_SEED,
                     trials: int = DEFAULT_TRIALS, chunk_trials: int = DEFAULT_CHUNK_TRIALS,
                     common_random_numbers: bool = True) -> Study:
        """A study of one design (scenario ``base``) or of named designs."""
        designs = {"base": designs} if isinstance(designs, Design) else dict(designs)
        doc = _settings(name, seed, trials, chunk_trials, common_random_numbers)
        if list(designs) == ["base"]:
            doc.update(plain_tables(designs["base"].source))
        else:
            doc["scenarios"] = {n: plain_tables(d.source) for n, d in designs.items()}
        return parse_study(_toml(doc), name)


def sweep(design: Design, grid: Mapping[str, list], name: str = "sweep", seed: int = DEFAULT_SEED,
          trials: int = DEFAULT_TRIALS, chunk_trials: int = DEFAULT_CHUNK_TRIALS,
          common_random_numbers: bool = True) -> Study:
    """A study of every point of ``grid`` ({parameter path: values}) over ``design``; the points are
    named ``<name>:<path>=<value>,...``, as the sweeps of a config."""
    doc = {**_settings(name, seed, trials, chunk_trials, common_random_numbers), **plain_tables(design.source)}
    doc["sweeps"] = {name: {path: list(values) for path, values in grid.items()}}
    return parse_study(_toml(doc), name)


def _settings(name, seed, trials, chunk_trials, common_random_numbers) -> dict:
    return {"name": name, "simulation": {"seed": seed, "trials": trials, "chunk_trials": chunk_trials,
                                         "common_random_numbers": common_random_numbers}}


def _toml(doc: dict) -> str:
    import tomli_w

    return tomli_w.dumps(doc)


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _design(tables: dict, scenario: str, changed: dict | None = None) -> Design:
    """The design of ``tables``; an error names the scenario only when the value at fault is one the
    scenario sets (``changed``, its tables over the base), else it is the base tables' own."""
    try:
        return Design.from_dict(tables)
    except ConfigError as err:
        if scenario == "base" or not _sets(changed or {}, str(err).split(":", 1)[0]):
            raise
        raise ConfigError(f"scenario {scenario}: {err}") from None


def _sets(tables: dict, path: str) -> bool:
    """Whether ``tables`` hold the key of ``path`` ("outcome.hazard_ratios[1]", "strata.factor[0].levels")
    or a table above it (a scenario that replaces a whole list sets all its entries)."""
    node = tables
    for part in re.sub(r"\[\d+\]", "", path).split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
        if not isinstance(node, dict):
            return True
    return True


def _label(value: float) -> str:
    """A sweep value as written in a point's name: the shortest text that reads back to it exactly."""
    return repr(float(value)).removesuffix(".0")


def _named(doc: dict) -> dict[str, dict]:
    """Each named scenario's tables, as given (merged over the base when read)."""
    named = doc.get("scenarios", {})
    if not isinstance(named, dict):
        raise ConfigError("scenarios: expected tables [scenarios.NAME]")
    out = {}
    for name, over in named.items():
        if not isinstance(over, dict):
            raise ConfigError(f"scenarios.{name}: expected a table of design keys")
        for key in over:
            if key not in SECTIONS:
                close = difflib.get_close_matches(key, SECTIONS, n=1)
                hint = f"did you mean '{close[0]}'?" if close else f"allowed: {', '.join(SECTIONS)}"
                raise ConfigError(f"scenarios.{name}.{key}: unknown key; {hint}")
        out[name] = over
    return out


def _sweep_points(name: str, spec, named: dict[str, dict], base: dict, room: int) -> list[Scenario]:
    """The grid points of sweep ``name``; ``room``: how many more scenarios the study may have."""
    where = f"sweeps.{name}"
    if not isinstance(spec, dict):
        raise ConfigError(f"{where}: expected a table")
    start = spec.get("base")
    if start is not None and (not isinstance(start, str) or start not in named):
        raise ConfigError(f"{where}.base: must name a scenario ({', '.join(named)}), got {start!r}")
    over = named[start] if start else {}
    tables = _merge(base, over)
    grid = {k: list_of(number())(v, f"{where}.{k}") for k, v in spec.items() if k != "base"}
    if not grid:
        raise ConfigError(f"{where}: give at least one parameter, e.g. \"outcome.hazard_ratios[2]\" = [1.0, 0.8]")
    for path, values in grid.items():
        repeated = next((v for i, v in enumerate(values) if v in values[:i]), None)
        if repeated is not None:
            raise ConfigError(f"{where}.{path}: values must be distinct, {_label(repeated)} appears twice")
    size = math.prod(len(values) for values in grid.values())
    if size > room:
        raise ConfigError(f"{where}: {size:,} grid points; a study has at most {MAX_SCENARIOS:,} scenarios")
    full = _design(tables, start or "base", over).to_dict()
    points = []
    for values in itertools.product(*grid.values()):
        point = tuple(zip(grid, values))
        label = f"{name}:" + ",".join(f"{p}={_label(v)}" for p, v in point)
        changed, changes = copy.deepcopy(tables), copy.deepcopy(over)
        for path, value in point:
            try:
                set_path(changed, full, path, value, numeric=True)
                set_path(changes, full, path, value)
            except ConfigError as err:
                raise ConfigError(f"{where}: {err}") from None
        points.append(Scenario(label, _design(changed, label, changes), name, point))
    return points


def parse_study(text: str, name: str) -> Study:
    """Parse and validate config text; ``name`` is used when the text sets none. Without named
    scenarios or sweeps the base design runs as scenario ``base``."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"TOML syntax error: {err}") from None
    top = Table(doc, "")
    name = top.get("name", check_folder_name, name)
    sim = top.sub("simulation")
    seed = sim.get("seed", integer(0, 2**63 - 1), DEFAULT_SEED)
    trials = sim.get("trials", integer(1), DEFAULT_TRIALS)
    chunk = sim.get("chunk_trials", integer(1, MAX_CHUNK_TRIALS), DEFAULT_CHUNK_TRIALS)
    common = sim.get("common_random_numbers", boolean, True)
    check_run_size(trials, chunk, "simulation.trials")
    sim.close()
    top.seen.update((*SECTIONS, "scenarios", "sweeps"))
    top.close()
    base = {k: doc[k] for k in SECTIONS if k in doc}
    named = _named(doc)
    sweeps = doc.get("sweeps", {})
    if not isinstance(sweeps, dict):
        raise ConfigError("sweeps: expected tables [sweeps.NAME]")
    scenarios = [Scenario(n, _design(_merge(base, over), n, over)) for n, over in named.items()]
    if not named and not sweeps:
        scenarios.append(Scenario("base", _design(base, "base")))
    for sweep_name, spec in sweeps.items():
        scenarios += _sweep_points(sweep_name, spec, named, base, MAX_SCENARIOS - len(scenarios))
    return Study(name, seed, trials, chunk, tuple(scenarios), text, common)


def load_study(path: str | Path) -> Study:
    """Read a TOML config file; the results folder is named after it unless it sets ``name``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # a byte-order mark, as some editors write, is dropped
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else err.__class__.__name__
        raise ConfigError(f"cannot read config {path}: {reason}") from None
    try:
        return parse_study(text, path.stem)
    except ConfigError as err:
        raise ConfigError(f"{path}: {err}") from None
