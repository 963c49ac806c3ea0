"""Property: whatever a config holds, ``simulate`` either runs and writes finite results (exit 0) or
says what is wrong in one line and writes nothing (exit 2); never a traceback.

Configs are the default design, or the default design with a delayed effect, response, toxicity
and selection on their utility, with one to three of its values (or whole lists and tables)
replaced by wrong types, out-of-range and extreme values, written as real TOML.
"""

import contextlib
import io
import json
import math
import tempfile
from pathlib import Path

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import DEFAULT_CONFIG
from seamless.cli import main
from seamless.config import load_study
from seamless.design import plain_tables, set_path

_DEFAULT = load_study(DEFAULT_CONFIG)["design"]
_FULL = _DEFAULT.replace({
    "outcome.piece_starts_months": [0.0, 4.0], "outcome.hazard_ratios": [[1.0, 0.8], 0.72, [1.3, 0.6]],
    "endpoints.response_probabilities": [0.3, 0.45, 0.6, 0.3], "endpoints.response_pfs_correlation": 0.5,
    "endpoints.toxicity_probabilities": [0.1, 0.2, 0.35, 0.1], "selection.rule": "utility",
    "selection.utility_weight": 0.5, "selection.max_toxicity": 0.3})


def _paths(node, prefix=""):
    """Every value of the design's tables by its dotted path: lists and tables, and their entries."""
    items = node.items() if isinstance(node, dict) else ((f"[{i}]", v) for i, v in enumerate(node))
    for key, value in items:
        path = f"{prefix}{key}" if key.startswith("[") else f"{prefix}.{key}" if prefix else key
        yield path
        if isinstance(value, (dict, list)) and value:
            yield from _paths(value, path)


def _changeable(design):
    """The design's explicit tables and the paths of their values (not whole sections)."""
    tables = plain_tables(design.to_dict())
    return tables, sorted(set(_paths(tables)) - set(tables))


BASES = {"default": (_DEFAULT, *_changeable(_DEFAULT)), "full": (_FULL, *_changeable(_FULL))}

EXTREMES = [0, -1, 1, 2, 10**6 + 1, 2**63 - 1, -(2**63), 0.0, -0.0, 1e-300, 5e-324, 1e308, -1e308,
            math.inf, -math.inf, math.nan, 0.3000000000000001, 0.999999999, 1.0000001]
VALUES = st.one_of(
    st.floats(min_value=1e-3, max_value=1e3),  # plausible values too, so that many configs run
    st.integers(min_value=0, max_value=1000),
    st.sampled_from(EXTREMES),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.text(max_size=6),
    st.booleans(),
    st.lists(st.one_of(st.sampled_from(EXTREMES), st.floats(-10, 10), st.integers(-3, 500)), max_size=5),
    st.just({}),
)


def _strict(text: str):
    def refuse(constant):
        raise AssertionError(f"JSON output holds {constant}")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("base", BASES)
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(data=st.data())
def test_any_config_runs_finite_or_is_refused_in_one_line(base, data):
    design, full, paths = BASES[base]
    changes = data.draw(st.lists(st.tuples(st.sampled_from(paths), VALUES), min_size=1, max_size=3))
    tables = plain_tables(design.source)
    for path, value in changes:
        with contextlib.suppress(Exception):  # a path under a value already replaced: keep what is there
            set_path(tables, full, path, value)
    with tempfile.TemporaryDirectory() as tmp:
        config, out = Path(tmp) / "fuzz.toml", Path(tmp) / "out"
        config.write_text(f"[simulation]\nchunk_trials = 10\n\n{tomli_w.dumps(tables)}")
        stdout, stderr = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = main([str(config), "--trials", "20", "--jobs", "1", "--json", "--quiet", "--out", str(out)])
        err = stderr.getvalue()
        assert code in (0, 2), (code, err)
        assert "Traceback" not in err
        if code == 2:
            lines = err.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("simulate: error: "), err
            assert not out.exists(), sorted(p.name for p in out.rglob("*"))
            return
        row = _strict(stdout.getvalue())[0]
        for name in ("power", "expected_patients", "expected_duration", "mean_time_selection"):
            assert math.isfinite(row[name]), (name, row[name])
        assert 0.0 <= row["power"] <= 1.0
        assert sorted(p.name for p in out.iterdir()) == ["summary.parquet", "trials.parquet"]
