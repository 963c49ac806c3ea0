"""Tests for seamless.config: every bad config is one ConfigError line naming the key and what is allowed.

Each case starts from the default config text (configs/successor2.toml) and changes one thing.
"""

import math

import pytest

from conftest import ROOT
from seamless.config import ConfigError, Study, load_study, parse_study
from seamless.design import Adjustment, Correlation, Mode, Trigger
from seamless.sim.selection import SelectionRule
from seamless.stats.spending import Spending

DESIGN_HAZARD_RATIOS = (0.80, 0.72, 0.667)
FLAT_BLOCK = "[scenarios.flat]\noutcome.hazard_ratios = [0.667, 0.667, 0.667]"


def _edit(text: str, *replacements: tuple[str, str]) -> str:
    """Replace each (old, new) once; ``old`` must occur in the text so a stale case fails loudly."""
    for old, new in replacements:
        assert old in text, f"default config no longer contains {old!r}"
        text = text.replace(old, new, 1)
    return text


def _sweep(body: str) -> tuple[str, str]:
    """A replacement that inserts a [sweeps.hr] table (before the scenarios) with ``body``."""
    return "[scenarios.null]", f"[sweeps.hr]\n{body}\n[scenarios.null]"


def _error(text: str) -> str:
    with pytest.raises(ConfigError) as error:
        parse_study(text, "test")
    message = str(error.value)
    assert message and "\n" not in message, f"not one line: {message!r}"
    return message


# (case id, replacements, fragments the one-line message must contain)
BAD_CONFIGS = [
    # TOML syntax
    ("toml_syntax", [("seed = 20261123", "seed = = 1")], ["TOML syntax error", "line"]),
    ("toml_duplicate_key", [("trials = 10000", "trials = 10000\ntrials = 5")], ["TOML syntax error", "line"]),
    # unknown keys, with the closest allowed key suggested
    ("unknown_top_level", [("[simulation]", 'nme = "x"\n[simulation]')], ["nme", "unknown key", "'name'"]),
    ("unknown_top_level_no_match", [("[simulation]", "zzz = 1\n[simulation]")],
     ["zzz", "unknown key", "allowed:", "simulation", "scenarios", "sweeps"]),
    ("unknown_in_simulation", [("chunk_trials = 1000", "chunk_trial = 1000")],
     ["simulation.chunk_trial", "unknown key", "'chunk_trials'"]),
    ("unknown_in_section", [("followup_months = 3.0", "folowup_months = 3.0")],
     ["selection.folowup_months", "unknown key", "'followup_months'"]),
    ("unknown_in_strata",
     [('[[strata.factor]]\nname = "age"', '[strata]\nfactors = 1\n[[strata.factor]]\nname = "age"')],
     ["strata.factors", "unknown key", "'factor'"]),
    ("unknown_section_in_scenario", [(FLAT_BLOCK, FLAT_BLOCK + "\noutcom.hazard_ratios = [1.0, 1.0, 1.0]")],
     ["scenarios.flat.outcom", "unknown key", "'outcome'"]),
    ("unknown_key_in_scenario", [(FLAT_BLOCK, FLAT_BLOCK + "\noutcome.dropout_per_yer = 0.1")],
     ["flat", "outcome.dropout_per_yer", "unknown key", "'dropout_per_year'"]),
    ("unknown_in_strata_factor", [("hazard_multipliers = [1.0, 1.1]", "hazard_multipliers = [1.0, 1.1]\nlevel = 3")],
     ["strata.factor[0].level", "unknown key", "'levels'"]),
    # wrong types
    ("string_for_number", [("control_median_months = 8.3", 'control_median_months = "8.3"')],
     ["outcome.control_median_months", "expected a number", "string"]),
    ("float_for_int", [("patients = 235", "patients = 235.0")], ["stage1.patients", "expected an integer", "235.0"]),
    ("float_for_int_simulation", [("trials = 10000", "trials = 100.5")], ["simulation.trials", "expected an integer"]),
    ("bool_for_number", [("alpha = 0.025", "alpha = true")], ["analysis.alpha", "expected a number", "boolean"]),
    ("bool_for_int", [("block_size = 5", "block_size = true")],
     ["stage2.block_size", "expected an integer", "boolean"]),
    ("string_for_list", [("doses = [\"0.3mg\", \"0.6mg\", \"1.0mg\"]", 'doses = "0.3mg"')],
     ["arms.doses", "expected a list"]),
    ("number_for_table", [(FLAT_BLOCK, "[scenarios.flat]\noutcome = 3")],
     ["scenario flat", "outcome", "expected a table", "integer"]),
    # out-of-range values
    ("alpha_zero", [("alpha = 0.025", "alpha = 0")], ["analysis.alpha", "[1e-06, 0.5)", "got 0.0"]),
    ("alpha_half", [("alpha = 0.025", "alpha = 0.5")], ["analysis.alpha", "[1e-06, 0.5)", "0.5"]),
    ("dropout_one", [("dropout_per_year = 0.05", "dropout_per_year = 1.0")], ["outcome.dropout_per_year", "[0, 1)"]),
    ("negative_followup", [("followup_months = 3.0", "followup_months = -1.0")],
     ["selection.followup_months", "[0, 1200]", "-1.0"]),
    ("negative_seed", [("seed = 20261123", "seed = -1")], ["simulation.seed", ">= 0"]),
    ("zero_trials", [("trials = 10000", "trials = 0")], ["simulation.trials", ">= 1"]),
    ("stage1_weight_one", [("stage1_weight_squared = 0.33", "stage1_weight_squared = 1.0")],
     ["analysis.stage1_weight_squared", "[0, 1)"]),
    ("selection_information_at_first_look",
     [("selection_information = 0.21", "selection_information = 0.3")],
     ["analysis.selection_information", "below the first look"]),
    ("nan_futility_bound", [("futility_bounds = [0.0, -inf, -inf]", "futility_bounds = [nan, -inf, -inf]")],
     ["analysis.futility_bounds[0]", "-inf", "nan"]),
    # outcome
    ("zero_control_median", [("control_median_months = 8.3", "control_median_months = 0")],
     ["outcome.control_median_months", "[0.01, 1200] months"]),
    ("negative_control_median", [("control_median_months = 8.3", "control_median_months = -8.3")],
     ["outcome.control_median_months", "[0.01, 1200] months"]),
    ("zero_hazard_ratio", [(FLAT_BLOCK, "[scenarios.flat]\noutcome.hazard_ratios = [0.667, 0, 0.667]")],
     ["flat", "outcome.hazard_ratios[1]", "[0.001, 1000]"]),
    ("negative_hazard_ratio", [(FLAT_BLOCK, "[scenarios.flat]\noutcome.hazard_ratios = [0.667, 0.667, -0.5]")],
     ["flat", "outcome.hazard_ratios[2]", "[0.001, 1000]"]),
    ("too_few_hazard_ratios", [(FLAT_BLOCK, "[scenarios.flat]\noutcome.hazard_ratios = [0.667, 0.667]")],
     ["flat", "outcome.hazard_ratios", "needs 3 entries", "got 2"]),
    ("too_many_hazard_ratios", [(FLAT_BLOCK, "[scenarios.flat]\noutcome.hazard_ratios = [0.7, 0.7, 0.7, 0.7]")],
     ["outcome.hazard_ratios", "needs 3 entries", "got 4"]),
    # arms and stages
    ("seven_doses", [('doses = ["0.3mg", "0.6mg", "1.0mg"]', 'doses = ["a", "b", "c", "d", "e", "f", "g"]')],
     ["arms.doses", "1 to 6"]),
    ("dose_named_like_control", [('doses = ["0.3mg", "0.6mg", "1.0mg"]', 'doses = ["Kd", "0.6mg", "1.0mg"]')],
     ["arms.doses", "distinct"]),
    ("stage1_ratio_length", [("ratio = [3, 3, 3, 2]", "ratio = [3, 3, 2]")], ["stage1.ratio", "needs 4 entries"]),
    ("blocks_inconsistent_with_ratio",
     [("blocks = [[1, 1, 1, 0], [1, 1, 1, 1], [1, 1, 1, 1]]", "blocks = [[1, 1, 1, 1]]")],
     ["stage1.blocks", "1:1:1:1", "stage1.ratio 3:3:3:2"]),
    ("blocks_wrong_width", [("blocks = [[1, 1, 1, 0], [1, 1, 1, 1], [1, 1, 1, 1]]", "blocks = [[1, 1, 1], [1, 1, 1]]")],
     ["stage1.blocks[0]", "4 counts"]),
    ("stage2_block_not_multiple", [("block_size = 5", "block_size = 6")],
     ["stage2.block_size", "multiple of 5", "3:2", "got 6"]),
    ("stage2_ratio_length", [("ratio = [3, 2]", "ratio = [3, 2, 1]")], ["stage2.ratio", "needs 2 entries"]),
    # strata
    ("probabilities_not_summing_to_one",
     [("probabilities = [0.51, 0.30, 0.19]", "probabilities = [0.51, 0.30, 0.20]")],
     ["strata.factor[2].probabilities", "sum to 1", "1.01"]),
    ("probabilities_wrong_count", [("probabilities = [0.51, 0.30, 0.19]", "probabilities = [0.51, 0.49]")],
     ["strata.factor[2]", "3 entries"]),
    # accrual
    ("change_months_not_increasing",
     [("rates = [8.0, 20.0]", "rates = [8.0, 20.0, 30.0]"), ("change_months = [6.0]", "change_months = [6.0, 6.0]")],
     ["accrual.change_months", "strictly increasing"]),
    ("change_months_wrong_count", [("change_months = [6.0]", "change_months = [6.0, 9.0]")],
     ["accrual.change_months", "needs 1 entries"]),
    ("zero_accrual_rate", [("rates = [8.0, 20.0]", "rates = [8.0, 0.0]")],
     ["accrual.rates[1]", "[0.001, 100000] patients per month"]),
    # analysis
    ("events_not_increasing", [("events = [82, 205, 273]", "events = [82, 205, 205]")],
     ["analysis.events", "strictly increasing", "[82, 205, 205]"]),
    ("unreachable_look", [("events = [82, 205, 273]", "events = [82, 205, 455]")],
     ["analysis.events", "455", "never be reached", "454"]),
    ("efficacy_looks_without_last", [("efficacy_looks = [2, 3]", "efficacy_looks = [1, 2]")],
     ["analysis.efficacy_looks", "1..3", "last"]),
    ("efficacy_looks_above_range", [("efficacy_looks = [2, 3]", "efficacy_looks = [2, 4]")],
     ["analysis.efficacy_looks", "1..3"]),
    ("efficacy_looks_zero", [("efficacy_looks = [2, 3]", "efficacy_looks = [0, 3]")],
     ["analysis.efficacy_looks[0]", ">= 1"]),
    ("efficacy_looks_repeated", [("efficacy_looks = [2, 3]", "efficacy_looks = [3, 3]")],
     ["analysis.efficacy_looks", "distinct"]),
    ("futility_bounds_too_short", [("futility_bounds = [0.0, -inf, -inf]", "futility_bounds = [0.0, -inf]")],
     ["analysis.futility_bounds", "needs 3 entries"]),
    ("futility_bounds_too_long", [("futility_bounds = [0.0, -inf, -inf]", "futility_bounds = [0.0, 0, 0, 0]")],
     ["analysis.futility_bounds", "needs 3 entries"]),
    ("information_rates_not_ending_at_one",
     [("information_rates = [0.3, 0.75, 1.0]", "information_rates = [0.3, 0.75, 0.9]")],
     ["analysis.information_rates", "ending at 1"]),
    # enumerated choices list the allowed values
    ("unknown_rule", [('rule = "best"', 'rule = "worst"')], ["selection.rule", "best, epsilon, fixed", "'worst'"]),
    ("rule_not_a_string", [('rule = "best"', "rule = 1")], ["selection.rule", "best, epsilon, fixed"]),
    ("unknown_adjustment", [('adjustment = "dunnett"', 'adjustment = "bonferroni"')],
     ["selection.adjustment", "dunnett, none", "'bonferroni'"]),
    ("unknown_correlation", [('correlation = "allocation"', 'correlation = "pearson"')],
     ["selection.correlation", "allocation, events"]),
    ("unknown_trigger", [('trigger = "followup"', 'trigger = "time"')], ["selection.trigger", "followup, events"]),
    ("unknown_mode", [('mode = "cohort"', 'mode = "cumulative"')],
     ["analysis.mode", "cohort, increments", "'cumulative'"]),
    ("unknown_spending", [('spending = "obf"', 'spending = "of"')],
     ["analysis.spending", "obf, pocock, hsd:<gamma>", "kd:<rho>", "'of'"]),
    # selection
    ("selection_dose_not_a_dose", [('rule = "best"', 'rule = "fixed"\ndose = "2mg"')],
     ["selection.dose", "0.3mg, 0.6mg, 1.0mg", "'2mg'"]),
    ("fixed_rule_without_dose", [('rule = "best"', 'rule = "fixed"')], ["selection.dose", "missing"]),
    ("events_trigger_unreachable", [('trigger = "followup"', 'trigger = "events"\nevents = 236')],
     ["selection.events", "236", "235 stage-1 patients"]),
    ("events_trigger_without_events", [('trigger = "followup"', 'trigger = "events"')],
     ["selection.events", "missing"]),
    # sweeps
    ("sweep_path_names_nothing", [_sweep('base = "design"\n"outcome.hazard_ratio[2]" = [1.0]')],
     ["sweeps.hr", "outcome.hazard_ratio[2]", "names no parameter"]),
    ("sweep_path_malformed", [_sweep('"outcome..x" = [1.0]')],
     ["sweeps.hr", "outcome..x", "parameter path like"]),
    ("sweep_index_out_of_range", [_sweep('"outcome.hazard_ratios[7]" = [1.0]')],
     ["sweeps.hr", "outcome.hazard_ratios[7]", "out of range"]),
    ("sweep_non_numeric_parameter", [_sweep('"arms.control" = [1.0]')],
     ["sweeps.hr", "arms.control", "not a numeric parameter"]),
    ("sweep_non_numeric_target", [_sweep('base = "design"\n"outcome.hazard_ratios[2]" = ["a"]')],
     ["sweeps.hr.outcome.hazard_ratios[2][0]", "expected a number", "'a'"]),
    ("sweep_values_not_a_list", [_sweep('"outcome.hazard_ratios[2]" = 1.0')],
     ["sweeps.hr.outcome.hazard_ratios[2]", "expected a list"]),
    ("sweep_unknown_base", [_sweep('base = "desing"\n"outcome.hazard_ratios[2]" = [1.0]')],
     ["sweeps.hr.base", "null, design, flat", "'desing'"]),
    ("sweep_without_parameters", [_sweep('base = "design"')], ["sweeps.hr", "at least one parameter"]),
    ("sweep_point_invalid", [_sweep('base = "design"\n"outcome.hazard_ratios[2]" = [0.8, -1.0]')],
     ["hr:outcome.hazard_ratios[2]=-1", "outcome.hazard_ratios[2]", "[0.001, 1000]"]),
    # scenarios
    ("scenarios_with_different_doses", [(FLAT_BLOCK, FLAT_BLOCK + '\narms.doses = ["a", "b", "c"]')],
     ["scenario flat", "same doses"]),
    ("scenario_not_a_table", [("[scenarios.null]", "[scenarios]\nbad = 1\n[scenarios.null]")],
     ["scenarios.bad", "expected a table"]),
    ("name_with_slash", [("[simulation]", 'name = "a/b"\n[simulation]')], ["name", "letters, digits", "'a/b'"]),
]


@pytest.mark.parametrize(("replacements", "fragments"),
                         [pytest.param(r, f, id=case) for case, r, f in BAD_CONFIGS])
def test_bad_config_is_one_line_naming_the_key(default_text, replacements, fragments):
    message = _error(_edit(default_text, *replacements))
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def test_every_bad_case_changes_the_default(default_text):
    # Guards the table above: a replacement that is a no-op would test the default config.
    for case, replacements, _ in BAD_CONFIGS:
        assert _edit(default_text, *replacements) != default_text, case


def test_unknown_key_in_scenario_override_of_strata_factor(default_text):
    text = _edit(default_text, (FLAT_BLOCK, FLAT_BLOCK + "\n[[scenarios.flat.strata.factor]]\nname = \"sex\"\n"
                                "levels = [\"f\", \"m\"]\nprobabilities = [0.5, 0.5]\nhazard_multiplers = [1.0, 1.0]"))
    message = _error(text)
    assert "scenario flat" in message
    assert "strata.factor[0].hazard_multiplers" in message
    assert "did you mean 'hazard_multipliers'?" in message


# --- positive cases


def test_default_config_parses_to_three_scenarios(default_text):
    config = parse_study(default_text, "successor2")
    assert isinstance(config, Study)
    assert config.name == "successor2"
    assert (config.seed, config.trials, config.chunk_trials) == (20261123, 10000, 1000)
    assert config.scenario_names() == ["null", "design", "flat"]
    hazard_ratios = {s.name: s.design.outcome.hazard_ratios for s in config.scenarios}
    assert hazard_ratios == {"null": (1.0, 1.0, 1.0), "design": DESIGN_HAZARD_RATIOS,
                             "flat": (0.667, 0.667, 0.667)}
    assert config.text == default_text


def test_default_design_values(default_text):
    design = parse_study(default_text, "successor2").scenarios[0].design
    assert design.arms.control == "Kd"
    assert design.arms.doses == ("0.3mg", "0.6mg", "1.0mg")
    assert (design.stage1.patients, design.stage1.ratio) == (235, (3, 3, 3, 2))
    assert design.stage1.blocks == ((1, 1, 1, 0), (1, 1, 1, 1), (1, 1, 1, 1))
    assert (design.stage2.patients, design.stage2.ratio, design.stage2.block_size) == (348, (3, 2), 5)
    assert [f.name for f in design.strata] == ["age", "prior_lines", "iss"]
    assert design.strata[0].probabilities == (0.58, 0.42)
    assert design.accrual.rates == (8.0, 20.0) and design.accrual.change_months == (6.0,)
    assert design.outcome.control_median_months == 8.3 and design.outcome.dropout_per_year == 0.05
    sel = design.selection
    assert (sel.trigger, sel.rule.rule, sel.adjustment, sel.correlation) == (
        Trigger.FOLLOWUP, SelectionRule.BEST, Adjustment.DUNNETT, Correlation.ALLOCATION)
    assert (sel.followup_months, sel.stage2_delay_months) == (3.0, 1.0)
    an = design.analysis
    assert an.mode is Mode.COHORT
    assert an.events == (82, 205, 273)
    assert an.efficacy_looks == (2, 3)
    assert an.futility_bounds == (0.0, -math.inf, -math.inf)
    assert an.information_rates == (0.3, 0.75, 1.0)
    assert an.spending == Spending.parse("obf")
    assert an.alpha == 0.025


def test_sweep_adds_one_scenario_per_value(default_text):
    text = _edit(default_text, _sweep('base = "design"\n"outcome.hazard_ratios[2]" = [1.0, 0.8]'))
    scenarios = {s.name: s for s in parse_study(text, "t").scenarios}
    swept = ["hr:outcome.hazard_ratios[2]=1", "hr:outcome.hazard_ratios[2]=0.8"]
    assert list(scenarios) == ["null", "design", "flat", *swept]
    design = scenarios["design"].design
    for name, value in zip(swept, [1.0, 0.8]):
        point = scenarios[name].design
        assert point.outcome.hazard_ratios == (0.80, 0.72, value)
        # Everything but the swept value comes from the base scenario "design".
        assert point.outcome.control_median_months == design.outcome.control_median_months
        assert point.arms == design.arms and point.stage1 == design.stage1 and point.analysis == design.analysis
        assert dict(scenarios[name].point)["outcome.hazard_ratios[2]"] == value


def test_sweep_without_base_starts_from_the_top_level_design(default_text):
    text = _edit(default_text, _sweep('"strata.factor[0].hazard_multipliers[1]" = [1.5]'))
    scenarios = {s.name: s.design for s in parse_study(text, "t").scenarios}
    point = scenarios["hr:strata.factor[0].hazard_multipliers[1]=1.5"]
    assert point.strata[0].hazard_multipliers == (1.0, 1.5)
    assert point.outcome.hazard_ratios == (1.0, 1.0, 1.0)  # the top-level [outcome], not a scenario's


def test_sweep_over_two_parameters_is_a_grid(default_text):
    text = _edit(default_text, _sweep('base = "null"\n"outcome.hazard_ratios[0]" = [0.9, 0.8]\n'
                                      '"outcome.control_median_months" = [6, 10]'))
    names = [s.name for s in parse_study(text, "t").scenarios][3:]
    assert names == [
        "hr:outcome.hazard_ratios[0]=0.9,outcome.control_median_months=6",
        "hr:outcome.hazard_ratios[0]=0.9,outcome.control_median_months=10",
        "hr:outcome.hazard_ratios[0]=0.8,outcome.control_median_months=6",
        "hr:outcome.hazard_ratios[0]=0.8,outcome.control_median_months=10",
    ]


MINIMAL = """
[arms]
doses = ["low", "high"]

[stage1]
patients = 100

[stage2]
patients = 200

[accrual]
rates = [10.0]

[outcome]
control_median_months = 12
hazard_ratios = [0.8, 0.7]

[analysis]
events = [100, 200]
"""


def test_defaults_of_a_minimal_config():
    config = parse_study(MINIMAL, "minimal")
    assert config.name == "minimal"
    assert (config.seed, config.trials, config.chunk_trials) == (20261123, 10000, 1000)
    assert config.scenario_names() == ["base"]
    design = config.scenarios[0].design
    assert design.arms.control == "control"
    assert design.stage1.ratio == (1, 1, 1) and design.stage1.blocks == ((1, 1, 1),)
    assert design.stage2.ratio == (1, 1) and design.stage2.block_size == 2
    assert design.strata == ()
    assert design.accrual.change_months == ()
    assert design.outcome.dropout_per_year == 0.0
    sel = design.selection
    assert sel.trigger is Trigger.FOLLOWUP and sel.followup_months == 0.0 and sel.stage2_delay_months == 0.0
    assert sel.rule.rule is SelectionRule.BEST and sel.rule.dose is None and sel.rule.epsilon == 0.0
    assert sel.adjustment is Adjustment.DUNNETT and sel.correlation is Correlation.ALLOCATION
    assert sel.futility_z == -math.inf
    an = design.analysis
    assert an.mode is Mode.COHORT
    assert an.information_rates == (0.5, 1.0)
    assert an.efficacy_looks == (1, 2)
    assert an.futility_bounds == (-math.inf, -math.inf)
    assert an.alpha == 0.025 and an.spending == Spending.parse("obf")
    assert an.stage1_weight_squared == 0.33
    assert 0 < an.selection_information < an.information_rates[0]


def test_default_config_without_selection_table(default_text):
    start = default_text.index("[selection]")
    end = default_text.index("[analysis]")
    text = default_text[:start] + default_text[end:]
    selection = parse_study(text, "t").scenarios[0].design.selection
    assert selection.trigger is Trigger.FOLLOWUP and selection.rule.rule is SelectionRule.BEST
    assert selection.adjustment is Adjustment.DUNNETT


def test_choices_are_case_insensitive(default_text):
    text = _edit(default_text, ('trigger = "followup"', 'trigger = "Events"\nevents = 60'),
                 ('rule = "best"', 'rule = "FIXED"\ndose = "0.6mg"'))
    selection = parse_study(text, "t").scenarios[0].design.selection
    assert selection.trigger is Trigger.EVENTS and selection.events == 60
    assert selection.rule.rule is SelectionRule.FIXED and selection.rule.dose == "0.6mg"


def test_highest_reachable_look_is_accepted(default_text):
    # floor(235 * (3 + 2) / 11) = 106 stage-1 CG patients + 348 stage-2 patients = 454.
    text = _edit(default_text, ("events = [82, 205, 273]", "events = [82, 205, 454]"))
    assert parse_study(text, "t").scenarios[0].design.analysis.events == (82, 205, 454)


def test_config_name_overrides_the_given_name(default_text):
    text = _edit(default_text, ("[simulation]", 'name = "my-run_2.b"\n[simulation]'))
    assert parse_study(text, "file_stem").name == "my-run_2.b"


# --- load_study


def test_load_study_names_the_run_after_the_file(tmp_path, default_text):
    path = tmp_path / "trial_a.toml"
    path.write_text(default_text)
    config = load_study(path)
    assert config.name == "trial_a"
    assert config.scenario_names() == ["null", "design", "flat"]


def test_load_study_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found") as error:
        load_study(tmp_path / "absent.toml")
    assert "absent.toml" in str(error.value) and "\n" not in str(error.value)


def test_load_study_prefixes_errors_with_the_path(tmp_path, default_text):
    path = tmp_path / "bad.toml"
    path.write_text(_edit(default_text, ("alpha = 0.025", "alpha = 0.5")))
    with pytest.raises(ConfigError) as error:
        load_study(path)
    message = str(error.value)
    assert message.startswith(f"{path}: ")
    assert "analysis.alpha" in message and "\n" not in message


def test_load_study_directory(tmp_path):
    with pytest.raises(ConfigError, match="cannot read config"):
        load_study(tmp_path)


# --- values that must be finite, names that must stay inside results/, and odd paths


@pytest.mark.parametrize("base", ['["design"]', "{ a = 1 }"])
def test_sweep_base_of_wrong_type_is_a_config_error(default_text, base):
    text = _edit(default_text, _sweep(f'base = {base}\n"outcome.hazard_ratios[2]" = [1.0]'))
    assert "sweeps.hr.base" in _error(text)


@pytest.mark.parametrize("replacement", [
    ("control_median_months = 8.3", "control_median_months = inf"),
    (FLAT_BLOCK, "[scenarios.flat]\noutcome.hazard_ratios = [0.667, 0.667, inf]"),
    ("rates = [8.0, 20.0]", "rates = [8.0, inf]"),
    ("hazard_multipliers = [1.0, 1.1]", "hazard_multipliers = [1.0, inf]"),
], ids=["control_median", "hazard_ratio", "accrual_rate", "hazard_multiplier"])
def test_infinite_values_are_rejected(default_text, replacement):
    _error(_edit(default_text, replacement))


def test_spending_of_wrong_type_names_the_key_once(default_text):
    message = _error(_edit(default_text, ('spending = "obf"', "spending = 3")))
    assert message.count("analysis.spending") == 1


@pytest.mark.parametrize("name", [".", ".."])
def test_name_that_escapes_the_results_folder_is_rejected(default_text, name):
    _error(_edit(default_text, ("[simulation]", f'name = "{name}"\n[simulation]')))


@pytest.mark.parametrize("path", sorted((ROOT / "configs").glob("*.toml")), ids=lambda p: p.name)
def test_every_shipped_config_loads(path):
    config = load_study(path)
    assert config.scenarios and config.name == path.stem
