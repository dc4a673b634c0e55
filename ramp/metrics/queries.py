"""Read side of metrics: import history, agents' links to other tools, API tokens and
published targets versions."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ramp.accounts.models import User
from ramp.extensions import db
from ramp.metrics.models import AgentIdentity, ApiToken, ImportRun, TargetsVersion

HISTORY_PAGE = 50


def import_history(page: int = 1, per_page: int = HISTORY_PAGE):
    """Every import run, newest first (failed and undone ones too), a page at a time."""
    stmt = (
        select(ImportRun)
        .options(selectinload(ImportRun.created_by), selectinload(ImportRun.undone_by))
        .order_by(ImportRun.id.desc())
    )
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def recent_runs(limit: int = 20) -> list[ImportRun]:
    """The newest import runs, with who ran them."""
    stmt = (
        select(ImportRun)
        .options(selectinload(ImportRun.created_by), selectinload(ImportRun.undone_by))
        .order_by(ImportRun.id.desc())
        .limit(limit)
    )
    return list(db.session.execute(stmt).scalars())


def agent_links() -> list[AgentIdentity]:
    """Every link of an agent to their id in another tool, by source and id."""
    stmt = (
        select(AgentIdentity)
        .options(selectinload(AgentIdentity.user))
        .order_by(AgentIdentity.source, AgentIdentity.external_id)
    )
    return list(db.session.execute(stmt).scalars())


def users_to_link() -> list[User]:
    """The users an external id can be linked to, by name."""
    return list(db.session.execute(select(User).order_by(User.name, User.email)).scalars())


def list_tokens() -> list[ApiToken]:
    """Every API token, live ones first, newest first, with who created it."""
    return list(
        db.session.execute(
            select(ApiToken)
            .options(selectinload(ApiToken.created_by))
            .order_by(ApiToken.revoked, ApiToken.id.desc())
        ).scalars()
    )


def targets_versions(limit: int = 10) -> list[TargetsVersion]:
    """The newest published targets versions."""
    return list(
        db.session.execute(
            select(TargetsVersion).order_by(TargetsVersion.number.desc()).limit(limit)
        ).scalars()
    )
