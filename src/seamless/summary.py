"""Operating characteristics of a scenario from its simulated trials (DESIGN.md section 7).

Every probability comes with its Monte Carlo standard error sqrt(p(1-p)/n), every mean with
sd/sqrt(n); the median's standard error uses the normal approximation sqrt(pi/2) sd/sqrt(n).
"""

from __future__ import annotations

import enum
import json
import math
from dataclasses import asdict

import numpy as np

from seamless.engine import STOP_EFFICACY, STOP_FUTILITY
from seamless.runner import ScenarioRun

__all__ = ["operating_characteristics"]


def _probability(row: dict, name: str, hits: np.ndarray) -> None:
    p = float(np.mean(hits)) if hits.size else math.nan
    row[name] = p
    row[f"{name}_se"] = math.sqrt(p * (1 - p) / hits.size) if hits.size else math.nan


def _mean(row: dict, name: str, values: np.ndarray) -> None:
    values = values[np.isfinite(values)]
    row[name] = float(values.mean()) if values.size else math.nan
    row[f"{name}_se"] = float(values.std(ddof=1) / math.sqrt(values.size)) if values.size > 1 else math.nan


def operating_characteristics(run: ScenarioRun) -> dict:
    """One summary row: probabilities and means with standard errors, and the scenario's parameters."""
    design, out, d = run.scenario.design, run.outputs, run.kernel
    doses = design.arms.doses
    hazard_ratios = np.array(design.outcome.hazard_ratios)
    row: dict = {"scenario": run.scenario.name, "trials": int(out.reject.size)}
    _probability(row, "power", out.reject)
    _probability(row, "type1_error", out.reject & (hazard_ratios[out.selected - 1] >= 1.0))
    for j, dose in enumerate(doses):
        _probability(row, f"select_{dose}", out.selected == j + 1)
    _probability(row, "correct_selection", hazard_ratios[out.selected - 1] == hazard_ratios.min())
    _probability(row, "stop_futility_selection", (out.stop_look == 0) & (out.stop_reason == STOP_FUTILITY))
    for k in range(d.look_events.size):
        at_look = out.stop_look == k + 1
        _probability(row, f"stop_efficacy_look{k + 1}", at_look & (out.stop_reason == STOP_EFFICACY))
        _probability(row, f"stop_futility_look{k + 1}", at_look & (out.stop_reason == STOP_FUTILITY))
    _mean(row, "expected_patients", out.patients.astype(float))
    _mean(row, "expected_cg_events", out.cg_events.astype(float))
    _mean(row, "expected_duration", out.duration)
    _mean(row, "mean_time_selection", out.selection_time)
    for k in range(d.look_events.size):
        _mean(row, f"mean_time_look{k + 1}", out.look_time[:, k])
        performed = out.look_events[:, k] >= 0
        _probability(row, f"target_missed_look{k + 1}", ~out.look_target_reached[performed, k])
    hr = out.hr_estimate[np.isfinite(out.hr_estimate)]
    _mean(row, "hr_mean", hr)
    row["hr_median"] = float(np.median(hr)) if hr.size else math.nan
    row["hr_median_se"] = math.sqrt(math.pi / 2) * row["hr_mean_se"]
    for dose, hazard_ratio in zip(doses, hazard_ratios):
        row[f"hazard_ratio_{dose}"] = float(hazard_ratio)
    row["efficacy_bounds"] = [float(b) if math.isfinite(b) else None for b in d.efficacy_bounds]
    row["parameters"] = json.dumps(_jsonable(asdict(design)))
    return row


def _jsonable(value):
    """Design fields as JSON: enums by name, infinities as strings."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.name.lower()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value
