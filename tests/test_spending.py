"""Tests for seamless.stats.spending: parsing, round-trips and the four spending families (DESIGN.md section 5)."""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.stats import norm

from seamless.stats.spending import Spending, SpendingKind

FRACTIONS = np.linspace(0.0, 1.0, 41)
ALL_SPENDINGS = ["obf", "pocock", "hsd:-4", "hsd:0", "hsd:1.5", "kd:0.5", "kd:3"]


@pytest.mark.parametrize(
    ("text", "kind", "parameter"),
    [
        ("obf", SpendingKind.OBRIEN_FLEMING, None),
        ("pocock", SpendingKind.POCOCK, None),
        ("hsd:-4", SpendingKind.HWANG_SHIH_DECANI, -4.0),
        ("hsd:0", SpendingKind.HWANG_SHIH_DECANI, 0.0),
        ("HSD: 2.5", SpendingKind.HWANG_SHIH_DECANI, 2.5),
        ("kd:2", SpendingKind.KIM_DEMETS, 2.0),
        ("kd:0.25", SpendingKind.KIM_DEMETS, 0.25),
    ],
)
def test_parse(text, kind, parameter):
    assert Spending.parse(text) == Spending(kind, parameter)


@pytest.mark.parametrize("text", ALL_SPENDINGS + ["hsd:0.1", "kd:1e-05", "hsd:-12.75"])
def test_str_round_trips(text):
    spending = Spending.parse(text)
    assert Spending.parse(str(spending)) == spending
    assert str(spending) == text


@pytest.mark.parametrize(
    "text", ["", "xyz", "obf:1", "pocock:", "hsd", "hsd:", "hsd:abc", "hsd:nan", "hsd:inf", "kd"]
)
def test_parse_rejects_unknown_or_malformed(text):
    with pytest.raises(ValueError, match=r"^spending must be one of obf, pocock, hsd:<gamma>.*kd:<rho>") as error:
        Spending.parse(text)
    assert "\n" not in str(error.value)
    assert repr(text) in str(error.value)


@pytest.mark.parametrize(
    ("kind", "parameter", "message"),
    [
        (SpendingKind.OBRIEN_FLEMING, 1.0, "spending obf takes no parameter"),
        (SpendingKind.HWANG_SHIH_DECANI, None, "spending hsd needs a finite parameter"),
        (SpendingKind.HWANG_SHIH_DECANI, math.nan, "spending hsd needs a finite parameter"),
        (SpendingKind.KIM_DEMETS, 0.0, r"spending kd needs rho in \(0, 30\], got 0.0"),
        (SpendingKind.KIM_DEMETS, -1.0, r"spending kd needs rho in \(0, 30\], got -1.0"),
        (SpendingKind.KIM_DEMETS, 31.0, r"spending kd needs rho in \(0, 30\], got 31.0"),
        (SpendingKind.HWANG_SHIH_DECANI, -1000.0, r"spending hsd needs gamma in \[-30, 30\], got -1000.0"),
        ("obf", None, "spending kind must be a SpendingKind"),
    ],
)
def test_constructor_validates(kind, parameter, message):
    with pytest.raises(ValueError, match=message):
        Spending(kind, parameter)


@pytest.mark.parametrize("text", ALL_SPENDINGS)
@pytest.mark.parametrize("alpha", [0.025, 0.05, 0.2])
def test_cumulative_is_increasing_from_zero_to_alpha(text, alpha):
    spent = Spending.parse(text).cumulative(FRACTIONS, alpha)
    assert spent.shape == FRACTIONS.shape
    assert spent[0] == pytest.approx(0.0, abs=1e-300)
    assert spent[-1] == pytest.approx(alpha, rel=1e-14)
    assert np.all(np.diff(spent) > 0)


def test_cumulative_formulas():
    """The closed forms of DESIGN.md section 5, written out literally with scipy.stats."""
    t, alpha = FRACTIONS[1:], 0.025
    obf = 2 - 2 * norm.cdf(norm.ppf(1 - alpha / 2) / np.sqrt(t))
    assert_allclose(Spending.parse("obf").cumulative(t, alpha), obf, rtol=1e-12, atol=1e-15)  # the literal form cancels
    assert_allclose(Spending.parse("pocock").cumulative(t, alpha), alpha * np.log(1 + (math.e - 1) * t), rtol=1e-14)
    hsd = alpha * (1 - np.exp(2 * t)) / (1 - np.exp(2))
    assert_allclose(Spending.parse("hsd:-2").cumulative(t, alpha), hsd, rtol=1e-14)
    assert_allclose(Spending.parse("hsd:0").cumulative(t, alpha), alpha * t, rtol=1e-15)
    assert_allclose(Spending.parse("kd:2.5").cumulative(t, alpha), alpha * t**2.5, rtol=1e-15)


def test_published_obrien_fleming_spent_alpha():
    # rpact 3.3.4: getDesignGroupSequential(typeOfDesign = "asOF", informationRates = c(0.75, 1))$alphaSpent
    assert Spending.parse("obf").cumulative(0.75, 0.025) == pytest.approx(0.0096493, abs=1e-7)


def test_hsd_is_continuous_at_gamma_zero():
    linear = Spending.parse("hsd:0").cumulative(FRACTIONS, 0.025)
    for gamma in (1e-9, -1e-9):
        nearly_linear = Spending(SpendingKind.HWANG_SHIH_DECANI, gamma).cumulative(FRACTIONS, 0.025)
        assert_allclose(nearly_linear, linear, atol=1e-12)
    assert_allclose(Spending.parse("kd:1").cumulative(FRACTIONS, 0.025), linear, rtol=1e-15)


@pytest.mark.parametrize("t", [-0.1, 1.5, math.nan])
def test_cumulative_rejects_fractions_outside_unit_interval(t):
    with pytest.raises(ValueError, match=r"^information fraction t must be in \[0, 1\], got"):
        Spending.parse("pocock").cumulative(np.array([0.5, t]), 0.025)
