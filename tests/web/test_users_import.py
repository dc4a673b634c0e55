"""`ramp users import FILE`: many users, their teams and their ids in other tools at once,
checked whole, all or nothing (or the good rows), audited, and the same on a second run."""

from __future__ import annotations

from sqlalchemy import func, select

from ramp.accounts.models import Role, User
from ramp.accounts.operations import find_user_by_email
from ramp.audit.models import AuditEvent
from ramp.metrics.models import AgentIdentity

HEADER = "email,name,role,team,agent_id:zendesk,agent_id:maestroqa\n"


def count(db, model, *where) -> int:
    db.session.remove()
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def links(db) -> set[tuple[str, str, str]]:
    db.session.remove()
    rows = db.session.execute(
        select(AgentIdentity.source, AgentIdentity.external_id, User.email).join(User)
    )
    return {tuple(row) for row in rows}


def write(tmp_path, text: str, name: str = "users.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_creates_users_in_teams_with_their_ids_audited_and_a_rerun_changes_nothing(
    runner, db, tmp_path, make_team
):
    make_team("Chat")
    path = write(
        tmp_path,
        HEADER
        + "Ana@Example.com,Ana Silva,,Chat,1001,ana.s\n"
        + "bo@example.com, Bo Chen ,agent,,1002,\n"
        + "lead@example.com,Lee Lead,manager,Chat,,\n",
    )
    result = runner.invoke(args=["users", "import", path])
    assert result.exit_code == 0, result.output
    assert "line 2: created ana@example.com: zendesk id 1001, maestroqa id ana.s" in result.output
    assert "users: 3 created, 0 updated, 0 unchanged." in result.output
    db.session.remove()
    ana, bo, lead = map(
        find_user_by_email, ["ana@example.com", "bo@example.com", "lead@example.com"]
    )
    assert (ana.role, ana.team.name, ana.password_hash) == (Role.AGENT, "Chat", None)
    assert (bo.name, bo.team) == ("Bo Chen", None)
    # A new manager signs in with the password shown once; a new agent through the LMS.
    shown = next(line for line in result.output.splitlines() if "password for lead@" in line)
    assert lead.role is Role.MANAGER and lead.check_password(shown.rsplit(": ", 1)[1])
    assert links(db) == {
        ("zendesk", "1001", "ana@example.com"),
        ("maestroqa", "ana.s", "ana@example.com"),
        ("zendesk", "1002", "bo@example.com"),
    }
    audited = count(db, AuditEvent)
    assert count(db, AuditEvent, AuditEvent.action == "user.create") == 3
    assert count(db, AuditEvent, AuditEvent.action == "agent_id.link") == 3

    again = runner.invoke(args=["users", "import", path])
    assert again.exit_code == 0, again.output
    assert "users: 0 created, 0 updated, 3 unchanged." in again.output
    assert "password" not in again.output
    assert count(db, User) == 3 and count(db, AuditEvent) == audited


def test_an_existing_user_is_updated_as_the_row_says_and_empty_cells_leave_values(
    runner, db, tmp_path, make_user, make_team
):
    make_team("Chat")
    make_team("Email")
    agent = make_user("agent", team="Chat", email="ana@example.com", name="Ana")
    db.session.add(AgentIdentity(source="zendesk", external_id="1001", user_id=agent.id))
    db.session.commit()
    path = write(tmp_path, HEADER + "ana@example.com,Ana Silva,,Email,1001,ana.s\n")
    result = runner.invoke(args=["users", "import", path])
    assert result.exit_code == 0, result.output
    assert (
        "line 2: updated ana@example.com: name Ana -> Ana Silva, team Chat -> Email, "
        "maestroqa id ana.s"
    ) in result.output
    db.session.remove()
    ana = find_user_by_email("ana@example.com")
    assert (ana.name, ana.role, ana.team.name) == ("Ana Silva", Role.AGENT, "Email")
    assert ana.check_password("correct horse battery")  # the password stays
    assert count(db, AuditEvent, AuditEvent.action == "user.update") == 1


def test_a_bad_row_refuses_the_file_with_every_problem_by_line(
    runner, db, tmp_path, make_user, make_team
):
    make_team("Chat")
    admin_email = make_user("admin", email="admin@example.com").email
    other = make_user("agent", email="other@example.com")
    db.session.add(AgentIdentity(source="zendesk", external_id="777", user_id=other.id))
    db.session.commit()
    before = (count(db, User), count(db, AgentIdentity), count(db, AuditEvent))
    path = write(
        tmp_path,
        HEADER
        + "good@example.com,Good Person,agent,Chat,1001,\n"  # line 2: fine
        + "ana@example.com,Ana,boss,Chat,,\n"  # 3: unknown role
        + "new@example.com,,agent,Nope,1001,\n"  # 4: no name, no team, id of line 2
        + "NEW@example.com,New,agent,,,\n"  # 5: line 4's e-mail again
        + "not-an-email,X,agent,,,\n"  # 6
        + "x@example.com,X,agent,,777,\n"  # 7: another user's id
        + f"{admin_email},Admin,agent,,,\n"  # 8: the last admin
        + "y@example.com,Y,agent,,,,extra\n",  # 9: more cells than columns
    )
    result = runner.invoke(args=["users", "import", path])
    assert result.exit_code == 1
    for expected in (
        "line 3: unknown role 'boss' (agent, manager or admin)",
        "line 4, column agent_id:zendesk: zendesk id '1001' is given twice (also line 2)",
        "line 4: the name is empty",
        "line 4: unknown team 'Nope'",
        "line 5, column email: new@example.com is given twice (also line 4)",
        "line 6: 'not-an-email' is not an e-mail address",
        "line 7: zendesk id '777' is already linked to other@example.com",
        "line 8: admin@example.com is the last active admin; make another admin first",
        "line 9: more cells than the header has columns",
        "error: 7 bad row(s), 9 problem(s); nothing was imported. "
        "Use --accept-good to import the good rows.",
    ):
        assert expected in result.output, expected
    assert (count(db, User), count(db, AgentIdentity), count(db, AuditEvent)) == before

    good = runner.invoke(args=["users", "import", path, "--accept-good"])
    assert good.exit_code == 0, good.output
    assert "users: 1 created, 0 updated, 0 unchanged; 7 bad row(s) left out." in good.output
    assert count(db, User) == before[0] + 1
    assert ("zendesk", "1001", "good@example.com") in links(db)


def test_dry_run_says_what_it_would_do_and_writes_nothing(runner, db, tmp_path):
    path = write(tmp_path, HEADER + "ana@example.com,Ana,,,1001,\n")
    result = runner.invoke(args=["users", "import", path, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "line 2: would be created ana@example.com: zendesk id 1001" in result.output
    assert "nothing was written (dry run)" in result.output
    assert count(db, User) == 0 and count(db, AgentIdentity) == 0 and count(db, AuditEvent) == 0


def test_a_file_that_cannot_be_read_is_refused_whole(runner, db, tmp_path):
    cases = {
        "email,name,colour,agent_id:Zen Desk\n": [
            "line 1, column colour: unknown column",
            "line 1, column agent_id:zen desk: 'zen desk' is not a source",
        ],
        "name,role\nAna,agent\n": ["line 1: missing column(s): email (found: name, role)"],
        "email,name\n": ["line 1: the file has no users in it"],
    }
    for text, expected in cases.items():
        result = runner.invoke(args=["users", "import", write(tmp_path, text)])
        assert result.exit_code == 1, text
        assert "nothing was imported" in result.output, text
        for words in expected:
            assert words in result.output, (text, result.output)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("email,name\nzoë@example.com,Zoë\n".encode("latin-1"))
    result = runner.invoke(args=["users", "import", str(latin)])
    assert result.exit_code == 1 and "cannot read" in result.output
    assert count(db, User) == 0


def test_semicolons_and_a_byte_order_mark_are_read(runner, db, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffEmail;Name;Role\r\nana@example.com;Ana;manager\r\n".encode())
    result = runner.invoke(args=["users", "import", str(path)])
    assert result.exit_code == 0, result.output
    db.session.remove()
    assert find_user_by_email("ana@example.com").role is Role.MANAGER


def test_an_e_mail_empty_or_longer_than_the_database_holds_is_a_problem(runner, db, tmp_path):
    long = "a" * 250 + "@example.com"
    path = write(tmp_path, f"email,name\n{long},A\n,B\n")
    result = runner.invoke(args=["users", "import", path])
    assert result.exit_code == 1
    assert "line 2: the e-mail is longer than 254 characters" in result.output
    assert "line 3, column email: the e-mail is empty\nerror: 2 bad row(s)" in result.output
    assert count(db, User) == 0
