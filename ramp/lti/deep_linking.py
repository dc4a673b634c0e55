"""Deep Linking 2.0: an instructor picks what to place in a course; ramp answers signed items."""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass

from sqlalchemy import select

from ramp.accounts.models import User, utcnow
from ramp.curricula import queries as curricula_queries
from ramp.errors import NotAllowed, NotFound, ValidationError
from ramp.extensions import db
from ramp.keys.operations import sign
from ramp.lti import claims as c
from ramp.lti.launch import Launch
from ramp.lti.models import LtiDeepLink


@dataclass(frozen=True)
class Choice:
    """One thing that can be placed in a course."""

    target: str
    title: str
    text: str
    graded: bool
    group: str


def begin(launch: Launch, user: User) -> LtiDeepLink:
    """Keep a deep-linking request for the instructor's choice; learners may not place content."""
    if not (user.is_manager or user.is_admin):
        raise NotAllowed("Only instructors and administrators can place ramp content in a course.")
    request = LtiDeepLink(
        token=secrets.token_urlsafe(24),
        registration_id=launch.registration.id,
        deployment_id=launch.deployment_id,
        user_id=user.id,
        settings=dict(launch.claims[c.DL_SETTINGS]),
    )
    db.session.add(request)
    db.session.flush()
    return request


def pending(token: str, user: User) -> LtiDeepLink:
    """An unanswered deep-linking request of this user."""
    request = db.session.execute(
        select(LtiDeepLink).where(LtiDeepLink.token == token)
    ).scalar_one_or_none()
    if request is None or request.user_id != user.id:
        raise NotFound("There is no such placement request.")
    if request.answered_at is not None:
        raise NotAllowed(
            "This placement request was already answered; start it again in the course."
        )
    return request


def choices() -> list[Choice]:
    """The board, My ramp, every curriculum (latest version) and each of its modules."""
    found = [
        Choice(
            "board", "Ramp board", "Every hire of the course's cohort at a glance.", False, "Pages"
        ),
        Choice(
            "ramp",
            "My ramp",
            "The learner's own ramp plan, milestones and targets.",
            False,
            "Pages",
        ),
    ]
    latest = {}
    for version in curricula_queries.list_versions():
        latest[version.curriculum.slug] = version
    for slug, version in sorted(latest.items()):
        found.append(
            Choice(
                f"curriculum:{slug}", version.title, version.description or "", False, version.title
            )
        )
        # A published version never changes: its modules come from the process's copy.
        for module in curricula_queries.version_content(version).modules:
            found.append(
                Choice(
                    f"module:{slug}/{module.slug}",
                    module.title,
                    module.summary or "",
                    module.assessment is not None,
                    version.title,
                )
            )
    return found


def respond(request: LtiDeepLink, targets: list[str], launch_url: str) -> tuple[str, str]:
    """The signed LtiDeepLinkingResponse for the chosen targets, and where to post it."""
    settings = request.settings
    available = {ch.target: ch for ch in choices()}
    picked = [available[t] for t in dict.fromkeys(targets) if t in available]
    unknown = [t for t in targets if t not in available]
    if unknown:
        raise ValidationError(f"unknown content: {', '.join(unknown)}")
    accept = settings.get("accept_types") or ["ltiResourceLink"]
    if "ltiResourceLink" not in accept:
        raise ValidationError("the course does not accept LTI links here")
    if len(picked) > 1 and settings.get("accept_multiple") is False:
        raise ValidationError("the course accepts only one item here; choose one")
    items = []
    for choice in picked:
        item = {
            "type": "ltiResourceLink",
            "title": choice.title,
            "text": choice.text,
            "url": launch_url,
            "custom": {"ramp_target": choice.target},
        }
        if choice.graded and settings.get("accept_lineitem", True) is not False:
            item["lineItem"] = {
                "scoreMaximum": 100,
                "label": choice.title,
                "resourceId": choice.target,
                "tag": "ramp-knowledge-check",
            }
        items.append(item)
    now = int(time.time())
    claims = {
        "iss": request.registration.client_id,
        "aud": [request.registration.issuer],
        "iat": now,
        "exp": now + 600,
        "nonce": uuid.uuid4().hex,
        c.MESSAGE_TYPE: c.DEEP_LINKING_RESPONSE,
        c.VERSION: c.LTI_VERSION,
        c.DEPLOYMENT_ID: request.deployment_id,
        c.DL_CONTENT_ITEMS: items,
    }
    if settings.get("data") is not None:
        claims[c.DL_DATA] = settings["data"]
    if not items:
        claims[c.DL_MSG] = "Nothing was placed."
    request.answered_at = utcnow()
    db.session.flush()
    return sign("lti", claims), settings["deep_link_return_url"]
