"""Agent ids learned in bulk: from a QA export naming agents by id and e-mail, and from a
helpdesk's users export (preview, then all or nothing); conflicts never re-linked."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ramp.audit.models import AuditEvent
from ramp.errors import ValidationError
from ramp.metrics.agent_sync import confirm_links, link_planned, plan_links, read_users_export
from ramp.metrics.agents import link_agents
from ramp.metrics.imports import ImportRefused, import_file, load_mapping
from ramp.metrics.models import AgentIdentity, QAEvaluation

BOTH_MAPPING = """\
name: qa-both
title: A QA export naming each agent by id and e-mail
kind: qa
source: playvox
timezone: UTC
fields:
  external_id: {column: Review ID}
  agent_id: {column: Agent ID}
  agent_email: {column: Agent Email}
  evaluated_at: {column: Reviewed}
  score: {column: Score}
  max_score: {column: Max}
"""
HEADER = "Review ID,Agent ID,Agent Email,Reviewed,Score,Max\n"


def links(db) -> dict[str, str]:
    rows = db.session.execute(select(AgentIdentity)).scalars()
    return {f"{r.source}:{r.external_id}": r.user.email for r in rows}


@pytest.fixture
def people(make_user):
    return {
        "ana": make_user("agent", email="ana@example.com", name="Ana Silva"),
        "ben": make_user("agent", email="ben@example.com", name="Ben Ode"),
        "cy": make_user("agent", email="cy@example.com", name="Cy Diaz"),
    }


def _mapping(tmp_path):
    path = tmp_path / "both.yaml"
    path.write_text(BOTH_MAPPING)
    return load_mapping(path=str(path))


@pytest.mark.parametrize("separate", [False, True], ids=["in-process", "reader-process"])
def test_an_import_learns_ids_from_e_mails_and_reports_conflicts(db, tmp_path, people, separate):
    link_agents("playvox", [("u-9", people["cy"])], None)  # u-9 is Cy's already
    db.session.commit()
    rows = (
        "R1,u-1,ana@example.com,2026-03-10 10:00,90,100\n"
        "R2,u-1,ana@example.com,2026-03-11 10:00,80,100\n"
        "R3,u-2,BEN@example.com,2026-03-11 10:00,70,100\n"
        "R4,u-9,ben@example.com,2026-03-12 10:00,70,100\n"  # Cy's id beside Ben's e-mail
    )
    path = tmp_path / "qa.csv"
    path.write_text(HEADER + rows)
    report = import_file(path, _mapping(tmp_path), reader_process=separate)
    db.session.commit()
    assert report.written and report.created == 4
    assert report.learned_links == [("u-1", "ana@example.com"), ("u-2", "ben@example.com")]
    assert len(report.link_conflicts) == 1 and "cy@example.com" in report.link_conflicts[0]
    assert "learned 2 agent ids from e-mails" in report.summary()
    assert "1 agent id not linked (conflict)" in report.summary()
    assert links(db) == {
        "playvox:u-1": "ana@example.com",
        "playvox:u-2": "ben@example.com",
        "playvox:u-9": "cy@example.com",  # never re-linked
    }
    # The next export that names agents by id alone now finds them.
    by_id = tmp_path / "by-id.csv"
    by_id.write_text(HEADER + "R9,u-2,,2026-03-13 10:00,60,100\n")
    again = import_file(by_id, _mapping(tmp_path))
    db.session.commit()
    assert again.written and again.created == 1
    review = db.session.execute(
        select(QAEvaluation).where(QAEvaluation.external_id == "R9")
    ).scalar_one()
    assert review.user_id == people["ben"].id
    events = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "agent_id.link")
    ).scalars()
    assert sorted(e.details["external_id"] for e in events) == ["u-1", "u-2", "u-9"]


def test_a_dry_run_or_a_refused_import_links_nothing(db, tmp_path, people):
    path = tmp_path / "qa.csv"
    path.write_text(HEADER + "R1,u-1,ana@example.com,2026-03-10 10:00,90,100\n")
    report = import_file(path, _mapping(tmp_path), dry_run=True)
    assert report.learned_links == [("u-1", "ana@example.com")]
    assert "would learn 1 agent id" in report.summary()
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "R1,u-1,ana@example.com,2026-03-10 10:00,ninety,100\n")
    with pytest.raises(ImportRefused):
        import_file(bad, _mapping(tmp_path))
    db.session.rollback()
    assert links(db) == {}


def test_one_id_with_two_e_mails_is_a_conflict(db, tmp_path, people):
    path = tmp_path / "qa.csv"
    path.write_text(
        HEADER
        + "R1,u-1,ana@example.com,2026-03-10 10:00,90,100\n"
        + "R2,u-1,ben@example.com,2026-03-10 10:00,90,100\n"
    )
    report = import_file(path, _mapping(tmp_path))
    db.session.commit()
    assert report.learned_links == [] and "several e-mails" in report.link_conflicts[0]
    assert links(db) == {}


ZENDESK = (
    "ID,Name,Email,Suspended,Date created\n"
    "9001,Ana Silva,ana@example.com,FALSE,2026-01-02\n"
    "9002,Ben Ode,Ben@Example.com,FALSE,2026-01-02\n"
    "9003,Dee Nobody,dee@example.com,FALSE,2026-01-02\n"
    "9004,Cy Diaz,cy@example.com,FALSE,2026-01-02\n"
    "9005,,eve@example.com,FALSE,2026-01-02\n"
)


def test_a_zendesk_users_export_preview_then_all_links(db, people):
    link_agents("zendesk", [("Cy Diaz", people["ana"])], None)  # a wrong link made earlier
    db.session.commit()
    plan = plan_links("zendesk", read_users_export(ZENDESK.encode(), "zendesk"))
    assert [(r.external_id, u.email) for r, u in plan.matched] == [
        ("Ana Silva", "ana@example.com"),
        ("Ben Ode", "ben@example.com"),
    ]
    assert [r.email for r in plan.unknown] == ["dee@example.com"]
    assert [(r.external_id, why) for r, why in plan.conflicts] == [
        ("Cy Diaz", "already linked to ana@example.com")
    ]
    assert plan.skipped == [(6, "no id")]
    assert links(db) == {"zendesk:Cy Diaz": "ana@example.com"}  # a preview writes nothing
    made = link_planned(plan, None)
    db.session.commit()
    assert len(made) == 2
    assert links(db)["zendesk:Ben Ode"] == "ben@example.com"
    assert links(db)["zendesk:Cy Diaz"] == "ana@example.com"
    sync = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "agent_id.sync")
    ).scalar_one()
    assert (sync.details["linked"], sync.details["conflicts"]) == (2, 1)


@pytest.mark.parametrize(
    ("helpdesk", "text", "expected"),
    [
        (
            "salesforce",
            "ID,USERNAME,EMAIL\n0058d000003FxQaAAK,ana@x,ana@example.com\n",
            "0058d000003FxQaAAK",
        ),
        (
            "hubspot",
            "User ID;First Name;Last Name;Email\n77;Ana;Silva;ana@example.com\n",
            "Ana Silva",
        ),
        ("intercom", "ID\tName\tEmail\n5512\tAna Silva\tana@example.com\n", "5512"),
        ("freshdesk", "Agent Name,Agent Email\nAna Silva,ana@example.com\n", "Ana Silva"),
    ],
)
def test_each_helpdesk_export_gives_the_id_its_ticket_exports_use(
    db, people, helpdesk, text, expected
):
    plan = plan_links(helpdesk, read_users_export(("\ufeff" + text).encode(), helpdesk))
    assert [(r.external_id, u.email) for r, u in plan.matched] == [(expected, "ana@example.com")]


def test_confirm_is_all_or_nothing(db, people):
    previewed = [("9001", "ana@example.com"), ("9002", "ben@example.com")]
    link_agents("salesforce", [("9002", people["cy"])], None)  # taken since the preview
    db.session.commit()
    with pytest.raises(ValidationError) as refused:
        confirm_links("salesforce", previewed, None)
    db.session.rollback()
    assert "changed since the preview" in refused.value.problems[0]
    assert links(db) == {"salesforce:9002": "cy@example.com"}
    confirm_links("salesforce", [("9001", "ana@example.com")], None)
    db.session.commit()
    assert links(db)["salesforce:9001"] == "ana@example.com"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("ID,Name,Email\n1,Ana,ana@example.com\n".encode("utf-16"), "not UTF-8"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b"Agent,Mail\nAna,ana@example.com\n", "not a Zendesk users export"),
        (b"", "empty"),
        (b'ID,Name,Email\n1,"Ana,ana@example.com\n', "not valid CSV"),
    ],
)
def test_bad_users_exports_are_refused_clearly(db, data, message):
    with pytest.raises(ValidationError) as refused:
        read_users_export(data, "zendesk")
    assert message in " ".join(refused.value.problems)


def test_unknown_helpdesk_is_refused(db):
    with pytest.raises(ValidationError, match="Unknown helpdesk"):
        read_users_export(b"ID,Email\n", "kayako")
