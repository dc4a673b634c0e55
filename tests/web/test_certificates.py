"""Certificates through the web: readiness on the board, issuing, downloads, verify, revoke, API."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from ramp.certificates.models import Certificate, ReadinessSignOff
from ramp.certificates.operations import issue_certificate
from ramp.certificates.status import decode_list, is_set
from ramp.metrics.api import create_token
from tests.conftest import csrf_token, finish_modules, login, make_app, make_ready

ROOT = Path(__file__).resolve().parents[2]
RAMP = "import sys; from ramp.cli import main; sys.exit(main())"  # as the console script


def committed(db, stmt):
    """Rows as another connection sees them: only what a view really committed."""
    with db.engine.connect() as conn:
        return conn.execute(stmt).all()


def _pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "c.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_hire_page_says_what_is_missing_then_signs_off_and_issues(client, ramp_world, db):
    hire = make_ready(ramp_world, ramp_world.hire(name="Dara Kim"), sign_off=False)
    other = ramp_world.hire(name="Eli Stone")
    hire_id = hire.id
    login(client, ramp_world.lead.email)
    page = client.get(f"/board/hires/{other.id}").get_data(as_text=True)
    assert (
        "Not ready yet. Still lacks:" in page and "module “Ticketing basics” not complete" in page
    )

    page = client.get(f"/board/hires/{hire_id}").get_data(as_text=True)
    assert "Sign off as ready" in page
    token = csrf_token(client, f"/board/hires/{hire_id}")
    response = client.post(f"/board/hires/{hire_id}/ready", data={"csrf_token": token})
    assert response.status_code == 303
    assert len(committed(db, select(ReadinessSignOff.id))) == 1

    response = client.post(
        f"/board/hires/{hire_id}/certificates", data={"csrf_token": token}, follow_redirects=True
    )
    page = response.get_data(as_text=True)
    [(code,)] = committed(db, select(Certificate.code))
    assert f"Issued certificate {code[:4]}-" in page
    assert "Certified" in page and "Signed off as ready" in page

    board = client.get("/board/").get_data(as_text=True)
    assert "Certified" in board and "Not ready: lacks" in board


def test_issuing_a_hire_who_is_not_ready_shows_what_is_missing(client, ramp_world, db):
    hire = ramp_world.hire(name="Fay Ng")
    login(client, ramp_world.lead.email)
    token = csrf_token(client, f"/board/hires/{hire.id}")
    response = client.post(f"/board/hires/{hire.id}/certificates", data={"csrf_token": token})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Fay Ng is not ready for a certificate; still missing:" in page
    assert "no manager has signed off that the hire is ready" in page
    assert committed(db, select(Certificate.id)) == []


def test_admin_override_needs_admin_and_is_recorded(client, ramp_world, db):
    hire = ramp_world.hire(name="Gus Park")
    login(client, ramp_world.admin.email)
    token = csrf_token(client, f"/board/hires/{hire.id}")
    page = client.get(f"/board/hires/{hire.id}").get_data(as_text=True)
    assert "Issue anyway (admin override)" in page
    response = client.post(
        f"/board/hires/{hire.id}/certificates",
        data={"csrf_token": token, "override_reason": "Tenured transfer from the phone team"},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert (
        "Issued certificate (override)" in page and "Tenured transfer from the phone team" in page
    )


def test_downloads_verify_and_revoke(app, client, ramp_world, db, tmp_path):
    hire = make_ready(ramp_world, ramp_world.hire(name="Hana Sato"))
    cert = issue_certificate(hire, ramp_world.lead, "http://localhost", organization="Acme")
    db.session.commit()
    cert_id = cert.id
    login(client, hire.user.email)
    my = client.get("/learn/ramp").get_data(as_text=True)
    assert "My certificates" in my and f"/certificates/{cert_id}.pdf" in my

    pdf = client.get(f"/certificates/{cert_id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = _pdf_text(pdf.data, tmp_path)
    assert "Hana Sato" in text and "REVOKED" not in text
    flat = re.sub(r"\s+", "", text)
    verify_url = re.search(r"http://localhost/verify/[0-9A-Z]{4}(?:-[0-9A-Z]{4}){3}", flat).group(0)

    credential = client.get(f"/certificates/{cert_id}.json")
    assert credential.headers["Content-Disposition"].endswith('.json"')
    doc = json.loads(credential.data)
    assert doc["status"] == "valid" and doc["verify"] == verify_url
    assert doc["credential"]["id"].startswith("urn:uuid:")
    assert doc["jwt"].count(".") == 2

    public = app.test_client()
    page = public.get(verify_url.removeprefix("http://localhost"))
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and ">Valid<" in body and "Hana Sato" in body
    assert hire.user.email not in body and "Ready: Mini ramp" in body


def test_manager_revokes_with_a_reason_and_everything_says_revoked(
    app, client, ramp_world, db, tmp_path
):
    hire = make_ready(ramp_world, ramp_world.hire(name="Jon Berg"))
    cert = issue_certificate(hire, ramp_world.lead, "http://localhost", organization="Acme")
    db.session.commit()
    cert_id, code, hire_id = cert.id, cert.code, hire.id
    login(client, ramp_world.lead.email)
    token = csrf_token(client, f"/board/hires/{hire_id}")
    refused = client.post(
        f"/board/hires/{hire_id}/certificates/{cert_id}/revoke",
        data={"csrf_token": token, "reason": ""},
    )
    assert refused.status_code == 422
    assert committed(db, select(Certificate.revoked_at)) == [(None,)]
    client.post(
        f"/board/hires/{hire_id}/certificates/{cert_id}/revoke",
        data={"csrf_token": token, "reason": "Left the company before starting"},
    )
    public = app.test_client()
    body = public.get(f"/verify/{code}").get_data(as_text=True)
    assert ">Revoked<" in body and "Left the company before starting" in body
    assert ">Valid<" not in body
    status = public.get("/certificates/status/revocation")
    assert status.headers["Cache-Control"] == "no-cache"
    listed = status.get_json()
    assert listed["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    bits = decode_list(listed["credentialSubject"]["encodedList"])
    [index] = [i for (i,) in committed(db, select(Certificate.status_index))]
    assert is_set(bits, index)
    assert code not in status.get_data(as_text=True) and "Jon Berg" not in status.get_data(
        as_text=True
    )
    signed = public.get("/certificates/status/revocation", headers={"Accept": "application/vc+jwt"})
    assert signed.mimetype == "application/vc+jwt" and signed.get_data(as_text=True).count(".") == 2
    assert public.get(f"/verify/{code}").headers["Cache-Control"] == "no-store"
    assert "REVOKED" in _pdf_text(client.get(f"/certificates/{cert_id}.pdf").data, tmp_path)
    assert client.get(f"/certificates/{cert_id}.json").get_json()["status"] == "revoked"
    history = client.get(f"/board/hires/{hire_id}").get_data(as_text=True)
    assert "Revoked certificate" in history and "Left the company before starting" in history


def test_unknown_mistyped_and_malformed_codes_reveal_nothing(client, ramp_world, db):
    cert = issue_certificate(make_ready(ramp_world, ramp_world.hire()), ramp_world.lead, "http://x")
    db.session.commit()
    wrong = cert.code[:-1] + ("A" if cert.code[-1] != "A" else "B")
    for path, message in (
        (f"/verify/{wrong}", f"No certificate has the code {wrong}"),
        ("/verify/0000-0000-0000-0000", "No certificate has the code"),
        ("/verify?code=hello", "is not a certificate code"),
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        body = response.get_data(as_text=True)
        assert message in body and cert.snapshot["agent"] not in body
    typed = client.get(f"/verify?code={cert.code.lower()}")
    assert typed.status_code == 303 and typed.headers["Location"].endswith(
        f"/verify/{cert.code[:4]}-{cert.code[4:8]}-{cert.code[8:12]}-{cert.code[12:]}"
    )


def test_verify_lookups_are_rate_limited(migrated, ramp_world):
    limited = make_app(migrated, RATELIMIT_ENABLED=True, VERIFY_RATE_LIMIT="3 per minute")
    client = limited.test_client()
    statuses = [client.get("/verify/0000-0000-0000-0000").status_code for _ in range(4)]
    assert statuses == [404, 404, 404, 429]


def test_issuer_documents_are_public_json(client, ramp_world, db):
    profile = client.get("/certificates/issuer").get_json()
    assert (
        profile["type"] == ["Profile"] and profile["id"] == "http://localhost/certificates/issuer"
    )
    keys = client.get("/certificates/jwks.json").get_json()["keys"]
    assert keys and all("d" not in k for k in keys)
    achievement = client.get("/certificates/achievements/mini-ramp").get_json()
    assert achievement["type"] == ["Achievement"] and achievement["name"] == "Ready: Mini ramp"
    assert client.get("/certificates/achievements/nope").status_code == 404


def test_cohort_batch_issues_and_shows_progress(app, client, ramp_world, db):
    app.config.update(JOBS_EAGER=True)
    ready = [make_ready(ramp_world, ramp_world.hire()).id for _ in range(2)]
    ramp_world.hire()
    login(client, ramp_world.lead.email)
    page = client.get("/board/certificates").get_data(as_text=True)
    assert "Issue 2 certificates" in page
    token = csrf_token(client, "/board/certificates")
    response = client.post(
        f"/board/cohorts/{ramp_world.cohort.id}/certificates",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    body = response.get_data(as_text=True)
    assert "Issued 2 certificates" in body and "of 2" in body
    assert {h for (h,) in committed(db, select(Certificate.hire_id))} == set(ready)
    again = client.post(
        f"/board/cohorts/{ramp_world.cohort.id}/certificates",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    assert "No hire in Wave A is ready for a certificate." in again.get_data(as_text=True)


def test_api_lists_and_fetches_certificates(client, ramp_world, db):
    hire = make_ready(ramp_world, ramp_world.hire(name="Ivo Petrov"))
    cert = issue_certificate(hire, ramp_world.lead, "http://localhost")
    _, secret = create_token("HRIS", ramp_world.admin, scopes=["certificates:read"])
    db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/certificates").status_code == 401
    listed = client.get("/api/v1/certificates?status=valid", headers=headers).get_json()
    assert [c["agent"] for c in listed["certificates"]] == ["Ivo Petrov"]
    assert client.get("/api/v1/certificates?status=revoked", headers=headers).get_json() == {
        "certificates": []
    }
    assert client.get("/api/v1/certificates?status=nope", headers=headers).status_code == 400
    one = client.get(f"/api/v1/certificates/{cert.code}", headers=headers).get_json()
    assert one["status"] == "valid" and one["evidence"]["agent"] == "Ivo Petrov"
    assert one["credential_jwt"] == cert.credential
    assert client.get("/api/v1/certificates/ZZZZ", headers=headers).status_code == 404
    assert one["issued_at"].endswith("+00:00") and one["verify_url"].startswith(
        "http://localhost/verify/"
    )
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/certificates/{code}" in spec["paths"]


def test_readiness_counts_on_the_overview(client, ramp_world, db):
    make_ready(ramp_world, ramp_world.hire(), sign_off=False)
    hire = ramp_world.hire()
    finish_modules(hire.enrollment)
    db.session.commit()
    login(client, ramp_world.lead.email)
    page = client.get("/board/certificates").get_data(as_text=True)
    row = re.search(
        r"Wave A</a></th>\s*<td>(\d+)</td><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>", page
    )
    assert row.groups() == ("2", "0", "1", "0")


def test_the_pdf_keeps_the_address_it_was_issued_under(app, client, ramp_world, db, tmp_path):
    hire = make_ready(ramp_world, ramp_world.hire(name="Kai Lund"))
    cert = issue_certificate(hire, ramp_world.lead, "https://ramp.acme.example")
    db.session.commit()
    cert_id = cert.id
    login(client, ramp_world.lead.email)
    app.config.update(TRUSTED_HOSTS=None, PUBLIC_URL=None)  # any Host is let through
    pdf = client.get(f"/certificates/{cert_id}.pdf", headers={"Host": "evil.example"})
    flat = re.sub(r"\s+", "", _pdf_text(pdf.data, tmp_path))
    assert "https://ramp.acme.example/verify/" in flat and "evil.example" not in flat


def test_behind_a_proxy_each_visitor_has_their_own_verify_limit(migrated, ramp_world):
    limited = make_app(
        migrated, RATELIMIT_ENABLED=True, VERIFY_RATE_LIMIT="2 per minute", PROXY_COUNT=1
    )
    client = limited.test_client()

    def lookup(visitor: str) -> int:
        headers = {"X-Forwarded-For": visitor}
        return client.get("/verify/0000-0000-0000-0000", headers=headers).status_code

    assert [lookup("203.0.113.7") for _ in range(3)] == [404, 404, 429]
    assert lookup("198.51.100.9") == 404


def test_the_cli_issues_lists_prints_and_revokes(app, runner, ramp_world, db, tmp_path):
    ready = make_ready(ramp_world, ramp_world.hire(name="Ines Moreau"))
    not_ready = ramp_world.hire(name="Olu Bello")
    agent, other, lead = ready.user.email, not_ready.user.email, ramp_world.lead.email
    db.session.commit()
    issue = ["certificates", "issue", agent, "--by", lead]

    result = runner.invoke(args=issue)  # no public address: the PDF could not print one
    assert result.exit_code == 1 and "set RAMP_PUBLIC_URL" in result.output
    app.config["PUBLIC_URL"] = "https://ramp.acme.example"
    result = runner.invoke(args=["certificates", "issue", other, "--by", lead])
    assert result.exit_code == 1 and "module “Ticketing basics” not complete" in result.output
    result = runner.invoke(
        args=["certificates", "issue", agent, "--by", ramp_world.other_lead.email]
    )
    assert result.exit_code == 1
    assert committed(db, select(Certificate.id)) == []

    result = runner.invoke(args=issue)
    assert result.exit_code == 0, result.output
    [(code,)] = committed(db, select(Certificate.code))
    shown = code[:4] + "-" + code[4:8] + "-" + code[8:12] + "-" + code[12:]
    assert f"issued {shown} to Ines Moreau" in result.output
    assert f"https://ramp.acme.example/verify/{shown}" in result.output

    listing = runner.invoke(args=["certificates", "list", "--status", "valid"]).output
    assert shown in listing and "valid" in listing and "Ines Moreau" in listing
    assert runner.invoke(args=["certificates", "list", "--email", other]).output == ""

    pdf = tmp_path / "ines.pdf"
    result = runner.invoke(args=["certificates", "pdf", shown.lower(), "-o", str(pdf)])
    assert result.exit_code == 0 and pdf.exists()
    text = re.sub(r"\s+", "", _pdf_text(pdf.read_bytes(), tmp_path))
    assert "InesMoreau" in text and f"https://ramp.acme.example/verify/{shown}" in text
    # The `ramp` command prints it too, from its own app, which has no web layer.
    printed = tmp_path / "ines-cli.pdf"
    subprocess.run(
        [sys.executable, "-c", RAMP, "certificates", "pdf", shown, "-o", str(printed)],
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": db.engine.url.render_as_string(False),
        },
        cwd=tmp_path,
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert re.sub(r"\s+", "", _pdf_text(printed.read_bytes(), tmp_path)) == text

    revoke = ["certificates", "revoke", shown, "--by", lead, "--reason", "Issued by mistake"]
    result = runner.invoke(args=revoke)
    assert result.exit_code == 0 and f"revoked {shown}" in result.output
    assert committed(db, select(Certificate.revocation_reason)) == [("Issued by mistake",)]
    assert "revoked" in runner.invoke(args=["certificates", "list", "--status", "revoked"]).output
    assert runner.invoke(args=["certificates", "list", "--status", "valid"]).output == ""
    result = runner.invoke(
        args=["certificates", "revoke", "ZZZZ-ZZZZ", "--by", lead, "--reason", "x"]
    )
    assert result.exit_code == 1 and "no certificate has the code ZZZZ-ZZZZ" in result.output
