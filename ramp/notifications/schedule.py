"""The recurring job a Redis worker runs (`ramp notify schedule` starts it): every minute it
sends what is due, once a day the daily run, once a week (Mondays) the weekly digests, then
queues itself for the next minute. Each run is safe to repeat: digests have one key a day
(or week), so a second run writes none."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app

from ramp import clock
from ramp.extensions import db
from ramp.jobs import jobs
from ramp.notifications.digests import run_daily, weekly_digests
from ramp.notifications.sending import send_due

TICK_SECONDS = 60


def tick(last_daily: str | None = None, progress=None) -> str:
    """One round: the daily (and on Mondays weekly) run once a day when its hour has come,
    then sending; `last_daily` is the day the daily run last ran, carried to the next round."""
    now = clock.now()
    hour = int(current_app.config.get("NOTIFY_DIGEST_HOUR", 7))
    done = []
    if now.hour >= hour and last_daily != now.date().isoformat():
        last_daily = now.date().isoformat()
        done.append(str(run_daily(now.date())))
        if now.weekday() == 0:
            done.append(f"{weekly_digests(now.date())} weekly digests")
        db.session.commit()
    done.append(str(send_due()))
    jobs.submit_at(
        now + timedelta(seconds=TICK_SECONDS),
        "notifications",
        "ramp.notifications.schedule.tick",
        last_daily,
    )
    return "; ".join(done)
