"""The curriculum file format: parse and check a YAML document, and write one back.

Plain Python and pydantic only: no Flask, no database. Every error carries the file, the
line and column, and the place in the document (``modules[2].lessons[0].slug``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic import ValidationError as PydanticValidationError

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]

QUESTION_TYPES = ("single", "multiple", "true_false")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


class ChoiceSpec(_Strict):
    text: Text
    correct: bool = False


class QuestionSpec(_Strict):
    type: str
    prompt: Text
    choices: tuple[ChoiceSpec, ...] | None = None
    answer: bool | None = None
    explanation: Text


class AssessmentSpec(_Strict):
    title: Text
    pass_mark: Annotated[int, Field(ge=1, le=100, strict=True)]
    max_attempts: Annotated[int, Field(ge=1, le=100, strict=True)]
    questions: Annotated[tuple[QuestionSpec, ...], Field(min_length=1)]


class LessonSpec(_Strict):
    slug: Slug
    title: Text
    minutes: Annotated[int, Field(ge=1, le=600, strict=True)] | None = None
    body: Text


class ModuleSpec(_Strict):
    slug: Slug
    title: Text
    summary: str | None = None
    requires: tuple[Slug, ...] = ()
    lessons: Annotated[tuple[LessonSpec, ...], Field(min_length=1)]
    assessment: AssessmentSpec | None = None


class CurriculumSpec(_Strict):
    slug: Slug
    title: Text
    description: str | None = None
    modules: Annotated[tuple[ModuleSpec, ...], Field(min_length=1)]


@dataclass(frozen=True)
class SpecError:
    """One problem in a curriculum file."""

    path: tuple[str | int, ...]
    message: str
    line: int | None = None
    column: int | None = None

    def place(self) -> str:
        out = ""
        for part in self.path:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
        return out or "(document)"


class CurriculumFileError(Exception):
    """A curriculum file that cannot be published; holds every problem found."""

    def __init__(self, filename: str, errors: list[SpecError]):
        self.filename = filename
        self.errors = errors
        super().__init__(self.report())

    def report(self) -> str:
        """One line per problem: file:line:column: place: message."""
        lines = []
        for err in self.errors:
            where = self.filename
            if err.line is not None:
                where += f":{err.line}:{err.column}"
            lines.append(f"{where}: {err.place()}: {err.message}")
        return "\n".join(lines)


def _node_at(root: yaml.Node | None, path: tuple[str | int, ...]) -> yaml.Node | None:
    """The YAML node at `path`, or the deepest existing ancestor (for line numbers)."""
    node = root
    for part in path:
        child = None
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for key, value in node.value:
                if key.value == part:
                    child = value
                    break
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(part, int)
            and 0 <= part < len(node.value)
        ):
            child = node.value[part]
        if child is None:
            return node
        node = child
    return node


_PYDANTIC_MESSAGES = {
    "missing": "is required",
    "extra_forbidden": "is not a known key here",
    "string_pattern_mismatch": "must be 1-64 characters of a-z, 0-9 and '-' (a slug)",
    "too_short": "must not be empty",
    "string_too_short": "must not be empty",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "model_type": "must be a mapping of keys to values",
    "tuple_type": "must be a list",
    "string_type": "must be text",
}


def _pydantic_errors(exc: PydanticValidationError) -> list[tuple[tuple, str]]:
    errors = exc.errors()
    locs = [tuple(err["loc"]) for err in errors]
    out = []
    for err, loc in zip(errors, locs, strict=True):
        # pydantic also calls a list "too short" when its items failed: report the items only.
        if err["type"] == "too_short" and any(o[: len(loc)] == loc and o != loc for o in locs):
            continue
        if err["type"] == "greater_than_equal":
            message = f"must be at least {err['ctx']['ge']}"
        elif err["type"] == "less_than_equal":
            message = f"must be at most {err['ctx']['le']}"
        else:
            message = _PYDANTIC_MESSAGES.get(err["type"]) or err["msg"].lower()
        out.append((loc, message))
    return out


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
                    f"duplicate module slug '{module.slug}' (also modules[{first}])",
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
                        f"duplicate lesson slug '{lesson.slug}' in module '{module.slug}'",
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
                out.append((loc, f"module '{module.slug}' cannot require itself"))
            elif required not in module_index:
                out.append((loc, f"unknown module '{required}'"))
    if not out:
        cycle = find_cycle({m.slug: list(m.requires) for m in spec.modules})
        if cycle:
            i = module_index[cycle[0]]
            out.append(
                (("modules", i, "requires"), "prerequisites form a cycle: " + " -> ".join(cycle))
            )
    return out


def _question_errors(question: QuestionSpec) -> list[tuple[tuple, str]]:
    if question.type not in QUESTION_TYPES:
        return [
            (
                ("type",),
                f"unknown question type '{question.type}' (single, multiple or true_false)",
            )
        ]
    if question.type == "true_false":
        problems = []
        if question.answer is None:
            problems.append(
                (("answer",), "a true/false question needs 'answer: true' or 'answer: false'")
            )
        if question.choices is not None:
            problems.append((("choices",), "a true/false question has no choices; use 'answer'"))
        return problems
    if question.answer is not None:
        return [
            (
                ("answer",),
                "'answer' is only for true_false questions; mark a choice 'correct: true'",
            )
        ]
    choices = question.choices or ()
    if len(choices) < 2:
        return [(("choices",), f"a {question.type}-choice question needs at least two choices")]
    texts = [c.text for c in choices]
    if len(set(texts)) != len(texts):
        return [(("choices",), "two choices have the same text")]
    correct = sum(c.correct for c in choices)
    if question.type == "single" and correct != 1:
        return [
            (
                ("choices",),
                f"a single-choice question needs exactly one correct choice (found {correct})",
            )
        ]
    if question.type == "multiple" and correct == 0:
        return [(("choices",), "a multiple-choice question has no correct choice")]
    return []


def find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    """A cycle in a prerequisite graph as [a, b, ..., a], or None when it is acyclic."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in graph.get(node, ()):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in graph:
        if start not in state and (found := visit(start)):
            return found
    return None


def parse_curriculum(text: str, filename: str = "<curriculum>") -> CurriculumSpec:
    """Parse and check a whole curriculum document; raise CurriculumFileError with every problem."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        err = SpecError(
            (),
            f"not valid YAML: {problem}",
            mark.line + 1 if mark else None,
            mark.column + 1 if mark else None,
        )
        raise CurriculumFileError(filename, [err]) from None
    if not isinstance(data, dict):
        raise CurriculumFileError(
            filename,
            [SpecError((), "the file must be a mapping with slug, title and modules", 1, 1)],
        )
    try:
        spec = CurriculumSpec.model_validate(data)
        problems = _rule_errors(spec)
    except PydanticValidationError as exc:
        problems = _pydantic_errors(exc)
    if problems:
        errors = []
        for loc, message in problems:
            node = _node_at(root, loc)
            mark = node.start_mark if node is not None else None
            errors.append(
                SpecError(
                    loc, message, mark.line + 1 if mark else None, mark.column + 1 if mark else None
                )
            )
        raise CurriculumFileError(filename, errors)
    return spec


def load_curriculum_file(path: str) -> CurriculumSpec:
    """Read and check a curriculum file."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise CurriculumFileError(path, [SpecError((), f"cannot read the file: {exc}")]) from None
    return parse_curriculum(text, filename=path)


class _LiteralDumper(yaml.SafeDumper):
    """Writes multi-line text as block scalars, so exported lessons read like the source."""


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        # Block scalars cannot keep trailing spaces on a line; fall back to quoting then.
        style = "|" if not re.search(r"[ \t]\n|[ \t]$", value) else '"'
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_LiteralDumper.add_representer(str, _str_representer)


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


def dump_curriculum(spec: CurriculumSpec) -> str:
    """Write a spec as YAML that parse_curriculum() reads back to an equal spec."""
    return yaml.dump(
        spec_to_document(spec),
        Dumper=_LiteralDumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )
