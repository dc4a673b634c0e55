"""The cost of one projected week (ramp.forecast.projection.estimate), beside the same chain
stepped one scenario at a time, as it was first written.

    python bench/projection.py [--estimates 2000] [--seed 3]

A board card, a hire page and the forecast pages project each hire several times (every
metric, the proficiency goal, each open milestone on a metric), so this is the bulk of their
CPU time. Both sides get the same generated parts (one to three metrics, plain and relative
curves, a few observed weeks, runs of one to four weeks), in interleaved rounds so a busy
moment of the machine falls on both alike; they must agree on every estimate. No database.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--estimates", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))

    from types import SimpleNamespace

    from ramp.forecast.projection import Part, estimate
    from tests.unit.test_forecast import _Curve, _estimate_one_scenario_at_a_time

    rng = random.Random(args.seed)

    def part() -> Part:
        relative = rng.random() < 0.3
        curve = _Curve(
            rng.uniform(60, 100),
            rng.uniform(5, 40),
            rng.uniform(0.1, 0.6),
            relative,
            rng.randint(1, 4),
        )
        line = SimpleNamespace(
            curve=curve,
            offset=rng.uniform(-0.2, 0.2) if relative else rng.uniform(-10, 10),
            posterior=rng.uniform(0, 0.3) if relative else rng.uniform(0, 6),
            within=rng.uniform(0.05, 0.3) if relative else rng.uniform(1, 10),
        )
        observed = {w: rng.uniform(50, 100) for w in range(1, rng.randint(1, 10))}
        return Part(observed, line, rng.uniform(70, 92), rng.random() < 0.7)

    cases = [
        ([part() for _ in range(rng.randint(1, 3))], rng.randint(0, 12), rng.randint(1, 4))
        for _ in range(args.estimates)
    ]
    rounds = 10
    per_round = len(cases) // rounds
    mine, reference = [], []
    for r in range(rounds):
        batch = cases[r * per_round : (r + 1) * per_round]
        cpu = time.process_time()
        ours = [estimate(*case) for case in batch]
        mine.append((time.process_time() - cpu) / len(batch))
        cpu = time.process_time()
        theirs = [_estimate_one_scenario_at_a_time(*case) for case in batch]
        reference.append((time.process_time() - cpu) / len(batch))
        assert [(e.week, e.low, e.high, e.reached) for e in ours] == theirs, "they disagree"
    ms, ref = statistics.median(mine) * 1000, statistics.median(reference) * 1000
    print(f"projected weeks, {rounds * per_round} estimates in {rounds} interleaved rounds")
    print(f"  every scenario side by side  {ms:6.3f} ms CPU per estimate")
    print(f"  one scenario at a time      {ref:6.3f} ms CPU per estimate  ({ref / ms:.1f}x)")
    print("  the two agree on every estimate")
    return 0


if __name__ == "__main__":
    sys.exit(main())
