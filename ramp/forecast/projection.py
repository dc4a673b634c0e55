"""Projected proficiency per hire: from the hire's own weekly figures, shrunk toward its
placement's curve, the tenure week at which each tenured target will hold two weeks running,
with an interval; and the milestones it is projected to miss.

Plain values in, plain values out (docs/forecasts.md says the method in full):

- the hire's offset from the curve is the mean of its weekly residuals (figure − curve, or
  log(figure ÷ curve) for durations) over the n weeks it has figures for, odd weeks clipped,
  shrunk toward the curve with the weight n/(n + k), k = σ_around² ÷ σ_between² (the
  normal–normal estimate: few or noisy weeks lean on the curve; no weeks, the curve itself);
- after the last full week, a week holds a target with the probability that the hire's
  figure, normal around curve + offset with the week-to-week spread, meets it; the first
  passage through two weeks running is followed exactly and averaged over the offset's
  uncertainty: its median is the projected week, its 5th and 95th percentiles the interval.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from statistics import NormalDist

import numpy as np
from scipy.special import ndtr

from ramp.forecast.curves import HORIZON, Curve

# 90 % two-sided normal interval.
Z = 1.645
# Residuals are clipped at this many spreads around the curve before they are averaged.
CLIP = 2.0
OWN_LEVEL_WEEKS = 4


def meets(value: float, threshold: float, higher_is_better: bool) -> bool:
    return value >= threshold if higher_is_better else value <= threshold


@dataclass(frozen=True)
class Line:
    """A hire's projected line for one metric: the curve shifted by the shrunk offset."""

    curve: Curve
    offset: float  # shrunk
    posterior: float  # the shrunk offset's spread (standard deviation)
    weeks_used: int  # n
    weight: float  # n / (n + k)

    @property
    def within(self) -> float:
        return self.curve.sigma_within

    @property
    def spread(self) -> float:
        """Half-width of the band a week's figure is expected in (Z × its spread)."""
        return Z * math.sqrt(self.posterior**2 + self.within**2)

    def value(self, week: int, side: int = 0) -> float:
        """The projected figure in `week`; side +1 the better edge of the band, −1 the worse."""
        sign = 1.0 if self.curve.higher_is_better else -1.0
        return float(
            self.curve.shifted(self.curve.at(week), self.offset + side * sign * self.spread)
        )


def line_for(curve: Curve, figures: Mapping[int, float]) -> Line:
    """The hire's line from its weekly figures (week → figure) and its placement's curve."""
    # A week far off (a critical fail that zeroes a review, a bad day) is pulled in to CLIP
    # spreads of a hire's weeks before the mean, as a Huber estimate would, so that one such
    # week does not move a projection by weeks. Around what: the curve while the hire has
    # fewer than OWN_LEVEL_WEEKS weeks (too few to tell an odd week from the hire's level),
    # then the hire's own median (a hire far off the curve week after week reads as such).
    residuals = [r for w, v in figures.items() if (r := curve.residual(w, v)) is not None]
    if residuals:
        centre = statistics.median(residuals) if len(residuals) >= OWN_LEVEL_WEEKS else 0.0
        limit = CLIP * curve.sigma_around
        residuals = [min(max(r, centre - limit), centre + limit) for r in residuals]
    n = len(residuals)
    k = curve.shrinkage
    weight = n / (n + k) if n else 0.0
    offset = weight * statistics.fmean(residuals) if n else 0.0
    posterior = math.sqrt(1.0 / (1.0 / curve.sigma_between**2 + n / curve.sigma_around**2))
    return Line(curve, offset, posterior, n, weight)


@dataclass(frozen=True)
class Part:
    """One condition of a projection: a metric's line (None: no curve), its observed weekly
    figures, and the threshold it must meet."""

    observed: Mapping[int, float]
    line: Line | None
    threshold: float
    higher_is_better: bool


@dataclass(frozen=True)
class Estimate:
    """A projected week with its interval; None for an edge means "after HORIZON"."""

    week: int | None
    low: int | None
    high: int | None
    reached: bool = False  # already held in the hire's figures

    def words(self) -> str:
        def w(x):
            return str(x) if x is not None else f">{HORIZON}"

        return f"week {w(self.week)} ({w(self.low)}–{w(self.high)})"


_NORMAL = NormalDist()
# Ranks of the offsets' distribution the projection averages over (see estimate()).
SCENARIOS = tuple(_NORMAL.inv_cdf((i + 0.5) / 21) for i in range(21))
LOW, HIGH = (1 - 0.90) / 2, 1 - (1 - 0.90) / 2


def passage(held: np.ndarray, streak: int, running: int) -> np.ndarray:
    """The share of scenarios that have held `running` weeks in a row by each week: `held`
    is the chance each week holds, a row per scenario and a column per week, and `streak`
    the weeks in a row already held before the first column. States: the current run of
    weeks held (0 .. running-1), each a column of scenarios; "done" absorbs. The chain steps
    week by week, every scenario side by side."""
    scenarios = held.shape[0]
    nothing = np.zeros(scenarios)
    state = [nothing] * running
    state[min(streak, running - 1)] = np.ones(scenarios)
    missed = 1 - held
    passed = nothing
    by_week = np.empty_like(held)
    for i in range(held.shape[1]):
        h = held[:, i]
        passed = passed + state[-1] * h
        total = state[0]
        for run in state[1:]:
            total = total + run
        state = [total * missed[:, i], *(run * h for run in state[:-1])]
        by_week[:, i] = passed
    # Summed scenario by scenario, in order (numpy's own sum may pair them up, which rounds
    # differently): the same figures as stepping one scenario at a time.
    done = by_week[0].copy()
    for row in by_week[1:]:
        done += row
    return done / scenarios


def estimate(parts: Sequence[Part], as_of: int, running: int = 2) -> Estimate:
    """When every part's threshold will have held in the same `running` weeks in a row.

    Observed weeks up to `as_of` count as they are. After it, a week holds for a part with
    the probability that its figure, normal around the projected line with the hire's
    week-to-week spread, meets the threshold; the parts' weeks are taken as independent, and
    the first passage through `running` weeks in a row is followed exactly, week by week.
    The hire's offset is uncertain too: the passage is averaged over SCENARIOS, ranks of
    the offset's distribution shared by every part (a hire better than its curve at one
    metric is taken as better at all). The projected week is the passage's median, the
    interval its 5th and 95th percentiles; an edge beyond HORIZON is None."""
    streak = 0
    for week in range(1, as_of + 1):
        held = all(
            (v := p.observed.get(week)) is not None and meets(v, p.threshold, p.higher_is_better)
            for p in parts
        )
        streak = streak + 1 if held else 0
        if streak >= running:
            return Estimate(week, week, week, reached=True)
    if any(p.line is None for p in parts):
        return Estimate(None, None, None)
    weeks = np.arange(as_of + 1, HORIZON + 1, dtype=float)
    if not len(weeks):
        return Estimate(None, None, None)
    # Every scenario at once: a row per scenario, a column per week.
    z = np.asarray(SCENARIOS)[:, None]
    held = np.ones((len(SCENARIOS), len(weeks)))
    for p in parts:
        sign = 1.0 if p.higher_is_better else -1.0
        line = p.line
        offset = line.offset + sign * z * line.posterior
        if line.curve.relative:
            if p.threshold <= 0:
                held *= 0.0
                continue
            mean = np.log(np.maximum(line.curve.fit(weeks), 1e-9)) + offset
            gap = sign * (mean - math.log(p.threshold)) / line.within
        else:
            mean = line.curve.fit(weeks) + offset
            gap = sign * (mean - p.threshold) / line.within
        # Before the team's first week with figures (the classroom) nothing can hold.
        gap = np.where(weeks < line.curve.first_week, -np.inf, gap)
        held *= ndtr(gap)
    done = passage(held, streak, running)

    def quantile(q: float) -> int | None:
        hit = np.nonzero(done >= q)[0]
        return int(weeks[hit[0]]) if len(hit) else None

    return Estimate(quantile(0.5), quantile(LOW), quantile(HIGH))


@dataclass(frozen=True)
class MetricProjection:
    metric: str
    threshold: float
    higher_is_better: bool
    line: Line | None
    as_of: int
    fallback: str | None  # the curve's fallback reason, when the default curve is used
    observed: Mapping[int, float] = field(default_factory=dict)
    proficiency: bool = True

    @cached_property
    def estimate(self) -> Estimate:
        """When this metric alone will have met its goal: worked out when first read (a hire
        page reads it; a board card shows only the overall week and the misses)."""
        part = Part(self.observed, self.line, self.threshold, self.higher_is_better)
        return estimate([part], self.as_of)


# Weeks of a hire's own figures for a metric before a milestone on it can be flagged
# "projected to miss".
MIN_OWN_WEEKS = 1


@dataclass(frozen=True)
class Miss:
    """A milestone the hire is projected to miss, and why."""

    key: str
    title: str
    due_week: int
    metric: str
    threshold: float
    estimate: Estimate


@dataclass(frozen=True)
class Projection:
    """A hire's projected proficiency week (all tenured targets, two weeks running)."""

    hire_id: int
    as_of: int  # the last tenure week whose figures were used
    overall: Estimate
    metrics: list[MetricProjection]
    misses: list[Miss] = field(default_factory=list)

    @property
    def fallbacks(self) -> list[str]:
        return [m.metric for m in self.metrics if m.fallback]

    @property
    def reached(self) -> bool:
        return self.overall.reached

    @property
    def horizon(self) -> int:
        """The last week a projection is searched to (an edge beyond it is None)."""
        return HORIZON


@dataclass(frozen=True)
class Goal:
    """One metric's threshold the projection looks for (a tenured target)."""

    metric: str
    threshold: float
    higher_is_better: bool
    curve: Curve | None
    proficiency: bool = True  # one of the targets proficiency needs (else: for milestones)


@dataclass(frozen=True)
class MilestoneGoal:
    """An open milestone's metric criterion and the tenure week it is due by."""

    key: str
    title: str
    due_week: int
    metric: str
    threshold: float
    running: int


def project(
    hire_id: int,
    figures: Mapping[str, Mapping[int, float]],
    goals: Sequence[Goal],
    as_of: int,
    milestones: Sequence[MilestoneGoal] = (),
) -> Projection:
    """The hire's projection from its figures (metric → week → figure, weeks up to `as_of`
    with enough records) against the tenured goals, and its projected misses."""
    lines: dict[str, Line | None] = {}
    observed: dict[str, dict[int, float]] = {}
    parts: dict[str, Part] = {}
    out = []
    for goal in goals:
        observed[goal.metric] = {
            w: v for w, v in figures.get(goal.metric, {}).items() if w <= as_of
        }
        line = line_for(goal.curve, observed[goal.metric]) if goal.curve is not None else None
        lines[goal.metric] = line
        parts[goal.metric] = Part(
            observed[goal.metric], line, goal.threshold, goal.higher_is_better
        )
        fallback = goal.curve.fallback if goal.curve is not None else "no curve"
        out.append(
            MetricProjection(
                goal.metric,
                goal.threshold,
                goal.higher_is_better,
                line,
                as_of,
                fallback,
                observed[goal.metric],
                goal.proficiency,
            )
        )
    needed = [parts[g.metric] for g in goals if g.proficiency]
    overall = estimate(needed, as_of) if needed else Estimate(None, None, None)
    misses = []
    for m in milestones:
        if m.metric not in parts:
            continue
        part = parts[m.metric]
        if len(part.observed) < MIN_OWN_WEEKS:
            # The team's curve alone says how hires in general ramp, not how this one does:
            # no hire is flagged before a week of their own figures.
            continue
        est = estimate(
            [Part(part.observed, part.line, m.threshold, part.higher_is_better)], as_of, m.running
        )
        if est.reached:
            continue
        if est.week is None or est.week > m.due_week:
            misses.append(Miss(m.key, m.title, m.due_week, m.metric, m.threshold, est))
    return Projection(hire_id, as_of, overall, out, misses)
