"""The simulation report: one self-contained HTML file made from a run's Parquet files, never by
simulating again, to hand to a steering committee or a regulator (FDA 2019 adaptive-design
guidance, section VI; ICH E20): the design in words and tables, every operating characteristic
with its Monte Carlo standard error and 95% interval, the figures, and the provenance that
reproduces every number. Figures are embedded PNG; the summary numbers are also embedded as JSON
(``<script id="summary-data">``) so that machines, and the tests, read the same numbers.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import math
import shlex
from pathlib import Path
from typing import NamedTuple

from seamless.run.output import SUMMARY_FILE, TRIALS_FILE, json_safe

__all__ = ["ReportError", "REPORT_FILE", "write_report", "report_html"]

REPORT_FILE = "report.html"
#: Summary columns a report needs; results written by versions before 0.4 lack some of them.
_NEEDED = ("power_ci_low", "sweep", "sweep_point", "parameters")


class ReportError(Exception):
    """The results folder cannot be reported on; the message is one line."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Run(NamedTuple):
    """What a report is made of: the run's study, summary and trials (DataFrames) and metadata."""

    study: object
    summary: object
    trials: object
    metadata: dict[str, str]


def _read(folder: Path) -> Run:
    """The run saved in ``folder``, checked to be whole and of this version."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    from seamless.run.output import read_results

    for name in (TRIALS_FILE, SUMMARY_FILE):
        if not (folder / name).is_file():
            raise ReportError(f"{folder}: not a results folder (no {name}); run simulate first")
    try:
        study, rows, metadata = read_results(folder)
        trials = pq.read_table(folder / TRIALS_FILE).to_pandas()
    except (pa.ArrowException, OSError, ValueError, KeyError) as err:
        raise ReportError(f"{folder}: the results cannot be read ({type(err).__name__}: "
                          f"{str(err).splitlines()[0] if str(err) else 'damaged file'}); run simulate again") from None
    summary = pd.DataFrame(rows)
    missing = [c for c in _NEEDED if c not in summary.columns]
    if missing:
        raise ReportError(f"{folder}: results of seamless {metadata.get('seamless_version', '?')} lack "
                          f"{', '.join(missing)}; run simulate again with this version")
    if not rows or trials.empty:
        raise ReportError(f"{folder}: the run holds no trials")
    return Run(study, summary.set_index("scenario"), trials, metadata)


def write_report(folder: str | Path, out: str | Path | None = None) -> Path:
    """Write the report of the run in ``folder`` to ``out`` (default ``folder/report.html``), whole
    or not at all."""
    from seamless.run.store import write_atomically

    folder = Path(folder)
    run = _read(folder)
    hashes = {name: _sha256(folder / name) for name in (TRIALS_FILE, SUMMARY_FILE)}
    page = report_html(run, hashes)
    out = Path(out) if out is not None else folder / REPORT_FILE
    write_atomically(out, lambda handle: handle.write(page.encode()))
    return out


# --- the page


def report_html(run: Run, hashes: dict[str, str]) -> str:
    design, summary, trials, meta = run.study.scenarios[0].design, run.summary, run.trials, run.metadata
    sections = [
        _section("The design", _design_words(design) + _design_tables(design)),
        _section("Operating characteristics", _characteristics(summary, design) + _selection_bias(summary, trials)),
        _section("Figures", _figures(summary, trials, design)),
        _section("Provenance", _provenance(meta, hashes)),
    ]
    title = f"Simulation report: {run.study.name}"
    rows = summary.reset_index().to_dict("records")
    data = json.dumps(json_safe(rows), allow_nan=False).replace("</", "<\\/")
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{_e(title)}</title>"
            f"<style>{_CSS}</style></head><body>\n<h1>{_e(title)}</h1>\n"
            f"<p>{len(rows)} scenario(s), {int(meta['trials_per_scenario']):,} simulated trials each, seed "
            f"{meta['seed']}; seamless {_e(meta.get('seamless_version', '?'))}. Every estimate is "
            "given with its Monte Carlo standard error (±) and 95% interval.</p>\n"
            + "\n".join(sections)
            + f"\n<script type=\"application/json\" id=\"summary-data\">{data}</script>\n"
            f"<script>{_IMAGE_CHECK}</script>\n</body></html>\n")


_CSS = ("body{font-family:sans-serif;max-width:70em;margin:2em auto;padding:0 1em;color:#222}"
        "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.2em .5em;"
        "text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}"
        "pre{background:#f6f6f6;padding:1em;overflow-x:auto}img{max-width:100%}")

#: Marks, on the page itself, how many figures loaded and how many are broken (read by the tests).
_IMAGE_CHECK = ("window.addEventListener('load',function(){var i=document.images,ok=0;"
                "for(var k=0;k<i.length;k++){if(i[k].complete&&i[k].naturalWidth>0)ok++;}"
                "document.body.setAttribute('data-images-ok',ok);"
                "document.body.setAttribute('data-images-broken',i.length-ok);});")


def _e(value) -> str:
    return html.escape(str(value))


def _section(title: str, parts: list[str]) -> str:
    return f"<h2>{_e(title)}</h2>\n" + "\n".join(parts)


def _table(header: list, rows: list[list], caption: str | None = None) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in rows)
    cap = f"<caption>{_e(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


# --- the design


def _ratio(values) -> str:
    return ":".join(str(v) for v in values)


def _design_words(design) -> list[str]:
    a, s1, s2, sel, an = design.arms, design.stage1, design.stage2, design.selection, design.analysis
    doses = ", ".join(a.doses)
    strata = " x ".join(f"{f.name} ({len(f.levels)} levels)" for f in design.strata) or "none"
    rule = _rule_words(sel.rule)
    trigger = (f"{sel.followup_months:g} months after the last stage-1 patient enters"
               if sel.trigger.name == "FOLLOWUP" else f"at {sel.events} stage-1 events")
    stage1 = (f"Stage 1 randomizes {s1.patients} patients {_ratio(s1.ratio)} to {doses} and {a.control} "
              f"in stratified blocks {', '.join(_ratio(b) for b in s1.blocks)}. The selection analysis happens "
              f"{trigger}: {rule}; the stage-1 test uses the stratified log-rank z of each dose against "
              f"{a.control}, with {sel.adjustment.name.lower()} adjustment "
              f"(correlation from the {sel.correlation.name.lower()}). " if s1.patients else
              f"There is no selection stage: one dose, {doses}, against {a.control}. ")
    words = (stage1 + f"Stage 2 opens {sel.stage2_delay_months:g} months later and randomizes {s2.patients} "
             f"patients {_ratio(s2.ratio)} to the selected dose and {a.control} in permuted blocks of "
             f"{s2.block_size}. Strata: {strata}. The confirmatory looks at {', '.join(map(str, an.events))} "
             f"events on the selected dose and {a.control} combine the stages by the weighted inverse normal "
             f"method ({an.mode.name.lower()} mode) in a closed test at one-sided alpha {an.alpha:g}, spent by "
             f"{an.spending}.")
    return [f"<p>{_e(words)}</p>"]


def _rule_words(rule) -> str:
    """The selection rule in words (seamless.sim.selection)."""
    name = rule.rule.name
    if name == "UTILITY":
        words = (f"the dose with the highest observed response rate minus {rule.utility_weight:g} x the observed "
                 f"toxicity rate is selected among those with observed toxicity rate at most {rule.max_toxicity:g} "
                 "(none: the trial stops for safety)")
    else:
        words = {"BEST": "the dose with the largest stage-1 z is selected",
                 "EPSILON": f"the lowest dose within {rule.epsilon:g} of the largest stage-1 z is selected",
                 "FIXED": f"{rule.dose} is always selected",
                 "RESPONSE": "the dose with the highest observed response rate is selected",
                 "USER": f"a user's rule ({rule.user}) selects the dose"}[name]
    return words + " (ties: the lower dose)"


def _hazard_ratio(value) -> str:
    """One hazard ratio, or one per piece (piece by piece)."""
    return " then ".join(f"{h:g}" for h in value) if isinstance(value, tuple) else f"{value:g}"


def _design_tables(design) -> list[str]:
    from seamless.stats.boundaries import efficacy_bounds

    a, an = design.arms, design.analysis
    out = [_table(["arm", "stage-1 ratio", "hazard ratio vs control (first scenario)"],
                  [[d, r, _hazard_ratio(h)] for d, r, h in zip(a.doses, design.stage1.ratio,
                                                                design.outcome.hazard_ratios)]
                  + [[a.control, design.stage1.ratio[-1], "1"]], "Arms")]
    if design.strata:
        out.append(_table(["factor", "level", "probability", "prognostic hazard multiplier"],
                          [[f.name, lev, f"{p:g}", f"{m:g}"] for f in design.strata
                           for lev, p, m in zip(f.levels, f.probabilities, f.hazard_multipliers)], "Strata"))
    acc = design.accrual
    starts = (0.0, *acc.change_months)
    out.append(_table(["from month", "patients per month"], [[f"{s:g}", f"{r:g}"] for s, r in zip(starts, acc.rates)],
                      "Accrual (Poisson)"))
    o = design.outcome
    if o.pieces == 1:
        out.append(_table(["control median PFS (months)", "dropout within 12 months"],
                          [[f"{o.control_median_months:g}", f"{o.dropout_per_year:g}"]], "Outcome (exponential)"))
    else:
        ends = [*o.piece_starts_months[1:], math.inf]
        out.append(_table(["months since entry", "control hazard per month", "control median if constant"],
                          [[f"{s:g} to {e:g}", f"{h:.4g}", f"{math.log(2) / h:.3g}"]
                           for s, e, h in zip(o.piece_starts_months, ends, o.control_hazard())],
                          f"Outcome (piecewise exponential; dropout within 12 months {o.dropout_per_year:g})"))
    e = design.endpoints
    if e.modelled:
        none = (None,) * (len(a.doses) + 1)
        rows = [[arm, *("-" if p is None else f"{p:g}" for p in ps)]
                for arm, *ps in zip([*a.doses, a.control], e.response_probabilities or none,
                                    e.toxicity_probabilities or none)]
        out.append(_table(["arm", "P(response)", "P(toxicity)"], rows,
                          f"Short-term endpoints of the stage-1 patients (response assessed "
                          f"{e.response_months:g} months after entry, correlation with PFS "
                          f"{e.response_pfs_correlation:g}; toxicity within {e.toxicity_window_months:g} months, "
                          f"correlation with response {e.response_toxicity_correlation:g}; Gaussian copula)"))
    bounds = efficacy_bounds(an.information_rates, an.alpha, an.spending, an.efficacy_looks)
    rows = [[k + 1, e, f"{t:.4g}", _z(b), _p(p), _p(c), _z(f)]
            for k, (e, t, b, p, c, f) in enumerate(zip(an.events, an.information_rates, bounds.efficacy_bounds,
                                                          bounds.nominal_p, bounds.cumulative_alpha,
                                                          an.futility_bounds))]
    weights = (f"stage-1 weight squared {an.stage1_weight_squared:g}" if an.mode.name == "COHORT"
               else f"selection information {an.selection_information:g}")
    out.append(_table(["look", "CG events", "information rate", "efficacy bound (z)", "nominal p",
                       "cumulative alpha", "futility bound (z)"], rows,
                      f"Confirmatory looks ({an.mode.name.lower()} mode, {weights}; futility non-binding)"))
    return out


def _z(value) -> str:
    return f"{value:.4f}" if math.isfinite(value) else "-"


def _p(value) -> str:
    return f"{value:.5f}" if math.isfinite(value) else "-"


# --- the characteristics


def _estimate(row, name, digits) -> str:
    value = row[name]
    if value is None or not math.isfinite(value):
        return "-"
    low, high, se = row.get(f"{name}_ci_low"), row.get(f"{name}_ci_high"), row.get(f"{name}_se")
    text = f"{value:.{digits}f}"
    if se is not None and math.isfinite(se):
        text += f" ± {se:.{digits}f}"
    if low is not None and math.isfinite(low):
        text += f" [{low:.{digits}f}, {high:.{digits}f}]"
    return text


def _characteristic_names(design) -> list[tuple[str, str, int]]:
    looks = range(1, design.looks + 1)
    return [("power: P(reject H_s)", "power", 4), ("family-wise error (rejection with a null dose)", "type1_error", 4),
            *((f"P(select {d})", f"select_{d}", 3) for d in design.doses),
            ("P(correct selection)", "correct_selection", 3),
            *((f"observed response rate of {d} at selection", f"response_rate_{d}", 3) for d in design.doses),
            *((f"observed toxicity rate of {d} at selection", f"toxicity_rate_{d}", 3) for d in design.doses),
            ("P(stop for safety at selection)", "stop_safety", 3),
            ("P(stop for futility at selection)", "stop_futility_selection", 3),
            *((f"P(stop for efficacy at look {k})", f"stop_efficacy_look{k}", 3) for k in looks),
            *((f"P(stop for futility at look {k})", f"stop_futility_look{k}", 3) for k in looks),
            ("expected patients", "expected_patients", 1), ("expected CG events", "expected_cg_events", 1),
            ("expected duration (months)", "expected_duration", 2),
            ("mean time of selection analysis (months)", "mean_time_selection", 2),
            *((f"mean time of look {k} (months)", f"mean_time_look{k}", 2) for k in looks),
            *((f"P(look {k} event target missed)", f"target_missed_look{k}", 3) for k in looks),
            ("HR estimate of selected dose, mean", "hr_mean", 3),
            ("HR estimate of selected dose, median", "hr_median", 3),
            ("log-HR estimate of selected dose: bias (last piece)", "log_hr_bias", 3),
            ("log-HR estimate of selected dose: RMSE (last piece)", "log_hr_rmse", 3),
            ("naive 95% interval: coverage of the true HR (last piece)", "naive_ci_coverage", 3),
            ("repeated CI at the stopping look: coverage of the true HR (last piece)", "repeated_ci_coverage", 3),
            ("log-HR estimate: bias against the first piece", "log_hr_bias_first_piece", 3),
            ("naive 95% interval: coverage of the first piece's HR", "naive_ci_coverage_first_piece", 3),
            ("repeated CI: coverage of the first piece's HR", "repeated_ci_coverage_first_piece", 3)]


def _characteristics(summary, design) -> list[str]:
    names = [name for name in _characteristic_names(design) if name[1] in summary]
    rows = [[label, *(_estimate(summary.loc[s], column, digits) for s in summary.index)]
            for label, column, digits in names]
    truth = [[f"true hazard ratio of {d}", *(f"{summary.loc[s, f'hazard_ratio_{d}']:g}" for s in summary.index)]
             for d in design.doses]
    return [_table(["characteristic", *summary.index], truth + rows,
                   "Estimate ± Monte Carlo standard error [95% interval: Wilson for probabilities, ±1.96 SE "
                   "for means]")]


def selection_bias(summary, trials):
    """Per scenario: mean true HR of the selected dose, mean HR estimate and their paired difference
    (the bias that selection and early stopping give the estimate), with standard errors."""
    import numpy as np
    import pandas as pd

    rows = []
    for scenario, group in trials[trials["selected_dose"].notna()].groupby("scenario", sort=False):
        truth = np.array([summary.loc[scenario, f"hazard_ratio_{d}"] for d in group["selected_dose"]])
        estimate = group["hr_estimate"].to_numpy(float)
        finite = np.isfinite(estimate)
        difference = estimate[finite] - truth[finite]
        n = max(int(finite.sum()), 1)
        rows.append({"scenario": scenario, "true_hr_selected": truth[finite].mean(),
                     "hr_estimate_mean": estimate[finite].mean(), "bias": difference.mean(),
                     "bias_se": difference.std(ddof=1) / math.sqrt(n) if n > 1 else math.nan,
                     "relative_bias": (estimate[finite] / truth[finite]).mean() - 1.0})
    return pd.DataFrame(rows).set_index("scenario")


def _selection_bias(summary, trials) -> list[str]:
    bias = selection_bias(summary, trials)
    rows = [[s, f"{r.true_hr_selected:.3f}", f"{r.hr_estimate_mean:.3f}",
             f"{r.bias:+.3f} ± {r.bias_se:.3f} [{r.bias - 1.96 * r.bias_se:+.3f}, {r.bias + 1.96 * r.bias_se:+.3f}]",
             f"{100 * r.relative_bias:+.1f}%"] for s, r in bias.iterrows()]
    return [_table(["scenario", "true HR of the selected dose (mean)", "HR estimate (mean)",
                    "bias of the estimate ± SE [95% interval]", "relative bias"], rows,
                   "Selection bias: the HR estimate of the selected dose at the last analysis against its true HR")]


# --- figures and provenance


def _figures(summary, trials, design) -> list[str]:
    from seamless.report.figures import FIGURES

    parts = []
    for name, draw in FIGURES.items():
        if name == "sweep" and summary["sweep"].isna().all():
            continue
        buffer = io.BytesIO()
        draw(summary, trials, design).savefig(buffer, format="png", dpi=100, bbox_inches="tight")
        encoded = base64.b64encode(buffer.getvalue()).decode()
        parts.append(f'<figure><img alt="{_e(name)}" src="data:image/png;base64,{encoded}"></figure>')
    return parts


def _provenance(meta: dict[str, str], hashes) -> list[str]:
    import numba
    import numpy
    import pyarrow

    name = meta.get("config_name", "config")
    chosen = "".join(f" --scenario {shlex.quote(s)}" for s in meta.get("scenarios", "").split("\n"))
    command = (f"simulate {shlex.quote(name + '.toml')} --trials {meta['trials_per_scenario']} --seed {meta['seed']}"
               f"{chosen} --out {shlex.quote(name)}")
    rows = [["seed", meta["seed"]], ["trials per scenario", meta["trials_per_scenario"]],
            ["trials per chunk", meta["chunk_trials"]],
            ["common random numbers", meta.get("common_random_numbers", "false (before 0.4)")],
            ["seamless", meta.get("seamless_version", "?")], ["numpy (report)", numpy.__version__],
            ["numba (report)", numba.__version__], ["pyarrow (report)", pyarrow.__version__],
            *([f"SHA-256 of {n}", h] for n, h in hashes.items())]
    return [_table(["", ""], rows, "Provenance"),
            f"<p>To reproduce every number: save the config below as <code>{_e(name)}.toml</code>, install seamless "
            f"{_e(meta.get('seamless_version', ''))} and run</p><pre>{_e(command)}</pre>",
            f"<pre>{_e(meta['config'])}</pre>"]
