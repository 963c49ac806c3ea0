"""The report's figures are drawn from the run's tables: each is checked from its drawn artists against
values computed here from the summary and per-trial DataFrames."""

import io
import json

import numpy as np
import pytest
from matplotlib.container import BarContainer, ErrorbarContainer
from matplotlib.figure import Figure

import seamless as sl
from conftest import ROOT
from seamless.report.figures import FIGURES, figure


def _run(config: str, trials: int):
    result = sl.simulate(sl.load(ROOT / "configs" / config), trials=trials, seed=1, jobs=2)
    return result.summary(), result.trials(), result.study.scenarios[0].design


@pytest.fixture(scope="module")
def run():
    return _run("successor2.toml", 300)


@pytest.fixture(scope="module")
def swept():
    return _run("successor2_sweep.toml", 200)


def _bars(ax) -> dict[str, BarContainer]:
    return {c.get_label(): c for c in ax.containers if isinstance(c, BarContainer)}


def _heights(bars: BarContainer) -> np.ndarray:
    return np.array([patch.get_height() for patch in bars])


def _bottoms(bars: BarContainer) -> np.ndarray:
    return np.array([patch.get_y() for patch in bars])


def _share(trials, mask) -> np.ndarray:
    """Per scenario, in order of appearance, the share of trials where ``mask`` holds."""
    return mask.groupby(trials["scenario"], sort=False).mean().to_numpy()


@pytest.mark.parametrize("name", [n for n in FIGURES if n != "sweep"])
def test_every_figure_renders(run, name):
    fig = figure(name, *run)
    assert isinstance(fig, Figure) and fig.axes
    for ax in fig.axes:
        assert ax.get_xlabel() or fig.supxlabel, name
    fig.savefig(io.BytesIO(), format="png")


def test_sweep_figure_renders(swept):
    figure("sweep", *swept).savefig(io.BytesIO(), format="png")


def test_power_points_intervals_and_alpha(run):
    summary, trials, design = run
    fig = figure("power", summary, None, design)  # drawn from the summary alone
    for ax, name in zip(fig.axes, ("power", "type1_error")):
        (points,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
        line, _, (bars,) = points.lines
        np.testing.assert_allclose(line.get_ydata(), summary[name])
        ends = np.array(bars.get_segments())  # per scenario [[x, low], [x, high]]
        np.testing.assert_allclose(ends[:, 0, 1], summary[f"{name}_ci_low"])
        np.testing.assert_allclose(ends[:, 1, 1], summary[f"{name}_ci_high"])
    # the estimates are the share of trials that rejected (with the selected dose not truly effective)
    np.testing.assert_allclose(fig.axes[0].containers[0].lines[0].get_ydata(), _share(trials, trials["reject"]))
    null_hr = summary.loc["null", [f"hazard_ratio_{d}" for d in design.doses]]
    assert (null_hr >= 1).all()
    assert fig.axes[1].containers[0].lines[0].get_ydata()[0] == pytest.approx(
        trials.loc[trials["scenario"] == "null", "reject"].mean())
    (alpha,) = [line for line in fig.axes[1].lines if line.get_label().startswith("one-sided alpha")]
    assert list(alpha.get_ydata()) == [design.analysis.alpha] * 2 == [0.025] * 2


def test_selection_bars_stack_the_selection_probabilities(run):
    summary, trials, design = run
    (ax,) = figure("selection", summary, None, design).axes
    bars = _bars(ax)
    assert list(bars) == list(design.doses)
    bottom = np.zeros(len(summary))
    for dose in design.doses:
        np.testing.assert_allclose(_heights(bars[dose]), summary[f"select_{dose}"])
        np.testing.assert_allclose(_heights(bars[dose]), _share(trials, trials["selected_dose"] == dose))
        np.testing.assert_allclose(_bottoms(bars[dose]), bottom, atol=1e-12)
        bottom += _heights(bars[dose])
    assert (bottom <= 1 + 1e-9).all()


def test_stopping_bars_are_the_stopping_probabilities(run):
    summary, trials, design = run
    efficacy, futility = figure("stopping", summary, None, design).axes
    looks = range(1, design.looks + 1)
    assert list(_bars(efficacy)) == [f"CG look {k}" for k in looks]
    assert list(_bars(futility)) == ["selection analysis"] + [f"CG look {k}" for k in looks]
    np.testing.assert_allclose(_heights(_bars(futility)["selection analysis"]), summary["stop_futility_selection"])
    for ax, reason in ((efficacy, "efficacy"), (futility, "futility")):
        for k in looks:
            heights = _heights(_bars(ax)[f"CG look {k}"])
            np.testing.assert_allclose(heights, summary[f"stop_{reason}_look{k}"])
            stopped = (trials["stop_look"] == k) & (trials["stop_reason"] == reason)
            np.testing.assert_allclose(heights, _share(trials, stopped))
    # stacked: the efficacy bars reach the power (rejection happens only by stopping for efficacy)
    top = sum(_heights(_bars(efficacy)[f"CG look {k}"]) for k in looks)
    np.testing.assert_allclose(top, summary["power"])


def _boxes(ax):
    """Per box, in drawing order: (q1, q3), median, (lowest, highest) whisker ends."""
    boxes = [patch.get_path().vertices[:, 1] for patch in ax.patches]
    lines = [line.get_ydata() for line in ax.lines]
    medians = [y[0] for y in lines if y[0] == y[1]]
    whiskers = [y for y in lines if y[0] != y[1]]
    ends = [(low[1], high[1]) for low, high in zip(whiskers[::2], whiskers[1::2])]
    return [(v.min(), v.max()) for v in boxes], medians, ends


def test_analysis_times_are_the_times_of_the_analyses_performed(run):
    summary, trials, design = run
    fig = figure("analysis_times", summary, trials, design)
    columns = ["selection_time"] + [f"look{k}_time" for k in range(1, design.looks + 1)]
    assert len(fig.axes) == len(columns)
    for ax, column in zip(fig.axes, columns):
        quartiles, medians, ends = _boxes(ax)
        assert len(quartiles) == len(medians) == len(ends) == len(summary)
        shares = []
        for i, name in enumerate(summary.index):
            times = trials.loc[trials["scenario"] == name, column]
            values = times.dropna().to_numpy()
            np.testing.assert_allclose(quartiles[i], np.percentile(values, [25, 75]))
            assert medians[i] == pytest.approx(np.median(values))
            assert ends[i] == pytest.approx((values.min(), values.max()))
            shares.append(len(values) / len(times))
        labels = [text.get_text() for text in ax.texts]
        assert labels == ([] if min(shares) == 1 else [f"{s:.0%}" for s in shares]), column
    assert [t.get_text() for t in fig.axes[-1].texts] != []  # the last look is not reached by every trial


def test_hr_histograms_hold_every_estimate_and_mark_the_true_hr(run):
    summary, trials, design = run
    fig = figure("hr_estimate", summary, trials, design)
    assert len(fig.axes) == len(summary)
    for ax, (name, row) in zip(fig.axes, summary.iterrows()):
        rows = trials[(trials["scenario"] == name) & np.isfinite(trials["hr_estimate"])]
        heights = np.array([p.get_height() for p in ax.patches])
        edges = np.array([p.get_x() for p in ax.patches] + [ax.patches[-1].get_x() + ax.patches[-1].get_width()])
        assert heights.sum() == len(rows) == 300
        np.testing.assert_allclose(heights, np.histogram(rows["hr_estimate"], edges)[0])
        (true,) = ax.lines
        expected = np.mean([row[f"hazard_ratio_{dose}"] for dose in rows["selected_dose"]])
        assert true.get_xdata()[0] == pytest.approx(expected)
        assert ax.get_xscale() == "log"
    labels = {name: ax.lines[0].get_label() for ax, name in zip(fig.axes, summary.index)}
    assert labels == {"null": "true HR", "design": "mean true HR of the selected dose", "flat": "true HR"}
    assert fig.axes[0].lines[0].get_xdata()[0] == 1.0 and fig.axes[2].lines[0].get_xdata()[0] == pytest.approx(0.667)


def test_sweep_lines_and_bands(swept):
    summary, trials, design = swept
    fig = figure("sweep", summary, trials, design)
    points = summary[summary["sweep"] == "hr_1mg"]
    x = np.array([json.loads(p)["outcome.hazard_ratios[2]"] for p in points["sweep_point"]])
    assert list(x) == [1.0, 0.9, 0.8, 0.75, 0.667, 0.6]
    order = np.argsort(x)
    assert len(fig.axes) == 3
    for ax, name in zip(fig.axes, ("power", "correct_selection", "expected_duration")):
        (line,) = ax.lines
        np.testing.assert_allclose(line.get_xdata(), x[order])
        np.testing.assert_allclose(line.get_ydata(), points[name].to_numpy()[order])
        (band,) = ax.collections
        vertices = band.get_paths()[0].vertices
        for xi, low, high in zip(x, points[f"{name}_ci_low"], points[f"{name}_ci_high"]):
            at = vertices[np.isclose(vertices[:, 0], xi), 1]
            assert (at.min(), at.max()) == pytest.approx((low, high)), (name, xi)
        assert ax.get_xlabel() == "outcome.hazard_ratios[2]"
    # the power line is the share of rejections among the trials of each point (the design row left out)
    in_sweep = trials[trials["scenario"].isin(points.index)]
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), _share(in_sweep, in_sweep["reject"])[order])


def test_multi_parameter_sweep_draws_a_line_per_other_value(swept):
    summary, _, design = swept
    points = summary[summary["sweep"] == "hr_1mg"].copy()
    second = [0.5, 0.5, 0.5, 1.0, 1.0, 1.0]
    points["sweep_point"] = [json.dumps({**json.loads(p), "stage1_weight_squared": w})
                             for p, w in zip(points["sweep_point"], second)]
    ax = figure("sweep", points, None, design).axes[0]
    assert [line.get_label() for line in ax.lines] == ["0.5", "1"]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), points["power"].to_numpy()[:3][::-1])
    np.testing.assert_allclose(ax.lines[1].get_xdata(), [0.6, 0.667, 0.75])


def test_unknown_figures_and_missing_tables_are_errors(run):
    summary, trials, design = run
    with pytest.raises(ValueError, match="unknown figure 'powr'.*power, selection, stopping"):
        figure("powr", summary, trials, design)
    with pytest.raises(ValueError, match="no sweep in this result"):
        figure("sweep", summary, trials, design)
    for name in ("analysis_times", "hr_estimate"):
        with pytest.raises(ValueError, match="per-trial table"):
            figure(name, summary, None, design)
