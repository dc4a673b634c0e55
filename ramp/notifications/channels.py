"""Sending one message: e-mail over SMTP, a JSON document to a Slack or Teams webhook.

Each raises Undeliverable: `retry` False when trying again cannot help (an SMTP 5xx such as
550, a webhook's 4xx, a URL ramp refuses to call), True for what may pass (a timeout, a
refused connection, an SMTP 4xx, a webhook's 5xx or 429).
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from urllib.parse import urlsplit

from flask import current_app

from ramp.errors import RampError
from ramp.lti.errors import PlatformError
from ramp.lti.http import check_url, post_json


class Undeliverable(RampError):
    """A message that could not be delivered, and whether trying again may help."""

    def __init__(self, reason: str, retry: bool):
        self.reason, self.retry = reason, retry
        super().__init__(reason)


def _config(name: str, default=None):
    return current_app.config.get(name, default)


def send_email(to: str, subject: str, text: str, html: str | None, locale: str) -> None:
    """Send one e-mail (plain text and HTML) through the configured SMTP server."""
    host = _config("SMTP_HOST")
    if not host:
        raise Undeliverable("no SMTP server is configured (RAMP_SMTP_HOST)", retry=False)
    mail = EmailMessage()
    mail["Subject"] = subject
    mail["From"] = formataddr((_config("ORGANIZATION_NAME", "ramp"), _config("SMTP_FROM")))
    mail["To"] = to
    mail["Message-ID"] = make_msgid(
        domain=(_config("SMTP_FROM") or "ramp@localhost").split("@")[-1]
    )
    mail.set_content(text)
    if html:
        mail.add_alternative(html, subtype="html")
    # After the content: setting it replaces the Content-* headers.
    mail["Content-Language"] = locale
    port = int(_config("SMTP_PORT", 25))
    timeout = float(_config("NOTIFY_TIMEOUT_SECONDS", 10))
    security = _config("SMTP_SECURITY", "starttls")  # none, starttls or ssl
    try:
        if security == "ssl":
            server = smtplib.SMTP_SSL(
                host, port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            server = smtplib.SMTP(host, port, timeout=timeout)
        with server:
            if security == "starttls":
                server.starttls(context=ssl.create_default_context())
            if _config("SMTP_USER"):
                server.login(_config("SMTP_USER"), _config("SMTP_PASSWORD") or "")
            server.send_message(mail)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _msg in exc.recipients.values()]
        detail = "; ".join(f"{code} {_text(msg)}" for code, msg in exc.recipients.values())
        raise Undeliverable(
            f"the mail server refused the recipient: {detail}",
            retry=not all(code >= 500 for code in codes),
        ) from None
    except smtplib.SMTPResponseException as exc:
        raise Undeliverable(
            f"the mail server answered {exc.smtp_code} {_text(exc.smtp_error)}",
            retry=exc.smtp_code < 500,
        ) from None
    except smtplib.SMTPNotSupportedError as exc:
        raise Undeliverable(f"the mail server does not support {exc}", retry=False) from None
    except TimeoutError:
        raise Undeliverable(
            f"the mail server {host}:{port} did not answer within {timeout:g} s", retry=True
        ) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise Undeliverable(
            f"the mail server {host}:{port} could not be reached: {exc or exc.__class__.__name__}",
            retry=True,
        ) from None


def _text(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def webhook_allowances() -> tuple[bool, bool]:
    """(plain http allowed, private addresses allowed) for webhooks: https only, public
    addresses only, outside development and tests unless configured."""
    relaxed = current_app.debug or current_app.testing
    return (
        relaxed or bool(_config("NOTIFY_ALLOW_HTTP")),
        relaxed or bool(_config("NOTIFY_ALLOW_PRIVATE_URLS")),
    )


def webhook_problem(url: str) -> str | None:
    """Why ramp will not post to this webhook URL, or None."""
    if len(url) > 1000:
        return "the URL is longer than 1,000 characters"
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        return "not an https URL"
    try:
        check_url(url, webhook_allowances())
    except PlatformError as exc:
        return str(exc)
    return None


def post_webhook(
    url: str, payload: dict, data: bytes | None = None, headers: dict | None = None
) -> None:
    """Post a message to a Slack or Teams webhook (or, with `data` already encoded and the
    `headers` that sign it, to the skills webhook)."""
    if problem := webhook_problem(url):
        raise Undeliverable(f"ramp does not call this webhook: {problem}", retry=False)
    allow_http, allow_private = webhook_allowances()
    try:
        post_json(
            url,
            payload,
            allow_http=allow_http,
            allow_private=allow_private,
            timeout=float(_config("NOTIFY_TIMEOUT_SECONDS", 10)),
            data=data,
            headers=headers,
        )
    except PlatformError as exc:
        raise Undeliverable(_masked(str(exc), url), retry=exc.retry) from None


def _masked(text: str, url: str) -> str:
    # A webhook URL is a secret: reasons shown to admins never repeat it whole.
    return text.replace(url, mask(url))


def mask(url: str) -> str:
    """A webhook URL as pages show it: scheme, host, and the last four characters."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/…{url[-4:]}" if parts.netloc else "…"
