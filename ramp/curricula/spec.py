"""The curriculum file format: parse and check a YAML document, and write one back.

Plain Python and pydantic only: no database. Every error carries the file, the line and
column, and the place in the document (``modules[2].lessons[0].slug``); the problems are
worded through gettext (English outside a request).
"""

from __future__ import annotations

from typing import Annotated

from babel import Locale, UnknownLocaleError
from flask_babel import gettext as _
from flask_babel import ngettext
from pydantic import AfterValidator, BeforeValidator, Field

from ramp.yamlspec import (
    Slug,
    SpecFileError,
    Strict,
    Text,
    dump_yaml,
    find_cycle,
    parse_document,
    read_text,
)

# A curriculum file that cannot be published: the shared error with every problem placed.
CurriculumFileError = SpecFileError

QUESTION_TYPES = ("single", "multiple", "true_false")


def language_tag(value: str) -> str:
    """A language tag in its canonical form ("pt_br" -> "pt-BR"); ValueError when Babel
    does not know the language it names."""
    written = value.strip()
    try:
        locale = Locale.parse(written.replace("-", "_"), sep="_")
    except (ValueError, TypeError, UnknownLocaleError):
        locale = None
    # Babel reads "und" (undetermined) as its likeliest language; a file means what it says.
    if locale is None or locale.language != written.split("-")[0].split("_")[0].lower():
        raise ValueError(
            _(
                "must be a BCP 47 language tag such as en, es or pt-BR; '%(tag)s' is not one",
                tag=written,
            )
        )
    parts = (locale.language, locale.script, locale.territory, locale.variant)
    return "-".join(part for part in parts if part)


def _not_a_yaml_boolean(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError(
            _('must be a language tag; YAML reads a bare no (Norwegian) as false, so write "no"')
        )
    return value


LanguageTag = Annotated[str, BeforeValidator(_not_a_yaml_boolean), AfterValidator(language_tag)]


class ChoiceSpec(Strict):
    text: Text
    correct: bool = False


class QuestionSpec(Strict):
    type: str
    prompt: Text
    choices: tuple[ChoiceSpec, ...] | None = None
    answer: bool | None = None
    explanation: Text


class AssessmentSpec(Strict):
    title: Text
    pass_mark: Annotated[int, Field(ge=1, le=100, strict=True)]
    max_attempts: Annotated[int, Field(ge=1, le=100, strict=True)]
    questions: Annotated[tuple[QuestionSpec, ...], Field(min_length=1)]


class LessonSpec(Strict):
    slug: Slug
    title: Text
    minutes: Annotated[int, Field(ge=1, le=600, strict=True)] | None = None
    body: Text


class ModuleSpec(Strict):
    slug: Slug
    title: Text
    summary: str | None = None
    requires: tuple[Slug, ...] = ()
    lessons: Annotated[tuple[LessonSpec, ...], Field(min_length=1)]
    assessment: AssessmentSpec | None = None


class CurriculumSpec(Strict):
    slug: Slug
    title: Text
    # The language the content is written in; pages in another language mark it as such.
    language: LanguageTag | None = None
    description: str | None = None
    modules: Annotated[tuple[ModuleSpec, ...], Field(min_length=1)]


def _rule_errors(spec: CurriculumSpec) -> list[tuple[tuple, str]]:
    """Checks across the document: unique slugs, prerequisites, question shapes."""
    out: list[tuple[tuple, str]] = []
    module_index: dict[str, int] = {}
    for i, module in enumerate(spec.modules):
        if module.slug in module_index:
            first = module_index[module.slug]
            out.append(
                (
                    (("modules", i, "slug")),
                    _(
                        "duplicate module slug '%(slug)s' (also modules[%(first)s])",
                        slug=module.slug,
                        first=first,
                    ),
                )
            )
        else:
            module_index[module.slug] = i
        lesson_slugs: dict[str, int] = {}
        for j, lesson in enumerate(module.lessons):
            if lesson.slug in lesson_slugs:
                out.append(
                    (
                        ("modules", i, "lessons", j, "slug"),
                        _(
                            "duplicate lesson slug '%(lesson)s' in module '%(module)s'",
                            lesson=lesson.slug,
                            module=module.slug,
                        ),
                    )
                )
            lesson_slugs.setdefault(lesson.slug, j)
        if module.assessment:
            for k, question in enumerate(module.assessment.questions):
                loc = ("modules", i, "assessment", "questions", k)
                out.extend((loc + sub, msg) for sub, msg in _question_errors(question))
    for i, module in enumerate(spec.modules):
        for r, required in enumerate(module.requires):
            loc = ("modules", i, "requires", r)
            if required == module.slug:
                out.append((loc, _("module '%(slug)s' cannot require itself", slug=module.slug)))
            elif required not in module_index:
                out.append((loc, _("unknown module '%(slug)s'", slug=required)))
    if not out:
        cycle = find_cycle({m.slug: list(m.requires) for m in spec.modules})
        if cycle:
            i = module_index[cycle[0]]
            out.append(
                (
                    ("modules", i, "requires"),
                    _("prerequisites form a cycle: %(cycle)s", cycle=" -> ".join(cycle)),
                )
            )
    return out


def _question_errors(question: QuestionSpec) -> list[tuple[tuple, str]]:
    if question.type not in QUESTION_TYPES:
        return [
            (
                ("type",),
                _(
                    "unknown question type '%(type)s' (single, multiple or true_false)",
                    type=question.type,
                ),
            )
        ]
    if question.type == "true_false":
        problems = []
        if question.answer is None:
            problems.append(
                (("answer",), _("a true/false question needs 'answer: true' or 'answer: false'"))
            )
        if question.choices is not None:
            problems.append((("choices",), _("a true/false question has no choices; use 'answer'")))
        return problems
    if question.answer is not None:
        return [
            (
                ("answer",),
                _("'answer' is only for true_false questions; mark a choice 'correct: true'"),
            )
        ]
    choices = question.choices or ()
    if len(choices) < 2:
        return [
            (
                ("choices",),
                _(
                    "a %(type)s-choice question needs at least two choices",
                    type=question.type,
                ),
            )
        ]
    texts = [c.text for c in choices]
    if len(set(texts)) != len(texts):
        return [(("choices",), _("two choices have the same text"))]
    correct = sum(c.correct for c in choices)
    if question.type == "single" and correct != 1:
        return [
            (
                ("choices",),
                _(
                    "a single-choice question needs exactly one correct choice (found %(found)s)",
                    found=correct,
                ),
            )
        ]
    if question.type == "multiple" and correct == 0:
        return [(("choices",), _("a multiple-choice question has no correct choice"))]
    return []


def parse_curriculum(text: str, filename: str = "<curriculum>") -> CurriculumSpec:
    """Parse and check a whole curriculum document; raise CurriculumFileError with every problem."""
    spec, _document = parse_document(
        text, filename, CurriculumSpec, _rule_errors, what=_("curriculum file")
    )
    return spec


def load_curriculum_file(path: str) -> CurriculumSpec:
    """Read and check a curriculum file."""
    return parse_curriculum(read_text(path), filename=path)


def spec_to_document(spec: CurriculumSpec) -> dict:
    """The plain dict form of a spec, in the documented key order, without empty defaults."""

    def clean(value):
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if v is not None and v != ()}
        if isinstance(value, (list, tuple)):
            return [clean(v) for v in value]
        return value

    doc = clean(spec.model_dump())
    for module in doc["modules"]:
        module.setdefault("requires", [])
        for question in (module.get("assessment") or {}).get("questions", []):
            for choice in question.get("choices", []):
                if not choice["correct"]:
                    del choice["correct"]
    return doc


def summary(spec: CurriculumSpec) -> str:
    """What a curriculum holds, in words: "3 modules, 4 lessons, 2 knowledge checks"."""
    lessons = sum(len(m.lessons) for m in spec.modules)
    checks = sum(1 for m in spec.modules if m.assessment)
    return _(
        "%(modules)s, %(lessons)s, %(checks)s",
        modules=ngettext("%(num)d module", "%(num)d modules", len(spec.modules)),
        lessons=ngettext("%(num)d lesson", "%(num)d lessons", lessons),
        checks=ngettext("%(num)d knowledge check", "%(num)d knowledge checks", checks),
    )


def dump_curriculum(spec: CurriculumSpec) -> str:
    """Write a spec as YAML that parse_curriculum() reads back to an equal spec."""
    return dump_yaml(spec_to_document(spec))
