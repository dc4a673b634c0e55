"""Readiness, issuing, revocation, recertification and lookup of certificates."""

import re
import subprocess
from datetime import timedelta

import pytest
from joserfc import jws as jose_jws
from joserfc import jwt as jose_jwt
from joserfc.jwk import RSAKey

from ramp.accounts.models import utcnow
from ramp.certificates.codes import format_code, normalize_code
from ramp.certificates.models import Certificate
from ramp.certificates.operations import (
    certificate_status,
    expiring_soon,
    find_certificate,
    issue_certificate,
    readiness_of,
    revoke_certificate,
    run_batch,
    sign_off_ready,
    start_batch,
)
from ramp.errors import NotAllowed, ValidationError
from ramp.keys.operations import jwks
from ramp.milestones.models import HireEvent
from tests.conftest import finish_modules, make_ready

BASE = "https://ramp.example.com"


def test_a_new_hire_lacks_everything_in_words(ramp_world):
    hire = ramp_world.hire(name="Ana Lima")
    gaps = readiness_of([hire])[hire.id].gaps
    assert "module “Ticketing basics” not complete" in gaps
    assert "knowledge check “Tone and empathy” not passed" in gaps
    assert any(g.startswith("milestone “Ready for the floor” not yet achieved") for g in gaps)
    assert gaps[-1] == "no manager has signed off that the hire is ready"


def test_sign_off_comes_last(ramp_world, db):
    hire = ramp_world.hire()
    finish_modules(hire.enrollment)
    with pytest.raises(ValidationError) as exc:
        sign_off_ready(hire, ramp_world.lead)
    assert any("Ready for the floor" in p for p in exc.value.problems)
    make_ready(ramp_world, hire, modules=False)
    assert readiness_of([hire])[hire.id].ready


def test_issue_refuses_a_hire_who_is_not_ready_and_writes_nothing(ramp_world, db):
    hire = ramp_world.hire(name="Ben Okafor")
    finish_modules(hire.enrollment)
    db.session.commit()
    with pytest.raises(ValidationError) as exc:
        issue_certificate(hire, ramp_world.lead, BASE)
    assert exc.value.problems[0] == "Ben Okafor is not ready for a certificate; still missing:"
    assert "no manager has signed off that the hire is ready" in exc.value.problems
    db.session.rollback()
    assert db.session.query(Certificate).count() == 0


def test_only_an_admin_overrides_and_the_reason_is_kept(ramp_world, db):
    hire = ramp_world.hire()
    with pytest.raises(NotAllowed):
        issue_certificate(hire, ramp_world.lead, BASE, override_reason="trust me")
    cert = issue_certificate(hire, ramp_world.admin, BASE, override_reason="Transferred, tenured")
    assert cert.override_reason == "Transferred, tenured"
    assert cert.snapshot["missing_at_issue"]
    event = db.session.query(HireEvent).filter_by(action="override_certificate").one()
    assert event.reason == "Transferred, tenured" and event.actor_id == ramp_world.admin.id


def test_issue_freezes_evidence_and_sets_validity(ramp_world, db):
    hire = make_ready(ramp_world, ramp_world.hire(name="Chloé Martin"))
    cert = issue_certificate(hire, ramp_world.lead, BASE, organization="Acme Support")
    snap = cert.snapshot
    assert snap["agent"] == "Chloé Martin" and snap["organization"] == "Acme Support"
    assert snap["signed_off_by"] == ramp_world.lead.name
    assert snap["curriculum"]["version"] == 1
    assert {a["module"] for a in snap["assessments"]} == {"Ticketing basics", "Tone and empathy"}
    assert all(a["passed"] and a["best_score"] == 100 for a in snap["assessments"])
    assert (cert.expires_at - cert.issued_at).days == 365
    assert len(cert.code) == 16 and cert.code != str(cert.id)
    assert certificate_status(cert) == "valid"
    # Later changes to the records do not change what the certificate says.
    hire.user.name = "Someone Else"
    db.session.flush()
    assert cert.snapshot["agent"] == "Chloé Martin"


def test_codes_are_typed_forgivingly_and_tampering_finds_nothing(ramp_world, db):
    cert = issue_certificate(make_ready(ramp_world, ramp_world.hire()), ramp_world.lead, BASE)
    db.session.commit()
    printed = format_code(cert.code)
    assert find_certificate(printed).id == cert.id
    assert find_certificate(" " + printed.lower().replace("-", " ") + " ").id == cert.id
    tampered = cert.code[:-1] + ("0" if cert.code[-1] != "0" else "1")
    assert find_certificate(tampered) is None
    assert find_certificate("not a code") is None and normalize_code("") is None
    assert normalize_code("o0il-1111-2222-3333") == "0011111122223333"


def test_revocation_needs_a_reason_and_is_final(ramp_world, db):
    hire = make_ready(ramp_world, ramp_world.hire())
    cert = issue_certificate(hire, ramp_world.lead, BASE)
    with pytest.raises(ValidationError, match="reason"):
        revoke_certificate(cert, ramp_world.lead, "  ")
    with pytest.raises(NotAllowed):
        revoke_certificate(cert, ramp_world.other_lead, "not mine")
    revoke_certificate(cert, ramp_world.lead, "Issued to the wrong hire")
    assert certificate_status(cert) == "revoked"
    # Even past its expiry a revoked certificate reads as revoked.
    assert certificate_status(cert, utcnow() + timedelta(days=999)) == "revoked"
    with pytest.raises(ValidationError, match="already revoked"):
        revoke_certificate(cert, ramp_world.lead, "again")


def test_recertification_keeps_the_history(ramp_world, db):
    hire = make_ready(ramp_world, ramp_world.hire())
    first = issue_certificate(hire, ramp_world.lead, BASE)
    with pytest.raises(ValidationError, match="already holds certificate"):
        issue_certificate(hire, ramp_world.lead, BASE)
    first.expires_at = utcnow() + timedelta(days=10)
    db.session.flush()
    assert [c.id for c in expiring_soon([hire.id])] == [first.id]
    sign_off_ready(hire, ramp_world.lead, "Refresher done")
    second = issue_certificate(hire, ramp_world.lead, BASE)
    assert second.replaces_id == first.id and certificate_status(first) == "valid"
    assert expiring_soon([hire.id]) == []
    assert db.session.query(Certificate).filter_by(hire_id=hire.id).count() == 2


def test_credential_verifies_with_an_independent_library(app, ramp_world, db):
    hire = make_ready(ramp_world, ramp_world.hire())
    cert = issue_certificate(hire, ramp_world.lead, BASE, organization="Acme Support")
    header = jose_jws.extract_compact(cert.credential.encode()).protected
    # The kid is the URL of the signing key, served by the app.
    assert header["kid"].startswith(f"{BASE}/certificates/keys/")
    assert header["alg"] == "RS256" and header["typ"] == "JWT" and "jwk" not in header
    served = app.test_client().get(header["kid"].removeprefix(BASE)).get_json()
    assert "d" not in served
    claims = jose_jwt.decode(cert.credential, RSAKey.import_key(served)).claims
    # ... and it is the key in the published key set.
    [published] = jwks("credentials")["keys"]
    assert header["kid"].endswith("/" + published["kid"])
    jose_jwt.decode(cert.credential, RSAKey.import_key(published))
    # Open Badges 3.0: the credential's required members.
    for name in ("@context", "id", "type", "name", "issuer", "validFrom", "credentialSubject"):
        assert name in claims, name
    assert claims["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert claims["@context"][1].startswith("https://purl.imsglobal.org/spec/ob/v3p0/context")
    assert {"VerifiableCredential", "OpenBadgeCredential"} <= set(claims["type"])
    assert claims["issuer"]["id"] == f"{BASE}/certificates/issuer"
    assert "Profile" in claims["issuer"]["type"]
    subject = claims["credentialSubject"]
    assert "AchievementSubject" in subject["type"] and subject["id"].startswith("urn:uuid:")
    achievement = subject["achievement"]
    for name in ("id", "type", "name", "description", "criteria"):
        assert name in achievement, name
    assert "Achievement" in achievement["type"]
    identity = subject["identifier"][0]
    assert identity["hashed"] is True and identity["identityType"] == "emailAddress"
    assert hire.user.email not in cert.credential and cert.code not in cert.credential
    # The registered claims mirror the credential.
    assert claims["iss"] == claims["issuer"]["id"] and claims["jti"] == claims["id"]
    assert claims["sub"] == subject["id"] and claims["id"].startswith("urn:uuid:")
    assert claims["exp"] - claims["nbf"] == 365 * 86400
    status = claims["credentialStatus"]
    assert status["type"] == "BitstringStatusListEntry" and status["statusPurpose"] == "revocation"
    assert status["statusListIndex"] == str(cert.status_index)
    assert status["statusListCredential"] == f"{BASE}/certificates/status/revocation"


def test_status_list_sets_exactly_the_revoked_bits(ramp_world, db):
    from ramp.certificates.queries import revoked_indexes
    from ramp.certificates.status import LIST_BITS, decode_list, encode_list, is_set

    certs = [
        issue_certificate(make_ready(ramp_world, ramp_world.hire()), ramp_world.lead, BASE)
        for _ in range(3)
    ]
    assert len({c.status_index for c in certs}) == 3
    revoke_certificate(certs[1], ramp_world.lead, "Wrong hire")
    bits = decode_list(encode_list(revoked_indexes()))
    assert len(bits) * 8 == LIST_BITS
    assert [is_set(bits, c.status_index) for c in certs] == [False, True, False]
    assert sum(bin(b).count("1") for b in bits) == 1


def test_renewal_needs_a_fresh_sign_off_and_links_the_history(ramp_world, db):
    from ramp.certificates.operations import sign_off_ready

    hire = make_ready(ramp_world, ramp_world.hire())
    first = issue_certificate(hire, ramp_world.lead, BASE)
    assert not readiness_of([hire])[hire.id].ready  # the sign-off was used up
    first.expires_at = utcnow() + timedelta(days=5)
    revoke_certificate(first, ramp_world.lead, "Policy changed")
    with pytest.raises(ValidationError, match="no manager has signed off"):
        issue_certificate(hire, ramp_world.lead, BASE)
    sign_off_ready(hire, ramp_world.lead, "Refresher done")
    second = issue_certificate(hire, ramp_world.lead, BASE)
    assert second.replaces_id == first.id


def test_batch_issues_to_the_ready_hires_only(ramp_world, db):
    ready = [make_ready(ramp_world, ramp_world.hire()) for _ in range(3)]
    ramp_world.hire()  # not ready
    batch = start_batch(ramp_world.cohort, ramp_world.lead)
    db.session.commit()
    seen = []
    result = run_batch(batch.id, BASE, "Acme", progress=lambda *a: seen.append(a))
    assert result["issued"] == 3 and seen[-1] == ("issuing", 3, 3)
    db.session.refresh(batch)
    assert (batch.status, batch.done, batch.issued) == ("done", 3, 3)
    assert {c.hire_id for c in db.session.query(Certificate)} == {h.id for h in ready}
    with pytest.raises(ValidationError, match="No hire in Wave A is ready"):
        start_batch(ramp_world.cohort, ramp_world.lead)


def test_batch_refuses_another_managers_cohort_and_a_second_batch(ramp_world, db):
    make_ready(ramp_world, ramp_world.hire())
    with pytest.raises(NotAllowed):
        start_batch(ramp_world.cohort, ramp_world.other_lead)
    start_batch(ramp_world.cohort, ramp_world.lead)
    with pytest.raises(ValidationError, match="already being issued"):
        start_batch(ramp_world.cohort, ramp_world.lead)


def test_a_batch_that_breaks_ends_failed_keeping_what_it_issued(ramp_world, db, monkeypatch):
    from ramp.certificates import operations

    hires = [make_ready(ramp_world, ramp_world.hire()) for _ in range(3)]
    batch = start_batch(ramp_world.cohort, ramp_world.lead)
    db.session.commit()
    real = operations.issue_certificate
    calls = iter(range(10))

    def flaky(hire, *args, **kwargs):
        if next(calls) == 1:
            raise RuntimeError("disk full")
        return real(hire, *args, **kwargs)

    monkeypatch.setattr(operations, "issue_certificate", flaky)
    with pytest.raises(RuntimeError):
        run_batch(batch.id, BASE, "Acme")
    db.session.refresh(batch)
    assert batch.status == "failed" and "Stopped after 1 of 3: disk full" in batch.error
    assert db.session.query(Certificate).count() == 1
    assert {c.hire_id for c in db.session.query(Certificate)} <= {h.id for h in hires}


def test_pdf_says_what_it_certifies(app, ramp_world, db, tmp_path):
    from ramp.certificates.render import certificate_pdf, certificate_values

    hire = make_ready(ramp_world, ramp_world.hire(name="Łucja Gündoğan-Ødegård"))
    cert = issue_certificate(hire, ramp_world.lead, BASE, organization="Acme Support")
    pdf = certificate_pdf(
        app.jinja_env, app.static_folder, certificate_values(cert, "valid", BASE, None)
    )
    path = tmp_path / "c.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    assert "Certificate of readiness" in text and "Łucja Gündoğan-Ødegård" in text
    assert "Acme Support".upper() in text
    assert "Mini ramp, version 1" in text and "Mini onboarding, version 1" in text
    assert format_code(cert.code) in text
    assert f"{BASE}/verify/{format_code(cert.code)}" in text.replace("\n", "").replace(" ", "")
    assert ramp_world.lead.name in text
    assert re.search(r"Pages:\s+1\n", info) and "841.89 x 595.276 pts (A4)" in info
    assert "+Inter " in fonts and "+EB-Garamond" in fonts and "DejaVu" not in fonts
    assert "REVOKED" not in text


def test_readiness_words_its_gaps_only_when_read(ramp_world, monkeypatch):
    """A list of many hires' readiness (the certificates overview) counts who is ready and
    words no gap; reading a hire's gaps words them, in order."""
    from ramp.certificates import readiness

    new, ready = ramp_world.hire(name="Ana Lima"), ramp_world.hire(name="Ben Okafor")
    make_ready(ramp_world, ready)
    worded = []
    real_word = readiness.word
    monkeypatch.setattr(
        readiness, "word", lambda gap, facts: worded.append(gap) or real_word(gap, facts)
    )
    states = readiness_of([new, ready])
    assert not states[new.id].ready and states[ready.id].ready and worded == []
    gaps = states[new.id].gaps
    assert len(worded) == len(gaps) == len(states[new.id].missing) > 3
    assert gaps[0] == "module “Ticketing basics” not complete"
    assert gaps[-1] == "no manager has signed off that the hire is ready"


def test_lacking_a_milestone_follows_readiness_own_rule(ramp_world, db, mini_version):
    """The overview and batches look in full only at hires who lack no milestone their
    readiness asks for: the quick query must agree with readiness.missing under `all` (with
    an optional milestone), a list of keys and `none`, whatever each hire has done."""
    from ramp.certificates.operations import lacking_a_milestone
    from ramp.milestones.operations import create_cohort, publish_template
    from ramp.milestones.operations import sign_off as sign_off_milestone
    from ramp.milestones.template_spec import ReadinessSpec, load_template_file
    from tests.conftest import FIXTURES

    base = load_template_file(
        str(FIXTURES / "mini-template.yaml"), {"basics": True, "tone": True, "kb": False}
    )
    optional = tuple(
        m.model_copy(update={"optional": m.key == "nesting-quality"}) for m in base.milestones
    )
    variants = {
        "all, one optional": {"milestones": optional},
        "listed": {"readiness": ReadinessSpec(milestones=["classroom", "nesting-quality"])},
        "none": {"readiness": ReadinessSpec(milestones="none")},
    }
    cohorts = [ramp_world.cohort]
    for n, (name, change) in enumerate(variants.items()):
        spec = base.model_copy(update={"slug": f"mini-{n}", "title": name, **change})
        version = publish_template(spec).version
        cohorts.append(
            create_cohort(name, ramp_world.start, version, mini_version, ramp_world.cohort.team)
        )
    db.session.commit()
    hires = []
    for cohort in cohorts:
        fresh = ramp_world.hire(cohort=cohort)
        done = make_ready(ramp_world, ramp_world.hire(cohort=cohort), sign_off=False)
        partly = ramp_world.hire(cohort=cohort)  # all but nesting quality
        finish_modules(partly.enrollment)
        sign_off_milestone(partly, "classroom", ramp_world.lead)
        sign_off_milestone(partly, "floor-ready", ramp_world.lead)
        db.session.commit()
        hires += [fresh, done, partly]
    states = readiness_of(hires)
    expected = {h.id for h in hires if any(kind == "milestone" for kind, _ in states[h.id].missing)}
    assert lacking_a_milestone(hires) == expected
    # Each rule decided both ways: the quick query is not trivially everyone or no one.
    lacking = [[h.id in expected for h in hires[i : i + 3]] for i in range(0, len(hires), 3)]
    assert lacking == [
        [True, False, True],  # all: nesting quality is asked for
        [True, False, False],  # all, but nesting quality is optional
        [True, False, True],  # listed: classroom and nesting quality
        [False, False, False],  # none
    ]
