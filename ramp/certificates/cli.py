"""Commands `ramp certificates ...`: readiness certificates listed, issued, revoked, printed."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ramp.accounts.cli import user_by_email
from ramp.certificates.codes import format_code
from ramp.certificates.models import Certificate
from ramp.certificates.operations import (
    certificate_status,
    find_certificate,
    issue_certificate,
    revoke_certificate,
)
from ramp.certificates.queries import listed, verify_url
from ramp.certificates.render import pdf_of
from ramp.cli_support import committing, fail, found, require_schema
from ramp.milestones.queries import hires_of_agent

certificates_group = click.Group(
    "certificates", help="Readiness certificates: list, issue, revoke, print."
)


def certificate_by_code(code: str) -> Certificate:
    """The certificate with this code, or exit 1 saying there is none."""
    return found(find_certificate(code), f"no certificate has the code {code}")


@certificates_group.command("list")
@click.option("--status", type=click.Choice(["valid", "expired", "revoked"]), help="Only these.")
@click.option("--email", help="Only this agent's.")
@with_appcontext
def list_certificates_command(status, email):
    """List certificates, newest first: code, status, agent, plan, issued and expiry dates."""
    require_schema()
    for cert in listed(status, email):
        snap = cert.snapshot
        click.echo(
            f"{format_code(cert.code)}  {certificate_status(cert):8} {snap['agent'][:30]:30} "
            f"{snap['template']['title'][:36]:36} issued {cert.issued_at:%Y-%m-%d}  "
            f"expires {cert.expires_at:%Y-%m-%d}"
        )


@certificates_group.command("issue")
@click.argument("email")
@click.option("--by", "by_email", required=True, help="E-mail of the manager or admin issuing.")
@click.option(
    "--override",
    "override_reason",
    help="Admins only: issue although not ready, for this reason (recorded).",
)
@with_appcontext
def issue_certificate_command(email, by_email, override_reason):
    """Issue a readiness certificate to the agent's current hire (needs RAMP_PUBLIC_URL)."""
    require_schema()
    base_url = current_app.config.get("PUBLIC_URL")
    if not base_url:
        fail("set RAMP_PUBLIC_URL to the address people reach ramp at: the certificate prints it")
    agent, actor = user_by_email(email), user_by_email(by_email)
    hire = found(
        next((h for h in hires_of_agent(agent.id) if h.active), None),
        f"{agent.email} has no active hire to certify",
    )
    with committing():
        cert = issue_certificate(
            hire,
            actor,
            base_url,
            organization=current_app.config["ORGANIZATION_NAME"],
            override_reason=override_reason,
        )
    click.echo(f"issued {format_code(cert.code)} to {agent.name}; verify at {verify_url(cert)}")


@certificates_group.command("revoke")
@click.argument("code")
@click.option("--by", "by_email", required=True, help="E-mail of the manager or admin revoking.")
@click.option("--reason", required=True, help="Why (shown on the verify page).")
@with_appcontext
def revoke_certificate_command(code, by_email, reason):
    """Revoke a certificate by its code; its verify page then says so, with the reason."""
    require_schema()
    cert, actor = certificate_by_code(code), user_by_email(by_email)
    with committing():
        revoke_certificate(cert, actor, reason)
    click.echo(f"revoked {format_code(cert.code)}: {reason}")


@certificates_group.command("pdf")
@click.argument("code")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="Where to write it (default: certificate-CODE.pdf here).",
)
@with_appcontext
def certificate_pdf_command(code, output):
    """Write a certificate's PDF, as its holder downloads it."""
    require_schema()
    cert = certificate_by_code(code)
    path = Path(output or f"certificate-{format_code(cert.code)}.pdf")
    path.write_bytes(pdf_of(current_app, cert, current_app.config.get("PUBLIC_URL") or ""))
    click.echo(f"wrote {path}")
