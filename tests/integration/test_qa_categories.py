"""QA scorecard categories as rows: written by the import with its evaluations, replaced on a
re-import, removed by an undo, none left by a refused import; read by agent and tenure week."""

import json
from datetime import timedelta
from pathlib import Path

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select, text

from ramp import clock
from ramp.metrics.categories import category_weeks
from ramp.metrics.formulas import QACategory, percent_of
from ramp.metrics.imports import ImportRefused, import_and_update, load_mapping
from ramp.metrics.mapping import category_key, load_mapping_file
from ramp.metrics.mapping.validation import MappingFileError
from ramp.metrics.models import ImportRun, QACategoryScore, QAEvaluation
from ramp.metrics.undo import undo_import
from tests.conftest import FIXTURES

MAPPING = FIXTURES / "mappings" / "qa-categories.yaml"
HEADER = "Review ID,Agent,Reviewed,Score,Max,Empathy,Verification,Resolution,Resolution max\n"


def export(tmp_path, name: str, rows: list[tuple]) -> Path:
    """A file of reviews: (id, e-mail, days before today, empathy, verification, resolution,
    resolution max)."""
    lines = []
    for review, email, ago, empathy, verification, resolution, high in rows:
        day = (clock.today() - timedelta(days=ago)).strftime("%d/%m/%Y")
        lines.append(
            f"{review},{email},{day} 12:00,80,100,{empathy},{verification},{resolution},{high}\n"
        )
    path = tmp_path / name
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    return path


def stored(db) -> dict[tuple[str, str], tuple]:
    """(review, key) -> (name, score, max, weight, critical, N/A, percent) of every row."""
    db.session.expire_all()
    c, e = QACategoryScore, QAEvaluation
    return {
        (review, key): tuple(rest)
        for review, key, *rest in db.session.execute(
            select(
                e.external_id,
                c.key,
                c.name,
                c.score,
                c.max_score,
                c.weight,
                c.critical,
                c.not_applicable,
                c.percent,
            ).join(e, e.id == c.evaluation_id)
        ).all()
    }


def rows(db) -> int:
    return db.session.execute(select(func.count()).select_from(QACategoryScore)).scalar_one()


@pytest.fixture
def mapping():
    return load_mapping(path=str(MAPPING))


def test_an_import_writes_each_category_as_a_row(db, tmp_path, ramp_world, mapping):
    email = ramp_world.hire().user.email
    path = export(
        tmp_path, "may.csv", [("R1", email, 1, 4, 1, 6, 10), ("R2", email, 2, "", 0, "", "")]
    )
    report, _ = import_and_update(path, mapping)
    db.session.commit()
    assert report.created == 2
    got = stored(db)
    assert got == {
        ("R1", "tone & empathy"): ("Tone & Empathy", 4.0, 5.0, 2.0, False, False, 80.0),
        ("R1", "verification"): ("Verification", 1.0, 1.0, 1.0, True, False, 100.0),
        ("R1", "resolution"): ("Resolution", 6.0, 10.0, 1.0, False, False, 60.0),
        # Empty cells: not scored (N/A), kept as such.
        ("R2", "tone & empathy"): ("Tone & Empathy", None, 5.0, 2.0, False, True, None),
        ("R2", "verification"): ("Verification", 0.0, 1.0, 1.0, True, False, 0.0),
        ("R2", "resolution"): ("Resolution", None, None, 1.0, False, True, None),
    }
    # The rows' percents are the formulas' own, so the evaluation's percent agrees with them.
    r1 = db.session.execute(
        select(QAEvaluation).where(QAEvaluation.external_id == "R1")
    ).scalar_one()
    assert r1.percent == percent_of(
        80,
        100,
        False,
        (QACategory(4, 5, weight=2), QACategory(1, 1, critical=True), QACategory(6, 10)),
    )
    positions = (
        db.session.execute(
            select(QACategoryScore.position)
            .join(QAEvaluation, QAEvaluation.id == QACategoryScore.evaluation_id)
            .where(QAEvaluation.external_id == "R1")
            .order_by(QACategoryScore.position)
        )
        .scalars()
        .all()
    )
    assert positions == [0, 1, 2]


def test_a_reimport_replaces_the_rows_and_undo_gives_them_back(db, tmp_path, ramp_world, mapping):
    email = ramp_world.hire().user.email
    first, _ = import_and_update(
        export(tmp_path, "may.csv", [("R1", email, 1, 4, 1, 6, 10), ("R2", email, 2, 5, 1, 9, 10)]),
        mapping,
    )
    db.session.commit()
    # R2 again, rescored (empathy now N/A), and a new R3.
    second, _ = import_and_update(
        export(
            tmp_path, "june.csv", [("R2", email, 2, "", 0, 3, 10), ("R3", email, 1, 1, 1, 2, 4)]
        ),
        mapping,
    )
    db.session.commit()
    assert (second.created, second.updated) == (1, 1)
    got = stored(db)
    assert rows(db) == 9  # three evaluations, three categories each: none left over
    assert got["R2", "tone & empathy"][1] is None and got["R2", "tone & empathy"][5] is True
    assert got["R2", "verification"][1] == 0.0
    assert got["R2", "resolution"][-1] == 30.0
    assert got["R3", "resolution"][-1] == 50.0
    assert got["R1", "resolution"][-1] == 60.0  # untouched

    undo_import(second.import_run_id, None, "wrong export")
    db.session.commit()
    got = stored(db)
    assert rows(db) == 6
    assert not any(review == "R3" for review, _ in got)  # created by the undone run: gone
    assert got["R2", "tone & empathy"] == ("Tone & Empathy", 5.0, 5.0, 2.0, False, False, 100.0)
    assert got["R2", "resolution"][-1] == 90.0

    undo_import(first.import_run_id, None, "wrong export")
    db.session.commit()
    assert rows(db) == 0


def test_a_mapping_without_categories_leaves_the_rows_alone(db, tmp_path, ramp_world, mapping):
    email = ramp_world.hire().user.email
    import_and_update(export(tmp_path, "may.csv", [("R1", email, 1, 4, 1, 6, 10)]), mapping)
    db.session.commit()
    plain = tmp_path / "plain.csv"
    day = (clock.today() - timedelta(days=1)).strftime("%d/%m/%Y")
    plain.write_text(
        f"Review ID,Agent,Reviewed,Score,Max,Auto-fail\nR1,{email},{day} 12:00,50,100,no\n"
    )
    report, _ = import_and_update(
        plain, load_mapping(path=str(FIXTURES / "mappings" / "qa-basic.yaml"))
    )
    db.session.commit()
    assert report.updated == 1
    # The evaluation keeps its categories (that mapping does not read them), and so its rows.
    assert rows(db) == 3
    assert stored(db)["R1", "resolution"][-1] == 60.0


def test_a_refused_import_leaves_no_category_row(db, tmp_path, ramp_world, mapping):
    email = ramp_world.hire().user.email
    path = export(
        tmp_path,
        "bad.csv",
        [("R1", email, 1, 4, 1, 6, 10), ("R2", email, 1, 9, 1, 6, 10)],  # 9 of 5: a problem
    )
    with pytest.raises(ImportRefused):
        import_and_update(path, mapping)
    db.session.remove()
    assert rows(db) == 0
    assert db.session.execute(select(func.count()).select_from(QAEvaluation)).scalar_one() == 0
    assert db.session.execute(select(ImportRun.status)).scalars().all() == ["failed"]


def test_an_import_stopped_midway_by_an_error_leaves_no_category_row(
    db, tmp_path, ramp_world, mapping, monkeypatch
):
    # The category rows are written; then the agents' plans fail to update: all of it goes.
    from ramp.milestones import operations

    email = ramp_world.hire().user.email

    def broken(users):
        assert rows(db) == 3  # written, in the import's transaction
        raise RuntimeError("disk full")

    monkeypatch.setattr(operations, "evaluate_users", broken)
    with pytest.raises(RuntimeError):
        import_and_update(export(tmp_path, "may.csv", [("R1", email, 1, 4, 1, 6, 10)]), mapping)
    db.session.remove()
    assert rows(db) == 0


def test_names_that_differ_in_case_or_spacing_are_one_category(db, tmp_path, ramp_world):
    hire = ramp_world.hire()
    email = hire.user.email
    assert (
        category_key("Tone & Empathy")
        == category_key("  tone &\u00a0 EMPATHY\t")
        == "tone & empathy"
    )
    assert category_key("Verification") != category_key("Verifications")
    import_and_update(
        export(tmp_path, "a.csv", [("R1", email, 1, 4, 1, 6, 10)]), load_mapping(path=str(MAPPING))
    )
    db.session.commit()
    # Another team's copy of the mapping writes the names its own way.
    other = tmp_path / "other.yaml"
    other.write_text(
        MAPPING.read_text()
        .replace("name: qa-categories", "name: qa-categories-other")
        .replace("name: Tone & Empathy", "name: 'tone  &  empathy '")
        .replace("name: Verification", "name: VERIFICATION")
    )
    import_and_update(
        export(tmp_path, "b.csv", [("R2", email, 1, 2, 0, 6, 10)]), load_mapping(path=str(other))
    )
    db.session.commit()
    table = category_weeks(hire)
    assert [r.key for r in table.rows] == ["tone & empathy", "verification", "resolution"]
    [empathy, verification, _] = table.rows
    assert empathy.name == "tone  &  empathy"  # as the latest evaluation wrote it
    week = table.weeks[-1]
    assert empathy.weeks[week].sample == 2 and empathy.weeks[week].value == pytest.approx(60.0)
    assert verification.weeks[week].critical_below_half == 1


def test_a_mapping_naming_one_category_twice_is_refused(tmp_path):
    other = tmp_path / "twice.yaml"
    other.write_text(MAPPING.read_text().replace("name: Verification", "name: ' tone &  EMPATHY'"))
    with pytest.raises(MappingFileError, match="duplicate category"):
        load_mapping_file(str(other))


def test_category_figures_by_tenure_week(db, tmp_path, ramp_world, mapping, request):
    # The hire started 5 days ago: week 1 is days 0-6. A review before the start and one
    # after today count for no week.
    hire = ramp_world.hire()
    other = ramp_world.hire()
    email = hire.user.email
    start = hire.start_date
    ago = (clock.today() - start).days
    reviews = [
        ("R1", email, ago, 4, 1, 6, 10),  # week 1, the first day
        ("R2", email, ago - 1, 2, 0, 2, 10),  # week 1
        ("R3", email, ago - 2, "", 1, 8, 10),  # week 1, empathy N/A
        ("R0", email, ago + 1, 1, 1, 1, 10),  # the day before the start: no week
        ("R9", email, -3, 1, 1, 1, 10),  # after today: not yet
        ("X1", other.user.email, 1, 0, 0, 0, 10),  # another agent
    ]
    import_and_update(export(tmp_path, "may.csv", reviews), mapping)
    db.session.commit()
    table = category_weeks(hire)
    assert table.weeks == [1]
    by_key = {r.key: r for r in table.rows}
    empathy = by_key["tone & empathy"].weeks[1]
    assert (empathy.sample, empathy.not_applicable) == (2, 1)
    assert empathy.value == pytest.approx((80 + 40) / 2)
    resolution = by_key["resolution"].weeks[1]
    assert resolution.value == pytest.approx((60 + 20 + 80) / 3) and resolution.sample == 3
    assert (
        by_key["verification"].critical and by_key["verification"].weeks[1].critical_below_half == 1
    )
    # Beside the overall QA score of the same week and records.
    overall = table.overall[1]
    assert overall.sample == 3
    percents = (
        db.session.execute(
            select(QAEvaluation.percent).where(QAEvaluation.external_id.in_(["R1", "R2", "R3"]))
        )
        .scalars()
        .all()
    )
    assert overall.value == pytest.approx(sum(percents) / 3)

    # A week later, a review in week 2.
    request.getfixturevalue("clock").shift(timedelta(days=7))
    later = export(tmp_path, "june.csv", [("R4", email, ago - 1, 5, 1, 10, 10)])
    import_and_update(later, mapping)
    db.session.commit()
    table = category_weeks(hire)
    assert table.weeks == [1, 2]
    # R9, dated after the first look, is in the past now: week 2 holds it beside R4.
    week2 = {r.key: r for r in table.rows}["resolution"].weeks[2]
    assert (week2.value, week2.sample) == (pytest.approx((100 + 10) / 2), 2)


def test_the_migration_fills_the_rows_from_the_json(app, db, make_user):
    # Evaluations written before the table existed: their categories are JSON only, without keys.
    agent_id = make_user("agent").id
    db.session.remove()
    downgrade(revision="0018")
    try:
        with db.engine.begin() as conn:
            for review, categories in (
                (
                    "Q1",
                    '[{"name": "Tone  & Empathy", "score": 4, "max_score": 5, "min_score": 0, '
                    '"weight": 2, "critical": false}, {"name": "Verification", "score": null, '
                    '"max_score": 1, "min_score": 0, "weight": 1, "critical": true}]',
                ),
                ("Q2", "[]"),
            ):
                conn.execute(
                    text(
                        "INSERT INTO qa_evaluations (source, external_id, user_id, evaluated_at, "
                        "critical_fail, categories, percent, metric_date) VALUES "
                        "('old', :review, :user, '2026-05-04 10:00:00+00:00', :no, :categories, "
                        "80.0, '2026-05-04')"
                    ),
                    {"review": review, "user": agent_id, "no": False, "categories": categories},
                )
    finally:
        upgrade()
    got = stored(db)
    assert got == {
        ("Q1", "tone & empathy"): ("Tone  & Empathy", 4.0, 5.0, 2.0, False, False, 80.0),
        ("Q1", "verification"): ("Verification", None, 1.0, 1.0, True, True, None),
    }
    # The JSON now carries each category's key, as the import writes it.
    q1 = db.session.execute(
        select(QAEvaluation).where(QAEvaluation.external_id == "Q1")
    ).scalar_one()
    assert [c["key"] for c in q1.categories] == ["tone & empathy", "verification"]


PRESETS = Path(__file__).parents[2] / "ramp" / "metrics" / "presets"


def test_a_copy_of_the_zendesk_qa_preset_reads_the_lifted_ratings(db, tmp_path, ramp_world):
    # As docs/mapping-format.md shows: the preset, a name of its own and a categories section
    # reading rating.<categoryName>, on reviews whose ratings list was lifted into `rating`.
    hire = ramp_world.hire()
    copy = tmp_path / "our-zendesk-qa.yaml"
    copy.write_text(
        (PRESETS / "zendesk-qa.yaml")
        .read_text()
        .replace("name: zendesk-qa", "name: our-zendesk-qa")
        + "categories:\n"
        "  - name: Tone and empathy\n"
        "    score: rating.Tone and empathy\n"
        "    max_score: 100\n"
        "    weight: 2\n"
        "  - name: Verification\n"
        "    score: rating.Verification\n"
        "    max_score: 100\n"
        "    critical: true\n"
    )
    day = (clock.today() - timedelta(days=1)).isoformat()
    review = {
        "id": "7001",
        "reviewee": {"email": hire.user.email},
        "score": 75,
        "createdISO": f"{day}T10:00:00Z",
        "scorecard": {"id": "1", "name": "Support"},
        "ratings": [
            {"categoryName": "Tone and empathy", "score": 50, "weight": 2, "critical": False},
            {"categoryName": "Verification", "score": 100, "weight": 1, "critical": True},
        ],
        "rating": {"Tone and empathy": 50, "Verification": 100},  # lifted, as the docs show
        "conversation": {"externalId": "zd-1", "createdAtISO": f"{day}T09:00:00Z"},
    }
    path = tmp_path / "reviews.jsonl"
    path.write_text(json.dumps(review) + "\n", encoding="utf-8")
    report, _ = import_and_update(path, load_mapping(path=str(copy)))
    db.session.commit()
    assert report.created == 1
    got = stored(db)
    assert got["7001", "tone and empathy"] == (
        "Tone and empathy",
        50.0,
        100.0,
        2.0,
        False,
        False,
        50.0,
    )
    assert got["7001", "verification"][-1] == 100.0


def test_a_copy_of_the_playvox_preset_reads_the_lifted_sections(db, tmp_path, ramp_world):
    from ramp.metrics.models import AgentIdentity

    hire = ramp_world.hire()
    db.session.add(
        AgentIdentity(
            source="playvox", external_id="65f1c2a9e4b0a7d3c8f21a04", user_id=hire.user.id
        )
    )
    db.session.commit()
    copy = tmp_path / "our-playvox.yaml"
    copy.write_text(
        (PRESETS / "playvox.yaml").read_text().replace("name: playvox", "name: our-playvox")
        + "categories:\n"
        "  - name: Greeting\n"
        "    score: section.s-greet\n"
        "    max_score: 100\n"
        "  - name: Troubleshooting\n"
        "    score: section.s-solve\n"
        "    max_score: 100\n"
        "    weight: 3\n"
    )
    day = (clock.today() - timedelta(days=1)).isoformat()
    evaluation = {
        "_id": "e-1",
        "agent_id": "65f1c2a9e4b0a7d3c8f21a04",
        "calibration_id": None,
        "scorecard_id": "sc-1",
        "score": 70,
        "interaction_id": "zd-1",
        "created_at": f"{day}T10:00:00.000Z",
        "sections": [{"_id": "s-greet", "score": 100}, {"_id": "s-solve", "score": 60}],
        "section": {"s-greet": 100, "s-solve": 60},  # lifted, as the docs show
    }
    path = tmp_path / "evaluations.jsonl"
    path.write_text(json.dumps(evaluation) + "\n", encoding="utf-8")
    import_and_update(path, load_mapping(path=str(copy)))
    db.session.commit()
    got = stored(db)
    assert got["e-1", "greeting"][-1] == 100.0 and got["e-1", "troubleshooting"][-1] == 60.0
    evaluation = db.session.execute(select(QAEvaluation)).scalar_one()
    assert evaluation.percent == pytest.approx((100 + 3 * 60) / 4)


def test_generated_reviews_get_their_category_rows_once(db, ramp_world):
    from ramp.metrics.generator import SCORECARD, generate_for_hire, insert_records

    hire = ramp_world.hire()
    start = clock.today() - timedelta(days=60)
    _, reviews = generate_for_hire(hire.user_id, start, clock.today() - timedelta(days=20))
    _, later = generate_for_hire(hire.user_id, start, clock.today())
    later = [r for r in later if r["external_id"] not in {x["external_id"] for x in reviews}]
    insert_records([], reviews)
    insert_records([], later)  # the same agent again: the first reviews' rows not written twice
    db.session.commit()
    assert reviews and later and rows(db) == len(SCORECARD) * (len(reviews) + len(later))
    first = reviews[0]
    kept = {
        key: values
        for (review, key), values in stored(db).items()
        if review == first["external_id"]
    }
    assert [kept[name.lower()][0] for name, _ in SCORECARD] == [name for name, _ in SCORECARD]
    percents = {c["name"].lower(): c["score"] for c in first["categories"]}
    assert {key: v[-1] for key, v in kept.items()} == pytest.approx(percents)
