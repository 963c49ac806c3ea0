"""A trial's patient-level data, read and checked against its design (EXTENSIONS.md section 4).

One row per patient: ``patient`` (a unique id), ``stage`` (1 or 2), ``arm`` (the design's arm names), one
column per stratification factor (its levels), ``entry`` (calendar months from the opening of accrual, or
ISO dates), ``time`` (months from entry to the PFS event or censoring at the data's cut-off) and ``event``
(1/0). Every check names the column and the first offending row (1-based, the header not counted), in one
line. The data are cut at a calendar time as DESIGN.md section 1 counts events: a patient entered before
the cut tau is followed to min(time, tau - entry), with an event if it happened by then.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np

from seamless._schema import ConfigError
from seamless.design import Design

__all__ = ["DataError", "PatientData", "read_table", "patient_data", "DAYS_PER_MONTH"]

#: Months of ISO dates: days / (365.25 / 12).
DAYS_PER_MONTH = 365.25 / 12.0


class DataError(ConfigError):
    """Patient data that cannot be analysed with the design; the message is one line."""


class PatientData(NamedTuple):
    """The checked data, arms and strata as the simulated trial codes them, cut at ``cutoff``."""

    stage: np.ndarray        # (n,) 1 or 2
    arm: np.ndarray          # (n,) 0 = control, d = dose d (1-based)
    stratum: np.ndarray      # (n,) the design's stratum index (the last factor's level varies fastest)
    entry: np.ndarray        # (n,) months
    time: np.ndarray         # (n,) months from entry to event or censoring at the cut-off
    event: np.ndarray        # (n,) bool
    cutoff: float            # months
    origin: object           # the first entry's date (numpy datetime64[D]) when entries are dates, else None
    stage2_dose: int         # the dose stage-2 patients are on, 0 when there are none

    def date(self, months: float) -> str | None:
        """The ISO date ``months`` after the first entry, when entries are dates."""
        if self.origin is None or not np.isfinite(months):
            return None
        return str(self.origin + np.timedelta64(int(round(months * DAYS_PER_MONTH)), "D"))

    def confirmatory(self, selected: int) -> np.ndarray:
        """The confirmatory group (CG) of dose ``selected``: stage-1 control and dose patients, all of stage 2."""
        return (self.stage == 2) | (self.arm == 0) | (self.arm == selected)

    def followed(self, rows: np.ndarray) -> np.ndarray:
        """The patients of ``rows`` still followed at the cut-off (censored there, not before)."""
        return rows & ~self.event & (self.entry + self.time >= self.cutoff - 1e-9)

    def cut(self, tau: float) -> PatientData:
        """The data as they stood at calendar time tau."""
        keep = self.entry < tau
        time = np.minimum(self.time[keep], tau - self.entry[keep])
        event = self.event[keep] & (self.entry[keep] + self.time[keep] <= tau)
        return self._replace(stage=self.stage[keep], arm=self.arm[keep], stratum=self.stratum[keep],
                             entry=self.entry[keep], time=time, event=event, cutoff=tau)


def read_table(path: str | Path):
    """A CSV or Parquet file as a pandas DataFrame (by the file's suffix)."""
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise DataError(f"DATA: no file {path}")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype={"patient": str}, keep_default_na=True)
    except (ValueError, OSError, UnicodeDecodeError) as err:  # pyarrow's and pandas's errors derive from these
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        kind = "Parquet" if path.suffix.lower() in (".parquet", ".pq") else "CSV"
        raise DataError(f"DATA: {path} is not a readable {kind} file: {first}") from None


def _first(bad: np.ndarray) -> int:
    return int(np.flatnonzero(bad)[0])


def _shown(value) -> str:
    return repr(value.item() if isinstance(value, np.generic) else value)


def _numbers(table, column: str, lowest: float | None = 0.0) -> np.ndarray:
    """A numeric column, finite and >= lowest."""
    import pandas as pd

    raw = table[column]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values) | (False if lowest is None else values < lowest)
    if bad.any():
        i = _first(bad)
        allowed = "a finite number" if lowest is None else f"a number >= {lowest:g}"
        raise DataError(f"DATA: column '{column}' row {i + 1}: {_shown(raw.iloc[i])}; allowed: {allowed}")
    return values


def _codes(table, column: str, allowed: list[str]) -> np.ndarray:
    """Index of each value in ``allowed`` (values compared as text)."""
    values = table[column].astype(object).to_numpy()
    index = {name: i for i, name in enumerate(allowed)}
    codes = np.array([index.get(str(v) if v == v else None, -1) for v in values], dtype=np.int64)
    if (codes < 0).any():
        i = _first(codes < 0)
        raise DataError(f"DATA: column '{column}' row {i + 1}: {_shown(values[i])} is not one of the config's "
                        f"{column} levels; allowed: {', '.join(allowed)}")
    return codes


def _entries(table) -> tuple[np.ndarray, object]:
    """Entry months, and the first entry's date when the column holds dates."""
    import pandas as pd

    raw = table["entry"]
    if pd.api.types.is_datetime64_any_dtype(raw):
        dates = raw
    else:
        numeric = pd.to_numeric(raw, errors="coerce")
        if numeric.notna().any():  # months: every row a number
            return _numbers(table, "entry"), None
        dates = pd.to_datetime(raw.astype(str), format="ISO8601", errors="coerce")
    if dates.isna().any():
        i = _first(dates.isna().to_numpy())
        raise DataError(f"DATA: column 'entry' row {i + 1}: {_shown(raw.iloc[i])}; allowed: months (a number >= 0) "
                        "or an ISO date (YYYY-MM-DD), the same kind in every row")
    days = dates.to_numpy().astype("datetime64[D]")
    origin = days.min()
    return (days - origin).astype(np.float64) / DAYS_PER_MONTH, origin


def _cutoff(value, origin, entry: np.ndarray, time: np.ndarray) -> float:
    """The analysis cut-off in months: the data's last follow-up, or ``value`` (months, or an ISO date
    when entries are dates), which may not lie after it."""
    last = float(np.max(entry + time))
    if value is None:
        return last
    if origin is not None and isinstance(value, str):
        try:
            day = np.datetime64(value, "D")
        except ValueError:
            raise DataError(f"--cutoff: {value!r} is not an ISO date (YYYY-MM-DD)") from None
        months = float((day - origin).astype(np.float64) / DAYS_PER_MONTH)
    else:
        try:
            months = float(value)
        except (TypeError, ValueError):
            allowed = "an ISO date (YYYY-MM-DD) or months" if origin is not None else "months (a number)"
            raise DataError(f"--cutoff: {value!r}; allowed: {allowed}") from None
    if not np.isfinite(months):
        raise DataError(f"--cutoff: {value!r}; allowed: a finite time")
    first = int(np.argmin(entry))
    if months <= entry[first]:
        raise DataError(f"--cutoff: {value} is not after the first entry (row {first + 1}, month {entry[first]:.4g}); "
                        "allowed: a time after it")
    if months > last + 1e-9:
        raise DataError(f"--cutoff: {value} is after the data's last follow-up (month {last:.4g}); the data cannot "
                        "be extended: allowed a time up to it")
    return months


def _stage2_dose(stage, arm, arms: list[str], selected: str | None, design: Design) -> int:
    """The one dose of stage 2 (0 when no stage-2 patient is on a dose), agreeing with ``selected``."""
    on_dose = (stage == 2) & (arm > 0)
    stage2_dose = int(arm[on_dose][0]) if on_dose.any() else 0
    if on_dose.any() and (arm[on_dose] != stage2_dose).any():
        i = _first(on_dose & (arm != stage2_dose))
        raise DataError(f"DATA: column 'arm' row {i + 1}: a stage-2 patient on {arms[arm[i]]}, but stage 2 is on "
                        f"{arms[stage2_dose]} (row {_first(on_dose) + 1}); allowed in stage 2: one dose and "
                        f"{arms[0]}")
    if selected is not None:
        if selected not in design.doses:
            raise DataError(f"--selected: {selected!r} is not a dose of the config; allowed: {', '.join(design.doses)}")
        if stage2_dose and arms[stage2_dose] != selected:
            raise DataError(f"--selected: {selected}, but stage 2 is on {arms[stage2_dose]} "
                            f"(row {_first(on_dose) + 1}); allowed: {arms[stage2_dose]}")
    return stage2_dose


def patient_data(design: Design, table, cutoff=None, selected: str | None = None) -> PatientData:
    """Check ``table`` (a pandas DataFrame) against ``design`` and cut it at ``cutoff`` (default: the data's
    last follow-up). ``selected``: the dose stage 2 is on (checked against the data)."""
    arms = [design.arms.control, *design.doses]
    factors = [f.name for f in design.strata]
    required = ["patient", "stage", "arm", *factors, "entry", "time", "event"]
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise DataError(f"DATA: missing column '{missing[0]}'; required: {', '.join(required)}")
    if len(table) == 0:
        raise DataError("DATA: no patients; required: one row per patient")
    table = table.reset_index(drop=True)

    patient = table["patient"].astype(object).to_numpy()
    if table["patient"].isna().any():
        i = _first(table["patient"].isna().to_numpy())
        raise DataError(f"DATA: column 'patient' row {i + 1}: empty; allowed: a unique id per patient")
    repeated = table["patient"].astype(str).duplicated().to_numpy()
    if repeated.any():
        i = _first(repeated)
        first = _first(table["patient"].astype(str).to_numpy() == str(patient[i]))
        raise DataError(f"DATA: column 'patient' row {i + 1}: id {_shown(patient[i])} is already on row {first + 1}; "
                        "allowed: a unique id per patient")
    stage = _numbers(table, "stage", None)
    if not np.isin(stage, (1.0, 2.0)).all():
        i = _first(~np.isin(stage, (1.0, 2.0)))
        raise DataError(f"DATA: column 'stage' row {i + 1}: {_shown(table['stage'].iloc[i])}; allowed: 1 or 2")
    stage = stage.astype(np.int64)
    arm = _codes(table, "arm", arms)
    stratum = np.zeros(len(table), np.int64)
    for factor in design.strata:  # the last factor's level varies fastest
        stratum = stratum * len(factor.levels) + _codes(table, factor.name, list(factor.levels))
    entry, origin = _entries(table)
    time = _numbers(table, "time")
    event = _numbers(table, "event", None)
    if not np.isin(event, (0.0, 1.0)).all():
        i = _first(~np.isin(event, (0.0, 1.0)))
        raise DataError(f"DATA: column 'event' row {i + 1}: {_shown(table['event'].iloc[i])}; allowed: 1 (event) "
                        "or 0 (censored)")

    stage2_dose = _stage2_dose(stage, arm, arms, selected, design)
    if design.stage1.patients > 0 and not (stage == 1).any():
        raise DataError("DATA: column 'stage': no stage-1 patients; the design's selection needs them")

    tau = _cutoff(cutoff, origin, entry, time)
    data = PatientData(stage, arm, stratum, entry, time, event.astype(bool), tau, origin, stage2_dose)
    return data.cut(tau)
