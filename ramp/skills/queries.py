"""Reading skills: each agent's current skills with their source and since-date, the agents
a viewer may see, and the rows the exports write."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ramp.accounts.models import User
from ramp.extensions import db
from ramp.milestones.queries import listed_hires
from ramp.skills.exports import AgentSkills
from ramp.skills.models import SkillGrant


@dataclass(frozen=True)
class Source:
    """One source granting a skill: a milestone or a certificate."""

    kind: str
    id: int
    label: str
    level: int
    since: datetime


@dataclass(frozen=True)
class CurrentSkill:
    """A skill an agent holds now: its level (the highest any source grants), since when
    (the earliest grant still in force), and every source granting it."""

    skill: str
    level: int
    since: datetime
    sources: tuple[Source, ...]

    @property
    def kind(self) -> str:
        return self.skill.partition(":")[0]

    @property
    def value(self) -> str:
        return self.skill.partition(":")[2]


def current_skills(user_ids) -> dict[int, list[CurrentSkill]]:
    """Each agent's current skills, by skill name; an agent with none has an empty list."""
    ids = set(user_ids)
    out: dict[int, list[CurrentSkill]] = {uid: [] for uid in ids}
    if not ids:
        return out
    grouped: dict[tuple[int, str], list[Source]] = defaultdict(list)
    rows = db.session.execute(
        select(
            SkillGrant.user_id,
            SkillGrant.skill,
            SkillGrant.level,
            SkillGrant.source,
            SkillGrant.source_id,
            SkillGrant.source_label,
            SkillGrant.granted_at,
        )
        .where(SkillGrant.user_id.in_(ids), SkillGrant.removed_at.is_(None))
        .order_by(SkillGrant.user_id, SkillGrant.skill, SkillGrant.granted_at, SkillGrant.id)
    )
    for r in rows:
        grouped[(r.user_id, r.skill)].append(
            Source(r.source, r.source_id, r.source_label, r.level, r.granted_at)
        )
    for (user_id, skill), sources in grouped.items():
        out[user_id].append(
            CurrentSkill(
                skill,
                max(s.level for s in sources),
                min(s.since for s in sources),
                tuple(sources),
            )
        )
    return out


def visible_agents(viewer) -> list[User]:
    """The agents of the active hires a viewer sees on the ramp board, by name, each once."""
    agents = {h.user.id: h.user for h in listed_hires(viewer)}
    return sorted(agents.values(), key=lambda u: (u.name.casefold(), u.id))


def export_rows(viewer) -> list[AgentSkills]:
    """The agents a viewer sees, each with their current skills, for the exports."""
    agents = visible_agents(viewer)
    held = current_skills(a.id for a in agents)
    return [AgentSkills(a.name, a.email, [(s.skill, s.level) for s in held[a.id]]) for a in agents]
