"""Assignment and Grade Services: knowledge-check results posted as scores, with retries."""

from __future__ import annotations

import time
from datetime import datetime
from urllib.parse import quote, urlsplit, urlunsplit

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ramp.accounts.models import utcnow
from ramp.curricula.models import Attempt
from ramp.extensions import db
from ramp.lti import claims as c
from ramp.lti.errors import PlatformError
from ramp.lti.models import (
    LtiContext,
    LtiContextMember,
    LtiLineItem,
    LtiResourceLink,
    LtiScorePost,
)
from ramp.lti.services import publish_signing_key, service_call

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
        links = db.session.execute(
            select(LtiResourceLink).where(
                LtiResourceLink.context_id == context.id,
                LtiResourceLink.target.in_([module_target, f"curriculum:{slug}"]),
            )
        ).scalars().all()  # fmt: skip
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
            score_maximum=SCORE_MAXIMUM,
        )
        db.session.add(post)
        posts.append(post)
    db.session.flush()
    return posts


def send_scores(posts: list[LtiScorePost]) -> None:
    """Hand committed score posts to the background queue."""
    from ramp.jobs import jobs

    for post in posts:
        jobs.submit(f"grade passback {post.id}", "ramp.lti.grades.deliver", post.id)


def _line_item(context: LtiContext, post: LtiScorePost) -> str:
    """The URL of the course's line item for this check: found or made once, never twice."""
    known = db.session.execute(
        select(LtiLineItem).where(
            LtiLineItem.context_id == context.id, LtiLineItem.resource_id == post.resource_id
        )
    ).scalar_one_or_none()
    if known is not None:
        return known.url
    registration = context.registration
    scopes = [c.SCOPE_LINEITEM, c.SCOPE_SCORE]
    separator = "&" if "?" in context.lineitems_url else "?"

    found = service_call(
        registration, scopes, "GET",
        f"{context.lineitems_url}{separator}resource_id={quote(post.resource_id)}",
        headers={"Accept": c.MEDIA_LINEITEMS},
    ).json()  # fmt: skip
    items = (
        [i for i in found if isinstance(i, dict) and i.get("id")] if isinstance(found, list) else []
    )
    if items:
        url = items[0]["id"]
    else:
        made = service_call(
            registration, scopes, "POST", context.lineitems_url,
            body={"scoreMaximum": SCORE_MAXIMUM, "label": post.label,
                  "resourceId": post.resource_id, "tag": "ramp-knowledge-check"},
            content_type=c.MEDIA_LINEITEM, headers={"Accept": c.MEDIA_LINEITEM},
        ).json()  # fmt: skip
        if not isinstance(made, dict) or not made.get("id"):
            raise PlatformError("the platform made a line item but did not say its URL")
        url = made["id"]
    try:
        with db.session.begin_nested():
            db.session.add(
                LtiLineItem(
                    context_id=context.id, resource_id=post.resource_id, url=url, label=post.label
                )
            )
    except IntegrityError:
        pass  # another worker recorded it first; the platform's own check kept it single
    return url


def _post(post: LtiScorePost) -> None:
    context = db.session.get(LtiContext, post.context_id)
    if post.lineitem_url is None:
        post.lineitem_url = _line_item(context, post)
        db.session.commit()  # the line item is known now, whatever happens to the score
    lineitem = post.lineitem_url
    stamp: datetime = utcnow()
    service_call(
        context.registration, [c.SCOPE_SCORE, c.SCOPE_LINEITEM], "POST", scores_url(lineitem),
        body={
            "userId": post.subject, "scoreGiven": post.score_given,
            "scoreMaximum": post.score_maximum, "activityProgress": "Completed",
            "gradingProgress": "FullyGraded", "timestamp": stamp.isoformat(timespec="milliseconds"),
        },
        content_type=c.MEDIA_SCORE,
    )  # fmt: skip


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
            time.sleep(base * 2 ** (post.tries - 1))
            continue
        post.tries += 1
        post.status, post.sent_at, post.last_error = "sent", utcnow(), None
        post.updated_at = post.sent_at
        db.session.commit()
        return "sent"


def retry_failed() -> list[int]:
    """Put failed score posts back in the queue (after the platform is fixed)."""
    ids = list(
        db.session.execute(
            select(LtiScorePost.id).where(LtiScorePost.status.in_(["failed", "retrying"]))
        ).scalars()
    )
    for post in db.session.execute(select(LtiScorePost).where(LtiScorePost.id.in_(ids))).scalars():
        post.status, post.tries = "queued", 0
    db.session.flush()
    return ids


def passback_rows(hire_select) -> list:
    """Score posts of the hires in `hire_select` (a select of Hire), newest first."""
    from ramp.milestones.models import Hire

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
