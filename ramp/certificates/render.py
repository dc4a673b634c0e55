"""The certificate as a printable A4 landscape PDF: plain values into a template, then WeasyPrint."""

from __future__ import annotations

import base64
import mimetypes
from functools import lru_cache
from pathlib import Path

import segno
from jinja2 import Environment

from ramp.certificates.codes import format_code
from ramp.certificates.credential import urls
from ramp.certificates.operations import certificate_status
from ramp.certificates.queries import base_url_of
from ramp.formatting import current_locale, format_date
from ramp.pdf import render_pdf

LOGO_TYPES = {"image/png", "image/svg+xml", "image/jpeg"}
LOGO_MAX_BYTES = 1_000_000


def qr_data_uri(url: str) -> str:
    """A QR code of `url` as an SVG data URI (medium error correction, quiet zone kept)."""
    return segno.make(url, error="m").svg_data_uri(scale=4, dark="#1f2933")


@lru_cache(maxsize=4)
def logo_data_uri(path: str | None) -> str | None:
    """The configured organization logo, inlined; refused unless a small PNG, SVG or JPEG."""
    if not path:
        return None
    file = Path(path)
    mime = mimetypes.guess_type(file.name)[0]
    if mime not in LOGO_TYPES:
        raise ValueError(f"the organization logo must be PNG, SVG or JPEG, not {file.name}")
    data = file.read_bytes()
    if len(data) > LOGO_MAX_BYTES:
        raise ValueError(f"the organization logo {file.name} is over 1 MB")
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def certificate_values(cert, status: str, base_url: str, logo: str | None) -> dict:
    """Everything the certificate page shows, as plain values; dates in the reader's locale
    (the template's words are translated when it renders)."""
    snap = cert.snapshot
    verify_url = urls(base_url, cert.code)["verify"]
    return {
        "agent": snap["agent"],
        "organization": snap["organization"],
        "template": snap["template"],
        "curriculum": snap["curriculum"],
        "placement": snap["placement"],
        "cohort": snap["cohort"],
        "issued_by": snap["issued_by"],
        "signed_off_by": snap["signed_off_by"],
        "issued_on": format_date(cert.issued_at),
        "expires_on": format_date(cert.expires_at),
        "code": format_code(cert.code),
        "verify_url": verify_url,
        "qr": qr_data_uri(verify_url),
        "logo": logo,
        "status": status,
        "revoked_on": format_date(cert.revoked_at) if cert.revoked_at else None,
        "lang": str(current_locale()),
    }


def certificate_html(env: Environment, values: dict) -> str:
    """The certificate page as HTML."""
    return env.get_template("certificates/certificate.html").render(**values)


def certificate_pdf(env: Environment, static_folder: str, values: dict) -> bytes:
    """The certificate as PDF bytes; only the app's static files (fonts, CSS) are read."""
    return render_pdf(certificate_html(env, values), static_folder)


def pdf_of(app, cert, fallback_base_url: str) -> bytes:
    """The certificate's PDF as ramp serves it: its status now, the address it was issued
    under (fallback_base_url for certificates older than that record), the configured logo."""
    values = certificate_values(
        cert,
        certificate_status(cert),
        base_url_of(cert, fallback_base_url),
        logo_data_uri(app.config["ORGANIZATION_LOGO"]),
    )
    return certificate_pdf(app.jinja_env, app.static_folder, values)
