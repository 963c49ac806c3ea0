"""The figures of a simulation report, drawn from a run's tables.

Every figure function takes ``(summary, trials, design)``: ``result.summary()``, ``result.trials()``
(None will do for the figures drawn from the summary alone) and the first scenario's `Design`, and
returns a `matplotlib.figure.Figure` made without pyplot (no GUI backend, no global state)::

    figure("power", result.summary(), None, result.study.scenarios[0].design).savefig("power.png")

Scenarios appear in the order of the summary's rows; pass fewer rows to draw fewer scenarios.
"""

from __future__ import annotations

import json
import math

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FormatStrFormatter, NullFormatter

__all__ = ["FIGURES", "figure", "power", "selection", "stopping", "analysis_times", "hr_estimate", "sweep"]

_PROBABILITY = "Probability (fraction of trials)"
_MONTHS = "Time from start of accrual (months)"
_HR_TICKS = (0.1, 0.2, 0.25, 0.33, 0.5, 0.67, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0, 5.0, 10.0)


# --- shared pieces ---------------------------------------------------------------------------

def _new(width: float, height: float, nrows: int = 1, ncols: int = 1, **share):
    """A figure and its grid of axes (always 2-D)."""
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.subplots(nrows, ncols, squeeze=False, **share)


def _width(scenarios: int, panels: int = 1) -> float:
    return max(6.0, panels * (1.5 + 0.55 * scenarios) + 1.5)


def _palette(n: int, name: str = "viridis"):
    return colormaps[name](np.linspace(0.1, 0.85, n))


def _label(name: str, point) -> str:
    """A scenario's tick label: a sweep point as its sweep and the last part of each parameter path."""
    if not isinstance(point, str):
        return name
    values = json.loads(point)
    return f"{name.partition(':')[0]}: " + ", ".join(f"{path.rsplit('.', 1)[-1]}={v:g}" for path, v in values.items())


def _scenario_axis(ax, summary) -> None:
    """The summary's scenarios as tick labels, slanted when there are many or they are long."""
    names = [_label(name, point) for name, point in zip(summary.index, summary["sweep_point"])]
    slant = len(names) > 4 or max(map(len, names), default=0) > 10
    ax.set_xticks(range(len(names)), names, rotation=30 if slant else 0, ha="right" if slant else "center",
                  rotation_mode="anchor")
    ax.set_xlabel("Scenario")


def _interval(summary, name: str):
    """A characteristic's estimates and the ends of their 95% intervals, as float arrays."""
    return tuple(summary[column].to_numpy(float) for column in (name, f"{name}_ci_low", f"{name}_ci_high"))


def _analyses(design) -> dict[str, str]:
    """The analyses of a trial, by the name their columns use (``selection``, ``look1``...): their labels."""
    return {"selection": "selection analysis", **{f"look{k}": f"CG look {k}" for k in range(1, design.looks + 1)}}


def _stacked(ax, summary, segments: list[tuple[str, str]], colors) -> None:
    """One bar per scenario, stacked from ``segments`` (label, summary column)."""
    x, bottom = np.arange(len(summary)), np.zeros(len(summary))
    for (label, column), color in zip(segments, colors):
        heights = summary[column].to_numpy(float)
        ax.bar(x, heights, 0.7, bottom=bottom, label=label, color=color)
        bottom += np.nan_to_num(heights)
    ax.set_ylim(0, 1)
    _scenario_axis(ax, summary)


def _by_scenario(trials, summary, figure_name: str) -> list:
    """The rows of ``trials`` of each scenario of ``summary``, in its order."""
    if trials is None:
        raise ValueError(f"the '{figure_name}' figure is drawn from the per-trial table: pass result.trials()")
    groups = dict(tuple(trials.groupby("scenario", sort=False)))
    return [groups.get(name, trials.iloc[:0]) for name in summary.index]


# --- the figures -------------------------------------------------------------------------------

def power(summary, trials, design) -> Figure:
    """Does the design reject when a dose works, and rarely when none does? Power and family-wise type I
    error by scenario with their 95% intervals; the dashed line is the one-sided alpha."""
    names, alpha = list(summary.index), design.analysis.alpha
    fig, ((left, right),) = _new(_width(len(names), 2), 4.2, ncols=2)
    for ax, name, title in ((left, "power", "Power"), (right, "type1_error", "Family-wise type I error")):
        value, low, high = _interval(summary, name)
        ax.errorbar(np.arange(len(names)), value, yerr=[value - low, high - value], fmt="o", capsize=4,
                    label="estimate, 95% interval")
        ax.set(title=title, ylabel=_PROBABILITY)
        _scenario_axis(ax, summary)
    left.set_ylim(0, 1)
    right.axhline(alpha, color="0.3", ls="--", lw=1, label=f"one-sided alpha = {alpha:g}")
    right.set_ylim(0, max(2 * alpha, float(np.nanmax(_interval(summary, "type1_error")[2]))) * 1.15)
    right.legend(loc="upper right", fontsize="small")
    fig.suptitle("Power and family-wise type I error by scenario")
    return fig


def selection(summary, trials, design) -> Figure:
    """Which dose does stage 1 select? P(select each dose) per scenario, stacked, and P(stop for safety)
    (no dose eligible) in grey when a scenario has any."""
    fig, ((ax,),) = _new(_width(len(summary)), 4.2)
    parts, colours = [(dose, f"select_{dose}") for dose in design.doses], _palette(len(design.doses))
    if "stop_safety" in summary and np.nan_to_num(summary["stop_safety"].to_numpy(float)).any():
        parts, colours = [*parts, ("none: stopped for safety", "stop_safety")], [*colours, "0.6"]
    _stacked(ax, summary, parts, colours)
    ax.set(ylabel=_PROBABILITY, title="Probability of selecting each dose")
    fig.legend(loc="outside right upper", title="selected dose")
    return fig


def stopping(summary, trials, design) -> Figure:
    """When and why do trials stop? P(stop) at each analysis per scenario, stacked by analysis: for
    efficacy (at the last look: rejection at the final analysis) and for futility."""
    analyses = _analyses(design)
    colors = dict(zip(analyses, _palette(len(analyses), "plasma")))
    fig, ((efficacy, futility),) = _new(_width(len(summary), 2), 4.2, ncols=2, sharey=True)
    for ax, reason in ((efficacy, "efficacy"), (futility, "futility")):
        present = [key for key in analyses if f"stop_{reason}_{key}" in summary]
        _stacked(ax, summary, [(analyses[key], f"stop_{reason}_{key}") for key in present],
                 [colors[key] for key in present])
        ax.set_title(f"Stopped for {reason}")
    efficacy.set_ylabel(_PROBABILITY)
    fig.legend(*futility.get_legend_handles_labels(), loc="outside right upper", title="analysis")
    fig.suptitle("Stopping probability by analysis")
    return fig


def analysis_times(summary, trials, design) -> Figure:
    """When does each analysis take place? Per analysis, the calendar times of the trials of each scenario
    that performed it: box from quartile to quartile, line at the median, whiskers to the earliest and
    latest; above the boxes, when not all trials got there, the share that did."""
    per_scenario = _by_scenario(trials, summary, "analysis_times")
    analyses = _analyses(design)
    fig, axes = _new(_width(len(summary), len(analyses)) * 0.8, 4.6, ncols=len(analyses))
    for ax, (key, label) in zip(axes[0], analyses.items()):
        times = [rows[f"{key}_time"].to_numpy(float) for rows in per_scenario]
        performed = [t[np.isfinite(t)] for t in times]
        ax.boxplot(performed, positions=range(len(times)), widths=0.6, whis=(0, 100), showcaps=False, showfliers=False,
                   patch_artist=True, boxprops={"facecolor": "C0", "alpha": 0.45},
                   medianprops={"color": "black"})
        shares = [p.size / t.size if t.size else 0.0 for p, t in zip(performed, times)]
        for i, share in enumerate(shares if min(shares, default=1) < 1 else ()):
            ax.annotate(f"{share:.0%}", (i, 1), xycoords=("data", "axes fraction"), ha="center", va="bottom",
                        fontsize="x-small")
        _scenario_axis(ax, summary)
        ax.set_title(label, pad=12)
    axes[0, 0].set_ylabel(_MONTHS)
    fig.suptitle("Calendar time of each analysis (above the boxes: share of trials that performed it)")
    return fig


def hr_estimate(summary, trials, design) -> Figure:
    """How close is the estimated hazard ratio of the selected dose (at the trial's last analysis) to the
    truth? A histogram per scenario on a log scale; the dashed line is the true HR of the selected dose
    (its mean over the trials when the doses differ in true HR)."""
    per_scenario = _by_scenario(trials, summary, "hr_estimate")
    estimates = [rows[np.isfinite(rows["hr_estimate"]) & (rows["hr_estimate"] > 0)] for rows in per_scenario]
    values = np.concatenate([rows["hr_estimate"].to_numpy(float) for rows in estimates] + [np.ones(1)])
    most = max((len(rows) for rows in estimates), default=0)
    bins = np.geomspace(values.min() / 1.02, values.max() * 1.02, int(np.clip(math.sqrt(most), 10, 60)) + 1)
    ncols = min(len(summary), 3)
    nrows = math.ceil(len(summary) / ncols)
    fig, axes = _new(3.4 * ncols + 0.6, 2.7 * nrows + 0.9, nrows, ncols, sharex=True)
    for ax, (name, row), rows in zip(axes.flat, summary.iterrows(), estimates):
        counts, _, _ = ax.hist(rows["hr_estimate"], bins=bins, color="C0", alpha=0.7)
        true = rows["selected_dose"].dropna().map(lambda dose, row=row: row[f"hazard_ratio_{dose}"])
        same = len({row[f"hazard_ratio_{dose}"] for dose in design.doses}) == 1
        ax.axvline(true.mean(), color="black", ls="--",
                   label="true HR" if same else "mean true HR of the selected dose")
        ax.set(title=_label(name, row["sweep_point"]), ylim=(0, 1.3 * max(counts.max(initial=0), 1)))
        ax.legend(fontsize="small")
        ax.xaxis.set_tick_params(labelbottom=True)
    for ax in axes.flat[len(summary):]:
        ax.remove()
    ax = axes[0, 0]
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(FixedLocator([t for t in _HR_TICKS if bins[0] <= t <= bins[-1]]))
    ax.xaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    fig.supxlabel("Estimated hazard ratio, selected dose vs control (log scale)")
    fig.supylabel("Trials")
    fig.suptitle("Hazard-ratio estimate of the selected dose")
    return fig


_SWEPT = (("power", "Power", _PROBABILITY), ("correct_selection", "Correct selection", _PROBABILITY),
          ("expected_duration", "Expected duration", "Expected duration (months)"))


def sweep(summary, trials=None, design=None) -> Figure:
    """How do power, correct selection and expected duration move along each sweep? Each against the first
    swept parameter, one line per value of the others, the 95% interval shaded. ValueError without a sweep."""
    swept = summary[summary["sweep"].notna()]
    if swept.empty:
        raise ValueError("no sweep in this result")
    sweeps = list(swept.groupby("sweep", sort=False))
    fig, axes = _new(13.0, 3.6 * len(sweeps) + 0.6, nrows=len(sweeps), ncols=len(_SWEPT))
    for row, (name, points) in zip(axes, sweeps):
        _sweep_row(row, name, points)
    fig.suptitle("Operating characteristics along each sweep (shaded: 95% interval)")
    return fig


def _sweep_row(axes, name: str, points) -> None:
    """One sweep's panels: a line per value of the parameters after the first, in increasing first parameter."""
    grid = [json.loads(point) for point in points["sweep_point"]]
    first, *others = grid[0]
    x = np.array([point[first] for point in grid], dtype=float)
    lines = [tuple(point[p] for p in others) for point in grid]
    for ax, (column, title, ylabel) in zip(axes, _SWEPT):
        value, low, high = _interval(points, column)
        for line in dict.fromkeys(lines):
            at = sorted((i for i, other in enumerate(lines) if other == line), key=lambda i: x[i])
            drawn, = ax.plot(x[at], value[at], marker="o", label=", ".join(f"{v:g}" for v in line))
            ax.fill_between(x[at], low[at], high[at], color=drawn.get_color(), alpha=0.2, lw=0)
        ax.set(title=f"{title} — {name}", xlabel=first, ylabel=ylabel)
        if ylabel == _PROBABILITY:
            ax.set_ylim(0, 1)
    if others:
        axes[0].legend(title=", ".join(others), fontsize="small")


FIGURES = {"power": power, "selection": selection, "stopping": stopping, "analysis_times": analysis_times,
           "hr_estimate": hr_estimate, "sweep": sweep}


def figure(name: str, summary, trials, design) -> Figure:
    """The figure called ``name`` (a key of `FIGURES`)."""
    if name not in FIGURES:
        raise ValueError(f"unknown figure {name!r}: choose from {', '.join(FIGURES)}")
    return FIGURES[name](summary, trials, design)
