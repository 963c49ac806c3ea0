"""One simulated trial's patients as data: the table its statisticians would hold at the trial's
last analysis, replayed from the run's random stream (`seamless.run.runner.chunk_seed`).

A trial's draws depend only on the seed, its chunk and its place in the chunk, so any trial of a
run can be rebuilt alone: the compiled trial places its patients on the calendar, and they are
cut at its last analysis. One row per patient enrolled by then: ``patient`` (1, 2, ... in order of
entry within each stage), ``stage`` (1 or 2), ``arm`` (the design's arm names), one column per
stratification factor (its level), ``entry`` (months from the opening of accrual), ``time``
(months from entry to the PFS event or censoring at the cut-off: dropout or the analysis) and
``event`` (1/0), as DESIGN.md counts them: an event at cut tau has T <= C and entry + T <= tau.
"""

from __future__ import annotations

import numpy as np

from seamless.config import Scenario
from seamless.run.runner import chunk_seed
from seamless.sim.engine import StopReason, replay_trial
from seamless.sim.kernel_design import kernel_design

__all__ = ["trial_patients"]


def trial_patients(scenario: Scenario, seed: int, trial: int, chunk_trials: int, common_random_numbers: bool = True):
    """The patients (a pandas DataFrame) of trial ``trial`` of ``scenario`` in a run with ``seed`` and
    ``chunk_trials``, cut at the trial's last analysis; ``.attrs`` holds its cut-off and selected dose."""
    import pandas as pd

    design = scenario.design
    chunk, place = divmod(trial, chunk_trials)
    stream = chunk_seed(seed, chunk, None if common_random_numbers else scenario.name)
    raw, ws, out = replay_trial(kernel_design(design), stream, place)

    cutoff, selected, n1 = float(out.duration[0]), int(out.selected[0]), design.stage1.patients
    stage = np.where(np.arange(raw.arm.size) < n1, 1, 2)
    code = np.where(stage == 1, raw.arm, np.where(raw.arm == 1, selected, 0))
    enrolled = ws.entry < cutoff
    if out.stop_reason[0] == StopReason.SAFETY:  # stage 2 never opened (its patients were never placed)
        enrolled &= stage == 1
    event = (ws.event_time <= ws.dropout_time) & (ws.entry + ws.event_time <= cutoff)
    time = np.where(event, ws.event_time, np.minimum(ws.dropout_time, cutoff - ws.entry))
    names = np.array([design.arms.control, *design.doses], dtype=object)
    levels, stratum = {}, raw.stratum.copy()
    for factor in reversed(design.strata):  # the last factor's level varies fastest
        stratum, level = np.divmod(stratum, len(factor.levels))
        levels[factor.name] = np.array(factor.levels, dtype=object)[level]
    table = pd.DataFrame({"stage": stage, "arm": names[code], **dict(reversed(levels.items())),
                          "entry": ws.entry.copy(), "time": time, "event": event.astype(np.int64)})[enrolled]
    table = table.sort_values(["stage", "entry"], kind="stable")
    table.insert(0, "patient", np.arange(1, len(table) + 1))
    table.attrs.update(cutoff=cutoff, selected_dose=design.doses[selected - 1] if selected > 0 else None,
                       trial=trial)
    return table.reset_index(drop=True)
