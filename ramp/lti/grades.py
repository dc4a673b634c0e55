"""Assignment and Grade Services: knowledge-check results posted as scores, with retries."""

from __future__ import annotations

import time
from datetime import datetime
from urllib.parse import quote, urlsplit, urlunsplit

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ramp.accounts.models import utcnow
from ramp.curricula.models import Attempt
from ramp.extensions import db
from ramp.jobs import jobs
from ramp.lti import claims as c
from ramp.lti.errors import PlatformError
from ramp.lti.models import (
    LtiContext,
    LtiContextMember,
    LtiLineItem,
    LtiResourceLink,
    LtiScorePost,
)
from ramp.lti.registrations import platform_hosts
from ramp.lti.services import publish_signing_key, service_call
from ramp.metrics.records import utc
from ramp.milestones.models import Hire

SCORE_MAXIMUM = 100.0


def scores_url(lineitem_url: str) -> str:
    """The scores endpoint of a line item: its URL with /scores added to the path."""
    parts = urlsplit(lineitem_url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores"))


def queue_scores(attempt: Attempt) -> list[LtiScorePost]:
    """Score posts for an attempt, one per course the learner launched ramp from that grades it."""
    assessment = attempt.assessment
    module = assessment.module
    slug = module.version.curriculum.slug
    module_target = f"module:{slug}/{module.slug}"
    members = db.session.execute(
        select(LtiContextMember, LtiContext)
        .join(LtiContext, LtiContext.id == LtiContextMember.context_id)
        .where(
            LtiContextMember.user_id == attempt.enrollment.user_id,
            LtiContextMember.active.is_(True),
        )
    ).all()
    posts = []
    for member, context in members:
        links = (
            db.session.execute(
                select(LtiResourceLink).where(
                    LtiResourceLink.context_id == context.id,
                    LtiResourceLink.target.in_([module_target, f"curriculum:{slug}"]),
                )
            )
            .scalars()
            .all()
        )
        if not links:
            continue
        placed = next((li for li in links if li.target == module_target and li.lineitem_url), None)
        if placed is None and not (
            context.lineitems_url and c.SCOPE_LINEITEM in context.ags_scopes
        ):
            continue
        if c.SCOPE_SCORE not in context.ags_scopes:
            continue
        post = LtiScorePost(
            attempt_id=attempt.id,
            user_id=member.user_id,
            context_id=context.id,
            subject=member.subject,
            resource_id=module_target,
            label=assessment.title,
            lineitem_url=placed.lineitem_url if placed else None,
            score_given=float(attempt.score),
            submitted_at=attempt.submitted_at,
            score_maximum=SCORE_MAXIMUM,
        )
        db.session.add(post)
        posts.append(post)
    db.session.flush()
    return posts


def send_scores(posts: list[LtiScorePost]) -> None:
    """Hand committed score posts to the background queue."""
    for post in posts:
        jobs.submit(f"grade passback {post.id}", "ramp.lti.grades.deliver", post.id)


def _granted(context: LtiContext, *wanted: str) -> list[str]:
    """The first of `wanted` the course's AGS claim grants, as the scopes to ask a token for."""
    for scope in wanted:
        if scope in (context.ags_scopes or []):
            return [scope]
    raise PlatformError(
        f"the course does not grant ramp {' or '.join(wanted)} (Assignment and Grade Services)",
        403,
    )


def _platform_url(context: LtiContext, url, what: str) -> str:
    """A URL the platform answered with, if it is one ramp may call for this platform.

    A refusal is final (status 400): trying again would meet the same URL.
    """
    parts = urlsplit(url) if isinstance(url, str) and len(url) <= 1000 else None
    if parts is None or parts.scheme not in ("http", "https"):
        raise PlatformError(f"the platform named {what} that is not an http(s) URL", 400)
    if parts.netloc.lower() not in platform_hosts(context.registration):
        raise PlatformError(f"the platform named {what} on another host ({parts.netloc})", 400)
    return url


def _reserve_line_item(context: LtiContext, post: LtiScorePost) -> LtiLineItem | str:
    """The known line item URL, or a reserved (committed, URL-less) row this delivery fills.

    The reservation is made before asking the platform, so two deliveries for the same check
    never both create a column: the second one waits for the first (tries again later).
    """
    query = select(LtiLineItem).where(
        LtiLineItem.context_id == context.id, LtiLineItem.resource_id == post.resource_id
    )
    known = db.session.execute(query).scalar_one_or_none()
    if known is not None and known.url:
        return known.url
    if known is None:
        try:
            with db.session.begin_nested():
                known = LtiLineItem(
                    context_id=context.id, resource_id=post.resource_id, url="", label=post.label
                )
                db.session.add(known)
            db.session.commit()
            return known
        except IntegrityError:
            db.session.rollback()
    raise PlatformError("another delivery is making this check's gradebook column")


def _line_item(context: LtiContext, post: LtiScorePost) -> str:
    """The URL of the course's line item for this check: found or made once, never twice."""
    reserved = _reserve_line_item(context, post)
    if isinstance(reserved, str):
        return reserved
    registration = context.registration
    separator = "&" if "?" in context.lineitems_url else "?"
    try:
        found = service_call(
            registration,
            _granted(context, c.SCOPE_LINEITEM_READONLY, c.SCOPE_LINEITEM),
            "GET",
            f"{context.lineitems_url}{separator}resource_id={quote(post.resource_id)}",
            headers={"Accept": c.MEDIA_LINEITEMS},
        ).json()
        items = (
            [i for i in found if isinstance(i, dict) and i.get("id")]
            if isinstance(found, list)
            else []
        )
        if items:
            url = _platform_url(context, items[0]["id"], "a line item")
        else:
            made = service_call(
                registration,
                _granted(context, c.SCOPE_LINEITEM),
                "POST",
                context.lineitems_url,
                body={
                    "scoreMaximum": SCORE_MAXIMUM,
                    "label": post.label,
                    "resourceId": post.resource_id,
                    "tag": "ramp-knowledge-check",
                },
                content_type=c.MEDIA_LINEITEM,
                headers={"Accept": c.MEDIA_LINEITEM},
            ).json()
            if not isinstance(made, dict) or not made.get("id"):
                raise PlatformError("the platform made a line item but did not say its URL")
            url = _platform_url(context, made["id"], "the line item it made")
    except Exception:
        db.session.rollback()
        db.session.execute(delete(LtiLineItem).where(LtiLineItem.id == reserved.id))
        db.session.commit()  # free the reservation: the next try asks the platform again
        raise
    reserved.url = url
    return url


def score_timestamp(moment: datetime) -> str:
    """An ISO 8601 timestamp with milliseconds and the UTC offset, as AGS wants."""
    return utc(moment).isoformat(timespec="milliseconds")


def _forget_line_item(context: LtiContext, url: str) -> bool:
    """Forget a line item the platform no longer has (its column was deleted in the LMS).

    True when ramp can make a new one (the course grants line item management)."""
    db.session.execute(
        delete(LtiLineItem).where(LtiLineItem.context_id == context.id, LtiLineItem.url == url)
    )
    for link in db.session.execute(
        select(LtiResourceLink).where(
            LtiResourceLink.context_id == context.id, LtiResourceLink.lineitem_url == url
        )
    ).scalars():
        link.lineitem_url = None
    for waiting in db.session.execute(
        select(LtiScorePost).where(
            LtiScorePost.context_id == context.id,
            LtiScorePost.lineitem_url == url,
            LtiScorePost.status != "sent",
        )
    ).scalars():
        waiting.lineitem_url = None
    db.session.commit()
    return bool(context.lineitems_url) and c.SCOPE_LINEITEM in (context.ags_scopes or [])


def _post(post: LtiScorePost) -> None:
    context = db.session.get(LtiContext, post.context_id)
    if post.lineitem_url is None:
        post.lineitem_url = _line_item(context, post)
        db.session.commit()  # the line item is known now, whatever happens to the score
    try:
        _post_score(context, post)
    except PlatformError as exc:
        if exc.status != 404:
            raise
        # The column was deleted in the LMS: posting to it again would fail forever.
        if not _forget_line_item(context, post.lineitem_url):
            raise
        post.lineitem_url = _line_item(context, post)
        db.session.commit()
        _post_score(context, post)


def _post_score(context: LtiContext, post: LtiScorePost) -> None:
    service_call(
        context.registration,
        _granted(context, c.SCOPE_SCORE),
        "POST",
        scores_url(post.lineitem_url),
        body={
            "userId": post.subject,
            "scoreGiven": post.score_given,
            "scoreMaximum": post.score_maximum,
            "activityProgress": "Completed",
            "gradingProgress": "FullyGraded",
            "timestamp": score_timestamp(post.submitted_at or post.created_at),
        },
        content_type=c.MEDIA_SCORE,
    )


def retry_delay(tries: int, base: float) -> float:
    """Seconds to wait after the `tries`-th failed try: base, then doubled each time."""
    return base * 2 ** (tries - 1)


_sleep = time.sleep  # replaced in tests, to see the waits without waiting


def deliver(post_id: int, progress=None) -> str:
    """Post one score, trying again with exponential backoff while the platform fails."""
    tries = int(current_app.config.get("LTI_SCORE_TRIES", 5))
    base = float(current_app.config.get("LTI_RETRY_BASE_SECONDS", 2.0))
    publish_signing_key()
    while True:
        post = db.session.get(LtiScorePost, post_id)
        if post is None or post.status == "sent":
            return "nothing to send"
        try:
            _post(post)
        except PlatformError as exc:
            db.session.rollback()
            post = db.session.get(LtiScorePost, post_id)
            post.tries += 1
            post.last_error = str(exc)[:2000]
            post.updated_at = utcnow()
            give_up = not exc.retry or post.tries >= tries
            post.status = "failed" if give_up else "retrying"
            db.session.commit()
            if give_up:
                return "failed"
            _sleep(retry_delay(post.tries, base))
            continue
        post.tries += 1
        post.status, post.sent_at, post.last_error = "sent", utcnow(), None
        post.updated_at = post.sent_at
        db.session.commit()
        return "sent"


def retry_failed() -> list[int]:
    """Put failed score posts back in the queue (after the platform is fixed).

    Posts still retrying are left alone: their delivery is still running and would send twice.
    """
    ids = list(
        db.session.execute(select(LtiScorePost.id).where(LtiScorePost.status == "failed")).scalars()
    )
    for post in db.session.execute(select(LtiScorePost).where(LtiScorePost.id.in_(ids))).scalars():
        post.status, post.tries = "queued", 0
    db.session.flush()
    return ids


def passback_rows(hire_select) -> list:
    """Score posts of the hires in `hire_select` (a select of Hire), newest first."""
    hires = hire_select.subquery()
    return list(
        db.session.execute(
            select(LtiScorePost, Hire)
            .join(hires, hires.c.user_id == LtiScorePost.user_id)
            .join(Hire, Hire.id == hires.c.id)
            .order_by(LtiScorePost.created_at.desc(), LtiScorePost.id.desc())
            .limit(500)
        ).all()
    )
