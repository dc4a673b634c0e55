"""Current skills as the CSV files routing systems import: NICE CXone, Calabrio and Genesys
Cloud (columns and their sources in docs/skills.md). Plain values in, text out; no agents
give the header alone. Cells are made safe for spreadsheets (ramp.csvsafe)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ramp.csvsafe import SafeWriter

NICE, CALABRIO, GENESYS = "nice", "calabrio", "genesys"
FORMATS = (NICE, CALABRIO, GENESYS)
LABELS = {NICE: "NICE CXone", CALABRIO: "Calabrio", GENESYS: "Genesys Cloud"}

# NICE CXone: one row per agent and skill; proficiency 1 (highest) to 20 (lowest).
NICE_COLUMNS = ("Skill Name", "Username", "First Name", "Last Name", "Proficiency")
# ramp's level 5 (expert) is CXone's 1; level 1 (basic) is 20.
NICE_PROFICIENCY = {5: 1, 4: 5, 3: 10, 2: 15, 1: 20}
# Calabrio WFM: one row per agent and skill; proficiency as a percentage.
CALABRIO_COLUMNS = ("Email address", "First name", "Last name", "Skill", "Proficiency")
# Genesys Cloud's people import, in its documented order; skills as Name:stars (0-5).
GENESYS_COLUMNS = (
    "name",
    "email",
    "phone_work",
    "extension",
    "title",
    "department",
    "email_manager",
    "location_work",
    "roles_divisions",
    "queues",
    "division",
    "skills",
)


@dataclass(frozen=True)
class AgentSkills:
    """One agent and the skills they hold now: (skill, level) pairs."""

    name: str
    email: str
    skills: Sequence[tuple[str, int]]


def split_name(name: str) -> tuple[str, str]:
    """First and last name: the last word is the last name."""
    first, _sep, last = name.strip().rpartition(" ")
    return (first, last) if first else (last, "")


def genesys_name(skill: str) -> str:
    """A skill as a Genesys skill name: its cell separates skill and stars with a colon and
    skills with commas, so ``language:es`` is written ``language_es``."""
    return skill.replace(":", "_").replace(",", "_")


def skills_csv(fmt: str, agents: Iterable[AgentSkills]) -> str:
    """The agents' skills as one system's import file."""
    out = io.StringIO()
    writer = SafeWriter(out, lineterminator="\r\n")
    if fmt == NICE:
        writer.writerow(NICE_COLUMNS)
        for a in agents:
            first, last = split_name(a.name)
            for skill, level in a.skills:
                writer.writerow([skill, a.email, first, last, NICE_PROFICIENCY[level]])
    elif fmt == CALABRIO:
        writer.writerow(CALABRIO_COLUMNS)
        for a in agents:
            first, last = split_name(a.name)
            for skill, level in a.skills:
                writer.writerow([a.email, first, last, skill, level * 20])
    elif fmt == GENESYS:
        writer.writerow(GENESYS_COLUMNS)
        for a in agents:
            if not a.skills:
                continue
            cell = ",".join(f"{genesys_name(skill)}:{level}" for skill, level in a.skills)
            writer.writerow([a.name, a.email, *[""] * 9, cell])
    else:
        raise ValueError(f"unknown skills export format {fmt!r}")
    return out.getvalue()
