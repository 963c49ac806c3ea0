"""The printed report of ``simulate analyze`` (`seamless.observed.analysis.Analysis`)."""

from __future__ import annotations

import math

__all__ = ["analysis_text"]


def _when(months: float, date: str | None) -> str:
    if not math.isfinite(months):
        return "not within 240 months" if months > 0 else "-"
    return f"month {months:.2f}" + (f" ({date})" if date else "")


def _number(value: float, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.{digits}f}"


def _probabilities(values) -> str:
    return ", ".join(_number(v, 3) for v in values) if values else "-"


def _stage1_p(p: dict) -> str:
    return "p1 " + ", ".join(f"{name} {value:.5f}" for name, value in p.items()) + "; " if p else ""


def _repeated(look) -> str:
    if math.isnan(look.repeated_ci[0]):
        return "repeated CI and p-value not computed"
    if math.isinf(look.efficacy_bound):
        return "no efficacy bound at this look: the repeated CI is every HR"
    return (f"repeated CI {_number(look.repeated_ci[0])} to {_number(look.repeated_ci[1])} (closed test's upper "
            f"limit {_number(look.closed_test_upper)}); repeated p {_number(look.repeated_p, 5)}")


def analysis_text(a) -> str:
    s1 = a.stage1
    lines = [f"Analysis of the data at {_when(a.cutoff, a.cutoff_date)}: {a.patients['1']} stage-1 and "
             f"{a.patients['2']} stage-2 patients; mode {a.mode}", ""]
    state = "" if s1.reached else " (not reached: statistics at the cut-off)"
    lines.append(f"Selection analysis (A1) at {_when(s1.time, s1.date)}{state}" if s1.z else
                 "No selection stage")
    if s1.z:
        lines.append(f"  {'dose':<12}{'z':>9}{'HR':>9}{'events':>8}")
        for dose, z in s1.z.items():
            lines.append(f"  {dose:<12}{z:>9.3f}{_number(s1.hazard_ratio[dose], 3):>9}{s1.events[dose]:>8}")
        control = next(iter(k for k in s1.events if k not in s1.z))
        lines.append(f"  {control + ' (control)':<12}{'':>18}{s1.events[control]:>8}")
        lines.append("  p-value of each intersection: " + ", ".join(f"{name} {p:.5f}" for name, p in
                                                                   s1.intersection_p.items()))
    if s1.selected:
        by = {"rule": "by the design's rule", "given": "as given", "data": "as in the data's stage 2"}[s1.selected_by]
        closed = f"; closed-test stage-1 p {_number(s1.closed_p, 5)}" if s1.z else ""
        lines.append(f"  selected: {s1.selected} ({by}){closed}")
    elif s1.decision != "not reached":
        lines.append(f"  decision: {s1.decision}")
    for look in a.looks:
        lines += ["", f"Look {look.look} at {_when(look.time, look.date)}: {look.events} CG events "
                  f"(target {look.target_events}{'' if look.target_reached else ', never reached'})",
                  f"  stage-wise: {_stage1_p(look.stage1_p)}stage-2 z {look.stage2_z:.4f} (p {look.stage2_p:.5f})",
                  "  combined z: " + ", ".join(f"{k} {v:.4f}" for k, v in look.combined_z.items()),
                  f"  closed test: z {look.binding_z:.4f} vs bound {_number(look.efficacy_bound)}"
                  f" (futility {_number(look.futility_bound)}): {look.decision}",
                  f"  HR {_number(look.hazard_ratio)}, naive 95% CI {_number(look.naive_ci[0])} to "
                  f"{_number(look.naive_ci[1])}; " + _repeated(look)]
        if look.conditional_rejection:
            lines += [f"  conditional power by looks {look.look + 1}..: under HR 1 (CRP) "
                      f"{_probabilities(look.conditional_rejection)}; planned HR {a.planned_hazard_ratio:.3f} "
                      f"{_probabilities(look.conditional_power_planned)}; observed HR {look.hazard_ratio:.3f} "
                      f"{_probabilities(look.conditional_power_observed)}",
                      f"    ({look.conditional_power_method})"]
    if a.future:
        lines += ["", f"Future looks (expected under the design's model, HR {a.planned_hazard_ratio:.3f} for the "
                  "selected dose):"]
        lines += [f"  look {f.look}: {f.target_events} CG events at {_when(f.expected_time, f.expected_date)}"
                  for f in a.future]
    if a.notes:
        lines += ["", *(f"Note: {note}" for note in a.notes)]
    return "\n".join(lines)
