"""The skills a ramp template grants for routing: their shape in the template file, and the
checks on them. Plain Python and pydantic only.

A skill is written ``kind:value`` (``queue:billing``, ``channel:chat``, ``language:es``),
alone or with a proficiency level from 1 (basic) to 5 (expert)::

    skills:
      - language:es              # level 3, the default
      - skill: queue:billing
        level: 4
"""

from __future__ import annotations

import re
from typing import Annotated

from flask_babel import gettext as _
from pydantic import BeforeValidator, Field

from ramp.yamlspec import Problem, Strict

MIN_LEVEL, MAX_LEVEL, DEFAULT_LEVEL = 1, 5, 3
CHANNELS = ("phone", "chat", "email", "social")

KIND = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
VALUE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$")
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def _shorthand(value):
    """``language:es`` stands for ``{skill: language:es}``. YAML reads ``- language:`` and
    ``- language: es`` as one-key mappings: they are taken back to the text they were, so
    the refusal quotes what was written."""
    if isinstance(value, str):
        return {"skill": value}
    if isinstance(value, dict) and len(value) == 1:
        [(key, inner)] = value.items()
        if key not in SkillGrantSpec.model_fields and isinstance(key, str):
            return {"skill": f"{key}:" if inner is None else f"{key}: {inner}"}
    return value


class SkillGrantSpec(Strict):
    """One skill a milestone or the certificate grants, with its level."""

    skill: str
    level: Annotated[int, Field(ge=MIN_LEVEL, le=MAX_LEVEL, strict=True)] = DEFAULT_LEVEL


SkillItem = Annotated[SkillGrantSpec, BeforeValidator(_shorthand)]


def skill_problem(name: str) -> str | None:
    """Why `name` is not a skill ramp can grant, or None."""
    kind, sep, value = name.partition(":")
    if not sep or not KIND.match(kind) or not VALUE.match(value):
        return _(
            "'%(skill)s' is not a skill: write kind:value, such as queue:billing, "
            "channel:chat or language:es (lower-case kind; value of letters, digits, . _ + -)",
            skill=name[:80],
        )
    if kind == "channel" and value not in CHANNELS:
        return _("unknown channel '%(channel)s' (phone, chat, email or social)", channel=value[:40])
    if kind == "language" and not LANGUAGE.match(value):
        return _(
            "'%(value)s' is not a language tag: write one such as es, en-GB or pt-BR",
            value=value[:40],
        )
    return None


def skill_errors(base: tuple, skills: tuple[SkillGrantSpec, ...]) -> list[Problem]:
    """Each skill of one list well formed and listed once."""
    out: list[Problem] = []
    seen: dict[str, int] = {}
    for k, grant in enumerate(skills):
        loc = (*base, k)
        if problem := skill_problem(grant.skill):
            out.append((loc, problem))
        elif grant.skill in seen:
            out.append(
                (
                    loc,
                    _(
                        "skill '%(skill)s' is listed twice (also item %(first)s)",
                        skill=grant.skill,
                        first=seen[grant.skill],
                    ),
                )
            )
        else:
            seen[grant.skill] = k
    return out
