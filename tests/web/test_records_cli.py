"""The records commands: import, the history of runs, undo; and linking agents' ids."""

from sqlalchemy import func, select

from ramp.audit.models import AuditEvent
from ramp.metrics.models import ImportRun, QAEvaluation
from tests.conftest import FIXTURES

QA_MAPPING = FIXTURES / "mappings" / "qa-basic.yaml"
HEADER = "Review ID,Agent,Reviewed,Score,Max,Auto-fail\n"


def count(db, model) -> int:
    db.session.remove()
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def export(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(HEADER + text)
    return str(path)


def test_runs_lists_the_history_and_undo_takes_a_run_back(runner, db, tmp_path, make_user):
    make_user("agent", email="ana.silva@example.com")
    admin_id = make_user("admin", email="ada@example.com").id
    good = "R1,ana.silva@example.com,01/03/2026 10:00,80,100,no\n"
    first = runner.invoke(
        args=[
            "records",
            "import",
            export(tmp_path, "march.csv", good),
            "--mapping",
            str(QA_MAPPING),
        ]
    )
    assert first.exit_code == 0, first.output
    bad = "R2,ghost@example.com,01/03/2026 10:00,80,100,no\n"
    refused = runner.invoke(
        args=["records", "import", export(tmp_path, "ghost.csv", bad), "--mapping", str(QA_MAPPING)]
    )
    assert refused.exit_code == 1
    second = runner.invoke(
        args=[
            "records",
            "import",
            export(tmp_path, "april.csv", good.replace(",80,", ",60,")),
            "--mapping",
            str(QA_MAPPING),
        ]
    )
    assert second.exit_code == 0, second.output
    db.session.remove()
    ids = list(db.session.execute(select(ImportRun.id).order_by(ImportRun.id)).scalars())
    listing = runner.invoke(args=["records", "runs"]).output.splitlines()
    assert [line.split("\t")[:2] for line in listing] == [
        [str(ids[2]), "done"],
        [str(ids[1]), "failed"],
        [str(ids[0]), "done"],
    ]
    assert "ghost.csv" in listing[1] and "nothing written" in listing[1]
    assert "march.csv" in listing[2] and "read 1, written 1, skipped 0, rejected 0" in listing[2]

    blocked = runner.invoke(args=["records", "undo", str(ids[0]), "--yes"])
    assert blocked.exit_code == 1 and f"Undo run {ids[2]} first" in blocked.output
    declined = runner.invoke(args=["records", "undo", str(ids[2])], input="n\n")
    assert declined.exit_code == 1 and "1 to give back their earlier values" in declined.output
    undos = select(AuditEvent).where(AuditEvent.action == "import.undo")
    assert db.session.execute(undos).first() is None
    undone = runner.invoke(
        args=["records", "undo", str(ids[2]), "--by", "ada@example.com", "--reason", "rescored"],
        input="y\n",
    )
    assert undone.exit_code == 0, undone.output
    assert "removed 0, restored 1" in undone.output
    db.session.remove()
    assert db.session.execute(select(QAEvaluation.score)).scalar_one() == 80
    event = db.session.execute(undos).scalar_one()
    assert (event.actor_id, event.reason) == (admin_id, "rescored")
    again = runner.invoke(args=["records", "undo", str(ids[2]), "--yes"])
    assert again.exit_code == 1 and "already undone" in again.output
    missing = runner.invoke(args=["records", "undo", "999", "--yes"])
    assert missing.exit_code == 1 and "There is no import run 999" in missing.output
    assert runner.invoke(args=["records", "undo", str(ids[0]), "--yes"]).exit_code == 0
    assert count(db, QAEvaluation) == 0


def test_users_link_links_an_id_once_and_is_audited(runner, db, make_user):
    from ramp.metrics.models import AgentIdentity

    make_user("agent", email="ana.silva@example.com")
    args = ["users", "link", "ana.silva@example.com", "--source", "zendesk", "--id", "Ana Silva"]
    linked = runner.invoke(args=args)
    assert (
        linked.exit_code == 0 and "ana.silva@example.com is zendesk id Ana Silva" in linked.output
    )
    again = runner.invoke(args=args)
    assert again.exit_code == 1
    assert "zendesk id 'Ana Silva' is already linked to ana.silva@example.com" in again.output
    nobody = runner.invoke(
        args=["users", "link", "no@example.com", "--source", "zendesk", "--id", "X"]
    )
    assert nobody.exit_code == 1 and "no user has the e-mail no@example.com" in nobody.output
    assert count(db, AgentIdentity) == 1
    links = select(AuditEvent).where(AuditEvent.action.like("agent_id.%"))
    event = db.session.execute(links).scalar_one()
    assert (event.action, event.details["source"], event.details["external_id"]) == (
        "agent_id.link",
        "zendesk",
        "Ana Silva",
    )
