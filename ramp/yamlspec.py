"""Checking YAML documents against pydantic models, with every error placed by line.

Shared by the file formats ramp reads (curricula, ramp templates): each error carries the
file, the line and column, and the place in the document (``modules[2].lessons[0].slug``).
No database; the problems are worded through gettext (English outside a request).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, TypeVar

import yaml
from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, StringConstraints
from pydantic import ValidationError as PydanticValidationError

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]

Loc = tuple[str | int, ...]
Problem = tuple[Loc, str]
M = TypeVar("M", bound=BaseModel)


class Strict(BaseModel):
    """A document part: unknown keys are refused, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


@dataclass(frozen=True)
class SpecError:
    """One problem in a document."""

    path: Loc
    message: str
    line: int | None = None
    column: int | None = None

    def place(self) -> str:
        out = ""
        for part in self.path:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
        return out or "(document)"


class SpecFileError(Exception):
    """A document that cannot be used; holds every problem found."""

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


def node_at(root: yaml.Node | None, path: Loc) -> yaml.Node | None:
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


def _pydantic_message(kind: str) -> str | None:
    """pydantic's error type in plain words, in the reader's language; None when not known."""
    if kind == "missing":
        return _("is required")
    if kind == "extra_forbidden":
        return _("is not a known key here")
    if kind == "string_pattern_mismatch":
        return _("must be 1-64 characters of a-z, 0-9 and '-' (a slug)")
    if kind in ("too_short", "string_too_short"):
        return _("must not be empty")
    if kind in ("bool_type", "bool_parsing"):
        return _("must be true or false")
    if kind in ("int_type", "int_parsing"):
        return _("must be a whole number")
    if kind in ("float_type", "float_parsing"):
        return _("must be a number")
    if kind in ("model_type", "dict_type"):
        return _("must be a mapping of keys to values")
    if kind in ("tuple_type", "list_type"):
        return _("must be a list")
    if kind == "string_type":
        return _("must be text")
    return None


def pydantic_problems(exc: PydanticValidationError) -> list[Problem]:
    """pydantic's errors as (place, plain message) pairs."""
    errors = exc.errors()
    locs = [tuple(err["loc"]) for err in errors]
    out = []
    for err, loc in zip(errors, locs, strict=True):
        # pydantic also calls a list "too short" when its items failed: report the items only.
        if err["type"] == "too_short" and any(o[: len(loc)] == loc and o != loc for o in locs):
            continue
        if err["type"] == "greater_than_equal":
            message = _("must be at least %(limit)s", limit=err["ctx"]["ge"])
        elif err["type"] == "less_than_equal":
            message = _("must be at most %(limit)s", limit=err["ctx"]["le"])
        elif err["type"] == "greater_than":
            message = _("must be more than %(limit)s", limit=err["ctx"]["gt"])
        elif err["type"] == "value_error":
            message = str(err["ctx"]["error"])
        else:
            message = _pydantic_message(err["type"]) or err["msg"].lower()
        out.append((loc, message))
    return out


def place_problems(root: yaml.Node | None, filename: str, problems: list[Problem]) -> SpecFileError:
    """Turn (place, message) pairs into an error that names lines and columns."""
    errors = []
    for loc, message in problems:
        node = node_at(root, loc)
        mark = node.start_mark if node is not None else None
        errors.append(
            SpecError(
                loc, message, mark.line + 1 if mark else None, mark.column + 1 if mark else None
            )
        )
    return SpecFileError(filename, errors)


def parse_document(
    text: str,
    filename: str,
    model: type[M],
    rules: Callable[[M], list[Problem]] | None = None,
    what: str = "document",
) -> tuple[M, yaml.Node]:
    """Parse YAML into `model`, then apply cross-document `rules`; raise SpecFileError with all problems."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        err = SpecError(
            (),
            _("not valid YAML: %(problem)s", problem=problem),
            mark.line + 1 if mark else None,
            mark.column + 1 if mark else None,
        )
        raise SpecFileError(filename, [err]) from None
    except RecursionError:  # PyYAML composes nested collections recursively
        err = SpecError((), _("the %(what)s is nested too deeply to be read", what=what), 1, 1)
        raise SpecFileError(filename, [err]) from None
    if not isinstance(data, dict):
        raise SpecFileError(
            filename,
            [SpecError((), _("the %(what)s must be a mapping of keys to values", what=what), 1, 1)],
        )
    try:
        parsed = model.model_validate(data)
    except PydanticValidationError as exc:
        raise place_problems(root, filename, pydantic_problems(exc)) from None
    problems = rules(parsed) if rules else []
    if problems:
        raise place_problems(root, filename, problems)
    return parsed, root


def read_text(path: str) -> str:
    """A UTF-8 file's text, or a SpecFileError saying why it cannot be read."""
    try:
        with open(path, encoding="utf-8-sig") as fh:
            return fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecFileError(path, [SpecError((), f"cannot read the file: {exc}")]) from None


def find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    """A cycle in a dependency graph as [a, b, ..., a], or None when it is acyclic."""
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


class _BlockDumper(yaml.SafeDumper):
    """Writes multi-line text as block scalars, so exported documents read like the source."""


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        # Block scalars cannot keep trailing spaces on a line; fall back to quoting then.
        style = "|" if not re.search(r"[ \t]\n|[ \t]$", value) else '"'
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_BlockDumper.add_representer(str, _str_representer)


def plain_document(spec: BaseModel) -> dict:
    """A spec as a plain dict in its documented key order (by alias), without empty keys,
    whole floats written as integers: what dump_yaml writes and the parser reads back."""

    def clean(value):
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if v is not None}
        if isinstance(value, (list, tuple)):
            return [clean(v) for v in value]
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value

    return clean(spec.model_dump(by_alias=True))


def dump_yaml(document: dict) -> str:
    """A plain document as readable YAML (keys in the given order, block scalars for text)."""
    return yaml.dump(document, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=100)
