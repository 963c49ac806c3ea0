"""Rendering of results as tables: plain text for the terminal, HTML for a notebook."""

from __future__ import annotations

import json
import math

__all__ = ["scenario_report", "scenarios_report", "boundaries_report", "summary_html"]


def _pm(row: dict, name: str, digits: int = 4) -> str:
    value, se = row[name], row.get(f"{name}_se", math.nan)
    return f"{value:.{digits}f} ± {se:.{digits}f}" if math.isfinite(se) else f"{value:.{digits}f}"


def scenario_report(row: dict, doses: tuple[str, ...], look_events: tuple[int, ...]) -> str:
    """A readable block of one scenario's operating characteristics (± Monte Carlo SE)."""
    hrs = ", ".join(f"{dose} {row[f'hazard_ratio_{dose}']:g}" for dose in doses)
    pieces = json.loads(row["parameters"])["outcome"].get("piece_starts_months", [0]) if "parameters" in row else [0]
    last_piece = " (last piece)" if len(pieces) > 1 else ""
    lines = [
        f"Scenario {row['scenario']}  ({row['trials']} trials; hazard ratios{last_piece} {hrs})",
        f"  power, P(reject H_s)        {_pm(row, 'power')}",
        f"  type I error (null dose)    {_pm(row, 'type1_error')}",
        "  selection                   " + "   ".join(f"{dose} {row[f'select_{dose}']:.3f}" for dose in doses)
        + f"   correct {row['correct_selection']:.3f}" + (f"   stop for safety {row['stop_safety']:.3f}"
                                                          if row.get("stop_safety") else ""),
        *(f"  {what + ' rate observed':<28}" + "   ".join(f"{dose} {row[f'{what}_rate_{dose}']:.3f}" for dose in doses)
          for what in ("response", "toxicity") if f"{what}_rate_{doses[0]}" in row),
        "  look      CG events  bound   mean time  P(stop eff.)  P(stop fut.)",
        f"  select            -      -   {row['mean_time_selection']:9.2f}             -  "
        f"{row['stop_futility_selection']:12.4f}",
    ]
    for k, events in enumerate(look_events, start=1):
        bound = row["efficacy_bounds"][k - 1]
        bound_text = f"{bound:6.3f}" if bound is not None else "     -"
        lines.append(f"  {k:<6} {events:>11} {bound_text}   {row[f'mean_time_look{k}']:9.2f}  "
                     f"{row[f'stop_efficacy_look{k}']:12.4f}  {row[f'stop_futility_look{k}']:12.4f}")
        if row[f"target_missed_look{k}"] > 0:
            lines.append(f"         event target not reached in {row[f'target_missed_look{k}']:.2%} of trials "
                         "reaching this look (analysed at end of follow-up)")
    lines += [
        f"  expected patients {_pm(row, 'expected_patients', 1)}   CG events {_pm(row, 'expected_cg_events', 1)}"
        f"   duration {_pm(row, 'expected_duration', 2)} months",
        f"  HR estimate of the selected dose at the last look: mean {_pm(row, 'hr_mean', 3)}, "
        f"median {row['hr_median']:.3f}",
    ]
    if row.get("repeated_ci_coverage") is not None:  # results of 0.6 on (EXTENSIONS.md s.3-4)
        lines.append(f"  coverage of its true HR: naive 95% interval {_pm(row, 'naive_ci_coverage', 3)}, "
                     f"repeated CI at the stopping look {_pm(row, 'repeated_ci_coverage', 3)}")
    return "\n".join(lines)


def scenarios_report(rows: list[dict], doses: tuple[str, ...], look_events: tuple[int, ...]) -> str:
    """The blocks of all scenarios, a blank line between them."""
    return "\n\n".join(scenario_report(row, doses, look_events) for row in rows)


def boundaries_report(bounds) -> str:
    """Table of look, information rate, efficacy bound, nominal p and cumulative alpha."""
    lines = [f"Group-sequential efficacy bounds: {bounds.spending} spending, one-sided alpha {bounds.alpha:g}",
             "  look  information  bound (z)  nominal p   cumulative alpha"]
    for k, (t, b, p, a) in enumerate(zip(bounds.information_rates, bounds.efficacy_bounds,
                                        bounds.nominal_p, bounds.cumulative_alpha), start=1):
        if math.isfinite(b):
            lines.append(f"  {k:>4}  {t:11.4f}  {b:9.6f}  {p:9.7f}   {a:.7f}")
        else:
            lines.append(f"  {k:>4}  {t:11.4f}  {'-':>9}  {'-':>9}   {'-':>9}   (no efficacy stop)")
    return "\n".join(lines)


def summary_html(rows: list[dict], doses: tuple[str, ...]) -> str:
    """An HTML table of the main characteristics of each scenario, each as estimate ± Monte Carlo SE."""
    from html import escape

    columns = [("power", "power", 4), ("type I error", "type1_error", 4),
               *((f"select {dose}", f"select_{dose}", 3) for dose in doses),
               ("correct selection", "correct_selection", 3),
               ("patients", "expected_patients", 1), ("CG events", "expected_cg_events", 1),
               ("duration (months)", "expected_duration", 2), ("HR estimate (mean)", "hr_mean", 3)]
    head = "".join(f"<th>{escape(title)}</th>" for title, _, _ in columns)
    body = "".join(
        f"<tr><th>{escape(row['scenario'])}</th>" + "".join(f"<td>{escape(_pm(row, name, digits))}</td>"
                                                            for _, name, digits in columns) + "</tr>"
        for row in rows)
    return (f"<table><thead><tr><th>scenario</th>{head}</tr></thead><tbody>{body}</tbody></table>"
            f"<p>{rows[0]['trials'] if rows else 0} trials per scenario; ± one Monte Carlo standard error.</p>")
