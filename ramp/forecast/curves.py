"""Ramp curves measured per placement: how a metric moves with tenure week for the team's
hires, summarized (median and IQR by week, ratio to the tenured benchmark) and fitted with a
parametric curve.

Plain values in, plain values out: no Flask, no database (ramp.forecast.queries reads the
weekly figures). See docs/forecasts.md for the models, the held-out choice and the pooling.

Two curves of tenure week t are fitted with scipy.optimize.curve_fit:

- exponential approach to an asymptote: y = a − (a − b)·exp(−t/τ) (a: the plateau, b: the
  figure the curve starts from at week 0, τ: weeks to close 63 % of the gap);
- logistic: y = b + (a − b) / (1 + exp(−(t − m)/s)) (a, b: the plateaus, m: the midpoint
  week, s: the steepness in weeks).

The curve kept is the one with the smaller error on the held-out weeks: both are fitted on
every week but the last HOLDOUT_WEEKS weeks with data, and scored on those (the projection
extrapolates forward, so the test is forward too); the winner is then fitted again on
every week. A fit that fails to converge is reported with its reason, never raised.
"""

from __future__ import annotations

import math
import statistics
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from scipy.optimize import OptimizeWarning, curve_fit

# A placement needs this many hires with figures for a metric to get its own curve;
# fewer, and its hires pool upward (queue and channel → queue → channel → the whole team).
MIN_HIRES = 5
# Distinct tenure weeks needed to fit a curve (and to hold some out).
MIN_WEEKS = 6
HOLDOUT_WEEKS = 3
# A week's figure counts toward curves and projections on at least the metric's minimum
# sample, capped at this: QA reviews one or two contacts a working day, 5-10 a week, and a
# minimum of 10 meant for a 14-day window would leave most weeks out.
WEEK_SAMPLE_CAP = 5
# Weeks charted and searched for a projection.
HORIZON = 52


class Shortfall(str):
    """Why there is too little to fit: the English text (logs, the API, the command line),
    with what it counts (hires or weeks), how many there are and how many are needed, so
    that pages word it in the reader's language (forecast.display.worded_reason). Curves
    are cached per process, so a page never gets a reason worded in another's language."""

    def __new__(cls, unit: str, have: int, need: int) -> Shortfall:
        noun = "hires with figures" if unit == "hires" else "weeks with data"
        self = super().__new__(cls, f"{have} {noun}, {need} needed")
        self.unit, self.have, self.need = unit, have, need
        return self

    def __reduce__(self):  # copied and pickled as itself
        return (Shortfall, (self.unit, self.have, self.need))


# The default curve, from published contact-center figures (docs/forecasts.md): production
# starts in week 5 at about half a tenured agent's output (nesting 30–50 %, "first production
# month at about 53 %"), and is at 85 % by week 16; the gap to tenured closes as an
# exponential with this time constant: 0.5·exp(−11/τ) = 0.15 → τ ≈ 9.1 weeks.
DEFAULT_START_WEEK = 5
DEFAULT_START_RATIO = 0.5
DEFAULT_TAU = 11 / math.log(0.5 / 0.15)
# A new hire's handle time starts at 1.3–1.8× tenured: the middle, 1.6×.
DEFAULT_AHT_MULTIPLE = 1.6
# Spread assumed around the default curve (share of the tenured target): between hires,
# and from week to week for one hire.
DEFAULT_BETWEEN = 0.05
DEFAULT_WITHIN = 0.05


def week_sample(min_sample: int) -> int:
    """The records a week's figure needs to count toward curves and projections."""
    return min(min_sample, WEEK_SAMPLE_CAP)


def exponential(t, a, b, tau):
    """Exponential approach to the asymptote a from b at week 0, time constant tau weeks."""
    return a - (a - b) * np.exp(-np.asarray(t, dtype=float) / tau)


def logistic(t, a, b, m, s):
    """Logistic from the plateau b to the plateau a, midpoint week m, steepness s weeks."""
    z = np.clip(-(np.asarray(t, dtype=float) - m) / s, -50.0, 50.0)
    return b + (a - b) / (1.0 + np.exp(z))


MODELS: dict[str, tuple[Callable, tuple[str, ...]]] = {
    "exponential": (exponential, ("a", "b", "tau")),
    "logistic": (logistic, ("a", "b", "m", "s")),
}


@dataclass(frozen=True)
class Fit:
    """A fitted curve: the model, its parameters and its quality, or why there is none."""

    model: str | None  # "exponential", "logistic" or "default"; None when none converged
    params: dict[str, float] = field(default_factory=dict)
    rmse: float | None = None  # on every point it was fitted to
    holdout_rmse: dict[str, float | None] = field(default_factory=dict)  # per model tried
    n: int = 0  # points fitted
    reason: str | None = None  # why a model was not kept, or why there is no fit

    @property
    def ok(self) -> bool:
        return self.model is not None

    def __call__(self, t) -> np.ndarray:
        """The curve's figure at tenure week(s) t."""
        if self.model == "default":
            return _default_value(np.asarray(t, dtype=float), self.params)
        function, names = MODELS[self.model]
        return function(t, *(self.params[n] for n in names))

    def at(self, week: float) -> float:
        return float(self(np.array([week]))[0])


def _default_value(t: np.ndarray, p: Mapping[str, float]) -> np.ndarray:
    """The published curve: a − (a − b)·exp(−(t − start)/τ) from the start week; b before it."""
    a, b, tau, start = p["a"], p["b"], p["tau"], p["start"]
    return a - (a - b) * np.exp(-np.maximum(t - start, 0.0) / tau)


def default_fit(tenured: float, higher_is_better: bool) -> Fit:
    """The default curve from the published figures, toward the tenured target."""
    multiple = DEFAULT_START_RATIO if higher_is_better else DEFAULT_AHT_MULTIPLE
    start = tenured * multiple
    params = {"a": tenured, "b": start, "tau": DEFAULT_TAU, "start": float(DEFAULT_START_WEEK)}
    return Fit("default", params, reason="published figures (too little data to fit)")


# Bounds on the shape: a ramp closes most of its gap within half a year (published: fully
# productive after about week 16, an efficiency ratio of 1.0 after 8-12 months), and a
# logistic's step takes at least a few days.
MAX_TAU = 26.0
MAX_STEEPNESS = 10.0


def _guess(
    model: str, weeks: np.ndarray, values: np.ndarray, limits: tuple[float, float]
) -> tuple[list, tuple]:
    """Starting values and bounds for curve_fit; the plateaus stay within `limits` (0-100
    for a percentage) and within ten times the data's own range."""
    order = np.argsort(weeks)
    w, v = weeks[order], values[order]
    late = float(np.median(v[-max(3, len(v) // 4) :]))
    early = float(np.median(v[: max(3, len(v) // 4)]))
    span = max(abs(late - early), abs(late) * 0.1, 1.0)
    lo = max(min(early, late) - 10 * span, limits[0])
    hi = min(max(early, late) + 10 * span, limits[1])
    late, early = min(max(late, lo), hi), min(max(early, lo), hi)
    if model == "exponential":
        start = min(max(early - (late - early), lo), hi)
        return [late, start, 4.0], ([lo, lo, 0.2], [hi, hi, MAX_TAU])
    middle = float(np.median(w))
    return [late, early, middle, 2.0], (
        [lo, lo, float(w[0]) - 10, 0.2],
        [hi, hi, float(w[-1]) + 10, MAX_STEEPNESS],
    )


def _fit_one(
    model: str, weeks: np.ndarray, values: np.ndarray, limits: tuple[float, float]
) -> tuple[dict | None, str | None]:
    """One model's parameters, or None and why it did not converge."""
    function, names = MODELS[model]
    if len(weeks) <= len(names):
        return None, f"{model}: {len(weeks)} points for {len(names)} parameters"
    p0, bounds = _guess(model, weeks, values, limits)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            # Covariance that cannot be estimated does not make the curve wrong.
            warnings.simplefilter("ignore", OptimizeWarning)
            popt, _ = curve_fit(function, weeks, values, p0=p0, bounds=bounds, maxfev=5000)
    except (RuntimeError, ValueError, FloatingPointError) as error:
        return None, f"{model} did not converge: {error}"
    if not np.all(np.isfinite(popt)):
        return None, f"{model} did not converge: parameters not finite"
    return dict(zip(names, (float(x) for x in popt), strict=True)), None


def _rmse(model: str, params: dict, weeks: np.ndarray, values: np.ndarray) -> float:
    function, names = MODELS[model]
    predicted = function(weeks, *(params[n] for n in names))
    return float(np.sqrt(np.mean((predicted - values) ** 2)))


NO_LIMITS = (-math.inf, math.inf)


def fit_curve(
    points: Sequence[tuple[float, float]],
    models: Iterable[str] = ("exponential", "logistic"),
    limits: tuple[float, float] = NO_LIMITS,
) -> Fit:
    """The curve through (tenure week, figure) points: each model fitted on all but the last
    HOLDOUT_WEEKS weeks and scored on them, the better one fitted again on every point.
    A fit that cannot be made says why (Fit.model is None); it never raises."""
    clean = [(float(w), float(v)) for w, v in points if math.isfinite(w) and math.isfinite(v)]
    weeks = np.array([w for w, _ in clean])
    values = np.array([v for _, v in clean])
    distinct = sorted(set(weeks.tolist()))
    if len(distinct) < MIN_WEEKS:
        return Fit(None, n=len(clean), reason=Shortfall("weeks", len(distinct), MIN_WEEKS))
    cut = distinct[-HOLDOUT_WEEKS]
    train, test = weeks < cut, weeks >= cut
    scores: dict[str, float | None] = {}
    reasons = []
    for model in models:
        params, reason = _fit_one(model, weeks[train], values[train], limits)
        if params is None:
            scores[model] = None
            reasons.append(reason)
            continue
        scores[model] = _rmse(model, params, weeks[test], values[test])
    ranked = sorted((s, m) for m, s in scores.items() if s is not None and math.isfinite(s))
    for _, model in ranked:
        params, reason = _fit_one(model, weeks, values, limits)
        if params is None:
            reasons.append(reason)
            continue
        return Fit(
            model,
            params,
            _rmse(model, params, weeks, values),
            scores,
            len(clean),
            "; ".join(r for r in reasons if r) or None,
        )
    return Fit(None, holdout_rmse=scores, n=len(clean), reason="; ".join(reasons) or "no fit")


# Summaries by tenure week


@dataclass(frozen=True)
class WeekSummary:
    week: int
    hires: int
    median: float
    q1: float
    q3: float
    ratio: float | None  # median ÷ benchmark (for lower-is-better: benchmark ÷ median)


def _quartiles(values: list[float]) -> tuple[float, float, float]:
    if len(values) == 1:
        return values[0], values[0], values[0]
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q2, q3


def summarize(
    by_week: Mapping[int, list[float]], benchmark: float | None, higher_is_better: bool
) -> list[WeekSummary]:
    """Median, IQR and ratio to the benchmark of the hires' figures, week by week."""
    out = []
    for week in sorted(by_week):
        values = sorted(by_week[week])
        if not values:
            continue
        q1, median, q3 = _quartiles(values)
        ratio = None
        if benchmark and median:
            ratio = median / benchmark if higher_is_better else benchmark / median
        out.append(WeekSummary(week, len(values), median, q1, q3, ratio))
    return out


# Curves per placement

# Levels a curve is measured at, most specific first.
LEVELS = ("placement", "queue", "channel", "team")


@dataclass(frozen=True)
class Place:
    """Where a hire works, as far as curves tell placements apart."""

    queue: str | None = None
    channel: str | None = None

    def key(self, level: str) -> tuple:
        if level == "placement":
            return (self.queue, self.channel)
        if level == "queue":
            return (self.queue,)
        if level == "channel":
            return (self.channel,)
        return ()

    def describe(self, level: str) -> str:
        parts = {
            "placement": [f"queue: {self.queue}", f"channel: {self.channel}"],
            "queue": [f"queue: {self.queue}"],
            "channel": [f"channel: {self.channel}"],
        }.get(level, ["whole team"])
        return ", ".join(p for p in parts if not p.endswith(": None")) or "whole team"


@dataclass(frozen=True)
class Curve:
    """One metric's ramp curve for one placement (or the level it pooled up to)."""

    metric: str
    level: str  # placement, queue, channel, team, or default
    label: str  # the placement in words
    hires: int
    weeks: list[WeekSummary]
    benchmark: float  # the tenured figure the ratio is taken to
    benchmark_source: str  # "proficient hires" or "tenured target"
    higher_is_better: bool
    fit: Fit
    sigma_between: float  # spread of hires' offsets from the curve
    sigma_around: float  # spread of one hire's weekly offsets around its own mean offset
    sigma_within: float  # week-to-week scatter of one hire's figures
    fallback: str | None = None  # why the default curve is used
    # Offsets from the curve as ratios (log y − log curve) rather than differences: for
    # durations, where a slow hire is slow by a factor (1.2× the curve), not by seconds.
    relative: bool = False

    def residual(self, week: float, value: float) -> float | None:
        """How far `value` in `week` is from the curve (None: not comparable)."""
        return residual(self.relative, value, self.at(week))

    def shifted(self, curve_value, offset):
        """The curve's figure moved by an offset (ratio offsets multiply)."""
        return curve_value * np.exp(offset) if self.relative else curve_value + offset

    @property
    def first_week(self) -> int:
        """The first tenure week the team's hires have figures in (classroom weeks have none):
        no figure is projected before it."""
        if self.is_default:
            return DEFAULT_START_WEEK
        return min((s.week for s in self.weeks), default=1)

    @property
    def is_default(self) -> bool:
        return self.fit.model == "default"

    def at(self, week: float) -> float:
        """The curve's figure in a week; each week's is worked out once per curve (a capacity
        plan asks for the same weeks of every hire on it)."""
        known = self._figures.get(week)
        if known is None:
            known = self._figures[week] = self.fit.at(week)
        return known

    @cached_property
    def _figures(self) -> dict[float, float]:
        return {}

    @property
    def shrinkage(self) -> float:
        """k in the weight n/(n + k) a hire's own offset gets after n weeks."""
        return (self.sigma_around / self.sigma_between) ** 2


def residual(relative: bool, value: float, expected: float) -> float | None:
    """value − expected, or log(value ÷ expected) for ratio offsets (None when not positive)."""
    if not relative:
        return value - expected
    if value <= 0 or expected <= 0:
        return None
    return math.log(value / expected)


# hire id -> tenure week -> figure (weeks with at least the minimum sample only)
HireSeries = Mapping[int, Mapping[int, float]]


def _offsets(fit: Fit, series: HireSeries, relative: bool) -> tuple[float, float, float]:
    """(between, around, within): the spread of hires' mean offsets from the curve; of a
    hire's weekly offsets around its own mean; and of its figures from one week to the next.

    The last is read from differences between consecutive weeks (half their mean square): a
    hire who ramps faster or slower than the curve drifts from it slowly, which is not what
    one week's figure scatters by, but is what a few weeks' offset mistakes the hire's
    lasting offset by (so the shrinkage uses the second)."""
    means, counts, steps, around = [], [], [], []
    for weeks in series.values():
        residuals = {
            w: r for w, v in weeks.items() if (r := residual(relative, v, fit.at(w))) is not None
        }
        if not residuals:
            continue
        mean = statistics.fmean(residuals.values())
        means.append(mean)
        counts.append(len(residuals))
        around += [r - mean for r in residuals.values()]
        steps += [residuals[w] - residuals[w - 1] for w in residuals if w - 1 in residuals]
    s_within = math.sqrt(math.fsum(d * d for d in steps) / (2 * len(steps))) if steps else 0.0
    dof = max(1, len(around) - len(means))
    s_around = math.sqrt(math.fsum(r * r for r in around) / dof) if around else 0.0
    if len(means) > 1:
        # The spread of means holds some of the weekly scatter too: take it out (method of
        # moments), keeping a floor so that the weight n/(n + k) stays finite.
        raw = statistics.variance(means) - s_around**2 * statistics.fmean(1 / c for c in counts)
        s_between = math.sqrt(max(raw, 0.0))
    else:
        s_between = 0.0
    return s_between, s_around, s_within


def build_curve(
    metric: str,
    series: HireSeries,
    tenured: float,
    higher_is_better: bool,
    level: str,
    label: str,
    proficient_figures: Sequence[float] = (),
    relative: bool = False,
    limits: tuple[float, float] = NO_LIMITS,
) -> Curve:
    """The curve of one metric over these hires' weekly figures (fallback: the default)."""
    by_week: dict[int, list[float]] = {}
    for weeks in series.values():
        for w, v in weeks.items():
            by_week.setdefault(w, []).append(v)
    if len(proficient_figures) >= MIN_HIRES:
        benchmark, source = statistics.median(proficient_figures), "proficient hires"
    else:
        benchmark, source = tenured, "tenured target"
    summary = summarize(by_week, benchmark, higher_is_better)
    hires = sum(1 for weeks in series.values() if weeks)
    fallback = None
    fit = None
    if hires < MIN_HIRES:
        fallback = Shortfall("hires", hires, MIN_HIRES)
    else:
        fit = fit_curve(
            [(w, v) for weeks in series.values() for w, v in weeks.items()], limits=limits
        )
        if not fit.ok:
            fallback = fit.reason
    floor = 0.01 if relative else abs(tenured) * 0.01 or 1.0
    if fallback is not None:
        failed = fit
        fit = default_fit(tenured, higher_is_better)
        if failed is not None:
            fit = Fit(
                "default",
                fit.params,
                holdout_rmse=failed.holdout_rmse,
                n=failed.n,
                reason=f"{fit.reason}: {failed.reason}",
            )
        scale = 1.0 if relative else abs(tenured)
        between, within = scale * DEFAULT_BETWEEN, scale * DEFAULT_WITHIN
        return Curve(
            metric,
            "default",
            label,
            hires,
            summary,
            benchmark,
            source,
            higher_is_better,
            fit,
            between,
            within,
            within,
            fallback,
            relative,
        )
    between, around, within = _offsets(fit, series, relative)
    return Curve(
        metric,
        level,
        label,
        hires,
        summary,
        benchmark,
        source,
        higher_is_better,
        fit,
        max(between, floor),
        max(around, floor),
        max(within, floor),
        relative=relative,
    )


@dataclass(frozen=True)
class MetricGoal:
    """A metric's tenured target for a placement."""

    tenured: float
    higher_is_better: bool
    relative: bool = False  # offsets as ratios (durations)
    limits: tuple[float, float] = (-math.inf, math.inf)  # the figures' range (0-100 for a %)


def curves_for(
    metric: str,
    series: HireSeries,
    places: Mapping[int, Place],
    goal_of: Callable[[Place], MetricGoal | None],
    proficient: Mapping[int, Sequence[float]] | None = None,
) -> Callable[[Place], Curve | None]:
    """A lookup of each placement's curve for one metric, pooling upward where a placement
    has fewer than MIN_HIRES hires with figures. Curves are built once per group of hires."""
    proficient = proficient or {}
    cache: dict[tuple, Curve] = {}
    # The hires with figures at each level's key, in the order of `places`: grouped once,
    # not found again by a scan of every hire for each lookup (a board page makes one per
    # card and metric).
    groups: dict[str, dict[tuple, list[int]]] = {}

    def hires_at(level: str, place: Place) -> list[int]:
        by_key = groups.get(level)
        if by_key is None:
            by_key = {}
            for h, p in places.items():
                if series.get(h):
                    by_key.setdefault(p.key(level), []).append(h)
            groups[level] = by_key
        return by_key.get(place.key(level), [])

    def lookup(place: Place) -> Curve | None:
        goal = goal_of(place)
        if goal is None:
            return None
        for level in LEVELS:
            if level != "team" and any(v is None for v in place.key(level)):
                continue
            members = hires_at(level, place)
            if len(members) < MIN_HIRES and level != "team":
                continue
            key = (level, place.key(level), goal.tenured)
            if key not in cache:
                cache[key] = build_curve(
                    metric,
                    {h: series[h] for h in members},
                    goal.tenured,
                    goal.higher_is_better,
                    level,
                    place.describe(level),
                    [v for h in members for v in proficient.get(h, ())],
                    goal.relative,
                    goal.limits,
                )
            return cache[key]
        return None

    return lookup
