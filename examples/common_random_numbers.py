"""What common random numbers buy: the Monte Carlo error of a difference between two sweep points.

    python examples/common_random_numbers.py [--trials 20000]

Simulates the design scenario of configs/successor2.toml at two neighbouring hazard ratios of the
1.0mg dose (0.70 and 0.667), once with common random numbers (trial i of both points shares its
patients' draws) and once with independent streams, and prints the paired standard error of the
power difference, sd(reject_A - reject_B) / sqrt(n), for both.
"""

import argparse
import math
from pathlib import Path

import seamless as sl


def paired_difference(result) -> tuple[float, float]:
    """Power difference of the two sweep points and its paired Monte Carlo standard error."""
    trials = result.trials()
    first, second = (trials[trials["scenario"] == name]["reject"].to_numpy(float)
                     for name in result.study.scenario_names())
    difference = first - second
    return difference.mean(), difference.std(ddof=1) / math.sqrt(difference.size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20_000)
    args = parser.parse_args()
    design = sl.load(Path(__file__).resolve().parents[1] / "configs" / "successor2.toml")["design"]
    for common in (True, False):
        study = sl.sweep(design, {"outcome.hazard_ratios[2]": [0.70, 0.667]}, name="hr",
                         common_random_numbers=common)
        difference, se = paired_difference(sl.simulate(study, trials=args.trials, seed=1))
        label = "common random numbers" if common else "independent streams  "
        print(f"{label}: power(0.667) - power(0.70) = {-difference:.4f}, standard error {se:.4f}")


if __name__ == "__main__":
    main()
