"""Verify a certificate by its code; serve the issuer profile, achievements, keys and
revocation list a credential points to; let the holder and their managers download it."""

from __future__ import annotations

import json

from flask import Response, current_app, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ramp.blueprints.verify.blueprint import bp
from ramp.certificates import queries
from ramp.certificates.codes import format_code, normalize_code
from ramp.certificates.credential import (
    achievement,
    issuer_profile,
    sign_credential,
    status_list_credential,
)
from ramp.certificates.render import pdf_of
from ramp.certificates.status import encode_list
from ramp.errors import NotFound
from ramp.extensions import db
from ramp.keys.operations import find_key, jwks
from ramp.webkit import limiter, public_base_url, render


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
        body, status, headers = render(
            "verify/form.html", status=404, typed=code, problem="unknown"
        )
    else:
        body, status, headers = render("verify/certificate.html", view=view)
    # The answer changes when a certificate is revoked or expires: never from a cache.
    return body, status, {**headers, "Cache-Control": "no-store"}


@bp.get("/certificates/issuer")
def issuer():
    """The issuer's Open Badges profile."""
    return jsonify(issuer_profile(public_base_url(), current_app.config["ORGANIZATION_NAME"]))


@bp.get("/certificates/achievements/<slug>")
def achievement_document(slug: str):
    """The achievement a ramp template's certificates stand for."""
    template = queries.template_of_achievement(slug)
    if template is None:
        raise NotFound(_("There is no such achievement."))
    return jsonify(achievement(public_base_url(), template, None))


@bp.get("/certificates/jwks.json")
def issuer_keys():
    """The public keys that sign the credentials, as a JWK set."""
    keys = jwks("credentials")
    db.session.commit()  # the first key is made on first use
    return jsonify(keys)


@bp.get("/certificates/keys/<kid>")
def issuer_key(kid: str):
    """One credential-signing key by thumbprint (a credential's ``kid``), retired ones too."""
    key = find_key("credentials", kid)
    if key is None:
        raise NotFound(_("There is no such key."))
    return jsonify(key.public_jwk)


@bp.get("/certificates/status/revocation")
def status_list():
    """The revocation status list: a signed BitstringStatusListCredential (JSON or VC-JWT)."""
    credential = status_list_credential(
        public_base_url(),
        current_app.config["ORGANIZATION_NAME"],
        encode_list(queries.revoked_indexes()),
    )
    headers = {"Cache-Control": "no-cache", "Vary": "Accept"}
    if request.accept_mimetypes.best_match(["application/json", "application/vc+jwt"]) == (
        "application/vc+jwt"
    ):
        token = sign_credential(credential, public_base_url())
        db.session.commit()  # the first key is made on first use
        return Response(token, mimetype="application/vc+jwt", headers=headers)
    return jsonify(credential), 200, headers


@bp.get("/certificates/<int:cert_id>.<any(pdf, json):fmt>")
@login_required
def download(cert_id: int, fmt: str):
    """The certificate as PDF or its Open Badges credential as JSON, for its holder or managers."""
    cert = queries.downloadable(current_user, cert_id)
    if cert is None:
        raise NotFound(_("There is no such certificate among yours or your teams'."))
    name = f"certificate-{format_code(cert.code)}"
    if fmt == "json":
        body = json.dumps(queries.credential_document(cert), indent=2)
        return Response(
            body,
            mimetype="application/json",
            headers={"Content-Disposition": f'attachment; filename="{name}.json"'},
        )
    # The address it was issued under; only older certificates need ramp's own.
    pdf = pdf_of(current_app, cert, (cert.snapshot or {}).get("base_url") or public_base_url())
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}.pdf"'},
    )
