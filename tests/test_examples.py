"""The examples run from a fresh checkout and say what they claim."""

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_design_review_example(tmp_path):
    run = subprocess.run([sys.executable, str(EXAMPLES / "design_review.py"), "--trials", "200",
                          "--out", str(tmp_path / "review")], capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "power lost if the high dose is weaker than planned" in run.stdout
    assert "read back: ['planned', 'weaker_high_dose']" in run.stdout
    assert (tmp_path / "review" / "summary.parquet").is_file()


def test_common_random_numbers_example(tmp_path):
    run = subprocess.run([sys.executable, str(EXAMPLES / "common_random_numbers.py"), "--trials", "400"],
                         capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    errors = [float(line.rsplit(" ", 1)[1]) for line in run.stdout.splitlines()]
    assert len(errors) == 2 and errors[0] < errors[1]  # common random numbers, then independent streams
