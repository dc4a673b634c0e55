"""Realistic QA and contact records for demo hires: agents improve with tenure along a noisy
glide path; a few struggle. Seeded, so the demo is the same at every start.

From the first day of nesting (day 21 of the shipped template) each working day a hire
handles contacts (about 15 a day in nesting, 30 on the full mix) and is reviewed by QA (one or two
reviews a day in nesting, about four a week after). Handle time falls from about 1.8× the tenured
600 s towards it; QA rises from the low 70s to the high 80s; about a third of customers
answer the CSAT survey. "Strugglers" plateau short of the tenured targets.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from ramp.extensions import db
from ramp.metrics.models import Contact, QAEvaluation
from ramp.metrics.records import contact_row, qa_row

NESTING_DAY = 21
ZONE = ZoneInfo("UTC")


def _progress(week: int) -> float:
    """0 at the start of nesting (week 4), 1 by week 12: an S-shaped ramp."""
    x = (week - 4) / 8
    return 1 / (1 + math.exp(-6 * (x - 0.45))) if week >= 4 else 0.0


def generate_for_hire(
    user_id: int, start: date, today: date, rng: random.Random, struggling: bool = False
) -> tuple[list[dict], list[dict]]:
    """Contact and QA rows for one hire from nesting until today (weekdays only)."""
    contacts, reviews = [], []
    day = start + timedelta(days=NESTING_DAY)
    n = 0
    while day <= today:
        if day.weekday() < 5:
            week = (day - start).days // 7 + 1
            p = _progress(week) * (0.55 if struggling else 1.0)
            per_day = rng.randint(12, 18) if week <= 6 else rng.randint(25, 34)
            for _ in range(per_day):
                n += 1
                created = datetime.combine(day, time(8), tzinfo=UTC) + timedelta(
                    minutes=rng.randint(0, 600)
                )
                aht = 1080 - 480 * p
                handle = max(60.0, rng.lognormvariate(math.log(aht), 0.35))
                frt = rng.expovariate(1 / (5400 - 3000 * p))
                solved = created + timedelta(seconds=frt + handle + rng.expovariate(1 / 7200))
                fcr = rng.random() < 0.58 + 0.17 * p
                rated = rng.random() < 0.33
                good = rng.random() < 0.7 + 0.18 * p
                rating = (
                    (rng.choice([4, 5, 5]) if good else rng.choice([1, 2, 3])) if rated else None
                )
                values = {
                    "external_id": f"u{user_id}-c{n}", "channel": "chat", "queue": "general",
                    "created_at": created, "first_response_at": created + timedelta(seconds=frt),
                    "solved_at": solved, "handle_seconds": round(handle), "reopens": 0 if fcr else 1,
                    "contacts_to_resolve": 1 if fcr else 2, "csat_rating": rating,
                    "sla_met": None, "sla_target_seconds": 4 * 3600.0,
                }  # fmt: skip
                contacts.append(contact_row(values, "demo", user_id, None, ZONE))
            # Nesting reviews most of a new agent's work; later a steady one a day or so.
            reviews_today = rng.choice([1, 1, 2]) if week <= 6 else int(rng.random() < 0.8)
            for _ in range(reviews_today):
                n += 1
                score = min(100.0, max(30.0, rng.gauss(70 + 18 * p, 6)))
                critical = rng.random() < 0.03 * (1 - p)
                at = datetime.combine(day, time(15), tzinfo=UTC)
                values = {
                    "external_id": f"u{user_id}-q{n}", "evaluated_at": at, "interaction_at": at - timedelta(hours=3),
                    "scorecard": "Tier 1 chat", "score": round(score, 1), "max_score": 100.0,
                    "critical_fail": critical,
                }  # fmt: skip
                reviews.append(qa_row(values, "demo", user_id, None, ZONE))
        day += timedelta(days=1)
    return contacts, reviews


def insert_records(contacts: list[dict], reviews: list[dict]) -> None:
    """Bulk-insert generated rows."""
    for rows, model in ((contacts, Contact), (reviews, QAEvaluation)):
        for i in range(0, len(rows), 1000):
            db.session.execute(insert(model), rows[i : i + 1000])
