"""Parquet files of a run: one row per trial, one row per scenario. The only module using pyarrow.

Files are written whole or not at all: each goes to a temporary name in the target folder
and is renamed into place only after every file of the run has been written.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from seamless.engine import STOP_EFFICACY, STOP_FUTILITY
from seamless.runner import ScenarioRun

__all__ = ["trials_table", "summary_table", "write_tables"]

_REASONS = np.array(["none", "efficacy", "futility"])


def trials_table(runs: list[ScenarioRun]):
    """Per-trial table (DESIGN.md section 7) of all runs, in run order."""
    import pyarrow as pa

    tables = []
    for run in runs:
        out, d = run.outputs, run.kernel
        doses = np.array(run.scenario.design.arms.doses)
        n = out.reject.size
        columns = {
            "scenario": [run.scenario.name] * n,
            "trial": np.arange(n, dtype=np.int64),
            "selected_dose": doses[out.selected - 1],
        }
        for j, dose in enumerate(doses):
            columns[f"stage1_z_{dose}"] = out.stage1_z[:, j]
        columns["stage1_adjusted_p"] = out.stage1_adjusted_p
        columns["selection_time"] = out.selection_time
        for k in range(d.look_events.size):
            performed = out.look_events[:, k] >= 0
            missing = ~performed
            columns[f"look{k + 1}_time"] = pa.array(out.look_time[:, k], mask=missing)
            columns[f"look{k + 1}_cg_events"] = pa.array(out.look_events[:, k], mask=missing)
            columns[f"look{k + 1}_z"] = pa.array(out.look_z[:, k], mask=missing)
            bound = float(d.efficacy_bounds[k])
            columns[f"look{k + 1}_bound"] = pa.array(np.full(n, bound), mask=missing | ~np.isfinite(bound))
            columns[f"look{k + 1}_target_reached"] = pa.array(out.look_target_reached[:, k], mask=missing)
        columns["stop_look"] = out.stop_look
        columns["stop_reason"] = _REASONS[out.stop_reason]
        columns["reject"] = out.reject
        columns["patients"] = out.patients
        columns["cg_events"] = out.cg_events
        columns["duration"] = out.duration
        columns["hr_estimate"] = out.hr_estimate
        tables.append(pa.table(columns))
    return pa.concat_tables(tables)


def summary_table(rows: list[dict]):
    import pyarrow as pa

    return pa.Table.from_pylist(rows)


def write_tables(folder: Path, tables: dict, metadata: dict[str, str]) -> list[Path]:
    """Write {file name: table} into ``folder`` with ``metadata`` in each file; all or nothing."""
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    staged = []
    try:
        for name, table in tables.items():
            table = table.replace_schema_metadata({**(table.schema.metadata or {}), **metadata})
            tmp = folder / f".{name}.tmp-{os.getpid()}"
            staged.append((tmp, folder / name))
            pq.write_table(table, tmp)
        for tmp, final in staged:
            os.replace(tmp, final)
    finally:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
    return [final for _, final in staged]
