"""The cost of a projection's first-passage chain (ramp.forecast.projection.passage), beside
the same chain stepped one scenario at a time, as it was first written.

    python bench/projection.py [--chains 2000] [--seed 3]

A board card, a hire page and the forecast pages project each hire several times (the
proficiency goal, each open milestone on a metric, each metric on the hire page), and the
chain is the bulk of each. Both sides get the same chances of holding (21 scenarios by up to
52 weeks, rising week by week, runs of one to four weeks, a streak already held), in
interleaved rounds so a busy moment of the machine falls on both alike, and must give the
same figures exactly. No database.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chains", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))

    from ramp.forecast.projection import passage
    from tests.unit.test_forecast import _held, _passage_one_scenario_at_a_time

    rng = random.Random(args.seed)
    cases = [
        (
            _held(rng.randrange(2**32), weeks=rng.randint(30, 52)),
            rng.randint(0, 3),
            rng.randint(1, 4),
        )
        for _ in range(args.chains)
    ]
    rounds = 10
    per_round = len(cases) // rounds
    mine, reference = [], []
    for r in range(rounds):
        batch = cases[r * per_round : (r + 1) * per_round]
        cpu = time.process_time()
        ours = [passage(*case) for case in batch]
        mine.append((time.process_time() - cpu) / len(batch))
        cpu = time.process_time()
        theirs = [_passage_one_scenario_at_a_time(*case) for case in batch]
        reference.append((time.process_time() - cpu) / len(batch))
        assert all(np.array_equal(a, b) for a, b in zip(ours, theirs, strict=True)), "differ"
    ms, ref = statistics.median(mine) * 1000, statistics.median(reference) * 1000
    print(f"first-passage chains, {rounds * per_round} in {rounds} interleaved rounds")
    print(f"  every scenario side by side  {ms:6.3f} ms CPU per chain")
    print(f"  one scenario at a time      {ref:6.3f} ms CPU per chain  ({ref / ms:.1f}x)")
    print("  the two give the same figures exactly")
    return 0


if __name__ == "__main__":
    sys.exit(main())
