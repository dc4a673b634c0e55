"""What a message says, in the recipient's language, and how each channel shows it.

A message is composed once from plain facts (compose), then shaped for its channel: an
e-mail with plain-text and HTML parts, a Slack Block Kit message, a Teams message with an
Adaptive Card 1.4 attachment. Links are absolute, on the configured base URL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

from flask import current_app
from flask_babel import force_locale, get_translations
from flask_babel import gettext as _

from ramp import formatting
from ramp.coaching.wording import reason

# Slack refuses more blocks than this in one message, and header text longer than 150.
SLACK_MAX_BLOCKS = 50
SLACK_HEADER_MAX = 150
SLACK_TEXT_MAX = 3000


@dataclass(frozen=True)
class Message:
    """One notification's words: a title, a few lines, and the page it points to."""

    event: str
    title: str
    lines: tuple[str, ...]
    link: str
    link_label: str
    context: str = ""
    facts: dict = field(default_factory=dict)


def status_word(status: str, gettext=None) -> str:
    """A milestone status as the board words it."""
    _ = gettext or globals()["_"]
    if status == "at_risk":
        return _("at risk")
    if status == "missed":
        return _("missed")
    if status == "achieved":
        return _("achieved")
    return status.replace("_", " ")


_TRANSLATORS: dict[int, tuple[object, object]] = {}


def _translator(translations):
    """gettext over one catalogue, each text looked up once (thousands of messages are
    composed in one evaluation: Flask-Babel's per-call lookup would cost more than the rest)."""
    key = id(translations)
    found = _TRANSLATORS.get(key)
    if found is not None and found[0] is translations:
        return found[1]
    seen: dict[str, str] = {}

    def gettext(text: str, **variables) -> str:
        translated = seen.get(text)
        if translated is None:
            translated = seen[text] = translations.ugettext(text)
        return translated % variables if variables else translated

    _TRANSLATORS[key] = (translations, gettext)
    return gettext


def compose(
    event: str,
    facts: dict,
    base_url: str,
    translations=None,
    locale: str | None = None,
    to_channel: bool = False,
) -> Message:
    """The message about one event: in the current locale, or in `locale` with its
    catalogue `translations` (see in_locale); worded for a team channel when `to_channel`
    (where a person's own message would say "you")."""
    _ = _translator(translations or get_translations())
    f = facts

    def format_date(value) -> str:
        return formatting.format_date(value, locale)

    def url(path: str) -> str:
        return base_url.rstrip("/") + path

    if event == "hire.status_changed":
        lines = [_("Cohort: %(cohort)s.", cohort=f["cohort"])]
        if f.get("next_milestone"):
            lines.append(
                _(
                    "Next milestone: %(milestone)s, due %(date)s.",
                    milestone=f["next_milestone"],
                    date=format_date(f.get("next_due")),
                )
            )
        return Message(
            event,
            _("%(name)s is now %(status)s", name=f["name"], status=status_word(f["new"], _)),
            tuple(lines),
            url(f"/board/hires/{f['hire_id']}"),
            _("Open the hire's page"),
            _("Was %(status)s", status=status_word(f["old"], _)) if f.get("old") else "",
            f,
        )
    if event == "milestone.achieved":
        return Message(
            event,
            _("%(name)s achieved “%(milestone)s”", name=f["name"], milestone=f["milestone"]),
            (_("Cohort: %(cohort)s.", cohort=f["cohort"]),),
            url(f"/board/hires/{f['hire_id']}"),
            _("Open the hire's page"),
            facts=f,
        )
    if event == "signoff.awaited":
        return Message(
            event,
            _(
                "%(name)s has waited %(days)s days for your sign-off on “%(milestone)s”",
                name=f["name"],
                days=f["days"],
                milestone=f["milestone"],
            ),
            (_("Cohort: %(cohort)s.", cohort=f["cohort"]),),
            url(f"/board/hires/{f['hire_id']}"),
            _("Open the hire's page"),
            facts=f,
        )
    if event in ("coaching.assigned", "coaching.overdue") and to_channel:
        # A team channel hears about the agent; the agent is told in the second person.
        title = (
            _("A refresher for %(name)s: %(title)s", name=f["name"], title=f["title"])
            if event == "coaching.assigned"
            else _("%(name)s's refresher “%(title)s” is overdue", name=f["name"], title=f["title"])
        )
        why = _("Why: %(reason)s.", reason=_coaching_reason(f))
    elif event in ("coaching.assigned", "coaching.overdue"):
        title = (
            _("A refresher for you: %(title)s", title=f["title"])
            if event == "coaching.assigned"
            else _("Your refresher “%(title)s” is overdue", title=f["title"])
        )
        why = _("Why: %(reason)s.", reason=_coaching_reason(f))
    if event in ("coaching.assigned", "coaching.overdue"):
        return Message(
            event,
            title,
            (why, _("Due %(date)s.", date=format_date(f["due_on"]))),
            url(f"/learn/refreshers/{f['assignment_id']}"),
            _("Open the refresher"),
            f["name"],
            f,
        )
    if event in ("certificate.issued", "certificate.revoked", "certificate.expiring"):
        if event == "certificate.issued":
            title = _("Your readiness certificate %(code)s is issued", code=f["code"])
            lines = (_("Valid until %(date)s.", date=format_date(f["expires_at"])),)
        elif event == "certificate.revoked":
            title = _("Readiness certificate %(code)s is revoked", code=f["code"])
            lines = (_("Reason: %(reason)s", reason=f.get("reason") or ""),)
        else:
            title = _(
                "Readiness certificate %(code)s of %(name)s expires on %(date)s",
                code=f["code"],
                name=f["name"],
                date=format_date(f["expires_at"]),
            )
            lines = (_("A renewal needs a fresh sign-off."),)
        return Message(
            event,
            title,
            lines,
            url(f"/verify/{f['code_raw']}"),
            _("Open the certificate"),
            f["name"],
            f,
        )
    if event in ("import.finished", "import.failed"):
        if event == "import.finished":
            title = _("Import of %(file)s finished", file=f["filename"])
            lines = (_("%(rows)s rows written.", rows=f.get("rows_written") or 0),)
        else:
            title = _("Import of %(file)s failed", file=f["filename"])
            lines = (_("Reason: %(reason)s", reason=(f.get("error") or "")[:500]),)
        return Message(
            event, title, lines, url("/admin/imports"), _("Open the imports page"), facts=f
        )
    raise ValueError(f"no message for {event}")


def in_locale(
    locale: str,
    event: str,
    facts: dict,
    base_url: str,
    translations=None,
    to_channel: bool = False,
) -> Message:
    """compose() in the given language (its catalogue, when the caller has it at hand)."""
    if translations is not None:
        return compose(event, facts, base_url, translations, locale, to_channel)
    with force_locale(locale):
        return compose(event, facts, base_url, to_channel=to_channel)


def catalogue(locale: str):
    """The translations of one language, for in_locale."""
    with force_locale(locale):
        return get_translations()


def to_payload(message: Message) -> dict:
    """What an e-mail keeps of its message, to be written out when it is sent."""
    return {
        "event": message.event,
        "title": message.title,
        "lines": list(message.lines),
        "link": message.link,
        "link_label": message.link_label,
        "context": message.context,
    }


def from_payload(payload: dict) -> Message:
    """The message an e-mail's payload keeps."""
    return Message(
        payload["event"],
        payload["title"],
        tuple(payload.get("lines") or ()),
        payload["link"],
        payload["link_label"],
        payload.get("context") or "",
    )


def email_parts(message: Message, locale: str) -> tuple[str, str, str]:
    """(subject, plain text, HTML) of an e-mail."""
    organization = current_app.config.get("ORGANIZATION_NAME", "ramp")
    with force_locale(locale):
        footer = _(
            "You receive this because of your notification settings in %(org)s.",
            org=organization,
        )
        text = "\n".join(
            [
                message.title,
                "",
                *message.lines,
                "",
                f"{message.link_label}: {message.link}",
                "",
                "-- ",
                footer,
            ]
        )
        html = current_app.jinja_env.get_template("notifications/email.html").render(
            message=message, lang=locale, footer=footer, organization=organization
        )
    return message.title[:300], text, html


def digest_email(
    title: str, sections: list[tuple[str, list[Message]]], locale: str, intro: str = ""
) -> tuple[str, str, str]:
    """(subject, plain text, HTML) of a digest: sections of messages, each with its link."""
    organization = current_app.config.get("ORGANIZATION_NAME", "ramp")
    with force_locale(locale):
        footer = _(
            "You receive this because of your notification settings in %(org)s.",
            org=organization,
        )
        lines = [title, ""]
        if intro:
            lines += [intro, ""]
        for heading, messages in sections:
            lines.append(heading)
            for m in messages:
                lines.append(f"- {m.title} ({m.link})")
            lines.append("")
        lines += ["-- ", footer]
        html = current_app.jinja_env.get_template("notifications/digest.html").render(
            title=title,
            intro=intro,
            sections=sections,
            lang=locale,
            footer=footer,
            organization=organization,
        )
    return title[:300], "\n".join(lines), html


def _plain(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def slack_blocks(message: Message) -> dict:
    """A Slack incoming-webhook message: header, section, context and a button to the page
    (Block Kit), with `text` as the notification's fallback."""
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": _plain(message.title, 150)}},
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": _plain("\n".join(_slack_escape(line) for line in message.lines), 3000),
            },
        },
    ]
    if message.context:
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {"type": "mrkdwn", "text": _plain(_slack_escape(message.context), 3000)}
                ],
            }
        )
    blocks.append(
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": _plain(message.link_label, 75)},
                    "url": message.link,
                    "action_id": "open",
                }
            ],
        }
    )
    return {"text": _plain(message.title, 3000), "blocks": blocks[:SLACK_MAX_BLOCKS]}


def _slack_escape(text: str) -> str:
    # Slack's mrkdwn reads &, < and > as markup; escaped, a name shows as typed.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def teams_card(message: Message) -> dict:
    """A Teams Workflows webhook message: one Adaptive Card 1.4 attachment."""
    body: list[dict] = [
        {
            "type": "TextBlock",
            "text": message.title,
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
        },
    ]
    body += [{"type": "TextBlock", "text": line, "wrap": True} for line in message.lines]
    if message.context:
        body.append({"type": "TextBlock", "text": message.context, "isSubtle": True, "wrap": True})
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": body,
                    "actions": [
                        {"type": "Action.OpenUrl", "title": message.link_label, "url": message.link}
                    ],
                },
            }
        ],
    }


def _coaching_reason(facts: dict) -> str:
    """The rule's condition in the reader's language ("Tone & Empathy below 60% on 3 of the
    last 4 evaluations"), as My ramp words it; messages queued before the condition was in
    their facts name the measure alone."""
    return reason(
        SimpleNamespace(
            condition=facts.get("condition") or {},
            measure_kind=facts.get("measure_kind"),
            measure_key=facts.get("measure_key"),
            measure_label=facts.get("measure") or "",
        )
    )
