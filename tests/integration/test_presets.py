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

    return _contact((c.user_id, c.metric_date, c.created_at, c.first_response_at, c.solved_at,
                     c.handle_seconds, c.reopens, c.contacts_to_resolve, c.csat_rating, c.csat_min,
                     c.csat_max, c.sla_met, c.sla_target_seconds, c.first_response_seconds))  # fmt: skip
