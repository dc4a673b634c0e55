"""The backtest: replay generated history where each hire's proficiency week is known, project
at tenure weeks 4, 6 and 8 with only the figures up to then, and score the projection
against two naive baselines.

The data come from the demo generator (ramp.metrics.generator) with a Profile per hire drawn
from a seeded random generator: quality, speed, CSAT and pace vary between hires, and the
hires of the "returns" placement ramp more slowly (pace × SLOW_PLACEMENT). Weekly figures are
worked out in memory with the formulas of the weekly figures (a mean of QA percents and
handle times, shares of good ratings and of SLAs met). A hire's true proficiency week is
read from its full history with ramp's rule: every tenured target met, on at least its
minimum sample, two weeks running.

Hires are split by cohort: the earlier cohorts are the history the curves are fitted on
(their whole history, as a team's past classes), the last cohort is projected. Scored:

- ramp: the hire's projection (its figures shrunk toward its placement's curve);
- cohort median: the median proficiency week of the history's hires, and their 5th–95th
  percentile as its interval;
- placement curve: the placement's fitted curve alone (no figures of the hire), with the
  curve's band between hires as its interval.

MAE is in weeks, over the projected cohort's hires with a known proficiency week; coverage
is the share whose true week falls inside the interval (an open-ended edge covers any later
week). A projection "after the horizon" counts as HORIZON + 1 weeks for the error.
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from ramp.forecast.curves import HORIZON, MetricGoal, Place, curves_for, week_sample
from ramp.forecast.projection import Estimate, Goal, meets, project
from ramp.metrics.definitions import METRICS
from ramp.metrics.generator import Profile, generate_for_hire
from ramp.metrics.targets import TargetsSpec, target_for

PROFICIENCY_METRICS = ("qa_score", "aht", "csat", "sla_compliance")
CHECKPOINTS = (4, 6, 8)
WEEKS = 30  # of history generated per hire
PLACEMENTS = ("orders", "returns")
SLOW_PLACEMENT = 1.4
START = date(2025, 1, 6)


@dataclass(frozen=True)
class Hire:
    id: int
    cohort: int
    place: Place
    figures: dict[str, dict[int, float]]  # metric -> week -> figure (minimum sample met)
    true_week: int | None


def profile_for(rng: random.Random, placement: str) -> Profile:
    """A hire's Profile: how it differs from the typical hire."""
    pace = rng.uniform(0.85, 1.2) * (SLOW_PLACEMENT if placement == "returns" else 1.0)
    return Profile(
        quality=rng.gauss(1.0, 3.5),
        speed=rng.uniform(0.8, 1.0),
        csat=rng.uniform(-0.04, 0.06),
        fcr=0.0,
        pace=pace,
    )


def weekly_figures(
    contacts: list[dict], reviews: list[dict], start: date, min_sample: Mapping[str, int]
) -> dict[str, dict[int, float]]:
    """Each metric's figure per tenure week from generated rows, where the week has at least
    the metric's minimum sample."""
    parts: dict[str, dict[int, list]] = {m: {} for m in PROFICIENCY_METRICS}

    def add(metric: str, day: date, value) -> None:
        if value is None:
            return
        parts[metric].setdefault((day - start).days // 7 + 1, []).append(float(value))

    for r in reviews:
        add("qa_score", r["metric_date"], r["percent"])
    for c in contacts:
        day = c["metric_date"]
        add("aht", day, c["handle_seconds"])
        if c["csat_rating"] is not None:
            add("csat", day, 100.0 if c["csat_good"] else 0.0)
        if c["sla_outcome"] is not None:
            add("sla_compliance", day, 100.0 if c["sla_outcome"] else 0.0)
    return {
        m: {w: statistics.fmean(v) for w, v in weeks.items() if len(v) >= min_sample[m]}
        for m, weeks in parts.items()
    }


def proficiency_week(figures: Mapping[str, Mapping[int, float]], goals: Mapping[str, MetricGoal]):
    """The first tenure week ending two weeks running at every tenured target, or None."""
    met = None
    for metric, goal in goals.items():
        ok = {
            w
            for w, v in figures.get(metric, {}).items()
            if meets(v, goal.tenured, goal.higher_is_better)
        }
        met = ok if met is None else met & ok
    for week in sorted(met or ()):
        if week - 1 in met:
            return week
    return None


def _goals(spec: TargetsSpec, place: Place) -> dict[str, MetricGoal]:
    out = {}
    for metric in PROFICIENCY_METRICS:
        target = target_for(spec, metric, 520, {"queue": place.queue, "channel": place.channel})
        if target is not None:
            unit = METRICS[metric].unit
            limits = (0.0, 100.0) if unit == "%" else (0.0, math.inf)
            out[metric] = MetricGoal(target.value, target.higher_is_better, unit == "s", limits)
    return out


def generate(spec: TargetsSpec, cohorts: int = 3, per_placement: int = 50, seed: int = 17):
    """Generated hires: `cohorts` cohorts of `per_placement` hires in each placement."""
    rng = random.Random(seed)
    hires = []
    for cohort in range(cohorts):
        for placement in PLACEMENTS:
            for _ in range(per_placement):
                hire_id = len(hires) + 1
                place = Place(placement, "chat")
                profile = profile_for(rng, placement)
                contacts, reviews = generate_for_hire(
                    hire_id,
                    START,
                    START + timedelta(days=7 * WEEKS - 1),
                    profile,
                    f"backtest-{seed}-{hire_id}",
                )
                goals = _goals(spec, place)
                minimum = {
                    m: week_sample(t.min_sample if (t := target_for(spec, m, 520, None)) else 1)
                    for m in PROFICIENCY_METRICS
                }
                figures = weekly_figures(contacts, reviews, START, minimum)
                hires.append(
                    Hire(hire_id, cohort, place, figures, proficiency_week(figures, goals))
                )
    return hires


@dataclass(frozen=True)
class Score:
    method: str
    week: int  # checkpoint
    hires: int
    mae: float
    coverage: float


def _error(estimate: Estimate, truth: int) -> tuple[float, bool]:
    guess = estimate.week if estimate.week is not None else HORIZON + 1
    low = estimate.low if estimate.low is not None else HORIZON + 1
    covered = low <= truth and (estimate.high is None or truth <= estimate.high)
    return abs(guess - truth), covered


def run(spec: TargetsSpec, hires: list[Hire]) -> list[Score]:
    """MAE and coverage of ramp and both baselines at each checkpoint."""
    last = max(h.cohort for h in hires)
    history = [h for h in hires if h.cohort < last]
    tested = [h for h in hires if h.cohort == last and h.true_week is not None]
    places = {h.id: h.place for h in history}
    lookups = {}
    for metric in PROFICIENCY_METRICS:
        series = {h.id: h.figures.get(metric, {}) for h in history}
        lookups[metric] = curves_for(
            metric, series, places, lambda p, m=metric: _goals(spec, p).get(m)
        )
    known = sorted(h.true_week for h in history if h.true_week is not None)
    median = round(statistics.median(known))
    cuts = statistics.quantiles(known, n=20, method="inclusive")
    cohort_estimate = Estimate(median, round(cuts[0]), round(cuts[-1]))
    scores = []
    for checkpoint in CHECKPOINTS:
        errors: dict[str, list[tuple[float, bool]]] = {
            "ramp": [],
            "cohort median": [],
            "placement curve": [],
        }
        for h in tested:
            goals = [
                Goal(m, g.tenured, g.higher_is_better, lookups[m](h.place))
                for m, g in _goals(spec, h.place).items()
            ]
            mine = project(h.id, h.figures, goals, checkpoint)
            fixed = project(h.id, {}, goals, 0)
            errors["ramp"].append(_error(mine.overall, h.true_week))
            errors["placement curve"].append(_error(fixed.overall, h.true_week))
            errors["cohort median"].append(_error(cohort_estimate, h.true_week))
        for method, found in errors.items():
            scores.append(
                Score(
                    method,
                    checkpoint,
                    len(found),
                    statistics.fmean(e for e, _ in found) if found else float("nan"),
                    sum(c for _, c in found) / len(found) if found else float("nan"),
                )
            )
    return scores


def report(scores: list[Score]) -> str:
    """The scores as a table, each checkpoint's ramp figures beside its baselines."""
    lines = [f"{'week':>4}  {'method':<16} {'hires':>5}  {'MAE (weeks)':>11}  {'coverage':>8}"]
    for s in scores:
        lines.append(
            f"{s.week:>4}  {s.method:<16} {s.hires:>5}  {s.mae:>11.2f}  {s.coverage * 100:>7.0f}%"
        )
    return "\n".join(lines)


def backtest(spec: TargetsSpec, cohorts: int = 3, per_placement: int = 50, seed: int = 17):
    """Generate the data set and score the projection on it."""
    return run(spec, generate(spec, cohorts, per_placement, seed))
