"""Request and response models of the JSON API: the OpenAPI document is generated from them.

The views still build plain dicts (the domain objects are SQLAlchemy rows and dataclasses);
these models say what those dicts hold, and tests check the answers against the document.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from ramp.metrics.mapping import FIELDS

# --- errors ---------------------------------------------------------------------------------


class Error(BaseModel):
    """A refusal with one message."""

    error: str
    message: str


class Forbidden(BaseModel):
    """The token lacks the operation's scope, or its owner may not see this."""

    error: Literal["forbidden"]
    missing_scope: str | None = None
    message: str


class Invalid(BaseModel):
    """The request is not what the operation takes; each problem in a sentence."""

    error: str
    problems: list[str]


# --- records and imports --------------------------------------------------------------------

SOURCE_PATTERN = "^[a-z0-9][a-z0-9-]{0,63}$"
RECORD_TYPES: dict[str, Any] = {
    "datetime": (datetime, {}),
    "duration": (float, {"description": "seconds"}),
    "integer": (int, {}),
    "number": (float, {}),
    "boolean": (bool, {}),
    "text": (str, {}),
}
REQUIRED_FIELDS = {"contacts": ("external_id", "created_at"), "qa": ("external_id", "evaluated_at")}


@cache
def record_batch(kind: str) -> type[BaseModel]:
    """The body of POST /records/{kind}: a source and its records, fields from the mapping."""
    fields: dict[str, Any] = {}
    for name, ftype in FIELDS[kind].items():
        python, extra = RECORD_TYPES[ftype]
        if name in REQUIRED_FIELDS[kind]:
            fields[name] = (python, Field(**extra))
        else:  # absent or null: not given
            fields[name] = (python, Field(None, **extra))
    title = {"contacts": "Contact", "qa": "QAEvaluation"}[kind]
    record = create_model(
        f"{title}Record",
        __config__=ConfigDict(
            json_schema_extra={
                "description": "Name the agent by agent_email or by agent_id (their id in the "
                "source, linked with `ramp users link`)."
            }
        ),
        **fields,
    )
    return create_model(
        f"{title}Batch",
        source=(str, Field(pattern=SOURCE_PATTERN)),
        records=(list[record], Field(min_length=1, max_length=10_000)),
    )


class AcceptGood(BaseModel):
    accept_good: Literal["true", "false"] | None = Field(
        None, description="true: write the good records even when some are bad"
    )


class Problem(BaseModel):
    record: int
    field: str | None
    message: str


class ImportReport(BaseModel):
    written: bool
    summary: str
    import_run: int | None = Field(
        description="The run in the import history (undo it with POST /imports/{run_id}/undo); "
        "a refused batch's run is kept as failed"
    )
    records_read: int
    created: int
    updated: int
    rejected: int
    milestones_changed: int
    unknown_agents: list[str]
    problems: list[Problem]


class UndoBody(BaseModel):
    reason: str | None = Field(None, description="Kept in the audit log")


class Undone(BaseModel):
    run: int
    status: Literal["undone"]
    removed: int
    restored: int
    agents: int
    milestones_changed: int


class ImportUpload(BaseModel):
    """A file to import, as the admin imports page takes it (multipart/form-data)."""

    file: bytes = Field(description="The export: CSV or JSON lines")
    preset: str | None = Field(None, description="A mapping that ships with ramp")
    mapping: bytes | None = Field(None, description="Your own mapping file (YAML)")
    accept_good: Literal["true", "false"] | None = Field(
        None, description="true: import the good rows even when some are bad"
    )


class ImportRunOut(BaseModel):
    id: int
    kind: str
    source: str
    mapping: str
    filename: str
    status: str = Field(description="running, done, failed or undone")
    started_at: datetime
    finished_at: datetime | None
    rows_read: int
    rows_written: int
    rows_skipped: int
    rows_rejected: int
    error: str | None
    undone_at: datetime | None


class ImportStarted(ImportReport):
    run: ImportRunOut | None


class ImportQueued(BaseModel):
    job: str = Field(description="Follow it with GET /imports/jobs/{job_id}")
    status: str


class ImportJob(BaseModel):
    job: str
    status: Literal["queued", "running", "done", "failed"]
    stage: str
    done: int
    total: int | None
    error: str | None
    report: ImportStarted | None = Field(description="Once done: as POST /imports answers")


# --- people ---------------------------------------------------------------------------------


class AgentId(BaseModel):
    source: str
    external_id: str


class TeamRef(BaseModel):
    id: int
    name: str


class UserOut(BaseModel):
    id: int
    email: str
    name: str
    role: Literal["agent", "manager", "admin"]
    active: bool
    team: TeamRef | None
    agent_ids: list[AgentId] = Field(description="The agent's ids in other tools")


class UserList(BaseModel):
    users: list[UserOut]


class Person(BaseModel):
    id: int
    name: str
    email: str


class TeamOut(BaseModel):
    id: int
    name: str
    manager: Person | None
    members: list[Person]


class TeamList(BaseModel):
    teams: list[TeamOut]


class CohortOut(BaseModel):
    id: int
    name: str
    start_date: date
    team: TeamRef | None
    active_hires: int


class CohortList(BaseModel):
    cohorts: list[CohortOut]


# --- hires ----------------------------------------------------------------------------------


class HireOut(BaseModel):
    id: int
    name: str
    email: str
    cohort: str
    start_date: date
    phase: str
    status: str = Field(description="The worst status of the hire's milestones, as on the board")
    next_milestone: str | None
    next_status: str | None
    next_due: date | None
    curriculum_progress: int
    placement: str | None


class HireList(BaseModel):
    hires: list[HireOut]


class Phase(BaseModel):
    name: str
    starts: date
    ends: date | None = Field(description="Its last day; null: open-ended")


class MilestoneOut(BaseModel):
    key: str
    parent_key: str | None
    depth: int
    title: str
    phase: str
    optional: bool
    status: str = Field(description="missed, at_risk, on_track, upcoming, achieved or waived")
    reason: str | None
    due_date: date
    original_due_date: date
    achieved_on: date | None
    waived: bool
    signed_off_on: date | None


class HireDetail(HireOut):
    tenure_week: int
    phases: list[Phase]
    next_key: str | None = Field(description="The key of the next required milestone")
    milestones: list[MilestoneOut] = Field(description="In plan order, children after parents")


class MetricWeek(BaseModel):
    week: int = Field(description="Tenure week, 1 = the start week")
    value: float | None
    sample: int | None
    target: float | None = Field(description="The target of the placement in force that week")
    state: Literal["met", "short", "not_enough", "none"]


class MetricOut(BaseModel):
    metric: str
    label: str
    unit: str
    higher_is_better: bool
    min_sample: int
    weeks: list[MetricWeek]


class HireMetricsOut(BaseModel):
    hire: int
    weeks: list[int]
    metrics: list[MetricOut]


# --- comparison -----------------------------------------------------------------------------


class CompareQuery(BaseModel):
    cohort: list[int] | None = Field(
        None, description="Cohort ids (repeat); default: the three newest you may see"
    )
    metric: list[str] | None = Field(None, description="Metric names (repeat)")
    queue: str | None = Field(None, description="Only the hires placed in this queue")


class CompareWeek(BaseModel):
    week: int
    value: float | None
    sample: int
    target: float | None
    hires_at_target: int
    hires_judged: int
    hidden: bool = Field(description="Too few hires that week: no figures")


class CompareCohort(BaseModel):
    id: int
    name: str
    hires: int
    hidden: bool = Field(description="Too few hires: no pooled figures, to protect individuals")
    median_days_to_proficiency: float | None
    reached_proficiency: int
    metrics: dict[str, list[CompareWeek]]


class ComparisonOut(BaseModel):
    queue: str | None
    min_hires: int = Field(description="Groups smaller than this show no figures")
    metrics: list[str]
    cohorts: list[CompareCohort]


# --- team performance by calendar period ---------------------------------------------------


class PeriodsQuery(BaseModel):
    team: int | None = Field(None, description="A team id; default: the first the owner may see")
    grain: Literal["week", "month"] = Field(
        "week", description="Calendar weeks (from Monday) or months"
    )
    periods: int | None = Field(
        None, ge=1, le=26, description="How many periods, up to the current one (8 weeks, 6 months)"
    )
    metric: list[str] | None = Field(None, description="Metric names (repeat); default: all")


class PeriodFigure(BaseModel):
    period: date = Field(description="The period's first day")
    value: float
    sample: int = Field(description="Records the figure is worked out from")


class PeriodAgent(BaseModel):
    id: int
    email: str
    name: str
    in_ramp: bool = Field(description="In an active ramp plan (a hire), not yet tenured")
    metrics: dict[str, list[PeriodFigure]]


class PeriodRange(BaseModel):
    start: date
    end: date


class TeamPerformanceOut(BaseModel):
    team: TeamRef
    grain: Literal["week", "month"]
    periods: list[PeriodRange]
    metrics: list[str]
    pooled: dict[str, list[PeriodFigure]] = Field(description="The team's agents pooled")
    agents: list[PeriodAgent]


# --- certificates ---------------------------------------------------------------------------


class CertificatesQuery(BaseModel):
    status: Literal["valid", "expired", "revoked"] | None = None
    email: str | None = None


class CertificateOut(BaseModel):
    id: int
    code: str
    status: str
    agent: Any
    email: str | None
    hire_id: int | None
    template: Any
    curriculum: Any
    placement: Any
    issued_at: str
    issued_by: Any
    expires_at: str
    revoked_at: str | None
    revocation_reason: str | None
    replaces_id: int | None
    verify_url: str


class CertificateList(BaseModel):
    certificates: list[CertificateOut]


class CertificateDetail(CertificateOut):
    evidence: dict[str, Any]
    credential_jwt: str | None


class Revoked(BaseModel):
    id: int
    name: str
    status: Literal["revoked"]


class SkillSource(BaseModel):
    type: Literal["milestone", "certificate"]
    id: int = Field(description="The plan milestone's or the certificate's id")
    label: str = Field(description="The milestone's title or the certificate's code")
    level: int
    since: datetime


class SkillOut(BaseModel):
    name: str = Field(description="kind:value, e.g. language:es")
    kind: str
    value: str
    level: int = Field(description="1 (basic) to 5 (expert): the highest any source grants")
    since: datetime = Field(description="When the earliest grant still in force began")
    sources: list[SkillSource]


class AgentSkillsOut(BaseModel):
    id: int
    name: str
    email: str
    skills: list[SkillOut]


class SkillList(BaseModel):
    agents: list[AgentSkillsOut]


class SkillsExportQuery(BaseModel):
    format: Literal["nice", "calabrio", "genesys"] = Field(
        description="The routing system whose skill import the CSV is shaped for"
    )


# --- capacity ------------------------------------------------------------------------------


class CapacityQuery(BaseModel):
    cohort: list[int] | None = Field(
        None, description="Cohort ids (repeat); default: the three newest you may see"
    )
    queue: str | None = Field(None, description="Only the hires placed in this queue now")
    start: date | None = Field(
        None, description="The first week (its Monday); default: four weeks before this one"
    )
    weeks: int | None = Field(None, ge=1, le=104, description="How many weeks; default 17")
    format: Literal["json", "csv"] = Field(
        "json", description="json, or csv: the long format WFM tools import (text/csv)"
    )


class AttritionQuery(BaseModel):
    cohort: list[int] | None = Field(
        None, description="Cohort ids (repeat); default: the three newest you may see"
    )


class AttritionWindowOut(BaseModel):
    days: int = Field(description="30, 60 or 90")
    eligible: int = Field(description="Hires whose start is at least this many days ago")
    left: int = Field(description="Of those, the hires who left within this many days")
    share: float | None = Field(description="left ÷ eligible; null with none eligible")


class LeaversInWeekOut(BaseModel):
    week: int = Field(description="The tenure week they left in (week 1: the first 7 days)")
    left: int
    reasons: dict[str, int] = Field(
        description="Leavers by reason: another_job, personal, schedule, role_fit, "
        "performance, attendance, other (none: no reason given)"
    )


class CohortAttritionOut(BaseModel):
    id: int
    name: str
    hires: int = Field(description="Hires of the cohort, those who left included")
    windows: list[AttritionWindowOut]
    leavers_by_week: list[LeaversInWeekOut]


class FlaggedHireOut(BaseModel):
    hire_id: int = Field(description="GET /hires/{id} (scope hires:read) names the hire")
    cohort: str
    signals: list[Literal["missed_milestone", "below_curve", "overdue_refresher"]]


class AttritionOut(BaseModel):
    cohorts: list[CohortAttritionOut]
    leavers: int = Field(description="Hires of these cohorts who left")
    signals_before_leaving: dict[str, int] = Field(
        description="How many of those leavers had each signal before they left"
    )
    flagged: list[FlaggedHireOut] = Field(
        description="Active hires with the signals that preceded past leavers, most first: "
        "signals, not a decision"
    )


class CapacityRowOut(BaseModel):
    placement: str = Field(description="Queue · channel")
    week: date = Field(description="The week's Monday")
    heads: float = Field(description="Hires there that week (a planned class: after attrition)")
    effective_fte: float = Field(description="Heads weighted by their productivity factor")
    productivity_factor: float = Field(description="Effective FTE ÷ heads (0 without heads)")
    cohort: str = Field(description="The cohort, or the planned class")
    source: Literal["measured", "projected", "planned"]
    curve: Literal["fitted", "default"] = Field(
        description="default: too little data, the published figures' curve"
    )


class CapacityFallback(BaseModel):
    placement: str
    reason: str


class CapacityOut(BaseModel):
    start: date
    weeks: int
    columns: list[str]
    rows: list[CapacityRowOut]
    fallbacks: list[CapacityFallback] = Field(
        description="Placements on the default curve, and why"
    )
