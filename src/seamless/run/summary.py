"""Operating characteristics of a scenario (DESIGN.md section 7), accumulated chunk by chunk.

Each characteristic is a probability (mean of an indicator; Monte Carlo SE sqrt(p(1-p)/n)) or
a mean (SE sd/sqrt(n)); both keep only counts, sums and sums of squares, so memory does not
grow with the number of trials. The median hazard-ratio estimate keeps one float per trial;
its SE is the normal approximation sqrt(pi/2) sd/sqrt(n). Each has a 95% interval: Wilson's
score interval for a probability (Wilson 1927, JASA 22:209; it stays inside [0, 1] and does not
collapse to a point when no trial, or every trial, has the event), estimate +- 1.96 SE for a mean.
"""

from __future__ import annotations

import json
import math
from statistics import NormalDist

import numpy as np

from seamless.config import Scenario
from seamless.design import ESTIMATE_SUFFIXES
from seamless.sim.engine import StopReason, TrialOutputs
from seamless.sim.kernel_design import KernelDesign
from seamless.sim.outcome import hazard_ratio_table

__all__ = ["SummaryAccumulator", "wilson_interval", "Z95"]

_PROBABILITY, _MEAN = "probability", "mean"
Z95 = NormalDist().inv_cdf(0.975)


def wilson_interval(p: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson's score interval for a proportion p observed in n trials."""
    if not n:
        return math.nan, math.nan
    scale = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / scale
    half = z / scale * math.sqrt(max(p * (1 - p), 0.0) / n + z * z / (4 * n * n))
    # It contains p; rounding must not put p = 0 (or 1) a hair outside it.
    return max(min(centre - half, p), 0.0), min(max(centre + half, p), 1.0)


def _measures(out: TrialOutputs, hazard_ratios: np.ndarray, design, n_looks: int):
    """(name, kind, values) per characteristic; NaN values are left out of that characteristic.
    ``hazard_ratios`` (D, J): a dose is null when its hazard ratio is at least 1 in every piece, and the
    correct selection is the dose with the lowest hazard ratio in the last piece."""
    picked = out.selected > 0  # not stopped for safety
    selected_hr = hazard_ratios[np.where(picked, out.selected, 1) - 1]
    yield "power", _PROBABILITY, out.reject
    yield "type1_error", _PROBABILITY, out.reject & (selected_hr >= 1.0).all(axis=1)
    for j, dose in enumerate(design.doses):
        yield f"select_{dose}", _PROBABILITY, out.selected == j + 1
    yield "correct_selection", _PROBABILITY, picked & (selected_hr[:, -1] == hazard_ratios[:, -1].min())
    with np.errstate(invalid="ignore", divide="ignore"):  # a dose nobody was assessed on has no rate
        for j, dose in enumerate(design.doses):
            if design.endpoints.response_probabilities is not None:
                yield f"response_rate_{dose}", _MEAN, out.responders[:, j] / out.response_assessed[:, j]
            if design.endpoints.toxicity_probabilities is not None:
                yield f"toxicity_rate_{dose}", _MEAN, out.toxicities[:, j] / out.toxicity_assessed[:, j]
    yield "stop_safety", _PROBABILITY, out.stop_reason == StopReason.SAFETY
    yield "stop_futility_selection", _PROBABILITY, (out.stop_look == 0) & (out.stop_reason == StopReason.FUTILITY)
    for k in range(n_looks):
        at_look = out.stop_look == k + 1
        yield f"stop_efficacy_look{k + 1}", _PROBABILITY, at_look & (out.stop_reason == StopReason.EFFICACY)
        yield f"stop_futility_look{k + 1}", _PROBABILITY, at_look & (out.stop_reason == StopReason.FUTILITY)
    yield "expected_patients", _MEAN, out.patients
    yield "expected_cg_events", _MEAN, out.cg_events
    yield "expected_duration", _MEAN, out.duration
    yield "mean_time_selection", _MEAN, out.selection_time
    for k in range(n_looks):
        yield f"mean_time_look{k + 1}", _MEAN, out.look_time[:, k]
        performed = out.look_events[:, k] >= 0
        yield f"target_missed_look{k + 1}", _PROBABILITY, np.where(performed, ~out.look_target_reached[:, k], np.nan)
    yield "hr_mean", _MEAN, out.hr_estimate
    yield from _inference_after_selection(out, np.where(picked[:, None], selected_hr, np.nan))


def _inference_after_selection(out: TrialOutputs, selected_hr: np.ndarray):
    """EXTENSIONS.md s.3: the log-HR estimate -U/V of the selected dose at the last analysis against its
    true log HR (of the last piece; with several pieces also of the first, columns ``_first_piece``): the
    bias, the squared error (its mean's root is the RMSE), whether the naive 95% interval covers it, and
    whether the repeated CI at the stopping look does (s.4)."""
    estimate = np.log(out.hr_estimate)
    pieces = {"": -1, "_first_piece": 0} if selected_hr.shape[1] > 1 else {"": -1}
    for suffix, piece in pieces.items():
        error = estimate - np.log(selected_hr[:, piece])
        yield f"log_hr_bias{suffix}", _MEAN, error
        yield f"log_hr_squared_error{suffix}", _MEAN, error * error
        covered = np.abs(error) <= Z95 * out.log_hr_se
        yield f"naive_ci_coverage{suffix}", _PROBABILITY, np.where(np.isfinite(error), covered, np.nan)
        true_hr = selected_hr[:, piece]
        inside = (out.repeated_ci_low <= true_hr) & (true_hr <= out.repeated_ci_high)
        known = np.isfinite(true_hr) & ~np.isnan(out.repeated_ci_low)
        yield f"repeated_ci_coverage{suffix}", _PROBABILITY, np.where(known, inside, np.nan)


class SummaryAccumulator:
    """Running sums of one scenario's characteristics; ``row()`` gives the summary row."""

    def __init__(self, scenario: Scenario, kernel: KernelDesign):
        self.scenario, self.kernel = scenario, kernel
        self.sums: dict[str, list] = {}
        self.hr_parts: list[np.ndarray] = []
        self.trials = 0

    def add(self, out: TrialOutputs) -> None:
        design = self.scenario.design
        hazard_ratios = hazard_ratio_table(design.outcome)
        for name, kind, values in _measures(out, hazard_ratios, design, self.kernel.looks.events.size):
            values = np.asarray(values, dtype=np.float64)
            values = values[np.isfinite(values)]
            entry = self.sums.setdefault(name, [kind, 0, 0.0, 0.0])
            entry[1] += values.size
            entry[2] += float(values.sum())
            entry[3] += float(np.dot(values, values))
        self.hr_parts.append(out.hr_estimate[np.isfinite(out.hr_estimate)])
        self.trials += out.reject.size

    def row(self) -> dict:
        design, d = self.scenario.design, self.kernel
        point = dict(self.scenario.point)
        row: dict = {"scenario": self.scenario.name, "sweep": self.scenario.sweep,
                     "sweep_point": json.dumps(point) if point else None, "trials": self.trials}
        for name, (kind, n, total, squares) in self.sums.items():
            mean = total / n if n else math.nan
            if kind == _PROBABILITY:
                se = math.sqrt(mean * (1 - mean) / n) if n else math.nan
                low, high = wilson_interval(mean, n)
            else:
                se = math.sqrt(max(squares - n * mean * mean, 0.0) / (n - 1) / n) if n > 1 else math.nan
                low, high = mean - Z95 * se, mean + Z95 * se
            if name.startswith("log_hr_squared_error"):  # reported as its root: the RMSE, SE by the delta method
                name, mean, se, low, high = (name.replace("squared_error", "rmse"), math.sqrt(mean),
                                             se / (2 * math.sqrt(mean)) if mean > 0 else math.nan,
                                             math.sqrt(max(low, 0.0)), math.sqrt(max(high, 0.0)))
            row.update(zip(_columns(name), (mean, se, low, high)))
        hr = np.concatenate(self.hr_parts) if self.hr_parts else np.empty(0)
        median = float(np.median(hr)) if hr.size else math.nan
        se = math.sqrt(math.pi / 2) * row["hr_mean_se"]
        row.update(zip(_columns("hr_median"), (median, se, median - Z95 * se, median + Z95 * se)))
        for dose, hazard_ratio in zip(design.doses, hazard_ratio_table(design.outcome)[:, -1]):
            row[f"hazard_ratio_{dose}"] = float(hazard_ratio)  # of the last piece
        row["efficacy_bounds"] = [float(b) if math.isfinite(b) else None for b in d.looks.efficacy_bounds]
        row["parameters"] = json.dumps(_jsonable(design.to_dict()))
        return row


def _columns(name: str) -> tuple[str, ...]:
    """An estimate's columns: itself, its standard error and its 95% interval."""
    return (name, *(name + suffix for suffix in ESTIMATE_SUFFIXES))


def _jsonable(value):
    """Design tables as JSON: infinities as strings."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value
