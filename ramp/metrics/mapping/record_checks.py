"""Rules across the fields of one record (check_record): times in order, no negative
durations or counts, every figure in a plausible range; and the cheap test that tells the
row reader when those rules need running.

The sentences stay English: they are found while rows are read and kept with the import;
ramp/metrics/problem_words.py words each of them again for a page."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from ramp.metrics.mapping.values import RowError, _num_text


def _when(value: datetime) -> str:
    return value.isoformat(sep=" ", timespec="minutes")


# The largest value of a numeric field that a real export holds (docs/mapping-format.md):
# past it a value is a row error, not a figure that would skew every mean it joins.
DAY, LARGEST_SCORE = 86_400, 1_000_000
CONTACT_LIMITS = {
    "handle_seconds": (DAY, "a day"),
    "first_response_seconds": (365 * DAY, "a year"),
    "sla_target_seconds": (365 * DAY, "a year"),
    "reopens": (1_000, "1,000"),
    "contacts_to_resolve": (1_000, "1,000"),
}
QA_LIMITS = {"score": (LARGEST_SCORE, "1,000,000"), "max_score": (LARGEST_SCORE, "1,000,000")}


def _implausible(values: Mapping[str, object], limits: Mapping[str, tuple]) -> list[RowError]:
    """A row error for each field past its plausible range (NaN included)."""
    out = []
    for name, (largest, words) in limits.items():
        number = values.get(name)
        if not isinstance(number, int | float) or isinstance(number, bool):
            continue
        if not (abs(number) <= largest):  # also true for NaN
            out.append(
                RowError(
                    None,
                    f"{name} of {_num_text(number)} is not plausible (at most {words})",
                    name,
                )
            )
    return out


def check_record(values: Mapping[str, object], kind: str) -> list[RowError]:
    """Rules across the fields of one record; each error names its field (column None)."""
    out: list[RowError] = []
    if kind == "contacts":
        created = values.get("created_at")
        for name, what in (
            ("solved_at", "solved before it was created"),
            ("first_response_at", "first response before it was created"),
        ):
            moment = values.get(name)
            if isinstance(moment, datetime) and isinstance(created, datetime) and moment < created:
                out.append(
                    RowError(
                        None,
                        f"{what} ({name} {_when(moment)} is before created_at {_when(created)})",
                        name,
                    )
                )
        for name, what in (
            ("handle_seconds", "negative handle time"),
            ("first_response_seconds", "negative first response time"),
            ("sla_target_seconds", "negative SLA target"),
            ("reopens", "negative number of reopens"),
            ("contacts_to_resolve", "negative number of contacts to resolve"),
        ):
            number = values.get(name)
            if isinstance(number, int | float) and not isinstance(number, bool) and number < 0:
                out.append(RowError(None, f"{what} ({name} is {_num_text(number)})", name))
        out += _implausible(values, CONTACT_LIMITS)
    elif kind == "qa":
        out += _implausible(values, QA_LIMITS)
        score, high = values.get("score"), values.get("max_score")
        if isinstance(high, int | float) and high <= 0:
            out.append(
                RowError(
                    None,
                    f"the maximum score must be more than 0 (max_score is {_num_text(high)})",
                    "max_score",
                )
            )
        elif isinstance(score, int | float) and isinstance(high, int | float) and score > high:
            out.append(
                RowError(
                    None,
                    f"score above the maximum ({_num_text(score)} > {_num_text(high)})",
                    "score",
                )
            )
    else:
        raise ValueError(f"unknown kind {kind!r}")
    return out


# Contact fields that are never negative (check_record says so in words).
NON_NEGATIVE = (
    "handle_seconds",
    "first_response_seconds",
    "sla_target_seconds",
    "reopens",
    "contacts_to_resolve",
)


def _record_suspect(kind: str, fields: Iterable[str]) -> Callable[[dict], bool]:
    """Whether check_record could find anything in the values (cheap; check_record says what)."""
    mapped = set(fields)
    if kind == "contacts":
        moments = tuple(n for n in ("solved_at", "first_response_at") if n in mapped)
        if "created_at" not in mapped:
            moments = ()
        numbers = tuple(n for n in NON_NEGATIVE if n in mapped)

        def contact_suspect(values: dict) -> bool:
            created = values["created_at"] if moments else None
            if created is not None:
                for name in moments:
                    moment = values[name]
                    if moment is not None and moment < created:
                        return True
            for name in numbers:
                number = values[name]
                if number is not None and number < 0:
                    return True
            return False

        return contact_suspect

    def qa_suspect(values: dict) -> bool:
        score, high = values.get("score"), values.get("max_score")
        return high is not None and (high <= 0 or (score is not None and score > high))

    return qa_suspect
