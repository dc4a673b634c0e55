"""The backtest of projected proficiency: generated hires whose proficiency week is known,
projected at tenure weeks 4, 6 and 8 with only the figures up to then.

    python bench/forecast.py [--cohorts 3] [--per-placement 50] [--seed 17]

Prints, per checkpoint, ramp's MAE in weeks and its interval's coverage beside the two
naive baselines (the cohort median, and the placement's fixed curve), and whether ramp beats
both at week 6 (docs/forecasts.md describes the data set and the scoring). No database.
"""

from __future__ import annotations

import argparse
import sys
import time

from ramp.forecast.backtest import backtest, report
from ramp.metrics.display import STARTER_TARGETS
from ramp.metrics.targets import load_targets_file


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cohorts", type=int, default=3)
    parser.add_argument("--per-placement", type=int, default=50)
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    spec = load_targets_file(str(STARTER_TARGETS))
    started = time.perf_counter()
    scores = backtest(spec, args.cohorts, args.per_placement, args.seed)
    print(report(scores))
    at6 = {s.method: s for s in scores if s.week == 6}
    others = [s for m, s in at6.items() if m != "ramp"]
    beaten = all(at6["ramp"].mae < s.mae for s in others)
    print(
        f"week 6: ramp MAE {at6['ramp'].mae:.2f} vs "
        + ", ".join(f"{s.method} {s.mae:.2f}" for s in others)
        + (": beats both" if beaten else ": does NOT beat both")
    )
    print(f"({time.perf_counter() - started:.1f} s)")
    return 0 if beaten else 1


if __name__ == "__main__":
    sys.exit(main())
