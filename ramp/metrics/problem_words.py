"""An import's problems and summary in the reader's language, worded when shown.

An import reads its rows outside any request and keeps what it found, in English, in its
report and in the import history (the JSON API and the command line show them as kept). A
page words them again: each known sentence is read back into its parts (the line, the
column, the quoted cell...) and written in the reader's language. A sentence not known here,
such as one kept by an older version, is shown as it was kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from flask_babel import gettext as _
from flask_babel import ngettext

from ramp.formatting import count

Wording = Callable[[re.Match[str]], str]


def _n(match: re.Match[str], name: str) -> int:
    return int(match[name])


# Row problems: the message of one line, as the mapping's reader and the import write it.
_PROBLEMS: list[tuple[re.Pattern[str], Wording]] = [
    (
        re.compile(r"'(?P<text>.*)' is not a number"),
        lambda m: _("'%(text)s' is not a number", text=m["text"]),
    ),
    (
        re.compile(r"'(?P<text>.*)' is not a whole number"),
        lambda m: _("'%(text)s' is not a whole number", text=m["text"]),
    ),
    (
        re.compile(r"'(?P<text>.*)' is not a date \(expected (?P<expected>.*)\)"),
        lambda m: _(
            "'%(text)s' is not a date (expected %(expected)s)",
            text=m["text"],
            expected=m["expected"],
        ),
    ),
    (
        re.compile(r"'(?P<text>.*)' is not a duration \(expected (?P<expected>.*)\)"),
        lambda m: _(
            "'%(text)s' is not a duration (expected %(expected)s)",
            text=m["text"],
            expected=m["expected"],
        ),
    ),
    (
        re.compile(r"'(?P<text>.*)' is a negative duration"),
        lambda m: _("'%(text)s' is a negative duration", text=m["text"]),
    ),
    (
        re.compile(r"'(?P<text>.*)' is not yes or no"),
        lambda m: _("'%(text)s' is not yes or no", text=m["text"]),
    ),
    (
        re.compile(r"'(?P<text>.*)' is too far in the past or the future to be a date here"),
        lambda m: _(
            "'%(text)s' is too far in the past or the future to be a date here", text=m["text"]
        ),
    ),
    (
        re.compile(r"'(?P<text>.*)' is outside the rating scale (?P<low>\S+)–(?P<high>\S+)"),
        lambda m: _(
            "'%(text)s' is outside the rating scale %(low)s–%(high)s",
            text=m["text"],
            low=m["low"],
            high=m["high"],
        ),
    ),
    (
        re.compile(r"'(?P<id>.*)' appears more than once in the file"),
        lambda m: _("'%(id)s' appears more than once in the file", id=m["id"]),
    ),
    (
        re.compile(r"(?P<field>\w+) is required, but the cell is empty"),
        lambda m: _("%(field)s is required, but the cell is empty", field=m["field"]),
    ),
    (
        re.compile(r"no agent: (?P<field>\w+) is empty"),
        lambda m: _("no agent: %(field)s is empty", field=m["field"]),
    ),
    (
        re.compile(r"no agent: (?P<fields>.+) are both empty"),
        lambda m: _("no agent: %(fields)s are both empty", fields=m["fields"]),
    ),
    (
        re.compile(r"unknown agent (?P<agent>.+): (?P<num>\d+) rows?"),
        lambda m: ngettext(
            "unknown agent %(agent)s: %(num)d row",
            "unknown agent %(agent)s: %(num)d rows",
            _n(m, "num"),
            agent=m["agent"],
        ),
    ),
    (
        re.compile(r"unknown agent (?P<agent>.+): not a ramp user, and not linked to one"),
        lambda m: _(
            "unknown agent %(agent)s: not a ramp user, and not linked to one", agent=m["agent"]
        ),
    ),
    (
        re.compile(r"the file is empty: it has no rows \(only a header, or nothing at all\)"),
        lambda m: _("the file is empty: it has no rows (only a header, or nothing at all)"),
    ),
    (
        re.compile(r"the file has no rows \(only a header, or nothing at all\)"),
        lambda m: _("the file has no rows (only a header, or nothing at all)"),
    ),
    (
        re.compile(r"the text holds a NUL character \(is the file UTF-16\?\)"),
        lambda m: _("the text holds a NUL character (is the file UTF-16?)"),
    ),
    (
        re.compile(r"score above the maximum \((?P<score>\S+) > (?P<high>\S+)\)"),
        lambda m: _(
            "score above the maximum (%(score)s > %(high)s)", score=m["score"], high=m["high"]
        ),
    ),
    (
        re.compile(r"the maximum score must be more than 0 \(max_score is (?P<high>\S+)\)"),
        lambda m: _(
            "the maximum score must be more than 0 (max_score is %(high)s)", high=m["high"]
        ),
    ),
    (
        re.compile(r"'(?P<score>.*)' is above the maximum (?P<high>\S+) of '(?P<name>.*)'"),
        lambda m: _(
            "'%(score)s' is above the maximum %(high)s of '%(name)s'",
            score=m["score"],
            high=m["high"],
            name=m["name"],
        ),
    ),
    (
        re.compile(r"'(?P<score>.*)' is below the minimum (?P<low>\S+) of '(?P<name>.*)'"),
        lambda m: _(
            "'%(score)s' is below the minimum %(low)s of '%(name)s'",
            score=m["score"],
            low=m["low"],
            name=m["name"],
        ),
    ),
    (
        re.compile(r"'(?P<name>.*)' has a score but no maximum"),
        lambda m: _("'%(name)s' has a score but no maximum", name=m["name"]),
    ),
    (
        re.compile(
            r"solved before it was created "
            r"\((?P<field>\w+) (?P<moment>.+) is before created_at (?P<created>.+)\)"
        ),
        lambda m: _(
            "solved before it was created (%(field)s %(moment)s is before created_at %(created)s)",
            field=m["field"],
            moment=m["moment"],
            created=m["created"],
        ),
    ),
    (
        re.compile(
            r"first response before it was created "
            r"\((?P<field>\w+) (?P<moment>.+) is before created_at (?P<created>.+)\)"
        ),
        lambda m: _(
            "first response before it was created "
            "(%(field)s %(moment)s is before created_at %(created)s)",
            field=m["field"],
            moment=m["moment"],
            created=m["created"],
        ),
    ),
    (
        re.compile(r"negative handle time \((?P<field>\w+) is (?P<number>\S+)\)"),
        lambda m: _(
            "negative handle time (%(field)s is %(number)s)", field=m["field"], number=m["number"]
        ),
    ),
    (
        re.compile(r"negative first response time \((?P<field>\w+) is (?P<number>\S+)\)"),
        lambda m: _(
            "negative first response time (%(field)s is %(number)s)",
            field=m["field"],
            number=m["number"],
        ),
    ),
    (
        re.compile(r"negative SLA target \((?P<field>\w+) is (?P<number>\S+)\)"),
        lambda m: _(
            "negative SLA target (%(field)s is %(number)s)", field=m["field"], number=m["number"]
        ),
    ),
    (
        re.compile(r"negative number of reopens \((?P<field>\w+) is (?P<number>\S+)\)"),
        lambda m: _(
            "negative number of reopens (%(field)s is %(number)s)",
            field=m["field"],
            number=m["number"],
        ),
    ),
    (
        re.compile(r"negative number of contacts to resolve \((?P<field>\w+) is (?P<number>\S+)\)"),
        lambda m: _(
            "negative number of contacts to resolve (%(field)s is %(number)s)",
            field=m["field"],
            number=m["number"],
        ),
    ),
    (
        re.compile(r"(?P<field>\w+) of (?P<number>\S+) is not plausible \(at most a day\)"),
        lambda m: _(
            "%(field)s of %(number)s is not plausible (at most a day)",
            field=m["field"],
            number=m["number"],
        ),
    ),
    (
        re.compile(r"(?P<field>\w+) of (?P<number>\S+) is not plausible \(at most a year\)"),
        lambda m: _(
            "%(field)s of %(number)s is not plausible (at most a year)",
            field=m["field"],
            number=m["number"],
        ),
    ),
    (
        re.compile(r"(?P<field>\w+) of (?P<number>\S+) is not plausible \(at most (?P<most>\S+)\)"),
        lambda m: _(
            "%(field)s of %(number)s is not plausible (at most %(most)s)",
            field=m["field"],
            number=m["number"],
            most=m["most"],
        ),
    ),
    (
        re.compile(r"'(?P<text>.*)' is longer than (?P<limit>\d+) characters \((?P<field>\w+)\)"),
        lambda m: _(
            "'%(text)s' is longer than %(limit)s characters (%(field)s)",
            text=m["text"],
            limit=m["limit"],
            field=m["field"],
        ),
    ),
    (
        re.compile(r"(?P<number>\S+) is too large a number \((?P<field>\w+)\)"),
        lambda m: _(
            "%(number)s is too large a number (%(field)s)", number=m["number"], field=m["field"]
        ),
    ),
    (
        re.compile(
            r"'(?P<text>.*)' does not exist in (?P<zone>\S+): the clocks skip it \(summer time\)"
        ),
        lambda m: _(
            "'%(text)s' does not exist in %(zone)s: the clocks skip it (summer time)",
            text=m["text"],
            zone=m["zone"],
        ),
    ),
]


def _empty_parts(match: re.Match[str]) -> str:
    """A template's columns empty on a row while others are not (the mapping's reader)."""
    head, sep, last = match["names"].rpartition("' or '")
    names = _("%(names)s or %(last)s", names=head + "'", last="'" + last) if sep else head + last
    if match["verb"] == "is":
        return _(
            "%(names)s is empty but not the rest: %(label)s needs them all",
            names=names,
            label=match["label"],
        )
    return _(
        "%(names)s are empty but not the rest: %(label)s needs them all",
        names=names,
        label=match["label"],
    )


_PROBLEMS.append(
    (
        re.compile(
            r"(?P<names>'.*') (?P<verb>is|are) empty but not the rest: (?P<label>.+) needs them all"
        ),
        _empty_parts,
    )
)


def _worded(message: str) -> str | None:
    for pattern, wording in _PROBLEMS:
        match = pattern.fullmatch(message)
        if match:
            return wording(match)
    return None


def word_problem(message: str) -> str:
    """One row problem's message in the reader's language (as kept, when not known here).

    The message may start with its column, as the preview lists them ("Reviewed: ...").
    """
    worded = _worded(message or "")
    if worded is not None:
        return worded
    column, sep, rest = (message or "").partition(": ")
    if sep and (worded := _worded(rest)) is not None:
        return f"{column}: {worded}"
    return message


_PLACED = re.compile(r"line (?P<line>\d+)(?:, column (?P<column>.+?))?: (?P<message>.*)", re.S)


def word_placed_problem(text: str) -> str:
    """A kept problem with its place ("line 12, column date: ...") in the reader's language."""
    match = _PLACED.fullmatch(text or "")
    if not match:
        return text
    message = word_problem(match["message"])
    if match["column"]:
        return _(
            "line %(line)s, column %(column)s: %(problem)s",
            line=match["line"],
            column=match["column"],
            problem=message,
        )
    return _("line %(line)s: %(problem)s", line=match["line"], problem=message)


# The summary: "N rows read, N valid, ...; wrote N contacts (N new, N updated)."
_HEAD: list[tuple[re.Pattern[str], Wording]] = [
    (
        re.compile(r"(?P<num>\d+) rows read"),
        lambda m: ngettext(
            "%(n)s row read", "%(n)s rows read", _n(m, "num"), n=count(_n(m, "num"))
        ),
    ),
    (
        re.compile(r"(?P<num>\d+) valid"),
        lambda m: ngettext("%(n)s valid", "%(n)s valid", _n(m, "num"), n=count(_n(m, "num"))),
    ),
    (
        re.compile(r"(?P<num>\d+) skipped by a skip rule"),
        lambda m: ngettext(
            "%(n)s skipped by a skip rule",
            "%(n)s skipped by a skip rule",
            _n(m, "num"),
            n=count(_n(m, "num")),
        ),
    ),
    (
        re.compile(r"(?P<num>\d+) superseded by a later row of the same record"),
        lambda m: ngettext(
            "%(n)s superseded by a later row of the same record",
            "%(n)s superseded by a later row of the same record",
            _n(m, "num"),
            n=count(_n(m, "num")),
        ),
    ),
    (
        re.compile(r"(?P<num>\d+) with problems \((?P<problems>\d+) problems\)"),
        lambda m: ngettext(
            "%(n)s with problems (%(problems)s problems)",
            "%(n)s with problems (%(problems)s problems)",
            _n(m, "num"),
            n=count(_n(m, "num")),
            problems=count(_n(m, "problems")),
        ),
    ),
    (
        re.compile(r"(?P<agents>\d+) unknown agents? on (?P<rows>\d+) rows?"),
        lambda m: ngettext(
            "%(n)s unknown agent on %(rows)s",
            "%(n)s unknown agents on %(rows)s",
            _n(m, "agents"),
            n=count(_n(m, "agents")),
            rows=ngettext("%(n)s row", "%(n)s rows", _n(m, "rows"), n=count(_n(m, "rows"))),
        ),
    ),
]

_WROTE = re.compile(
    r"wrote (?P<total>\d+) (?P<what>contacts|evaluations) \((?P<new>\d+) new, (?P<updated>\d+) updated\)\."
)


def _tail(text: str) -> str | None:
    if text == "nothing written.":
        return _("nothing written.")
    if text == "dry run: nothing written.":
        return _("dry run: nothing written.")
    match = _WROTE.fullmatch(text)
    if not match:
        return None
    numbers = {
        "total": count(_n(match, "total")),
        "new": count(_n(match, "new")),
        "updated": count(_n(match, "updated")),
    }
    if match["what"] == "contacts":
        return _("wrote %(total)s contacts (%(new)s new, %(updated)s updated).", **numbers)
    return _("wrote %(total)s evaluations (%(new)s new, %(updated)s updated).", **numbers)


def word_summary(text: str) -> str:
    """An import's summary sentence in the reader's language (as kept, when not known here)."""
    head, sep, tail = (text or "").partition("; ")
    if not sep:
        return text
    parts = []
    for part in head.split(", "):
        worded = next(
            (wording(m) for pattern, wording in _HEAD if (m := pattern.fullmatch(part))), None
        )
        if worded is None:
            return text
        parts.append(worded)
    end = _tail(tail)
    if end is None:
        return text
    return _("%(counts)s; %(outcome)s", counts=", ".join(parts), outcome=end)


_REFUSAL = re.compile(
    r"(?P<summary>.*?) First problem: (?P<problem>.*?)(?: \(and (?P<more>\d+) more\)\.)?", re.S
)


def word_refusal(text: str | None) -> str | None:
    """Why an import was refused, as the history keeps it, in the reader's language."""
    if not text:
        return text
    match = _REFUSAL.fullmatch(text)
    if not match:
        return word_summary(text)
    refusal = _(
        "%(summary)s First problem: %(problem)s",
        summary=word_summary(match["summary"]),
        problem=word_placed_problem(match["problem"]),
    )
    if match["more"]:
        more = _n(match, "more")
        refusal = ngettext(
            "%(refusal)s (and %(n)s more).",
            "%(refusal)s (and %(n)s more).",
            more,
            refusal=refusal,
            n=count(more),
        )
    return refusal


FILTERS = {
    "import_problem": word_problem,
    "import_placed_problem": word_placed_problem,
    "import_summary": word_summary,
    "import_refusal": word_refusal,
}
