"""How stored milestone checks and reasons read to people, in the reader's language.

The evaluation stores each status reason as parts (a code and plain arguments: ISO dates,
counts, keys) and each check as its criterion and figures, beside the English sentences the
API sends. Pages word them here when shown: through gettext in the request's locale (English
outside a request), dates and numbers through ramp.formatting, and modules, knowledge
checks and sub-milestones by their titles, never their slugs or keys.

A reason stored before its parts were kept, an unknown code or parts that do not fit show
the stored English text instead: never an error.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import date

from flask_babel import gettext as _
from flask_babel import ngettext

from ramp import formatting
from ramp.metrics.definitions import METRICS

# Which names a criterion's "missing" list holds: module slugs, the slugs of the modules
# whose knowledge check is wanted, or milestone keys.
NAMESPACES = {"modules": "modules", "assessments": "assessments", "children": "milestones"}

Titles = Mapping[str, Mapping[str, str]]


def _names(keys: Sequence[str], titles: Mapping[str, str]) -> str:
    if isinstance(keys, str) or not all(isinstance(k, str) for k in keys):
        raise TypeError("keys must be a list of names")
    return ", ".join(f"“{titles.get(k, k)}”" for k in keys)


def _count(value: object) -> int:
    """A whole number from stored JSON; anything else does not fit (the stored text shows)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"not a count: {value!r}")
    return value


def _date(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"not a date: {value!r}")
    return formatting.format_date(date.fromisoformat(value))


def _real(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise TypeError(f"not a number: {value!r}")
    return value


def metric_name(metric: str) -> str:
    """A metric's name as it reads inside a sentence, in the reader's language: "QA score",
    "resolution time" ("puntaje de calidad", "tiempo de resolución")."""
    definition = METRICS.get(metric)
    if definition is None:
        return metric.replace("_", " ")
    label = definition.label
    # An acronym (QA, AHT, SLA) keeps its capitals; a plain word starts in lower case.
    if len(label) > 1 and label[1].isupper():
        return label
    return label[:1].lower() + label[1:]


def metric_value(metric: str, value: object) -> str:
    """A metric's figure in its unit ("86.5%", "5m 00s"); one decimal when the metric is
    unknown."""
    definition = METRICS.get(metric)
    if definition is None:
        return formatting.decimal(_real(value), 1)
    return definition.format(_real(value))


def metric_bar(metric: str, value: object) -> str:
    """A threshold or target as people wrote it: "85%", "82.5%", "5m 00s"."""
    number = _real(value)
    definition = METRICS.get(metric)
    if definition is None or definition.unit != "%":
        return metric_value(metric, number)
    return formatting.percent(number, 0 if number == int(number) else 1)


def _sign(higher_is_better: object) -> str:
    return "≥" if higher_is_better else "≤"


def _due_in(days_left: object) -> str:
    days = _count(days_left)
    if days == 0:
        return _("due today")
    return ngettext("due in %(num)d day", "due in %(num)d days", days)


def _in_days(days: object) -> str:
    n = _count(days)
    if n == 0:
        return _("today")
    return ngettext("in %(num)d day", "in %(num)d days", n)


# Reasons ----------------------------------------------------------------------------------


def _waived(args: Mapping, titles: Mapping[str, str]) -> str:
    return _("waived by a manager")


def _achieved(args: Mapping, titles: Mapping[str, str]) -> str:
    return _("achieved on %(date)s", date=_date(args["on"]))


def _missed(args: Mapping, titles: Mapping[str, str]) -> str:
    return _("due %(date)s and not achieved", date=_date(args["due"]))


def _overdue_waiting(args: Mapping, titles: Mapping[str, str]) -> str:
    return _("due %(date)s and still waiting for data to judge it", date=_date(args["due"]))


def _behind_modules(args: Mapping, titles: Mapping[str, str]) -> str:
    return ngettext(
        "behind pace: %(done)s of %(num)d module done, %(gone)s of the time gone",
        "behind pace: %(done)s of %(num)d modules done, %(gone)s of the time gone",
        _count(args["total"]),
        done=formatting.count(_count(args["done"])),
        gone=formatting.percent(_count(args["time_percent"])),
    )


def _behind_assessments(args: Mapping, titles: Mapping[str, str]) -> str:
    return ngettext(
        "behind pace: %(done)s of %(num)d knowledge check passed, %(gone)s of the time gone",
        "behind pace: %(done)s of %(num)d knowledge checks passed, %(gone)s of the time gone",
        _count(args["total"]),
        done=formatting.count(_count(args["done"])),
        gone=formatting.percent(_count(args["time_percent"])),
    )


def _metric_short(args: Mapping, titles: Mapping[str, str]) -> str:
    metric = args["metric"]
    words = {
        "metric": metric_name(metric),
        "value": metric_value(metric, args["value"]),
        "sign": _sign(args["higher_is_better"]),
        "target": metric_bar(metric, args["target"]),
    }
    if args.get("weekly"):
        return _(
            "%(metric)s currently short of the threshold (%(value)s, this week's target "
            "%(sign)s %(target)s)",
            **words,
        )
    return _(
        "%(metric)s currently short of the threshold (%(value)s, target %(sign)s %(target)s)",
        **words,
    )


def _children_at_risk(args: Mapping, titles: Mapping[str, str]) -> str:
    keys = args["keys"]
    return ngettext(
        "sub-milestone at risk: %(names)s",
        "sub-milestones at risk: %(names)s",
        len(keys),
        names=_names(keys, titles),
    )


def _due_soon(args: Mapping, titles: Mapping[str, str]) -> str:
    return _(
        "%(due)s (warning window %(window)s)",
        due=_due_in(args["days_left"]),
        window=formatting.days(_count(args["warning_days"])),
    )


def _on_pace_modules(args: Mapping, titles: Mapping[str, str]) -> str:
    return ngettext(
        "on pace: %(done)s of %(num)d module done, %(due)s",
        "on pace: %(done)s of %(num)d modules done, %(due)s",
        _count(args["total"]),
        done=formatting.count(_count(args["done"])),
        due=_due_in(args["days_left"]),
    )


def _on_pace(args: Mapping, titles: Mapping[str, str]) -> str:
    return _("on pace, %(due)s", due=_due_in(args["days_left"]))


def _upcoming(args: Mapping, titles: Mapping[str, str]) -> str:
    return _(
        "phase starts %(date)s (%(when)s)", date=_date(args["starts"]), when=_in_days(args["days"])
    )


# Each reason code of ramp.milestones.evaluation, worded from its arguments and the titles of
# the plan's milestones.
REASONS: Mapping[str, Callable[[Mapping, Mapping[str, str]], str]] = {
    "waived": _waived,
    "achieved": _achieved,
    "missed": _missed,
    "overdue_waiting": _overdue_waiting,
    "behind_modules": _behind_modules,
    "behind_assessments": _behind_assessments,
    "metric_short": _metric_short,
    "children_at_risk": _children_at_risk,
    "due_soon": _due_soon,
    "on_pace_modules": _on_pace_modules,
    "on_pace": _on_pace,
    "upcoming": _upcoming,
}


def reason_text(
    reason: str | None, parts: object, milestone_titles: Mapping[str, str]
) -> str | None:
    """A status reason in the reader's language, from its stored parts; the stored text when
    there are none or they do not fit."""
    if not parts or not isinstance(parts, list):
        return reason
    try:
        worded = [REASONS[p["code"]](p.get("args") or {}, milestone_titles) for p in parts]
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError):
        return reason
    return "; ".join(worded)


# Checks -----------------------------------------------------------------------------------


def _slug_summary(criterion: str, figures: Mapping, titles: Titles) -> str:
    total = _count(figures["total"])
    done = formatting.count(_count(figures["done"]))
    missing = figures["missing"]
    names = _names(missing, titles.get(NAMESPACES[criterion], {}))
    if criterion == "modules":
        if missing:
            return ngettext(
                "%(done)s of %(num)d module completed (to do: %(names)s)",
                "%(done)s of %(num)d modules completed (to do: %(names)s)",
                total,
                done=done,
                names=names,
            )
        return ngettext(
            "%(done)s of %(num)d module completed",
            "%(done)s of %(num)d modules completed",
            total,
            done=done,
        )
    if missing:
        return ngettext(
            "%(done)s of %(num)d knowledge check passed (to do: %(names)s)",
            "%(done)s of %(num)d knowledge checks passed (to do: %(names)s)",
            total,
            done=done,
            names=names,
        )
    return ngettext(
        "%(done)s of %(num)d knowledge check passed",
        "%(done)s of %(num)d knowledge checks passed",
        total,
        done=done,
    )


def _sign_off_summary(figures: Mapping) -> str:
    if figures["by"] is None:
        return _("waiting for a manager's sign-off")
    if not isinstance(figures["by"], str):
        raise TypeError("the signer is a name")
    return _("signed off by %(name)s on %(date)s", name=figures["by"], date=_date(figures["on"]))


def _metric_summary(figures: Mapping) -> str:
    metric = figures["metric"]
    state = figures["state"]
    if state == "waiting":
        return _("waiting for data: no %(metric)s records imported yet", metric=metric_name(metric))
    sample = _count(figures["sample"])
    if state == "not_enough_data":
        return ngettext(
            "not enough data yet: %(sample)s of %(num)d record",
            "not enough data yet: %(sample)s of %(num)d records",
            _count(figures["min_sample"]),
            sample=formatting.count(sample),
        )
    if state not in ("met", "short", "weeks_short"):
        raise ValueError(f"unknown state {state!r}")
    reading = ngettext(
        "%(metric)s %(value)s over %(num)d day",
        "%(metric)s %(value)s over %(num)d days",
        _count(figures["window_days"]),
        metric=metric_name(metric),
        value=metric_value(metric, figures["value"]),
    )
    records = ngettext("%(num)d record", "%(num)d records", sample)
    target = _(
        "target %(sign)s %(threshold)s",
        sign=_sign(figures["higher_is_better"]),
        threshold=metric_bar(metric, figures["threshold"]),
    )
    weeks = _count(figures["weeks_running"])
    words = {"reading": reading, "records": records, "target": target}
    if weeks > 1:
        held = formatting.count(min(_count(figures["weeks_met"]), weeks))
        running = _(
            "for %(weeks)s weeks running: %(held)s of %(weeks)s so far", weeks=weeks, held=held
        )
        if state == "met":
            return _(
                "%(reading)s (%(records)s), %(target)s %(running)s: met", running=running, **words
            )
        return _(
            "%(reading)s (%(records)s), %(target)s %(running)s: short", running=running, **words
        )
    if state == "met":
        return _("%(reading)s (%(records)s), %(target)s: met", **words)
    return _("%(reading)s (%(records)s), %(target)s: short", **words)


def _children_summary(figures: Mapping, titles: Titles) -> str:
    total = _count(figures["total"])
    if total:
        head = ngettext(
            "%(done)s of %(num)d required sub-milestone achieved",
            "%(done)s of %(num)d required sub-milestones achieved",
            total,
            done=formatting.count(_count(figures["done"])),
        )
    else:
        head = _(
            "no required sub-milestones (%(optional)s optional)",
            optional=_count(figures["optional"]),
        )
    notes = []
    waived = figures["waived"]
    if waived:
        notes.append(ngettext("%(num)d waived", "%(num)d waived", len(waived)))
    missing = figures["missing"]
    if missing:
        notes.append(_("to do: %(names)s", names=_names(missing, titles.get("milestones", {}))))
    if not notes:
        return head
    return _("%(summary)s (%(notes)s)", summary=head, notes="; ".join(notes))


def check_summary(check: Mapping, titles: Titles) -> str:
    """A stored check's summary in the reader's language, worded from its criterion and
    figures; the stored summary when they do not fit."""
    criterion = check.get("criterion")
    figures = check.get("figures")
    stored = check.get("summary") or ""
    if not isinstance(criterion, str) or not isinstance(figures, Mapping):
        return stored
    try:
        if criterion in ("modules", "assessments"):
            return _slug_summary(criterion, figures, titles)
        if criterion == "sign_off":
            return _sign_off_summary(figures)
        if criterion.startswith("metric:"):
            return _metric_summary(figures)
        if criterion == "children":
            return _children_summary(figures, titles)
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError):
        return stored
    return stored


def worded_check(check: Mapping, titles: Titles) -> dict:
    """A stored check whose summary reads in the reader's language, things named by title."""
    return {**check, "summary": check_summary(check, titles)}
