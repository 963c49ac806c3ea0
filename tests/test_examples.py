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
