"""Tests for seamless.design: a design is checked the same way however it is made.

Each bad case is one change to the default design's "design" scenario, made three ways: in TOML
text, with `Design.replace` (the dotted paths of scenarios and sweeps) and, where the change is
one field of one dataclass, with `dataclasses.replace`. All three must give the same one-line
`ConfigError`, so no unchecked design reaches the kernels.
"""

import dataclasses
import math

import pytest
import tomli_w

import seamless as sl
from seamless.config import parse_study
from seamless.design import Design, Mode, plain_tables, set_path
from seamless.sim.kernel_design import kernel_design
from seamless.sim.outcome import Outcome

# (case id, {path: value}, fragments the message must contain)
BAD_CHANGES = [
    ("seven_doses", {"arms.doses": list("abcdefg")}, ["arms.doses", "1 to 6"]),
    ("dose_named_like_control", {"arms.doses": ["Kd", "0.6mg", "1.0mg"]}, ["arms.doses", "distinct"]),
    ("control_not_a_string", {"arms.control": 3}, ["arms.control", "expected a string"]),
    ("negative_stage1_patients", {"stage1.patients": -1}, ["stage1.patients", ">= 0"]),
    ("float_stage1_patients", {"stage1.patients": 235.0}, ["stage1.patients", "expected an integer"]),
    ("no_stage1_with_three_doses", {"stage1.patients": 0}, ["stage1.patients", "exactly one dose"]),
    ("stage1_ratio_length", {"stage1.ratio": [3, 3, 2]}, ["stage1.ratio", "needs 4 entries"]),
    ("stage1_block_width", {"stage1.blocks": [[1, 1, 1]]}, ["stage1.blocks[0]", "4 counts"]),
    ("stage1_empty_block", {"stage1.blocks[0]": [0, 0, 0, 0]}, ["stage1.blocks[0]", "not all 0"]),
    ("stage1_blocks_against_ratio", {"stage1.blocks": [[1, 1, 1, 1]]}, ["stage1.blocks", "stage1.ratio 3:3:3:2"]),
    ("no_stage2_patients", {"stage2.patients": 0}, ["stage2.patients", ">= 1"]),
    ("stage2_ratio_length", {"stage2.ratio": [3, 2, 1]}, ["stage2.ratio", "needs 2 entries"]),
    ("stage2_block_not_multiple", {"stage2.block_size": 6}, ["stage2.block_size", "multiple of 5", "got 6"]),
    ("probabilities_sum", {"strata.factor[2].probabilities": [0.51, 0.30, 0.20]},
     ["strata.factor[2].probabilities", "sum to 1"]),
    ("probabilities_count", {"strata.factor[2].probabilities": [0.51, 0.49]}, ["strata.factor[2]", "3 entries"]),
    ("one_level", {"strata.factor[0].levels": ["all"]}, ["strata.factor[0].levels", "at least 2"]),
    ("zero_multiplier", {"strata.factor[0].hazard_multipliers[1]": 0.0},
     ["strata.factor[0].hazard_multipliers[1]", "[0.001, 1000]"]),
    ("zero_accrual_rate", {"accrual.rates": [8.0, 0.0]}, ["accrual.rates[1]", "[0.001, 100000]"]),
    ("change_months_count", {"accrual.change_months": [6.0, 9.0]}, ["accrual.change_months", "needs 1 entries"]),
    ("change_months_order", {"accrual.rates": [8.0, 20.0, 30.0], "accrual.change_months": [6.0, 6.0]},
     ["accrual.change_months", "strictly increasing"]),
    ("zero_control_median", {"outcome.control_median_months": 0.0}, ["outcome.control_median_months", "[0.01, 1200]"]),
    ("two_hazard_ratios_for_three_doses", {"outcome.hazard_ratios": [0.8, 0.7]},
     ["outcome.hazard_ratios", "needs 3 entries", "got 2"]),
    ("negative_hazard_ratio", {"outcome.hazard_ratios[1]": -0.5}, ["outcome.hazard_ratios[1]", "[0.001, 1000]"]),
    ("certain_dropout", {"outcome.dropout_per_year": 1.0}, ["outcome.dropout_per_year", "[0, 1)"]),
    ("unknown_outcome_key", {"outcome.hazard_ratio": [0.8, 0.7, 0.6]},
     ["outcome.hazard_ratio", "unknown key", "'hazard_ratios'"]),
    ("unknown_section", {"outcom.hazard_ratios": [0.8, 0.7, 0.6]}, ["outcom", "unknown key", "'outcome'"]),
    ("unknown_trigger", {"selection.trigger": "time"}, ["selection.trigger", "followup, events", "'time'"]),
    ("events_trigger_unreachable", {"selection.trigger": "events", "selection.events": 236},
     ["selection.events", "236", "235 stage-1 patients"]),
    ("events_trigger_without_events", {"selection.trigger": "events"}, ["selection.events", "missing"]),
    ("negative_followup", {"selection.followup_months": -1.0}, ["selection.followup_months", "-1.0"]),
    ("unknown_rule", {"selection.rule": "worst"}, ["selection.rule", "best, epsilon, fixed", "'worst'"]),
    ("fixed_rule_unknown_dose", {"selection.rule": "fixed", "selection.dose": "2mg"},
     ["selection.dose", "0.3mg, 0.6mg, 1.0mg", "'2mg'"]),
    ("fixed_rule_without_dose", {"selection.rule": "fixed"}, ["selection.dose", "missing"]),
    ("negative_epsilon", {"selection.epsilon": -0.1}, ["selection.epsilon", "[0, 100]"]),
    ("unknown_adjustment", {"selection.adjustment": "bonferroni"}, ["selection.adjustment", "dunnett, none"]),
    ("unknown_correlation", {"selection.correlation": "pearson"}, ["selection.correlation", "allocation, events"]),
    ("nan_futility_z", {"selection.futility_z": math.nan}, ["selection.futility_z", "-inf"]),
    ("events_not_increasing", {"analysis.events": [82, 205, 205]}, ["analysis.events", "strictly increasing"]),
    ("unreachable_look", {"analysis.events": [82, 205, 455]}, ["analysis.events", "never be reached"]),
    ("efficacy_looks_without_last", {"analysis.efficacy_looks": [1, 2]}, ["analysis.efficacy_looks", "last"]),
    ("futility_bounds_count", {"analysis.futility_bounds": [0.0, -math.inf]},
     ["analysis.futility_bounds", "needs 3 entries"]),
    ("information_rates_end", {"analysis.information_rates": [0.3, 0.75, 0.9]},
     ["analysis.information_rates", "ending at 1"]),
    ("alpha_half", {"analysis.alpha": 0.5}, ["analysis.alpha", "[1e-06, 0.5)"]),
    ("unknown_spending", {"analysis.spending": "of"}, ["analysis.spending", "obf, pocock", "'of'"]),
    ("stage1_weight_one", {"analysis.stage1_weight_squared": 1.0}, ["analysis.stage1_weight_squared", "[0, 1)"]),
    ("selection_information_at_first_look", {"analysis.selection_information": 0.3},
     ["analysis.selection_information", "below the first look"]),
    ("unknown_mode", {"analysis.mode": "cumulative"}, ["analysis.mode", "cohort, increments", "'cumulative'"]),
]

@pytest.fixture(scope="module")
def design(default_study) -> Design:
    return default_study["design"]


def _message(make) -> str:
    with pytest.raises(sl.ConfigError) as error:
        make()
    message = str(error.value)
    assert message and "\n" not in message, f"not one line: {message!r}"
    return message


def _toml(design: Design, changes: dict) -> str:
    tables, full = plain_tables(design.source), design.to_dict()
    for path, value in changes.items():
        set_path(tables, full, path, value)
    return tomli_w.dumps(tables)


def _fields(design: Design, changes: dict) -> dict[str, dict] | None:
    """``changes`` as {section: {field: value}}, or None when one is not a field of a section's dataclass."""
    by_section: dict[str, dict] = {}
    for path, value in changes.items():
        section, _, key = path.partition(".")
        target = getattr(design, section, None)
        if not dataclasses.is_dataclass(target) or key not in {f.name for f in dataclasses.fields(target)}:
            return None
        by_section.setdefault(section, {})[key] = tuple(value) if isinstance(value, list) else value
    return by_section


def _by_dataclasses(design: Design, changes: dict) -> Design:
    return dataclasses.replace(design, **{section: dataclasses.replace(getattr(design, section), **keys)
                                          for section, keys in _fields(design, changes).items()})


@pytest.mark.parametrize(("changes", "fragments"), [pytest.param(c, f, id=case) for case, c, f in BAD_CHANGES])
def test_every_way_of_making_a_bad_design_gives_the_same_message(design, changes, fragments):
    by_replace = _message(lambda: design.replace(changes))
    for fragment in fragments:
        assert fragment in by_replace, (fragment, by_replace)
    assert _message(lambda: parse_study(_toml(design, changes), "t")) == by_replace
    if _fields(design, changes) is not None:
        assert _message(lambda: _by_dataclasses(design, changes)) == by_replace


def test_every_section_is_checked_through_the_dataclasses(design):
    # The cases above reach __post_init__ for every section that has its own dataclass.
    sections = {path.split(".")[0] for _, changes, _ in BAD_CHANGES if _fields(design, changes) is not None
                for path in changes}
    assert sections == {"arms", "stage1", "stage2", "accrual", "outcome", "selection", "analysis"}


def test_a_design_built_from_dataclasses_refuses_a_hazard_ratio_per_dose_missing(design):
    outcome = Outcome(control_median_months=8.3, hazard_ratios=(0.8, 0.7))
    with pytest.raises(sl.ConfigError, match=r"outcome.hazard_ratios: needs 3 entries, one per dose, got 2"):
        dataclasses.replace(design, outcome=outcome)


def test_replace_equals_the_toml_change(design, default_text):
    changed = design.replace({"outcome.hazard_ratios[2]": 0.6, "analysis.mode": "increments"})
    text = default_text.replace("[0.80, 0.72, 0.667]", "[0.80, 0.72, 0.6]").replace('mode = "cohort"',
                                                                                    'mode = "increments"')
    assert changed == parse_study(text, "t")["design"]
    assert changed.outcome.hazard_ratios == (0.80, 0.72, 0.6) and changed.analysis.mode is Mode.INCREMENTS
    assert design.outcome.hazard_ratios == (0.80, 0.72, 0.667)  # the original is unchanged


def test_to_dict_reads_back_to_the_same_design(design):
    assert Design.from_dict(design.to_dict()) == design
    assert parse_study(tomli_w.dumps(plain_tables(design.to_dict())), "t")["base"] == design


@pytest.mark.parametrize("made_by", ["toml", "dataclasses"])
def test_replace_derives_defaults_again(made_by):
    tables = {"arms": {"doses": ["a"]}, "stage1": {"patients": 0}, "stage2": {"patients": 400},
              "accrual": {"rates": [20.0]}, "outcome": {"control_median_months": 8.0, "hazard_ratios": [0.7]},
              "analysis": {"events": [100, 200]}}
    design = Design.from_dict(tables)
    if made_by == "dataclasses":
        design = Design(design.arms, dataclasses.replace(design.stage1, ratio=None, blocks=None),
                        dataclasses.replace(design.stage2, block_size=None), design.accrual, design.outcome,
                        dataclasses.replace(design.analysis, information_rates=None, efficacy_looks=None,
                                            futility_bounds=None, selection_information=None))
    assert design.analysis.information_rates == (0.5, 1.0) and design.analysis.selection_information == 0.2
    changed = design.replace({"analysis.events": [50, 200], "stage2.ratio": [2, 1]})
    assert changed.analysis.information_rates == (0.25, 1.0)
    assert changed.analysis.selection_information == 0.125
    assert changed.stage2.block_size == 3


def test_replace_path_errors_name_the_path(design):
    assert "did you mean 'hazard_ratios'" in _message(lambda: design.replace({"outcome.hazard_ratio[0]": 1.0}))
    assert "out of range" in _message(lambda: design.replace({"outcome.hazard_ratios[3]": 1.0}))
    assert "parameter path like" in _message(lambda: design.replace({"outcome..x": 1.0}))


def test_kernels_take_only_checked_designs(design):
    with pytest.raises(TypeError):
        kernel_design(design.to_dict())


def test_looks_beyond_the_bounds_limits_are_refused_by_the_key_they_come_from(design):
    with pytest.raises(sl.ConfigError, match=r"^analysis.information_rates: consecutive rates must differ by at "
                                             r"least 1% of the later one .* got 0.3 and 0.300001$"):
        design.replace({"analysis.information_rates": [0.3, 0.300001, 1.0]})
    tables = design.to_dict()
    del tables["analysis"]["information_rates"]
    tables["analysis"].update(events=[100, 101, 200], selection_information=0.1)
    with pytest.raises(sl.ConfigError, match=r"^analysis.events: consecutive rates .* got 0.5 and 0.505 \(the "
                                             r"information rates are the events over the last look's: 0.5, 0.505, 1\)"):
        Design.from_dict(tables)
