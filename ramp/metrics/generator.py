"""Realistic QA and contact records for demo hires, along the shipped 12-week ramp.

From the first day of nesting (day 21 of the shipped template) a hire works five days out
of seven on a rota that begins on their start day. Nesting (weeks 4-6) is simple e-mail
work, about 15 contacts a day; from week 7 the hire is on the full chat mix, about 30 a
day. QA reviews one or two of a new hire's contacts every working day. The figures
follow what contact centers publish about their new hires:

- handle time starts at 1.6x the tenured 600 s and reaches it by week 11;
- QA rises from the low 70s to the high 80s;
- e-mail is answered within about an hour, chat within a minute or two; SLA targets are
  4 hours for e-mail and 2 minutes for chat;
- about a third of customers answer the CSAT survey, 75-90 % of them with a 4 or 5;
- FCR rises from about 62 % to about 78 %.

Each review carries a five-category scorecard (SCORECARD) whose weighted mean is the review's
overall score, so categories can be read beside it; a hire may be weak in one category for a
stretch of their tenure (Profile.weak_category), which the overall score does not show.

Every day's records come from a random generator seeded by the hire and the tenure day,
so a hire's story is the same whatever the calendar date the demo is created on.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from ramp.extensions import db
from ramp.metrics import categories
from ramp.metrics.models import Contact, QAEvaluation
from ramp.metrics.records import contact_row, qa_row

NESTING_DAY = 21
FULL_MIX_DAY = 42
# The demo team works Lisbon hours: a zone with daylight saving, so a demo made on the day
# the clocks change shows the same figures as on any other.
ZONE = ZoneInfo("Europe/Lisbon")
TENURED_AHT = 600.0
# (SLA on first response, mean first response of a new hire, of a fully ramped one), seconds.
CHANNELS = {"email": (4 * 3600.0, 4200.0, 2400.0), "chat": (120.0, 90.0, 35.0)}


@dataclass(frozen=True)
class Profile:
    """How one demo hire performs beside the typical new hire (all zero: typical)."""

    quality: float = 0.0  # QA points above the typical hire
    speed: float = 1.0  # handle time as a multiple of the typical hire's
    csat: float = 0.0  # share of good ratings above the typical hire's
    fcr: float = 0.0  # share of contacts resolved first time above the typical hire's
    # One scorecard category this many points below the others from tenure day weak_from
    # until the day before weak_until (the overall score unchanged).
    weak_category: str | None = None
    weak_by: float = 0.0
    weak_from: int = 0
    weak_until: int = 10**6
    # How slowly the hire ramps: the S from nesting to tenured figures takes pace × 7 weeks
    # (1: the typical hire's weeks 4-11; the backtest gives hires of a slower placement more).
    pace: float = 1.0


# The demo team's scorecard: (category, weight). None is critical: a critical fail stays the
# review's own flag, so the overall percent is the weighted mean of these.
SCORECARD = (
    ("Greeting & verification", 1.0),
    ("Tone & Empathy", 2.0),
    ("Resolution accuracy", 3.0),
    ("Process & tools", 2.0),
    ("Writing & clarity", 2.0),
)


def scorecard(score: float, rng: random.Random, weak: str | None = None, by: float = 0.0) -> list:
    """Category scores (out of 100) whose weighted mean is `score`: each category's spread
    around it, the weak one `by` points below the rest, drawn in from the ends of the scale
    when one would fall outside it."""
    spread = [rng.gauss(0, 4) - (by if name == weak else 0.0) for name, _ in SCORECARD]
    total = math.fsum(w for _, w in SCORECARD)
    mean = math.fsum(w * d for (_, w), d in zip(SCORECARD, spread, strict=True)) / total
    spread = [d - mean for d in spread]
    shrink = 1.0
    for d in spread:
        if score + d > 100:
            shrink = min(shrink, (100 - score) / d)
        elif score + d < 0:
            shrink = min(shrink, -score / d)
    return [
        # (Clamped: at the very end of the scale, rounding could step outside it.)
        {
            "name": name,
            "score": min(100.0, max(0.0, score + shrink * d)),
            "max_score": 100.0,
            "weight": w,
        }
        for (name, w), d in zip(SCORECARD, spread, strict=True)
    ]


def progress(week: int, pace: float = 1.0) -> float:
    """0 until nesting begins (week 4), 1 from week 11 (week 4 + 7 × pace): a smooth S
    between the two."""
    x = min(max((week - 4) / (7 * pace), 0.0), 1.0)
    return x * x * (3 - 2 * x)


def _day(user_id: int, start: date, offset: int, profile: Profile, seed: str) -> tuple[list, list]:
    """The records of one working day, `offset` days after the start."""
    rng = random.Random(f"{seed}:{offset}")
    day = start + timedelta(days=offset)
    week = offset // 7 + 1
    p = progress(week, profile.pace)
    channel, queue = ("email", "nesting-simple") if offset < FULL_MIX_DAY else ("chat", "general")
    sla, slow, fast = CHANNELS[channel]
    contacts, reviews = [], []
    aht = TENURED_AHT * (1.6 - 0.6 * p) * profile.speed
    per_day = rng.randint(12, 18) if offset < FULL_MIX_DAY else rng.randint(26, 34)
    for n in range(per_day):
        created = datetime.combine(day, time(8), tzinfo=ZONE) + timedelta(
            minutes=rng.randint(0, 540)
        )
        # A log-normal with this mean: handle times have a long right tail.
        handle = max(60.0, rng.lognormvariate(math.log(aht) - 0.35**2 / 2, 0.35))
        frt = rng.expovariate(1 / (slow - (slow - fast) * p))
        solved = created + timedelta(seconds=frt + handle + rng.expovariate(1 / 3600))
        fcr = rng.random() < 0.62 + 0.16 * p + profile.fcr
        rated = rng.random() < 0.33
        good = rng.random() < 0.75 + 0.14 * p + profile.csat
        rating = (rng.choice([4, 5, 5]) if good else rng.choice([1, 2, 3])) if rated else None
        values = {
            "external_id": f"u{user_id}-d{offset}-c{n}",
            "channel": channel,
            "queue": queue,
            "created_at": created,
            "first_response_at": created + timedelta(seconds=frt),
            "solved_at": solved,
            "handle_seconds": round(handle),
            "reopens": 0 if fcr else 1,
            "contacts_to_resolve": 1 if fcr else 2,
            "csat_rating": rating,
            "sla_met": None,
            "sla_target_seconds": sla,
        }
        contacts.append(contact_row(values, "demo", user_id, None, ZONE))
    # A new agent is reviewed every working day for their first months: one or two a day.
    count = rng.choice([1, 1, 2])
    for n in range(count):
        score = min(100.0, max(30.0, rng.gauss(74 + 14 * p + profile.quality, 5)))
        at = datetime.combine(day, time(15), tzinfo=ZONE)
        weak = profile.weak_from <= offset < profile.weak_until
        # The categories draw on their own generator: the day's other figures stay as they were.
        categories = scorecard(
            round(score, 1),
            random.Random(f"{seed}:{offset}:q{n}"),
            profile.weak_category if weak else None,
            profile.weak_by if weak else 0.0,
        )
        values = {
            "external_id": f"u{user_id}-d{offset}-q{n}",
            "evaluated_at": at,
            "interaction_at": at - timedelta(hours=3),
            "scorecard": f"Tier 1 {channel}",
            "score": round(score, 1),
            "max_score": 100.0,
            "critical_fail": rng.random() < 0.01 * (1 - p),
            "categories": categories,
        }
        reviews.append(qa_row(values, "demo", user_id, None, ZONE))
    return contacts, reviews


def generate_for_hire(
    user_id: int, start: date, today: date, profile: Profile = Profile(), seed: str = ""
) -> tuple[list[dict], list[dict]]:
    """Contact and QA rows for one hire from nesting until today, five days a week.

    `seed` names the hire's story (an e-mail, say): the same seed gives the same records
    relative to the start, whatever the dates and the database's ids.
    """
    seed = seed or str(user_id)
    contacts, reviews = [], []
    for offset in range(NESTING_DAY, (today - start).days + 1):
        if offset % 7 < 5:
            day_contacts, day_reviews = _day(user_id, start, offset, profile, seed)
            contacts += day_contacts
            reviews += day_reviews
    return contacts, reviews


def insert_records(contacts: list[dict], reviews: list[dict]) -> None:
    """Bulk-insert generated rows, and the reviews' category rows."""
    for rows, model in ((contacts, Contact), (reviews, QAEvaluation)):
        for i in range(0, len(rows), 1000):
            db.session.execute(insert(model), rows[i : i + 1000])
    categories.write_missing(sorted({row["user_id"] for row in reviews}))
