"""Changing what users hear and where teams hear it (flush, never commit)."""

from __future__ import annotations

import secrets

from flask_babel import gettext as _
from sqlalchemy import select

from ramp import clock
from ramp.accounts.models import Team, User
from ramp.audit.operations import record
from ramp.errors import ValidationError
from ramp.extensions import db
from ramp.notifications import kinds, skill_hook
from ramp.notifications.channels import mask, webhook_problem
from ramp.notifications.models import KINDS, SLACK, TEAMS, NotificationPreference, TeamChannel
from ramp.skills.models import SkillWebhook

CHANNEL_KINDS = (SLACK, TEAMS)


def preferences_of(user: User) -> dict[str, str]:
    """Each event kind the user can hear about, and how (their choice or the default)."""
    saved = dict(
        db.session.execute(
            select(NotificationPreference.event, NotificationPreference.choice).where(
                NotificationPreference.user_id == user.id
            )
        ).all()
    )
    return {k.event: saved.get(k.event, k.default) for k in kinds.kinds_for(user.role.value)}


def save_preferences(user: User, chosen: dict[str, str]) -> dict[str, str]:
    """Save the user's choices; refused whole, naming the problem, when one is not a choice."""
    allowed = {k.event for k in kinds.kinds_for(user.role.value)}
    problems = []
    for event, choice in chosen.items():
        if event not in allowed:
            problems.append(_("There is no notification called “%(name)s”.", name=event[:80]))
        elif choice not in kinds.CHOICES:
            problems.append(
                _(
                    "“%(value)s” is not a choice for “%(kind)s”: choose at once, in the daily "
                    "digest, or off.",
                    value=str(choice)[:80],
                    kind=kinds.KINDS[event].label,
                )
            )
    if problems:
        raise ValidationError(problems)
    existing = {
        p.event: p
        for p in db.session.execute(
            select(NotificationPreference).where(NotificationPreference.user_id == user.id)
        ).scalars()
    }
    for event, choice in chosen.items():
        if event in existing:
            existing[event].choice = choice
        else:
            db.session.add(NotificationPreference(user_id=user.id, event=event, choice=choice))
    db.session.flush()
    return preferences_of(user)


def channels_of(team: Team) -> dict[str, TeamChannel]:
    """The team's webhooks by kind (slack, teams)."""
    return {
        c.kind: c
        for c in db.session.execute(
            select(TeamChannel).where(TeamChannel.team_id == team.id)
        ).scalars()
    }


def save_channel(team: Team, kind: str, url: str | None, actor: User) -> TeamChannel | None:
    """Set, keep or remove a team's Slack or Teams webhook (audited; the URL never is).

    An empty URL keeps the saved one (pages never show it back); `remove` is separate."""
    if kind not in CHANNEL_KINDS:
        raise ValidationError(_("Choose Slack or Teams."))
    url = (url or "").strip()
    current = channels_of(team).get(kind)
    if not url:
        return current
    if any(ch.isspace() for ch in url) or "\x00" in url:
        raise ValidationError(_("A webhook URL has no spaces."))
    if problem := webhook_problem(url):
        raise ValidationError(
            _("ramp will not post to that webhook URL: %(problem)s.", problem=problem)
        )
    if current is None:
        current = TeamChannel(team_id=team.id, kind=kind, url=url, events=[])
        db.session.add(current)
    else:
        current.url = url
    current.updated_by_id = actor.id
    db.session.flush()
    record(actor, "set_webhook", f"team:{team.id}", kind=kind, url=mask(url))
    return current


def save_channels(team: Team, urls: dict[str, str], actor: User) -> dict[str, TeamChannel]:
    """Save several of a team's webhooks at once: all of them, or none with every problem."""
    problems = []
    for kind, url in urls.items():
        try:
            with db.session.begin_nested():
                save_channel(team, kind, url, actor)
        except ValidationError as exc:
            problems += [f"{kind.title()}: {p}" for p in exc.problems]
    if problems:
        raise ValidationError(problems)
    return channels_of(team)


def remove_channel(team: Team, kind: str, actor: User) -> None:
    """Remove a team's webhook (its queued messages go with it)."""
    current = channels_of(team).get(kind)
    if current is None:
        raise ValidationError(_("This team has no such webhook."))
    db.session.delete(current)
    db.session.flush()
    record(actor, "remove_webhook", f"team:{team.id}", kind=kind)


def valid_kind(kind: str) -> bool:
    """Whether `kind` is an outbox message kind."""
    return kind in KINDS


# The skills webhook ------------------------------------------------------------------------

SECRET_MIN, SECRET_MAX = 16, 200


def save_skills_webhook(
    url: str | None, secret: str | None, actor: User
) -> tuple[SkillWebhook, str | None]:
    """Set the skills webhook's URL and signing secret (audited; neither is recorded).

    An empty URL or secret keeps the saved one (pages never show them back); with no secret
    saved and none given, ramp makes one, returned here to be shown once."""
    url, secret = (url or "").strip(), (secret or "").strip()
    current = skill_hook.current_webhook(db.session)
    problems = []
    if not url and current is None:
        problems.append(_("Give the URL ramp posts skill changes to."))
    elif url and (any(ch.isspace() for ch in url) or "\x00" in url):
        problems.append(_("A webhook URL has no spaces."))
    elif url and (problem := webhook_problem(url)):
        problems.append(_("ramp will not post to that webhook URL: %(problem)s.", problem=problem))
    if secret and not (SECRET_MIN <= len(secret) <= SECRET_MAX and secret.isprintable()):
        problems.append(
            _(
                "The secret must be %(min)s to %(max)s printable characters; leave it empty "
                "and ramp makes one.",
                min=SECRET_MIN,
                max=SECRET_MAX,
            )
        )
    if problems:
        raise ValidationError(problems)
    made = None
    if not secret and current is None:
        secret = made = secrets.token_urlsafe(32)
    if current is None:
        current = SkillWebhook(url=url, secret=secret)
        db.session.add(current)
    else:
        current.url = url or current.url
        current.secret = secret or current.secret
    current.updated_by_id = actor.id
    current.updated_at = clock.now()
    db.session.flush()
    record(actor, "set_skills_webhook", "skills-webhook", url=mask(current.url))
    return current, made


def remove_skills_webhook(actor: User) -> None:
    """Remove the skills webhook (changes are kept; none is posted until one is set again)."""
    current = skill_hook.current_webhook(db.session)
    if current is None:
        raise ValidationError(_("No skills webhook is set."))
    db.session.delete(current)
    db.session.flush()
    record(actor, "remove_skills_webhook", "skills-webhook")
