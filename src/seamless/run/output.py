"""Tables of a run: one row per trial, one row per scenario, as Parquet files or in memory.

``ResultWriter`` streams the per-trial table one row group at a time (whole chunks, at least
ROW_GROUP_ROWS rows but the last of a scenario) and writes the summary at the end. Both are
written in a private staging folder and renamed into place by ``commit`` only when complete
(`seamless.run.store.publish`): files are written whole or not at all. ``ResultTables`` takes the
same calls and keeps the tables in memory, so a run in memory is the run that writes files, and
saving it later writes the same files.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np

from seamless.run.store import RunLock, publish, staging_folder
from seamless.run.summary import Z95
from seamless.sim.engine import StopReason, TrialOutputs
from seamless.sim.kernel_design import KernelDesign

__all__ = ["trials_table", "ResultWriter", "ResultTables", "json_safe", "read_results", "write_results", "TRIALS_FILE",
           "SUMMARY_FILE"]

TRIALS_FILE, SUMMARY_FILE = "trials.parquet", "summary.parquet"
#: Stop reasons as text, indexed by their code.
_REASONS = tuple(reason.name.lower() for reason in sorted(StopReason))

#: Chunks are gathered into row groups of at least this many rows: building and writing a table
#: costs about as much per call as per thousand rows, so fewer, larger groups keep the writing short.
ROW_GROUP_ROWS = 10_000


def trials_table(scenario_name: str, design, d: KernelDesign, out: TrialOutputs, first_trial: int):
    """Per-trial rows (DESIGN.md section 7) of consecutive trials of ``design`` from ``first_trial`` on;
    looks not performed are null, and so is the selected dose of a trial stopped for safety."""
    import pyarrow as pa

    n, doses = out.reject.size, design.doses
    columns = {  # text columns taken from their few values by index (the fast way to build them)
        "scenario": pa.array([scenario_name]).take(np.zeros(n, np.int64)),
        "trial": np.arange(first_trial, first_trial + n, dtype=np.int64),
        "selected_dose": pa.array(doses, pa.string()).take(pa.array(out.selected - 1, mask=out.selected < 1)),
    }
    for j, dose in enumerate(doses):
        columns[f"stage1_z_{dose}"] = out.stage1_z[:, j]
    for j, dose in enumerate(doses):
        if design.endpoints.response_probabilities is not None:
            columns[f"responders_{dose}"] = out.responders[:, j]
            columns[f"response_assessed_{dose}"] = out.response_assessed[:, j]
        if design.endpoints.toxicity_probabilities is not None:
            columns[f"toxicities_{dose}"] = out.toxicities[:, j]
            columns[f"toxicity_assessed_{dose}"] = out.toxicity_assessed[:, j]
    columns["stage1_adjusted_p"] = out.stage1_adjusted_p
    columns["selection_time"] = out.selection_time
    for k in range(d.looks.events.size):
        missing = out.look_events[:, k] < 0
        bound = float(d.looks.efficacy_bounds[k])
        columns[f"look{k + 1}_time"] = pa.array(out.look_time[:, k], mask=missing)
        columns[f"look{k + 1}_cg_events"] = pa.array(out.look_events[:, k], mask=missing)
        columns[f"look{k + 1}_z"] = pa.array(out.look_z[:, k], mask=missing)
        columns[f"look{k + 1}_bound"] = pa.array(np.full(n, bound), mask=missing | (not np.isfinite(bound)))
        columns[f"look{k + 1}_target_reached"] = pa.array(out.look_target_reached[:, k], mask=missing)
    columns["stop_look"] = out.stop_look
    columns["stop_reason"] = pa.array(_REASONS, pa.string()).take(out.stop_reason)
    columns["reject"] = out.reject
    columns["patients"] = out.patients
    columns["cg_events"] = out.cg_events
    columns["duration"] = out.duration
    columns["hr_estimate"] = out.hr_estimate
    # EXTENSIONS.md s.3: the naive 95% interval exp(-U/V -+ z_0.975 / sqrt(V)), blind to selection and stopping
    columns["hr_ci_low"] = out.hr_estimate * np.exp(-Z95 * out.log_hr_se)
    columns["hr_ci_high"] = out.hr_estimate * np.exp(Z95 * out.log_hr_se)
    # EXTENSIONS.md s.4: the repeated CI at the look where the trial stopped ((0, inf) at a look without efficacy)
    columns["hr_repeated_ci_low"] = out.repeated_ci_low
    columns["hr_repeated_ci_high"] = out.repeated_ci_high
    return pa.table(columns)


class ResultWriter:
    """Writes ``trials.parquet`` and ``summary.parquet`` into ``folder``, all or nothing.

    Use as a context manager: ``add_trials`` per chunk, then ``commit(summary_rows)``; leaving the
    block without ``commit`` (an error, an interrupt) removes the temporary files.
    """

    def __init__(self, folder: Path, metadata: dict[str, str]):
        self.folder, self.metadata = Path(folder), metadata
        self.staging = self.tmp = None
        self._trials = None

    def __enter__(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        self.staging = staging_folder(self.folder)
        self.tmp = {name: self.staging / name for name in (TRIALS_FILE, SUMMARY_FILE)}
        return self

    def add_trials(self, table) -> None:
        """Append rows as one row group. Only the text columns are dictionary-encoded: for the numbers
        a dictionary doubles the writing time and makes the file larger."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self._trials is None:
            text = [field.name for field in table.schema if pa.types.is_string(field.type)]
            self._trials = pq.ParquetWriter(self.tmp[TRIALS_FILE], table.schema.with_metadata(self.metadata),
                                            use_dictionary=text)
        self._trials.write_table(table, row_group_size=table.num_rows)

    def commit(self, summary_rows: list[dict]) -> list[Path]:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self._trials is None:
            raise ValueError("no trials to write")
        self._trials.close()
        summary = pa.Table.from_pylist(summary_rows)
        pq.write_table(summary.replace_schema_metadata(self.metadata), self.tmp[SUMMARY_FILE])
        (self.folder / SUMMARY_FILE).unlink(missing_ok=True)  # a kill in between leaves no pair of two runs
        finals = []
        for name, tmp in self.tmp.items():
            publish(tmp, self.folder / name)
            finals.append(self.folder / name)
        return finals

    def __exit__(self, *exc):
        if self._trials is not None and exc[0] is not None:
            self._trials.close()
        shutil.rmtree(self.staging, ignore_errors=True)
        return False


class ResultTables:
    """The calls of ``ResultWriter``, the tables kept in memory: ``trials`` (pyarrow tables, one per row
    group) and ``summary_rows``."""

    def __init__(self, metadata: dict[str, str]):
        self.metadata, self.trials, self.summary_rows = metadata, [], None

    def __enter__(self):
        return self

    def add_trials(self, table) -> None:
        self.trials.append(table)

    def commit(self, summary_rows: list[dict]) -> list[Path]:
        self.summary_rows = summary_rows
        return []

    def __exit__(self, *exc):
        return False


def json_safe(value):
    """Rows as strict JSON values: NaN and infinities (a standard error of one trial, a look without
    a bound) as None, numpy scalars as Python numbers."""
    if isinstance(value, dict):
        return {key: json_safe(v) for key, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if hasattr(value, "dtype") and hasattr(value, "item"):
        value = value.item()
    return None if isinstance(value, float) and not math.isfinite(value) else value


def read_results(folder: Path):
    """The metadata (text keys and values) and the summary rows of the results in ``folder``, and the
    study they are of; FileNotFoundError when it holds none."""
    import pyarrow.parquet as pq

    from seamless.config import parse_study

    missing = [name for name in (TRIALS_FILE, SUMMARY_FILE) if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{folder}: not a results folder (no {' or '.join(missing)})")
    summary = pq.read_table(folder / SUMMARY_FILE)
    metadata = {k.decode(): v.decode() for k, v in (summary.schema.metadata or {}).items()}
    study = parse_study(metadata["config"], metadata["config_name"]).select(metadata["scenarios"].split("\n"))
    return study, summary.to_pylist(), metadata


def write_results(folder: Path, metadata: dict[str, str], trial_tables, summary_rows: list[dict]) -> list[Path]:
    """Write tables held in memory as the files a run writes (the same row groups, the same bytes),
    holding the folder's run lock meanwhile."""
    with RunLock(folder), ResultWriter(folder, metadata) as writer:
        for table in trial_tables:
            writer.add_trials(table)
        return writer.commit(summary_rows)
