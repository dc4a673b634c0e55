"""The curriculum file format: checks with file, line and place; lossless round trip."""

from pathlib import Path

import pytest
import yaml
from flask import Flask
from flask_babel import Babel, force_locale

from ramp.curricula.spec import (
    CurriculumFileError,
    dump_curriculum,
    load_curriculum_file,
    parse_curriculum,
)
from ramp.i18n import catalogues
from tests.conftest import FIXTURES

STARTER = Path(__file__).parents[2] / "ramp" / "curricula" / "starter" / "support-onboarding.yaml"
MINI = (FIXTURES / "mini.yaml").read_text()


def errors_of(text: str) -> list[str]:
    with pytest.raises(CurriculumFileError) as exc:
        parse_curriculum(text, "course.yaml")
    return exc.value.report().splitlines()


def mutate(fn) -> str:
    data = yaml.safe_load(MINI)
    fn(data)
    return yaml.safe_dump(data, sort_keys=False)


def test_mini_parses():
    spec = parse_curriculum(MINI)
    assert [m.slug for m in spec.modules] == ["basics", "tone", "kb"]
    assert spec.modules[1].requires == ("basics",)
    assert spec.modules[0].assessment.questions[1].answer is True


def test_round_trip_is_lossless():
    spec = parse_curriculum(MINI)
    again = parse_curriculum(dump_curriculum(spec))
    assert again == spec
    assert dump_curriculum(again) == dump_curriculum(spec)


def test_round_trip_keeps_awkward_text():
    def awkward(d):
        d["modules"][0]["lessons"][0]["body"] = (
            "Line with trailing space \nand: colons, # hashes\n\ttab"
        )
        d["modules"][0]["title"] = "Quotes ' and \" and: colon"

    spec = parse_curriculum(mutate(awkward))
    assert parse_curriculum(dump_curriculum(spec)) == spec


def test_malformed_yaml_names_the_line():
    [line] = errors_of("slug: x\ntitle: [unclosed\nmodules: []\n")
    assert line.startswith("course.yaml:")
    assert "not valid YAML" in line


def test_unknown_question_type():
    text = MINI.replace("type: single", "type: essay")
    [line] = errors_of(text)
    assert "modules[0].assessment.questions[0].type" in line
    assert "unknown question type 'essay'" in line
    assert line.startswith("course.yaml:26:17:")


def test_unknown_prerequisite():
    [line] = errors_of(MINI.replace("requires: [basics]", "requires: [basic]"))
    assert "modules[1].requires[0]: unknown module 'basic'" in line
    assert line.startswith("course.yaml:39:16:")


def test_cycle_of_prerequisites():
    def cycle(d):
        d["modules"][0]["requires"] = ["kb"]
        d["modules"][2]["requires"] = ["tone"]

    [line] = errors_of(mutate(cycle))
    assert "prerequisites form a cycle: basics -> kb -> tone -> basics" in line


def test_duplicate_module_slugs():
    [line] = errors_of(mutate(lambda d: d["modules"][2].update(slug="tone")))
    assert "modules[2].slug: duplicate module slug 'tone' (also modules[1])" in line


def test_question_with_no_correct_answer():
    def no_correct(d):
        for choice in d["modules"][0]["assessment"]["questions"][0]["choices"]:
            choice["correct"] = False

    [line] = errors_of(mutate(no_correct))
    assert "modules[0].assessment.questions[0].choices" in line
    assert "exactly one correct choice (found 0)" in line


def test_multiple_choice_without_correct_choice():
    def none(d):
        for choice in d["modules"][1]["assessment"]["questions"][0]["choices"]:
            choice.pop("correct", None)

    [line] = errors_of(mutate(none))
    assert "multiple-choice question has no correct choice" in line


def test_every_problem_is_reported_at_once():
    def many(d):
        d["modules"][0]["assessment"]["pass_mark"] = 0
        d["modules"][1]["lessons"][0]["colour"] = "red"
        del d["modules"][2]["title"]

    lines = errors_of(mutate(many))
    assert len(lines) == 3
    assert any("modules[0].assessment.pass_mark: must be at least 1" in x for x in lines)
    assert any("modules[1].lessons[0].colour: is not a known key here" in x for x in lines)
    assert any("modules[2].title: is required" in x for x in lines)


def test_true_false_needs_answer_not_choices():
    def tf(d):
        q = d["modules"][0]["assessment"]["questions"][1]
        del q["answer"]
        q["choices"] = [{"text": "yes", "correct": True}, {"text": "no"}]

    lines = errors_of(mutate(tf))
    assert any("needs 'answer: true' or 'answer: false'" in x for x in lines)


def test_bad_slug_and_empty_modules():
    lines = errors_of("slug: Not A Slug\ntitle: T\nmodules: []\n")
    assert any("slug: must be 1-64 characters" in x for x in lines)
    assert any("modules: must not be empty" in x for x in lines)


def test_not_a_mapping():
    [line] = errors_of("- just\n- a list\n")
    assert "must be a mapping" in line


def test_missing_file_is_reported(tmp_path):
    with pytest.raises(CurriculumFileError) as exc:
        load_curriculum_file(str(tmp_path / "nope.yaml"))
    assert "cannot read the file" in exc.value.report()


def test_starter_curriculum_is_valid_and_substantial():
    spec = load_curriculum_file(str(STARTER))
    lessons = [le for m in spec.modules for le in m.lessons]
    checks = [m.assessment for m in spec.modules if m.assessment]
    assert len(spec.modules) >= 6
    assert len(lessons) >= 20
    assert len(checks) >= 5
    assert all(len(le.body.split()) >= 80 for le in lessons)
    kinds = {q.type for c in checks for q in c.questions}
    assert kinds == {"single", "multiple", "true_false"}
    assert parse_curriculum(dump_curriculum(spec)) == spec


def with_language(value: str) -> str:
    return MINI.replace("title: Mini onboarding\n", f"title: Mini onboarding\nlanguage: {value}\n")


def test_language_is_optional():
    assert parse_curriculum(MINI).language is None
    assert "language" not in dump_curriculum(parse_curriculum(MINI))


@pytest.mark.parametrize(
    ("written", "kept"),
    [("es", "es"), ("pt-BR", "pt-BR"), ("pt_br", "pt-BR"), ("es-419", "es-419"), ('"no"', "no")],
)
def test_language_takes_a_bcp_47_tag_in_its_canonical_form(written, kept):
    spec = parse_curriculum(with_language(written))
    assert spec.language == kept
    assert f"\nlanguage: {kept if kept != 'no' else repr(kept)}\n" in dump_curriculum(spec)
    assert parse_curriculum(dump_curriculum(spec)) == spec


@pytest.mark.parametrize("written", ["xx-nonsense", "klingon", "und", "en--US", '""'])
def test_a_tag_that_names_no_language_is_refused_naming_the_field(written):
    [line] = errors_of(with_language(written))
    shown = written.strip('"')
    assert line == (
        "course.yaml:3:11: language: must be a BCP 47 language tag such as en, es or pt-BR;"
        f" '{shown}' is not one"
    )


def test_a_bare_no_is_read_by_yaml_as_false_and_the_error_says_so():
    [line] = errors_of(with_language("no"))
    assert line.startswith("course.yaml:3:11: language: must be a language tag;")
    assert 'write "no"' in line


def test_the_starter_curriculum_is_in_english():
    assert load_curriculum_file(str(STARTER)).language == "en"


def test_a_bad_curriculum_is_refused_in_the_readers_language():
    app = Flask(__name__)
    Babel(app, default_translation_directories=str(catalogues.TRANSLATIONS_DIR))

    def bad(d):
        d["modules"][0]["requires"] = ["kb"]
        d["modules"][2]["requires"] = ["tone"]
        d["modules"][1]["slug"] = "basics"

    text = mutate(bad)
    english = errors_of(text)
    with app.test_request_context(), force_locale("es"):
        spanish = errors_of(text)
        [language] = errors_of(with_language("xx-nothing"))
        [not_a_mapping] = errors_of("- just\n- a list\n")
    with app.test_request_context(), force_locale("en"):
        assert errors_of(text) == english
    assert any("duplicate module slug 'basics' (also modules[0])" in x for x in english)
    assert any("slug de módulo 'basics' repetido (también modules[0])" in x for x in spanish)
    assert any("módulo desconocido 'tone'" in x for x in spanish)
    assert not any("duplicate" in x or "unknown" in x for x in spanish)
    assert "debe ser una etiqueta de idioma BCP 47" in language
    assert "(archivo de currículo) debe ser un mapeo de claves a valores" in not_a_mapping
