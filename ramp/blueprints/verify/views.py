"""Verify a certificate by its code; serve the issuer profile, achievements, keys and
revocation list a credential points to; let the holder and their managers download it."""

from __future__ import annotations

import json

from flask import Response, current_app, jsonify, redirect, request, url_for
from flask_login import current_user, login_required

from ramp.blueprints.verify import bp
from ramp.certificates import queries
from ramp.certificates.codes import format_code, normalize_code
from ramp.certificates.credential import achievement, issuer_profile
from ramp.certificates.render import certificate_pdf, certificate_values, logo_data_uri
from ramp.errors import NotFound
from ramp.extensions import limiter
from ramp.keys.operations import jwks
from ramp.web import public_base_url, render


def _verify_limit() -> str:
    return current_app.config["VERIFY_RATE_LIMIT"]


@bp.get("/verify")
@limiter.limit(_verify_limit)
def verify_form():
    """A form to type a code; with ?code= it goes to that code's page."""
    typed = (request.args.get("code") or "").strip()
    if typed:
        code = normalize_code(typed)
        if code is not None:
            return redirect(url_for("verify.certificate", code=format_code(code)), 303)
        return render("verify/form.html", status=404, typed=typed, problem="malformed")
    return render("verify/form.html", typed="", problem=None)


@bp.get("/verify/<code>")
@limiter.limit(_verify_limit)
def certificate(code: str):
    """What the certificate with this code says now: valid, expired or revoked."""
    view = queries.verification(code)
    if view is None:
        return render("verify/form.html", status=404, typed=code, problem="unknown")
    return render("verify/certificate.html", view=view)


@bp.get("/certificates/issuer")
def issuer():
    """The issuer's Open Badges profile."""
    return jsonify(issuer_profile(public_base_url(), current_app.config["ORGANIZATION_NAME"]))


@bp.get("/certificates/achievements/<slug>")
def achievement_document(slug: str):
    """The achievement a ramp template's certificates stand for."""
    template = queries.template_of_achievement(slug)
    if template is None:
        raise NotFound("There is no such achievement.")
    return jsonify(achievement(public_base_url(), template, None))


@bp.get("/certificates/jwks.json")
def issuer_keys():
    """The public keys that sign the credentials, as a JWK set."""
    keys = jwks("credentials")
    from ramp.extensions import db

    db.session.commit()  # the first key is made on first use
    return jsonify(keys)


@bp.get("/certificates/revocations")
def revocations():
    """Every revoked credential, with when and why (the credentials' status list)."""
    return jsonify(queries.revocation_list(public_base_url()))


@bp.get("/certificates/<int:cert_id>.<any(pdf, json):fmt>")
@login_required
def download(cert_id: int, fmt: str):
    """The certificate as PDF or its Open Badges credential as JSON, for its holder or managers."""
    cert = queries.downloadable(current_user, cert_id)
    if cert is None:
        raise NotFound("There is no such certificate among yours or your teams'.")
    status = queries.status_of(cert)
    name = f"certificate-{format_code(cert.code)}"
    if fmt == "json":
        body = json.dumps(queries.credential_document(cert, status), indent=2)
        return Response(
            body,
            mimetype="application/json",
            headers={"Content-Disposition": f'attachment; filename="{name}.json"'},
        )
    values = certificate_values(
        cert, status, public_base_url(), logo_data_uri(current_app.config["ORGANIZATION_LOGO"])
    )
    pdf = certificate_pdf(current_app.jinja_env, current_app.static_folder, values)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}.pdf"'},
    )
