"""Every shipped preset imports a sample shaped like its product's documented export."""

from pathlib import Path

import pytest
from sqlalchemy import func, select

from ramp.metrics import formulas
from ramp.metrics.imports import import_file, load_mapping, preset_names
from ramp.metrics.mapping import parse_row, read_rows
from ramp.metrics.models import AgentIdentity, Contact, QAEvaluation
from tests.conftest import FIXTURES

EXPORTS = FIXTURES / "exports"


def sample_for(preset: str) -> Path:
    [path] = [p for p in EXPORTS.iterdir() if p.stem == preset]
    return path


def sample_agents(db, make_user, mapping, path: Path) -> None:
    """The agents of a sample: e-mails become users; tool ids and names are linked to users."""
    agents = set()
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for line, raw in read_rows(fh, mapping):
            parsed = parse_row(line, raw, mapping)
            if parsed is not None:
                agents.add((parsed.values.get("agent_email"), parsed.values.get("agent_id")))
    assert agents, "the sample has no importable row"
    for i, (email, agent_id) in enumerate(sorted(agents, key=str)):
        user = make_user("agent", email=email or f"linked{i}@example.com")
        if agent_id is not None and not email:
            db.session.add(
                AgentIdentity(source=mapping.source, external_id=str(agent_id), user_id=user.id)
            )
    db.session.commit()


def test_every_preset_has_a_sample():
    assert len(preset_names()) == 12
    assert {p.stem for p in EXPORTS.iterdir()} == set(preset_names())


@pytest.mark.parametrize("preset", preset_names())
def test_preset_imports_its_sample(db, make_user, preset):
    mapping = load_mapping(preset=preset)
    path = sample_for(preset)
    sample_agents(db, make_user, mapping, path)

    report = import_file(path, mapping)
    db.session.commit()
    assert report.ok, [str(p) for p in report.problems]
    assert report.created > 0 and report.updated == 0
    model = QAEvaluation if mapping.kind == "qa" else Contact
    stored = db.session.execute(select(func.count()).select_from(model)).scalar_one()
    assert stored == report.created

    again = import_file(path, mapping)
    db.session.commit()
    assert (again.created, again.updated) == (0, report.created)
    assert db.session.execute(select(func.count()).select_from(model)).scalar_one() == stored

    if mapping.kind == "qa":
        percents = [
            p for p in db.session.execute(select(QAEvaluation.percent)).scalars() if p is not None
        ]
        assert percents and all(0 <= p <= 100 for p in percents)
    else:
        contacts = list(db.session.execute(select(Contact)).scalars())
        assert all(c.created_at is not None for c in contacts)
        if "csat_rating" in mapping.fields:
            assert any(c.csat_good is not None for c in contacts)
        if preset == "zendesk":  # the wait for a first reply comes in minutes, not as a time
            waits = {c.external_id: c.first_response_seconds for c in contacts}
            assert waits["48211"] == 38 * 60 and waits["48214"] == 17 * 60
            assert all(c.first_response_at is None for c in contacts)
            stored = [formulas.first_response_time([_contact_rec(c)]).value for c in contacts]
            assert stored == [c.first_response_seconds for c in contacts]


def _contact_rec(c: Contact) -> formulas.ContactRec:
    """A stored contact as the weekly figures read it (readings._contact's columns)."""
    from ramp.metrics.readings import _contact

    return _contact(
        (
            c.user_id,
            c.metric_date,
            c.created_at,
            c.first_response_at,
            c.solved_at,
            c.handle_seconds,
            c.reopens,
            c.contacts_to_resolve,
            c.csat_rating,
            c.csat_min,
            c.csat_max,
            c.sla_met,
            c.sla_target_seconds,
            c.first_response_seconds,
        )
    )


ZENDESK_HEADER = (
    "ID,Assignee,Group,Via,Created at,First reply time in minutes,Solved at,Reopens,"
    "Satisfaction Score\n"
)


def zendesk_ratings_export(tmp_path, assignee: str = "Ana Silva") -> Path:
    """A Zendesk ticket export whose tickets carry every Satisfaction Score value."""
    rows = "".join(
        f"{5000 + i},{assignee},Billing,Mail,2026-03-1{4 + i % 3} 09:00:00,12,"
        f"2026-03-1{4 + i % 3} 11:00:00,0,{score}\n"
        for i, score in enumerate(["Good", "bad", "good", "Offered", "unoffered", "Not Offered"])
    )
    path = tmp_path / "zendesk.csv"
    path.write_text(ZENDESK_HEADER + rows, encoding="utf-8")
    return path


@pytest.fixture
def zendesk_hire(db, ramp_world):
    """A hire in their first week, linked to the name Zendesk shows for them."""
    hire = ramp_world.hire(name="Ana Silva")
    db.session.add(AgentIdentity(source="zendesk", external_id="Ana Silva", user_id=hire.user_id))
    db.session.commit()
    return hire


def _weekly_csat(db, hire_id: int) -> list[float]:
    from ramp.metrics.models import HireWeekMetric

    return list(
        db.session.execute(
            select(HireWeekMetric.value).where(
                HireWeekMetric.hire_id == hire_id, HireWeekMetric.metric == "csat"
            )
        ).scalars()
    )


@pytest.mark.parametrize("accept_good", [False, True], ids=["whole file", "accept good rows"])
def test_zendesk_satisfaction_on_its_0_to_1_scale_imports(db, tmp_path, zendesk_hire, accept_good):
    from ramp.metrics.imports import import_and_update

    path = zendesk_ratings_export(tmp_path)
    options = {"accept_good": True, "rejects_path": tmp_path / "r.csv"} if accept_good else {}
    report, _ = import_and_update(path, load_mapping(preset="zendesk"), **options)
    db.session.commit()
    assert report.ok and report.created == 6
    ratings = dict(db.session.execute(select(Contact.external_id, Contact.csat_good)).all())
    assert ratings == {
        "5000": True,
        "5001": False,
        "5002": True,
        "5003": None,
        "5004": None,
        "5005": None,
    }
    assert {
        (c.csat_min, c.csat_max)
        for c in db.session.execute(select(Contact)).scalars()
        if c.csat_rating is not None
    } == {(0.0, 1.0)}
    # Two good of three rated: CSAT is read on the stored 0–1 scale, not turned into 1–1.
    assert _weekly_csat(db, zendesk_hire.id) == [pytest.approx(200 / 3)]


def test_zendesk_satisfaction_imports_through_the_cli(runner, db, tmp_path, zendesk_hire):
    hire_id = zendesk_hire.id
    path = zendesk_ratings_export(tmp_path)
    result = runner.invoke(args=["records", "import", str(path), "--preset", "zendesk"])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert "wrote 6 contacts (6 new, 0 updated)" in result.output
    db.session.remove()
    assert _weekly_csat(db, hire_id) == [pytest.approx(200 / 3)]


@pytest.mark.parametrize(("low", "high"), [(0.0, 1.0), (0.0, 10.0), (1.0, 5.0), (-2.0, 2.0)])
def test_stored_scales_read_back_as_stored(low, high):
    from datetime import UTC, datetime

    from ramp.metrics.readings import _contact

    at = datetime(2026, 3, 14, 9, tzinfo=UTC)
    rec = _contact(
        (1, at.date(), at, None, None, None, None, None, high, low, high, None, None, None)
    )
    assert (rec.csat_min, rec.csat_max) == (low, high)
    assert formulas.csat([rec]).value == 100.0
    unrated = _contact(
        (1, at.date(), at, None, None, None, None, None, None, None, None, None, None, None)
    )
    assert formulas.csat([unrated]).value is None
