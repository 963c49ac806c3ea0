"""A design review from Python: load the SUCCESSOR-2 config, change an assumption, simulate, compare.

    python examples/design_review.py [--trials 2000] [--out results/design_review]

Asks what happens to power and to the choice of dose if the highest dose is less effective than
planned (hazard ratio 0.72 instead of 0.667), keeps the result on disk and reads it back.
"""

import argparse
from pathlib import Path

import seamless as sl


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=Path("results/design_review"))
    args = parser.parse_args()

    study = sl.load(Path(__file__).resolve().parents[1] / "configs" / "successor2.toml")
    planned = study["design"]
    weaker = planned.replace({"outcome.hazard_ratios[2]": 0.72})
    result = sl.simulate({"planned": planned, "weaker_high_dose": weaker}, trials=args.trials, seed=2026)

    summary = result.summary()
    columns = ["power", "power_ci_low", "power_ci_high", "select_1.0mg", "correct_selection", "expected_duration"]
    print(summary[columns].round(3).to_string())
    loss = summary.loc["planned", "power"] - summary.loc["weaker_high_dose", "power"]
    print(f"\npower lost if the high dose is weaker than planned: {loss:.3f}")

    result.save(args.out)
    again = sl.open(args.out)
    assert again.summary().equals(summary)
    print(f"saved to {args.out} and read back: {again.study.scenario_names()}")


if __name__ == "__main__":
    main()
