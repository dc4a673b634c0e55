"""How a refresher reads to people, in the reader's language: why it was assigned, when it
is due, its evidence and its effect. Figures and dates go through ramp.formatting; a
condition that does not fit what is expected shows the measure's name alone, never an error.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_babel import ngettext

from ramp import formatting
from ramp.coaching.due import overdue
from ramp.coaching.effect import MIN_MEASURED, AssignmentEffect, GroupEffect, unit_of
from ramp.coaching.models import CoachingAssignment
from ramp.csvsafe import SafeWriter


def _whole(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if value == int(value) and value >= 0 else None


def figure(value: float | None, unit: str) -> str:
    """A measure's figure: "60%" (to one decimal when it has one) or a duration."""
    if unit == "s":
        return formatting.duration(value)
    if value is None:
        return formatting.MISSING
    digits = 0 if float(value).is_integer() else 1
    return formatting.percent(value, digits)


def change(value: float | None, unit: str) -> str:
    """A change with its sign: "+50 pts", "−12.5 pts", "−1m 20s"."""
    if value is None:
        return formatting.MISSING
    sign = "+" if value > 0 else "−" if value < 0 else "±"
    if unit == "s":
        return sign + formatting.duration(abs(value))
    digits = 0 if float(value).is_integer() else 1
    return _("%(sign)s%(points)s pts", sign=sign, points=formatting.decimal(abs(value), digits))


def reason(a: CoachingAssignment) -> str:
    """Why the refresher was assigned: "Tone & Empathy below 60% on 3 of the last 4
    evaluations", "2 critical fails within 14 days", "AHT above 8m 00s in 3 of the last 4
    weeks"."""
    cond = a.condition if isinstance(a.condition, dict) else {}
    failing = _whole(cond.get("failing"))
    of_last = _whole(cond.get("of_last"))
    within = _whole(cond.get("within_days"))
    unit = unit_of(a.measure_kind, a.measure_key)
    if a.measure_kind == "critical":
        if failing is None:
            return _("Critical fails")
        if within is not None:
            return ngettext(
                "%(num)d critical fail within %(days)s days",
                "%(num)d critical fails within %(days)s days",
                failing,
                days=within,
            )
        if of_last is not None:
            return ngettext(
                "%(num)d critical fail in the last %(last)s evaluations",
                "%(num)d critical fails in the last %(last)s evaluations",
                failing,
                last=of_last,
            )
        return ngettext("%(num)d critical fail", "%(num)d critical fails", failing)
    threshold = cond.get("below", cond.get("above"))
    if failing is None or isinstance(threshold, bool) or not isinstance(threshold, int | float):
        return a.measure_label
    if "below" in cond:
        side = _(
            "%(measure)s below %(threshold)s",
            measure=a.measure_label,
            threshold=figure(threshold, unit),
        )
    else:
        side = _(
            "%(measure)s above %(threshold)s",
            measure=a.measure_label,
            threshold=figure(threshold, unit),
        )
    weeks = a.measure_kind == "metric"
    if within is not None:
        if weeks:
            return ngettext(
                "%(side)s in %(num)d week within %(days)s days",
                "%(side)s in %(num)d weeks within %(days)s days",
                failing,
                side=side,
                days=within,
            )
        return ngettext(
            "%(side)s on %(num)d evaluation within %(days)s days",
            "%(side)s on %(num)d evaluations within %(days)s days",
            failing,
            side=side,
            days=within,
        )
    if of_last is None:
        return side
    if weeks:
        return ngettext(
            "%(side)s in %(failing)s of the last %(num)d week",
            "%(side)s in %(failing)s of the last %(num)d weeks",
            of_last,
            side=side,
            failing=failing,
        )
    return ngettext(
        "%(side)s on %(failing)s of the last %(num)d evaluation",
        "%(side)s on %(failing)s of the last %(num)d evaluations",
        of_last,
        side=side,
        failing=failing,
    )


def due(a: CoachingAssignment, today: date) -> str:
    """ "due Dec 9" or "overdue since Dec 9" (only an open refresher is overdue)."""
    if a.status == "open" and overdue(a.due_on, today):
        return _("overdue since %(date)s", date=formatting.short_date(a.due_on))
    return _("due %(date)s", date=formatting.short_date(a.due_on))


def kind(a: CoachingAssignment) -> str:
    """What the refresher asks to work through: a lesson, a module or a curriculum."""
    if a.lesson_slug:
        return _("lesson")
    if a.module_slug:
        return _("module")
    return _("curriculum")


def evidence(a: CoachingAssignment) -> list[tuple[str, str, bool]]:
    """The reviews behind the refresher, oldest first: (day, figure, short of the rule)."""
    unit = unit_of(a.measure_kind, a.measure_key)
    rows = []
    for item in a.evidence if isinstance(a.evidence, list) else []:
        if not isinstance(item, dict):
            continue
        day = item.get("day")
        try:
            shown_day = (
                formatting.short_date(date.fromisoformat(day)) if day else formatting.MISSING
            )
        except (TypeError, ValueError):
            shown_day = str(day)
        value = item.get("figure")
        if a.measure_kind == "critical" and isinstance(value, bool):
            shown = _("critical fail") if value else _("no critical fail")
        elif isinstance(value, int | float) and not isinstance(value, bool):
            shown = figure(value, unit)
        else:
            shown = formatting.MISSING
        rows.append((shown_day, shown, bool(item.get("short"))))
    return rows


def effect_line(a: CoachingAssignment, e: AssignmentEffect | None) -> str | None:
    """ "Tone & Empathy: 40% over 2 before, 90% over 2 after (+50 pts)", or "not enough data
    yet (1 of 3 after the refresher)"; None before the refresher is completed."""
    if e is None:
        return None
    if e.before is None:
        return _(
            "%(measure)s: no figure from before the refresher to compare with", measure=e.label
        )
    if not e.enough:
        return _(
            "%(measure)s: not enough data yet (%(got)s of %(needed)s after the refresher)",
            measure=e.label,
            got=e.after_count,
            needed=e.needed,
        )
    return _(
        "%(measure)s: %(before)s over %(before_count)s before, %(after)s over %(after_count)s after (%(change)s)",
        measure=e.label,
        before=figure(e.before, e.unit),
        before_count=e.before_count,
        after=figure(e.after, e.unit),
        after_count=e.after_count,
        change=change(e.change, e.unit),
    )


def group_line(g: GroupEffect) -> str:
    """A rule's or refresher's effect: "3 of 4 improved (75%), mean +12 pts (95% CI +3 to
    +21 pts)", or "not enough data (1 of 3 measured)"."""
    if not g.enough:
        return _(
            "not enough data (%(measured)s of %(minimum)s measured)",
            measured=g.measured,
            minimum=MIN_MEASURED,
        )
    return _(
        "%(improved)s of %(measured)s improved (%(share)s), mean %(mean)s (95%% CI %(low)s to %(high)s)",
        improved=g.improved,
        measured=g.measured,
        share=formatting.percent(g.improved_share),
        mean=change(g.mean_change, g.unit),
        low=change(g.low, g.unit),
        high=change(g.high, g.unit),
    )


@dataclass(frozen=True)
class Shown:
    """An assignment as the pages show it, worded."""

    assignment: CoachingAssignment
    reason: str
    due: str
    overdue: bool
    kind: str
    evidence: list[tuple[str, str, bool]]
    effect: str | None


def shown(
    assignments: list[CoachingAssignment],
    today: date,
    effects: dict[int, AssignmentEffect] | None = None,
) -> list[Shown]:
    """The assignments worded for a page (with their effect line when `effects` are given)."""
    effects = effects or {}
    return [
        Shown(
            assignment=a,
            reason=reason(a),
            due=due(a, today),
            overdue=a.status == "open" and overdue(a.due_on, today),
            kind=kind(a),
            evidence=evidence(a),
            effect=effect_line(a, effects.get(a.id)),
        )
        for a in assignments
    ]


CSV_COLUMNS = (
    "assignment_id",
    "hire_id",
    "agent",
    "email",
    "cohort",
    "rule",
    "refresher",
    "curriculum",
    "module",
    "lesson",
    "measure_kind",
    "measure",
    "status",
    "fired_on",
    "due_on",
    "completed_on",
    "dismissed_reason",
    "one_to_one_on",
    "evidence",
    "before",
    "before_count",
    "after",
    "after_count",
    "change",
    "improved",
)


def assignments_csv(
    assignments: list[CoachingAssignment], effects: dict[int, AssignmentEffect]
) -> str:
    """Every assignment as a CSV row: plain ISO dates and numbers, cells made safe."""
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow(CSV_COLUMNS)
    for a in assignments:
        e = effects.get(a.id)
        items = a.evidence if isinstance(a.evidence, list) else []
        trail = "; ".join(
            f"{i.get('day', '')} {i.get('review', '')} {i.get('figure', '')}".strip()
            for i in items
            if isinstance(i, dict)
        )
        writer.writerow(
            [
                a.id,
                a.hire_id,
                a.user.name if a.user else "",
                a.user.email if a.user else "",
                a.hire.cohort.name if a.hire else "",
                a.rule_key,
                a.title,
                a.curriculum_slug,
                a.module_slug or "",
                a.lesson_slug or "",
                a.measure_kind,
                a.measure_label,
                a.status,
                a.fired_on.isoformat(),
                a.due_on.isoformat(),
                a.completed_on.isoformat() if a.completed_on else "",
                a.dismiss_reason or "",
                a.one_to_one_at.date().isoformat() if a.one_to_one_at else "",
                trail,
                _plain(a.baseline),
                a.baseline_count,
                _plain(e.after if e else None),
                e.after_count if e else "",
                _plain(e.change if e else None),
                "" if e is None or e.improved is None else ("yes" if e.improved else "no"),
            ]
        )
    return out.getvalue()


def _plain(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}".rstrip("0").rstrip(".")
