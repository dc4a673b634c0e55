"""The command line: users, teams, curriculum import/export, enroll and the demo seed."""

from datetime import timedelta

import yaml
from sqlalchemy import func, select

from ramp.curricula.models import CurriculumVersion, Module
from ramp.curricula.spec import parse_curriculum
from tests.conftest import FIXTURES

MINI = FIXTURES / "mini.yaml"


def count(db, model) -> int:
    db.session.remove()
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_import_publishes_then_reports_unchanged_then_next_version(runner, db, tmp_path):
    result = runner.invoke(args=["curricula", "import", str(MINI)])
    assert result.exit_code == 0, result.output
    assert (
        "published mini-onboarding version 1 (3 modules, 4 lessons, 2 knowledge checks)"
        in result.output
    )
    result = runner.invoke(args=["curricula", "import", str(MINI)])
    assert "unchanged: version 1 already has this content" in result.output
    changed = tmp_path / "mini.yaml"
    changed.write_text(MINI.read_text().replace("Macros fill in", "Macros fill out"))
    result = runner.invoke(args=["curricula", "import", str(changed)])
    assert "published mini-onboarding version 2" in result.output
    assert count(db, CurriculumVersion) == 2
    listing = runner.invoke(args=["curricula", "list"]).output
    assert "mini-onboarding" in listing and "v1" in listing and "v2" in listing


def test_export_round_trip_is_lossless(runner, db, tmp_path):
    runner.invoke(args=["curricula", "import", str(MINI)])
    out = tmp_path / "exported.yaml"
    result = runner.invoke(args=["curricula", "export", "mini-onboarding", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert parse_curriculum(out.read_text()) == parse_curriculum(MINI.read_text())
    again = runner.invoke(args=["curricula", "import", str(out)])
    assert "unchanged" in again.output


def test_bad_file_is_reported_and_changes_nothing(runner, db, tmp_path):
    bad = tmp_path / "bad.yaml"
    data = yaml.safe_load(MINI.read_text())
    data["modules"][1]["requires"] = ["nope"]
    data["modules"][0]["assessment"]["questions"][0]["type"] = "essay"
    bad.write_text(yaml.safe_dump(data, sort_keys=False))
    result = runner.invoke(args=["curricula", "import", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:" in result.output
    assert "modules[1].requires[0]: unknown module 'nope'" in result.output
    assert "unknown question type 'essay'" in result.output
    assert "2 problem(s)" in result.output and "nothing was published" in result.output
    assert count(db, CurriculumVersion) == 0 and count(db, Module) == 0


def test_dry_run_publishes_nothing(runner, db):
    result = runner.invoke(args=["curricula", "import", "--dry-run", str(MINI)])
    assert "valid (3 modules, 4 lessons, 2 knowledge checks); nothing published" in result.output
    assert count(db, CurriculumVersion) == 0


def test_users_teams_and_enroll(runner, db):
    ok = runner.invoke(
        args=[
            "users",
            "create",
            "lead@example.com",
            "--name",
            "Lead",
            "--role",
            "manager",
            "--password",
            "long enough pw",
        ]
    )
    assert ok.exit_code == 0, ok.output
    assert (
        "created team Chat"
        in runner.invoke(args=["teams", "create", "Chat", "--manager", "lead@example.com"]).output
    )
    runner.invoke(
        args=[
            "users",
            "create",
            "a@example.com",
            "--name",
            "A",
            "--team",
            "Chat",
            "--password",
            "long enough pw",
        ]
    )
    listing = runner.invoke(args=["users", "list"]).output
    assert "a@example.com" in listing and "Chat" in listing
    runner.invoke(args=["curricula", "import", str(MINI)])
    result = runner.invoke(args=["curricula", "enroll", "a@example.com", "mini-onboarding"])
    assert "enrolled in mini-onboarding version 1" in result.output


def test_user_errors_are_clear(runner, db):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "not-an-email",
            "--name",
            "X",
            "--role",
            "agent",
            "--password",
            "short",
        ]
    )
    assert result.exit_code == 1
    assert "'not-an-email' is not an e-mail address" in result.output
    assert "at least 8 characters" in result.output
    result = runner.invoke(args=["curricula", "enroll", "ghost@example.com", "nothing"])
    assert (
        "no user with e-mail ghost@example.com" in result.output
        and "no curriculum 'nothing'" in result.output
    )


# What each demo hire's board card says: (status, readiness), the same on any date.
DEMO_STORY = {
    "Kwame Mensah": ("achieved", "certified"),
    "Elena Petrova": ("achieved", "awaiting sign-off"),
    "Samuel Adeyemi": ("missed", "not ready"),
    "Noah Becker": ("on_track", "awaiting sign-off"),
    "Amara Osei": ("at_risk", "not ready"),
    "Lucas Moreau": ("at_risk", "not ready"),
    "Hana Sato": ("on_track", "not ready"),
    "Ines Duarte": ("on_track", "not ready"),
    "Tomás Rivera": ("missed", "not ready"),
    "Grace Kim": ("on_track", "not ready"),
    # Left the oldest class in weeks 4 and 8 (off the board; statuses as on their last day).
    "Rafael Costa": ("missed", "not ready"),
    "Mei Tanaka": ("missed", "not ready"),
    "Sam Okafor": ("at_risk", "not ready"),
    "Priya Natarajan": ("at_risk", "not ready"),
    "Jordan Reyes": ("on_track", "not ready"),
    "Lee Chen": ("on_track", "not ready"),
}


def test_demo_tells_the_same_story_on_any_day(runner, db, any_day):
    from sqlalchemy import func, select

    from ramp.certificates.models import Certificate
    from ramp.certificates.operations import readiness_of
    from ramp.demo import seed_demo
    from ramp.metrics.models import Contact, QAEvaluation
    from ramp.milestones.models import Cohort, Hire

    seed_demo()
    db.session.commit()
    hires = list(db.session.execute(select(Hire)).scalars())
    [cert] = db.session.execute(select(Certificate)).scalars()
    states = readiness_of(hires)

    def readiness(hire) -> str:
        if hire.id == cert.hire_id:
            return "certified"
        return "awaiting sign-off" if states[hire.id].ready_but_sign_off else "not ready"

    assert {h.user.name: (h.status, readiness(h)) for h in hires} == DEMO_STORY
    left = {
        h.user.name: (h.left_reason, (h.left_on - h.start_date).days) for h in hires if h.left_on
    }
    assert left == {"Rafael Costa": ("another_job", 24), "Mei Tanaka": ("role_fit", 52)}
    assert all(not h.active for h in hires if h.left_on)
    # Every class is named after the day it started on and the channel it works.
    names = {c.name: c.start_date for c in db.session.execute(select(Cohort)).scalars()}
    assert len(names) == 4
    for name, start in names.items():
        assert name.startswith(f"{start:%B} {start.day} wave · ")
    assert min(names.values()) == any_day - timedelta(days=119)
    assert db.session.execute(select(func.count()).select_from(Contact)).scalar_one() > 1000
    assert db.session.execute(select(func.count()).select_from(QAEvaluation)).scalar_one() > 100
    _coaching_story(db, any_day)


def _coaching_story(db, today):
    """Two rules with firings: Amara's empathy refresher done weeks ago with its effect
    measured, Lucas's and Tomás's open today."""
    from sqlalchemy import select

    from ramp.coaching.effect import effects_of
    from ramp.coaching.models import CoachingAssignment

    rows = list(db.session.execute(select(CoachingAssignment)).scalars())
    story = {a.user.name: (a.rule_key, a.status) for a in rows}
    assert story == {
        "Amara Osei": ("empathy-refresher", "completed"),
        "Lucas Moreau": ("resolution-refresher", "open"),
        "Tomás Rivera": ("empathy-refresher", "open"),
    }
    amara = next(a for a in rows if a.user.name == "Amara Osei")
    assert amara.fired_on == amara.hire.start_date + timedelta(days=46)
    assert amara.completed_on == amara.hire.start_date + timedelta(days=49)
    effect = effects_of([amara])[amara.id]
    assert (effect.before_count, effect.after_count) == (3, 3)
    assert effect.before < 60 and effect.after - effect.before > 20
    for a in rows:
        if a.status == "open":
            assert (a.fired_on, a.due_on) == (today, today + timedelta(days=7))
            assert sum(e["short"] for e in a.evidence) >= 3


def test_demo_records_fit_the_targets(demo, db):
    """The figures of a typical hire sit on realistic scales and meet the tenured targets."""
    from sqlalchemy import func, select

    from ramp.accounts.operations import find_user_by_email
    from ramp.metrics.models import Contact

    kwame = find_user_by_email("kwame.mensah@example.com")
    recent = Contact.user_id == kwame.id, Contact.channel == "chat"
    aht, frt = db.session.execute(
        select(func.avg(Contact.handle_seconds), func.avg(Contact.first_response_seconds)).where(
            *recent
        )
    ).one()
    assert 450 < aht < 800  # minutes, not hours: around the tenured 10 minutes
    assert 20 < frt < 120  # chat answers within a minute or two
    emails = db.session.execute(
        select(func.avg(Contact.first_response_seconds)).where(
            Contact.user_id == kwame.id, Contact.channel == "email"
        )
    ).scalar_one()
    assert 1800 < emails < 3 * 3600  # e-mail within hours


def test_demo_seed_is_idempotent_and_varied(demo, db):
    from ramp.accounts.operations import find_user_by_email
    from ramp.curricula.queries import progress_of_learners
    from ramp.demo import DEMO_PASSWORD, seed_demo

    logins = demo  # what seeding the empty database returned
    assert seed_demo() == logins
    db.session.commit()
    assert {role for role, _, _ in logins} == {"admin", "manager", "agent"}
    agents = [find_user_by_email(email) for role, email, _ in logins if role == "agent"]
    assert all(a.check_password(DEMO_PASSWORD) for a in agents)
    percents = sorted(
        p[0].progress.percent for p in progress_of_learners([a.id for a in agents]).values()
    )
    assert percents[0] == 0 and percents[-1] >= 85 and len(set(percents)) >= 4
