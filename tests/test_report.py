"""`simulate report`: one self-contained HTML file from a run's Parquet files, with the summary's
numbers, every figure, and provenance that reproduces the run; opened in a real headless browser."""

import hashlib
import html
import json
import math
import re
import shutil
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

from conftest import DEFAULT_CONFIG, ROOT
from seamless.cli import main


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A small run of the default config and its report."""
    folder = tmp_path_factory.mktemp("report") / "successor2"
    assert main([str(DEFAULT_CONFIG), "--trials", "300", "--seed", "5", "--out", str(folder), "--quiet"]) == 0
    assert main(["report", str(folder)]) == 0
    return folder


@pytest.fixture(scope="module")
def page(run):
    return (run / "report.html").read_text()


def _embedded_rows(page):
    block = re.search(r'<script type="application/json" id="summary-data">(.*?)</script>', page, re.S).group(1)
    return json.loads(block.replace("<\\/", "</"))


def _same(a, b):
    if isinstance(a, float) and math.isnan(a):
        return b is None
    if isinstance(a, float) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=0, abs_tol=0) or a == b
    return a == b


def test_the_reports_numbers_are_the_summarys(run, page):
    rows = pq.read_table(run / "summary.parquet").to_pylist()
    embedded = _embedded_rows(page)
    assert len(embedded) == len(rows) == 3
    for row, shown in zip(rows, embedded):
        for key, value in row.items():
            assert _same(value, shown[key]), (row["scenario"], key, value, shown[key])
    for row in rows:  # and the table shows them, with SE and interval
        cell = f"{row['power']:.4f} ± {row['power_se']:.4f} [{row['power_ci_low']:.4f}, {row['power_ci_high']:.4f}]"
        assert html.escape(cell) in page


def test_the_provenance_reproduces_the_run(run, page, tmp_path):
    for name in ("trials.parquet", "summary.parquet"):
        assert hashlib.sha256((run / name).read_bytes()).hexdigest() in page
    config = pq.read_table(run / "summary.parquet").schema.metadata[b"config"].decode()
    assert html.escape(config) in page
    command = html.unescape(re.search(r"<pre>(simulate .*?)</pre>", page).group(1))
    (tmp_path / "successor2.toml").write_text(config)
    again = subprocess.run(command + " --quiet", shell=True, cwd=tmp_path, capture_output=True, text=True,
                           env={"PATH": f"{sys.prefix}/bin"})
    assert again.returncode == 0, again.stderr
    for name in ("trials.parquet", "summary.parquet"):
        assert (tmp_path / "successor2" / name).read_bytes() == (run / name).read_bytes(), name


def test_the_report_holds_the_design_and_every_figure(page):
    for text in ("Stage 1 randomizes 235 patients 3:3:3:2", "Confirmatory looks", "efficacy bound (z)",
                 "2.3397", "2.0118", "Strata", "prior_lines", "Selection bias", "HR estimate of selected dose"):
        assert html.escape(text) in page, text
    assert page.count("<img ") == 5  # power, selection, stopping, analysis times, HR estimate (no sweep here)
    assert "http://" not in page and "https://" not in page  # nothing to fetch: opens from an e-mail


def test_a_sweep_gets_its_figure(tmp_path):
    folder = tmp_path / "sweep"
    assert main([str(ROOT / "configs" / "successor2_sweep.toml"), "--trials", "100", "--out", str(folder),
                 "--quiet"]) == 0
    assert main(["report", str(folder), "--out", str(tmp_path / "sweep.html")]) == 0
    assert (tmp_path / "sweep.html").read_text().count("<img ") == 6


def test_a_run_with_piecewise_hazards_endpoints_and_safety_stops(tmp_path):
    import seamless as sl

    design = sl.load(DEFAULT_CONFIG)["design"].replace({
        "outcome.piece_starts_months": [0.0, 4.0], "outcome.hazard_ratios": [[1.0, 0.8], 0.72, [1.3, 0.6]],
        "endpoints.response_probabilities": [0.3, 0.4, 0.5, 0.3],
        "endpoints.toxicity_probabilities": [0.2, 0.25, 0.3, 0.1], "selection.rule": "utility",
        "selection.utility_weight": 1.0, "selection.max_toxicity": 0.2})
    result = sl.simulate(design, trials=200, seed=3, out=tmp_path / "run")
    page = result.report().read_text()
    for text in ("1 then 0.8", "1.3 then 0.6", "piecewise exponential", "P(response)", "stops for safety",
                 "observed response rate of 1.0mg at selection", "P(stop for safety at selection)"):
        assert html.escape(text) in page, text
    rows = _embedded_rows(page)
    assert 0 < rows[0]["stop_safety"] < 1
    figure = result.plot("selection")
    assert [t.get_text() for t in figure.legends[0].get_texts()][-1] == "none: stopped for safety"
    result.plot("hr_estimate")


def _error(capsys, *args):
    assert main(["report", *map(str, args)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("simulate: error: "), lines
    return lines[0]


def test_folders_that_cannot_be_reported_on(run, tmp_path, capsys):
    assert "not a results folder" in _error(capsys, tmp_path)
    truncated = tmp_path / "truncated"
    shutil.copytree(run, truncated)
    (truncated / "report.html").unlink()
    data = (truncated / "trials.parquet").read_bytes()
    (truncated / "trials.parquet").write_bytes(data[: len(data) // 2])
    assert "cannot be read" in _error(capsys, truncated)
    old = tmp_path / "old"
    shutil.copytree(run, old)
    (old / "report.html").unlink()
    summary = pq.read_table(old / "summary.parquet")
    keep = [n for n in summary.column_names if "_ci_" not in n and n not in ("sweep", "sweep_point")]
    pq.write_table(summary.select(keep).replace_schema_metadata(
        {**summary.schema.metadata, b"seamless_version": b"0.2.0"}), old / "summary.parquet")
    assert "results of seamless 0.2.0 lack power_ci_low" in _error(capsys, old)
    empty = tmp_path / "empty"
    shutil.copytree(run, empty)
    (empty / "report.html").unlink()
    trials = pq.read_table(empty / "trials.parquet")
    pq.write_table(trials.slice(0, 0), empty / "trials.parquet")
    assert "holds no trials" in _error(capsys, empty)
    for folder in (truncated, old, empty):
        assert not (folder / "report.html").exists()


def test_a_plain_run_does_not_import_matplotlib(tmp_path):
    code = ("import sys, seamless as sl; sl.simulate(sl.load(sys.argv[1]), trials=5, jobs=1); "
            "print('matplotlib' in sys.modules)")
    shown = subprocess.run([sys.executable, "-c", code, str(DEFAULT_CONFIG)], capture_output=True, text=True,
                           check=True).stdout.strip()
    assert shown == "False"


def test_the_report_renders_in_a_headless_browser(run, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not on the PATH (.ci/run installs it): the browser check did not run")
    url = (run / "report.html").resolve().as_uri()
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=10000"]
    dom = subprocess.run([*flags, "--dump-dom", url], capture_output=True, text=True, timeout=120).stdout
    assert 'data-images-ok="5"' in dom and 'data-images-broken="0"' in dom, dom[:300]
    shot = tmp_path / "report.png"
    subprocess.run([*flags, f"--screenshot={shot}", "--window-size=1280,2400", url], capture_output=True,
                   timeout=120, check=True)
    import matplotlib.image

    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[0] > 1000 and pixels[..., :3].std() > 0.05  # not a blank page


def test_report_and_plot_from_python(tmp_path):
    import seamless as sl

    result = sl.simulate(sl.load(DEFAULT_CONFIG), trials=100, seed=2, scenarios=["null", "design"], jobs=1)
    with pytest.raises(ValueError, match="save the result first"):
        result.report()
    result.save(tmp_path / "saved")
    path = result.report()
    assert path == tmp_path / "saved" / "report.html" and path.read_text().count("<img ") == 5
    figure = result.plot("selection")
    heights = sorted(round(p.get_height(), 12) for p in figure.axes[0].patches)
    expected = sorted(round(v, 12) for v in result.summary()[[f"select_{d}" for d in ("0.3mg", "0.6mg", "1.0mg")]]
                      .to_numpy().ravel())
    assert heights == expected
    with pytest.raises(ValueError, match="unknown figure"):
        result.plot("pie")
