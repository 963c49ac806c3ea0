"""Typed reading of TOML-shaped tables: each value checked as it is read, with one-line errors.

A design is described by nested tables (TOML's, or the same dicts built in Python). `Table` reads
one of them key by key: every read names the check that applies, and `close` rejects keys nobody
asked for, suggesting the closest allowed one. Every error is a `ConfigError` of one line that
names the key and what is allowed.
"""

from __future__ import annotations

import difflib
import enum
import math

__all__ = ["ConfigError", "REQUIRED", "Table", "boolean", "integer", "number", "string", "choice", "list_of", "kind_of"]


class ConfigError(ValueError):
    """A design or config that cannot be simulated; the message is one line."""


#: Default of a key that must be given.
REQUIRED = object()


class Table:
    """Reads one table, checking types; ``close`` rejects keys it was not asked for."""

    def __init__(self, table, where: str):
        if not isinstance(table, dict):
            raise ConfigError(f"{where or 'config'}: expected a table, got {kind_of(table)}")
        self.table, self.where, self.seen = table, where, set()

    def name(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def get(self, key, check, default=REQUIRED):
        self.seen.add(key)
        if key not in self.table:
            if default is REQUIRED:
                close = difflib.get_close_matches(key, [k for k in self.table if k not in self.seen], n=1)
                hint = f"; is '{close[0]}' a misspelling of it?" if close else ""
                raise ConfigError(f"{self.name(key)}: missing (required){hint}")
            return default
        return check(self.table[key], self.name(key))

    def sub(self, key) -> Table:
        self.seen.add(key)
        return Table(self.table.get(key, {}), self.name(key))

    def close(self):
        for key in self.table:
            if key not in self.seen:
                close = difflib.get_close_matches(str(key), sorted(self.seen), n=1)
                hint = f"; did you mean '{close[0]}'?" if close else f"; allowed: {', '.join(sorted(self.seen))}"
                raise ConfigError(f"{self.name(key)}: unknown key{hint}")


def kind_of(value) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
            list: "a list", tuple: "a list", dict: "a table"}.get(type(value), type(value).__name__)


def integer(lo=None, hi=None):
    def check(value, name):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{name}: expected an integer, got {kind_of(value)} {value!r}")
        if lo is not None and value < lo:
            raise ConfigError(f"{name}: must be >= {lo}, got {value}")
        if hi is not None and value > hi:
            raise ConfigError(f"{name}: must be <= {hi:,}, got {value:,}")
        return int(value)
    return check


def number(lo=-math.inf, hi=math.inf, lo_open=False, hi_open=False, what=None, allow_minus_inf=False):
    def check(value, name):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{name}: expected a number, got {kind_of(value)} {value!r}")
        value = float(value)
        if value == -math.inf and allow_minus_inf:
            return value
        bad = (not math.isfinite(value) or value < lo or value > hi
               or (lo_open and value == lo) or (hi_open and value == hi))
        if bad:
            left, right = "(" if lo_open else "[", ")" if hi_open else "]"
            raise ConfigError(f"{name}: must be {what or f'in {left}{lo:g}, {hi:g}{right}'}, got {value}")
        return value
    return check


def boolean(value, name):
    if not isinstance(value, bool):
        raise ConfigError(f"{name}: expected true or false, got {kind_of(value)} {value!r}")
    return value


def string(value, name):
    if not isinstance(value, str):
        raise ConfigError(f"{name}: expected a string, got {kind_of(value)} {value!r}")
    return value


def choice(enum_type: type[enum.Enum]):
    """One of the enum's members, written as its lower-case name (a member itself is accepted too)."""
    def check(value, name):
        allowed = [m.name.lower() for m in enum_type]
        if isinstance(value, enum_type):
            return value
        if not isinstance(value, str) or value.lower() not in allowed:
            raise ConfigError(f"{name}: must be one of {', '.join(allowed)}, got {value!r}")
        return enum_type[value.upper()]
    return check


def list_of(item, min_len=1):
    def check(value, name):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{name}: expected a list, got {kind_of(value)} {value!r}")
        if len(value) < min_len:
            raise ConfigError(f"{name}: needs at least {min_len} entries, got {len(value)}")
        return tuple(item(v, f"{name}[{i}]") for i, v in enumerate(value))
    return check
