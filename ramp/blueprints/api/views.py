"""Token-authenticated JSON endpoints, described by /api/v1/openapi.json.

Each view declares its operation (scope, models) with @operation; the document is generated
from those declarations (ramp.blueprints.api.spec), and so is the scope check below.
"""

from __future__ import annotations

from collections import Counter
from contextlib import suppress
from pathlib import Path

from flask import Response, current_app, g, jsonify, request

from ramp import clock
from ramp.accounts.queries import list_teams, list_users, visible_teams
from ramp.blueprints.api import models as m
from ramp.blueprints.api.blueprint import bp
from ramp.blueprints.api.spec import OPERATIONS, document, operation
from ramp.certificates.codes import format_code
from ramp.certificates.operations import certificate_status, find_certificate, utc
from ramp.certificates.queries import STATUSES, listed, verify_url
from ramp.errors import NotFound, ValidationError
from ramp.extensions import db
from ramp.forecast import workforce
from ramp.forecast.capacity import COLUMNS, capacity_csv
from ramp.jobs import jobs
from ramp.metrics import periods as team_periods
from ramp.metrics.api import SCOPES, TokenRefused, authenticate, import_payload, revoke_token
from ramp.metrics.comparison import DEFAULT_METRICS, compare
from ramp.metrics.definitions import METRICS
from ramp.metrics.display import hire_metrics as figures_of
from ramp.metrics.import_lock import ImportBusy
from ramp.metrics.imports import ImportRefused, ImportReport
from ramp.metrics.models import ImportRun
from ramp.metrics.queries import agent_links
from ramp.metrics.undo import undo_import as undo
from ramp.metrics.uploads import discard, find_upload, run_upload, save_upload
from ramp.milestones.queries import (
    cohort_list,
    hire_view,
    listed_hires,
    viewable_hire,
    visible_cohort_options,
    visible_queues,
)
from ramp.skills import exports as skill_exports
from ramp.skills.queries import current_skills, export_rows, visible_agents
from ramp.webkit import csrf, external_url
from ramp.yamlspec import SpecFileError

csrf.exempt(bp)  # no cookies here: every request carries its bearer token instead


class OrgWide:
    """Who a token without an owner acts as (made with `ramp tokens create` and no --owner, by
    someone running ramp itself): it sees what an admin sees."""

    id = None
    is_admin = True
    is_manager = False


def _viewer():
    """The token's owner, whose access every read applies; OrgWide for a token without one."""
    owner = g.api_token.created_by
    return OrgWide() if owner is None else owner


def _refused(message: str, missing_scope: str | None = None):
    return jsonify(error="forbidden", missing_scope=missing_scope, message=message), 403


@bp.before_request
def require_token():
    """Every endpoint but the description needs `Authorization: Bearer <token>` with its scope."""
    if request.endpoint == "api.openapi":
        return None
    header = request.headers.get("Authorization", "")
    secret = header[7:].strip() if header.lower().startswith("bearer ") else None
    try:
        token = authenticate(secret)
    except TokenRefused as exc:
        db.session.rollback()
        return (
            jsonify(error="unauthorized", message=str(exc)),
            401,
            {"WWW-Authenticate": 'Bearer realm="ramp"'},
        )
    g.api_token = token
    db.session.commit()  # last_used_at
    # An endpoint not declared with @operation is refused to every token, so a new one
    # cannot be left open by mistake.
    op = OPERATIONS.get(request.endpoint)
    if op is not None and op.scope is None:
        return None
    scope = op.scope if op else None
    if scope not in token.scope_list:
        missing = scope or "(none: this operation is not open to tokens)"
        response, status = _refused(
            f"This token lacks the scope {missing}; ask an admin for a token with it.", scope
        )
        return (
            response,
            status,
            {
                "WWW-Authenticate": f'Bearer realm="ramp", error="insufficient_scope", scope="{scope or ""}"'
            },
        )
    owner = token.created_by
    if op.as_owner and owner is not None and not owner.is_active:
        return _refused(
            f"The token's owner ({owner.email}) is deactivated; ask an admin for a new token."
        )
    if op.admin_owner and not _viewer().is_admin:
        return _refused("This operation is for admins: the token's owner is not an admin.")
    return None


@bp.delete("/tokens/current")
@operation(
    None,
    "Revoke the token that sends this request (any valid token may)",
    description="For a token that leaked: it stops working at once.",
    responses={200: ("The token is revoked", m.Revoked)},
    as_owner=False,
)
def revoke_current_token():
    """Revoke the token that sends this request: a leaked token can be stopped by anyone holding it."""
    token = g.api_token
    revoke_token(token, None, "revoked itself through the API")
    db.session.commit()
    return jsonify(id=token.id, name=token.name, status="revoked")


def _report(report: ImportReport, changed: int = 0) -> dict:
    return {
        "written": report.written,
        "import_run": report.import_run_id,
        "summary": report.summary(),
        "records_read": report.rows_read,
        "created": report.created,
        "updated": report.updated,
        "rejected": report.rows_rejected,
        "milestones_changed": changed,
        "unknown_agents": sorted(name for name, _ in report.unknown_agents),
        "problems": [
            {"record": p.line, "field": p.column, "message": p.message} for p in report.problems
        ],
    }


def _records(kind: str):
    payload = request.get_json(silent=True)
    accept_good = request.args.get("accept_good") == "true"
    try:
        report, changed = import_payload(kind, payload, accept_good, g.api_token)
    except ImportBusy as exc:
        db.session.rollback()
        return jsonify(error="busy", problems=exc.problems), 409, {"Retry-After": "30"}
    except ValidationError as exc:
        db.session.rollback()
        return jsonify(error="invalid", problems=exc.problems), 400
    except ImportRefused as exc:
        db.session.rollback()
        return jsonify(_report(exc.report)), 422
    db.session.commit()
    return jsonify(_report(report, changed)), 200


RECORDS_DESCRIPTION = (
    "The whole batch is checked first; by default nothing is written when any record is bad "
    "(422 with every problem). With accept_good=true the good records are written."
)
RECORDS_RESPONSES = {
    200: ("Written", m.ImportReport),
    400: ("Not a batch of records", m.Invalid),
    409: ("Another import is running: nothing written; try again later", m.Invalid),
    422: ("Refused: nothing written", m.ImportReport),
}


@bp.post("/records/contacts")
@operation(
    "records:write",
    "Create or update contacts",
    description=RECORDS_DESCRIPTION,
    query=m.AcceptGood,
    body=m.record_batch("contacts"),
    responses=RECORDS_RESPONSES,
    as_owner=False,
)
def contacts():
    """Create or update contact records (by source and external_id)."""
    return _records("contacts")


@bp.post("/records/qa")
@operation(
    "records:write",
    "Create or update QA evaluations",
    description=RECORDS_DESCRIPTION,
    query=m.AcceptGood,
    body=m.record_batch("qa"),
    responses=RECORDS_RESPONSES,
    as_owner=False,
)
def qa():
    """Create or update QA evaluations (by source and external_id)."""
    return _records("qa")


@bp.post("/imports/<int:run_id>/undo")
@operation(
    "imports:undo",
    "Undo an import run",
    description="Removes the records the run created and gives the records it updated back the "
    "values an earlier import gave them; the agents' weekly figures and plans are worked out "
    "again. Refused (409) for a failed or already undone run, and while a later run has updated "
    "the same records (undo that one first).",
    body=m.UndoBody,
    body_required=False,
    responses={
        200: ("Undone", m.Undone),
        400: ("The reason is not text", m.Invalid),
        404: ("No import run has this number", m.Error),
        409: ("Refused: nothing changed", m.Invalid),
    },
    as_owner=False,
)
def undo_import(run_id: int):
    """Undo an import run: its new records removed, the records it updated given back."""
    body = request.get_json(silent=True)
    reason = body.get("reason") if isinstance(body, dict) else None
    if reason is not None and not isinstance(reason, str):
        return jsonify(error="invalid", problems=["'reason' must be text"]), 400
    try:
        result = undo(run_id, None, reason, token=g.api_token.name)
    except NotFound as exc:
        db.session.rollback()
        return jsonify(error="not_found", message=str(exc)), 404
    except ValidationError as exc:
        db.session.rollback()
        return jsonify(error="refused", problems=exc.problems), 409
    db.session.commit()
    return jsonify(
        run=result.run_id,
        status="undone",
        removed=result.removed,
        restored=result.restored,
        agents=result.agents,
        milestones_changed=result.milestones_changed,
    )


def _hire_json(h) -> dict:
    return {
        "id": h.id,
        "name": h.user.name,
        "email": h.user.email,
        "cohort": h.cohort.name,
        "start_date": h.start_date.isoformat(),
        "phase": h.phase,
        "status": h.status,
        "next_milestone": h.next_milestone,
        "next_status": h.next_status,
        "next_due": h.next_due.isoformat() if h.next_due else None,
        "curriculum_progress": h.progress_percent,
        "placement": h.placement_label,
    }


@bp.get("/hires")
@operation(
    "hires:read",
    "Active hires and their progress",
    description="The active hires the token's owner sees on the ramp board: all for an admin, "
    "their own hires and their teams' for a manager.",
    responses={200: ("The hires", m.HireList)},
)
def hires():
    """Every active hire the owner may see, with phase, status, next milestone and progress."""
    return jsonify(hires=[_hire_json(h) for h in listed_hires(_viewer())])


def _viewable_hire(hire_id: int):
    return viewable_hire(_viewer(), hire_id)


NO_HIRE = "There is no such hire among the ones this token's owner manages."


@bp.get("/hires/<int:hire_id>")
@operation(
    "hires:read",
    "One hire's plan: phases and every milestone with its status",
    description="The same plan and statuses as the hire's page on the ramp board.",
    responses={200: ("The hire", m.HireDetail), 404: (NO_HIRE, m.Error)},
)
def hire(hire_id: int):
    """A hire's plan as the board's hire page shows it."""
    found = _viewable_hire(hire_id)
    if found is None:
        return jsonify(error="not_found", message=NO_HIRE), 404
    view = hire_view(found)
    milestones = []

    def walk(nodes):
        for node in nodes:
            ms = node.milestone
            milestones.append(
                {
                    "key": ms.key,
                    "parent_key": ms.parent_key,
                    "depth": node.depth,
                    "title": ms.title,
                    "phase": ms.phase,
                    "optional": ms.optional,
                    "status": ms.status,
                    "reason": ms.reason,
                    "due_date": ms.due_date.isoformat(),
                    "original_due_date": ms.original_due_date.isoformat(),
                    "achieved_on": ms.achieved_on.isoformat() if ms.achieved_on else None,
                    "waived": ms.waived,
                    "signed_off_on": ms.signed_off_on.isoformat() if ms.signed_off_on else None,
                }
            )
            walk(node.children)

    walk(view.tree)
    body = _hire_json(found)
    body.update(
        tenure_week=view.tenure_week,
        phases=[
            {"name": name, "starts": first.isoformat(), "ends": last.isoformat() if last else None}
            for name, first, last in view.phases
        ],
        next_key=view.next.key if view.next else None,
        milestones=milestones,
    )
    return jsonify(body)


@bp.get("/hires/<int:hire_id>/metrics")
@operation(
    "metrics:read",
    "One hire's metrics by tenure week, against their targets",
    description="The same figures as the metrics table of the hire's page: each metric's value "
    "and sample per tenure week (the last 16 at most), the target of the placement in force "
    "that week, and whether it was met.",
    responses={200: ("The metrics", m.HireMetricsOut), 404: (NO_HIRE, m.Error)},
)
def hire_metrics(hire_id: int):
    """A hire's weekly figures as the hire page's metrics table shows them."""
    found = _viewable_hire(hire_id)
    if found is None:
        return jsonify(error="not_found", message=NO_HIRE), 404
    figures = figures_of(found)
    return jsonify(
        hire=found.id,
        weeks=figures.weeks,
        metrics=[
            {
                "metric": row.definition.name,
                "label": row.definition.english,
                "unit": row.definition.unit,
                "higher_is_better": row.definition.higher_is_better,
                "min_sample": row.min_sample,
                "weeks": [
                    {
                        "week": c.week,
                        "value": c.figure.value if c.figure else None,
                        "sample": c.figure.sample if c.figure else None,
                        "target": c.target,
                        "state": c.state,
                    }
                    for c in row.cells
                ],
            }
            for row in figures.rows
        ],
    )


def _bad_cohorts(raw: list[str]) -> list[str]:
    """The problem with cohort ids that are not numbers; none when all are."""
    bad = [c for c in raw if not c.isdecimal()]
    return [f"cohort must be a cohort id (a number), not {bad[0]!r}"] if bad else []


def _unknown_queue(queue: str) -> str:
    return f"There is no queue {queue!r} among the hires this token's owner sees."


@bp.get("/comparison")
@operation(
    "metrics:read",
    "Compare cohorts week by week against the targets",
    description="The same figures and privacy rule as the cohort comparison page: only the "
    "hires the token's owner may see are pooled, and unless the owner is an admin a group "
    "(a cohort, or a cohort's week) of fewer hires than min_hires shows no figures.",
    query=m.CompareQuery,
    responses={
        200: ("The comparison", m.ComparisonOut),
        400: ("An unknown metric or queue, or a cohort that is not a number", m.Invalid),
        404: ("A cohort the token's owner has no hires in", m.Error),
    },
)
def comparison():
    """The cohort comparison page's figures."""
    viewer = _viewer()
    raw = request.args.getlist("cohort")
    problems = _bad_cohorts(raw)
    metrics = request.args.getlist("metric")
    unknown = [x for x in metrics if x not in METRICS]
    if unknown:
        problems.append(f"unknown metric {unknown[0]!r}; the metrics are {', '.join(METRICS)}")
    queue = request.args.get("queue") or None
    if queue is not None and queue not in visible_queues(viewer):
        # As on the page: only a queue the owner's own hires are in, or it could single someone out.
        problems.append(_unknown_queue(queue))
    if problems:
        return jsonify(error="invalid", problems=problems), 400
    chosen, missing = _chosen_cohorts(viewer, raw)
    if missing is not None:
        return missing
    pooled_for = None if isinstance(viewer, OrgWide) else viewer  # None: every hire, as an admin
    min_hires = current_app.config["COMPARE_MIN_HIRES"]
    result = compare(chosen, metrics or list(DEFAULT_METRICS), queue, pooled_for, min_hires)
    return jsonify(
        queue=result.queue,
        min_hires=result.min_hires,
        metrics=[d.name for d in result.metrics],
        cohorts=[
            {
                "id": r.cohort.id,
                "name": r.cohort.name,
                "hires": r.hires,
                "hidden": r.hidden,
                "median_days_to_proficiency": r.median_days_to_proficiency,
                "reached_proficiency": r.reached,
                "metrics": {
                    name: [
                        {
                            "week": w.week,
                            "value": w.value,
                            "sample": w.sample,
                            "target": w.target,
                            "hires_at_target": w.hires_at_target,
                            "hires_judged": w.hires_judged,
                            "hidden": w.hidden,
                        }
                        for w in weeks
                    ]
                    for name, weeks in r.weeks.items()
                },
            }
            for r in result.cohorts
        ],
    )


@bp.get("/capacity")
@operation(
    "metrics:read",
    "Capacity by placement and calendar week, for workforce management",
    description="The comparison page's capacity: for the chosen cohorts (the hires the token's "
    "owner may see, those who left included) and the owner's planned classes, one row per "
    "cohort or planned class, placement and week (with queue, only the hires placed in it now "
    "and the classes planned for it): heads, effective FTE and the productivity "
    "factor (tenured AHT ÷ the hire's AHT, capped at 1; measured or projected from the curve). "
    "With format=csv, the same rows in the long format NICE, Calabrio, Verint and Assembled "
    "import (docs/forecasts.md); no hires give the header line only.",
    query=m.CapacityQuery,
    responses={
        200: ("The capacity rows", m.CapacityOut),
        400: (
            "A cohort that is not a number, an unknown queue, a bad start, weeks or format",
            m.Invalid,
        ),
        404: ("A cohort the token's owner has no hires in", m.Error),
    },
    csv=True,
)
def capacity():
    """Capacity for workforce management, as JSON or CSV."""
    viewer = _viewer()
    args = request.args
    raw = args.getlist("cohort")
    problems = _bad_cohorts(raw)
    fmt = args.get("format", "json")
    if fmt not in ("json", "csv"):
        problems.append("format must be json or csv")
    start, weeks, window_problems = workforce.window(args.get("start"), args.get("weeks"))
    problems += window_problems
    queue = args.get("queue") or None
    if queue is not None and queue not in visible_queues(viewer):
        problems.append(_unknown_queue(queue))
    if problems:
        return jsonify(error="invalid", problems=problems), 400
    chosen, missing = _chosen_cohorts(viewer, raw)
    if missing is not None:
        return missing
    report = workforce.capacity_report(viewer, chosen, start, weeks, queue=queue)
    if fmt == "csv":
        return Response(
            capacity_csv(report.rows),
            mimetype="text/csv",
            headers={
                "Content-Disposition": f"attachment; filename=capacity-{start:%Y%m%d}-{weeks}w.csv"
            },
        )
    return jsonify(
        start=start.isoformat(),
        weeks=weeks,
        columns=list(COLUMNS),
        rows=[r.values() for r in report.rows],
        fallbacks=[{"placement": p, "reason": why} for p, why in report.fallbacks],
    )


@bp.get("/attrition")
@operation(
    "metrics:read",
    "Early attrition of cohorts: 30/60/90-day rates, leavers by tenure week, signals",
    description="The comparison page's early attrition: for the chosen cohorts (the hires the "
    "token's owner may see), the share of hires at least 30, 60 and 90 days in who left "
    "within that many days, the leavers by the tenure week they left in (with their reasons, "
    "counted), how many past leavers had each signal before they left, and the active hires "
    "with those signals now, by hire id.",
    query=m.AttritionQuery,
    responses={
        200: ("The attrition of the cohorts", m.AttritionOut),
        400: ("A cohort that is not a number", m.Invalid),
        404: ("A cohort the token's owner has no hires in", m.Error),
    },
)
def attrition():
    """Early attrition, as JSON."""
    viewer = _viewer()
    raw = request.args.getlist("cohort")
    if problems := _bad_cohorts(raw):
        return jsonify(error="invalid", problems=problems), 400
    chosen, missing = _chosen_cohorts(viewer, raw)
    if missing is not None:
        return missing
    report = workforce.attrition_report(viewer, chosen)
    return jsonify(
        cohorts=[
            {
                "id": c.cohort_id,
                "name": c.name,
                "hires": c.hires,
                "windows": [
                    {"days": w.days, "eligible": w.eligible, "left": w.left, "share": w.share}
                    for w in c.windows
                ],
                "leavers_by_week": [
                    {
                        "week": week,
                        "left": len(tenures),
                        "reasons": dict(Counter(t.reason or "none" for t in tenures)),
                    }
                    for week, tenures in c.by_week
                ],
            }
            for c in report.cohorts
        ],
        leavers=report.leavers,
        signals_before_leaving=report.leaver_counts,
        flagged=[
            {"hire_id": f.hire_id, "cohort": f.cohort, "signals": list(f.signals)}
            for f in report.flagged
        ],
    )


@bp.get("/metrics/periods")
@operation(
    "metrics:read",
    "A team's and its agents' metrics by calendar week or month",
    description="The figures of the Team performance page: every agent of the team (tenured "
    "agents and hires alike) and the team pooled, each metric by calendar week (from Monday) "
    "or month, up to the current period, with the records each figure is worked out from. "
    "An admin's token may read any team; otherwise the teams the owner leads.",
    query=m.PeriodsQuery,
    responses={
        200: ("The figures", m.TeamPerformanceOut),
        400: ("An unknown grain or metric, or a number of periods out of range", m.Invalid),
        404: ("A team the token's owner does not lead, or none at all", m.Error),
    },
)
def metric_periods():
    """Team performance by calendar period."""
    teams = visible_teams(_viewer())
    args = request.args
    raw_team = args.get("team")
    if raw_team is not None and not any(str(t.id) == raw_team for t in teams):
        message = f"There is no team {raw_team!r} among those this token's owner may read."
        return jsonify(error="not_found", message=message), 404
    choice, problems = team_periods.choose(
        teams, raw_team, args.get("grain"), args.get("periods"), args.getlist("metric")
    )
    if problems:
        return jsonify(error="invalid", problems=problems), 400
    if choice.team is None:
        return jsonify(error="not_found", message="The token's owner leads no team."), 404
    periods = team_periods.last_periods(clock.today(), choice.grain, choice.count)
    report = team_periods.team_performance(choice.team, choice.grain, periods, choice.metrics)

    def series(by_metric) -> dict:
        return {
            d.name: [
                {"period": start.isoformat(), "value": f.value, "sample": f.sample}
                for start in periods
                if (f := by_metric.get(d.name, {}).get(start)) is not None
            ]
            for d in report.metrics
        }

    return jsonify(
        team={"id": choice.team.id, "name": choice.team.name},
        grain=choice.grain,
        periods=[
            {"start": p.isoformat(), "end": team_periods.period_end(p, choice.grain).isoformat()}
            for p in periods
        ],
        metrics=[d.name for d in report.metrics],
        pooled=series(report.pooled),
        agents=[
            {
                "id": row.agent.id,
                "email": row.agent.email,
                "name": row.agent.name,
                "in_ramp": row.hire,
                "metrics": series(row.figures),
            }
            for row in report.agents
        ],
    )


@bp.get("/users")
@operation(
    "users:read",
    "Everyone who signs in, with their team and their ids in other tools",
    description="As the admin people page lists them, with each agent's links to their ids in "
    "other tools (by source).",
    responses={200: ("The users", m.UserList)},
    admin_owner=True,
)
def users():
    """Every user, admins first, with their agent-id links."""
    links: dict[int, list[dict]] = {}
    for link in agent_links():
        links.setdefault(link.user_id, []).append(
            {"source": link.source, "external_id": link.external_id}
        )
    return jsonify(
        users=[
            {
                "id": u.id,
                "email": u.email,
                "name": u.name,
                "role": u.role.value,
                "active": u.is_active_account,
                "team": {"id": u.team.id, "name": u.team.name} if u.team else None,
                "agent_ids": links.get(u.id, []),
            }
            for u in list_users()
        ]
    )


def _person(user) -> dict:
    return {"id": user.id, "name": user.name, "email": user.email}


@bp.get("/teams")
@operation(
    "teams:read",
    "Teams with their manager and members",
    description="Every team for an admin's token; the teams the owner leads otherwise.",
    responses={200: ("The teams", m.TeamList)},
)
def teams():
    """The teams the owner may see, with their members."""
    viewer = _viewer()
    shown = [t for t in list_teams() if viewer.is_admin or t.manager_id == viewer.id]
    return jsonify(
        teams=[
            {
                "id": t.id,
                "name": t.name,
                "manager": _person(t.manager) if t.manager else None,
                "members": [_person(u) for u in t.members],
            }
            for t in shown
        ]
    )


@bp.get("/cohorts")
@operation(
    "cohorts:read",
    "Cohorts, newest first, with their number of active hires",
    description="Every cohort for an admin's token; otherwise the cohorts with hires the owner "
    "sees on the ramp board.",
    responses={200: ("The cohorts", m.CohortList)},
)
def cohorts():
    """Cohorts the owner may see."""
    viewer = _viewer()
    allowed = None if viewer.is_admin else {cid for cid, _ in visible_cohort_options(viewer)}
    return jsonify(
        cohorts=[
            {
                "id": c.id,
                "name": c.name,
                "start_date": c.start_date.isoformat(),
                "team": {"id": c.team.id, "name": c.team.name} if c.team else None,
                "active_hires": count,
            }
            for c, count in cohort_list()
            if allowed is None or c.id in allowed
        ]
    )


def _run_json(run) -> dict:
    def iso(moment):

        return utc(moment).isoformat() if moment else None

    return {
        "id": run.id,
        "kind": run.kind,
        "source": run.source,
        "mapping": run.mapping,
        "filename": run.filename,
        "status": run.status,
        "started_at": iso(run.started_at),
        "finished_at": iso(run.finished_at),
        "rows_read": run.rows_read,
        "rows_written": run.rows_written,
        "rows_skipped": run.rows_skipped,
        "rows_rejected": run.rows_rejected,
        "error": run.error,
        "undone_at": iso(run.undone_at),
    }


@bp.get("/imports/<int:run_id>")
@operation(
    "imports:read",
    "One import run from the import history: its state and counts",
    responses={200: ("The run", m.ImportRunOut), 404: ("No import run has this number", m.Error)},
    admin_owner=True,
)
def import_run(run_id: int):
    """An import run as the admin import history shows it."""
    run = db.session.get(ImportRun, run_id)
    if run is None:
        return jsonify(error="not_found", message=f"No import run has the number {run_id}."), 404
    return jsonify(_run_json(run))


@bp.post("/imports")
@operation(
    "imports:write",
    "Import a file (CSV or JSON lines) with a preset or your own mapping",
    description="As the admin imports page does: the whole file is checked first; by default "
    "nothing is written when any row is bad (422 with the problems). With accept_good=true the "
    "good rows are written. A file larger than the background-import size is imported in the "
    "background: the answer is 202 with a job to follow at GET /imports/jobs/{job_id}.",
    body=m.ImportUpload,
    form=True,
    responses={
        200: ("Imported", m.ImportStarted),
        400: ("No file, no mapping, or an unknown preset", m.Invalid),
        409: ("Another import is running: nothing written; try again later", m.Invalid),
        202: ("Queued: a large file is imported in the background", m.ImportQueued),
        422: ("Refused: nothing written", m.ImportStarted),
    },
    admin_owner=True,
)
def start_import():
    """Store the upload with its mapping and import it, as the admin imports page does."""
    export = request.files.get("file")
    preset = request.form.get("preset") or None
    mapping = request.files.get("mapping")
    mapping_text = request.form.get("mapping") or None
    problems = []
    if mapping is not None:
        try:
            mapping_text = mapping.read(200_000).decode("utf-8-sig")
        except UnicodeDecodeError:
            problems.append("The mapping file is not UTF-8 text.")
    if request.form.get("accept_good") not in (None, "true", "false"):
        problems.append("accept_good is true or false")
    if not problems:
        try:
            upload = save_upload(
                Path(current_app.instance_path) / "uploads",
                export.stream if export else None,
                export.filename if export else "",
                preset,
                mapping_text,
            )
        except ValidationError as exc:
            problems = exc.problems
    if problems:
        return jsonify(error="invalid", problems=problems), 400
    try:
        upload.mapping()
    except SpecFileError as exc:
        discard(upload)
        return jsonify(error="invalid", problems=exc.report().splitlines()), 400
    root = str(Path(current_app.instance_path) / "uploads")
    viewer = _viewer()
    accept_good = request.form.get("accept_good") == "true"
    if upload.size() > current_app.config["IMPORT_BACKGROUND_BYTES"]:
        job_id = jobs.submit(
            f"import {upload.filename}",
            "ramp.metrics.uploads:run_upload",
            root,
            upload.token,
            accept_good,
            viewer.id,
            owner_id=viewer.id,
        )
        return jsonify(job=job_id, status="queued"), 202
    try:
        result = run_upload(
            root, upload.token, request.form.get("accept_good") == "true", viewer.id
        )
    except ImportBusy as exc:
        db.session.rollback()
        discard(upload)
        return jsonify(error="busy", problems=exc.problems), 409, {"Retry-After": "30"}
    except ValidationError as exc:
        db.session.rollback()
        discard(upload)
        return jsonify(error="invalid", problems=exc.problems), 400
    with suppress(NotFound):  # gone already when nothing was rejected
        discard(find_upload(Path(root), upload.token))  # its rejects are not served here
    body = _import_result(result)
    return jsonify(body), 200 if body["written"] else 422


def _import_result(result: dict) -> dict:
    """What an import of an upload gives: its report and its run in the history."""
    report = result["report"]
    body = _report(report, result["changed"])
    run = db.session.get(ImportRun, report.import_run_id) if report.import_run_id else None
    body["run"] = _run_json(run) if run else None
    return body


@bp.get("/imports/jobs/<job_id>")
@operation(
    "imports:read",
    "A background import started by POST /imports: its progress, then its report",
    responses={
        200: ("The job", m.ImportJob),
        404: ("No such job of this token's owner (or it ended before a restart)", m.Error),
    },
    admin_owner=True,
)
def import_job(job_id: str):
    """A background import's progress, as the admin page's job page shows it."""
    job = jobs.get(job_id)
    if job is None or job.owner_id != _viewer().id:
        return jsonify(
            error="not_found",
            message="There is no such import running (it may have finished before a restart).",
        ), 404
    done = job.status == "done" and isinstance(job.result, dict)
    return jsonify(
        job=job.id,
        status=job.status,
        stage=job.stage,
        done=job.done,
        total=job.total,
        error=job.error,
        report=_import_result(job.result) if done else None,
    )


def _certificate_json(cert, home: str) -> dict:
    """A certificate as the API shows it; home: ramp's address, for certificates issued before
    their own address was recorded."""
    snap = cert.snapshot
    return {
        "id": cert.id,
        "code": format_code(cert.code),
        "status": certificate_status(cert),
        "agent": snap["agent"],
        "email": cert.user.email if cert.user else None,
        "hire_id": cert.hire_id,
        "template": snap["template"],
        "curriculum": snap["curriculum"],
        "placement": snap["placement"],
        "issued_at": utc(cert.issued_at).isoformat(),
        "issued_by": snap["issued_by"],
        "expires_at": utc(cert.expires_at).isoformat(),
        "revoked_at": utc(cert.revoked_at).isoformat() if cert.revoked_at else None,
        "revocation_reason": cert.revocation_reason,
        "replaces_id": cert.replaces_id,
        "verify_url": verify_url(cert, home),
    }


@bp.get("/certificates")
@operation(
    "certificates:read",
    "Readiness certificates, newest first",
    query=m.CertificatesQuery,
    responses={200: ("The certificates", m.CertificateList), 400: ("Unknown status", m.Invalid)},
    as_owner=False,
)
def certificates():
    """Every certificate, newest first; ?status=valid|expired|revoked and ?email= narrow it."""
    status = request.args.get("status") or None
    if status not in (None, *STATUSES):
        return jsonify(error="invalid", problems=["status is valid, expired or revoked"]), 400
    found = listed(status, request.args.get("email"))
    home = external_url("main.home").rstrip("/")
    return jsonify(certificates=[_certificate_json(c, home) for c in found])


@bp.get("/certificates/<code>")
@operation(
    "certificates:read",
    "One certificate with its frozen evidence and signed credential",
    responses={
        200: ("The certificate", m.CertificateDetail),
        404: ("No certificate has this code", m.Error),
    },
    as_owner=False,
)
def certificate(code: str):
    """One certificate by its code, with its evidence and signed credential."""
    cert = find_certificate(code)
    if cert is None:
        return jsonify(error="not_found", message="No certificate has this code."), 404
    body = _certificate_json(cert, external_url("main.home").rstrip("/"))
    body["evidence"] = cert.snapshot
    body["credential_jwt"] = cert.credential
    return jsonify(body)


def _skill_json(skill) -> dict:
    return {
        "name": skill.skill,
        "kind": skill.kind,
        "value": skill.value,
        "level": skill.level,
        "since": utc(skill.since).isoformat(),
        "sources": [
            {
                "type": s.kind,
                "id": s.id,
                "label": s.label,
                "level": s.level,
                "since": utc(s.since).isoformat(),
            }
            for s in skill.sources
        ],
    }


@bp.get("/skills")
@operation(
    "hires:read",
    "Each agent's current skills for routing, with their sources",
    description="The agents of the active hires the token's owner sees on the ramp board, each "
    "with the skills their achieved milestones and valid certificates grant: the level (the "
    "highest any source grants), since when, and every source. An agent with none has an "
    "empty list. docs/skills.md says how skills are granted and removed.",
    responses={200: ("The agents and their skills", m.SkillList)},
)
def skills():
    """Every visible agent's current skills, with source and since-date."""
    agents = visible_agents(_viewer())
    held = current_skills(a.id for a in agents)
    return jsonify(
        agents=[
            {
                "id": a.id,
                "name": a.name,
                "email": a.email,
                "skills": [_skill_json(s) for s in held[a.id]],
            }
            for a in agents
        ]
    )


@bp.get("/skills/export")
@operation(
    "hires:read",
    "Current skills as a routing system's CSV import (NICE CXone, Calabrio, Genesys Cloud)",
    description="text/csv in the columns docs/skills.md lists for each system; with no agents, "
    "the header row alone.",
    query=m.SkillsExportQuery,
    responses={
        200: ("The CSV file (text/csv)", None),
        400: ("No format, or an unknown one", m.Invalid),
    },
)
def skills_export():
    """The visible agents' current skills as one routing system's import file."""
    fmt = request.args.get("format", "")
    if fmt not in skill_exports.FORMATS:
        problem = f"format is one of {', '.join(skill_exports.FORMATS)}"
        return jsonify(error="invalid", problems=[problem]), 400
    text = skill_exports.skills_csv(fmt, export_rows(_viewer()))
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=skills-{fmt}.csv"},
    )


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 description of this API, generated from the operations declared above."""
    return jsonify(document(SCOPES))


def _chosen_cohorts(viewer, raw: list[str]):
    """The cohort ids asked for (in order, once each; by default the three newest the
    token's owner sees), or a 404 answer naming one they may not see."""
    options = visible_cohort_options(viewer)
    allowed = {cid for cid, _ in options}
    chosen = [int(c) for c in raw]
    hidden = [c for c in chosen if c not in allowed]
    if hidden:
        return None, (
            jsonify(
                error="not_found",
                message=f"There is no cohort {hidden[0]} among those with hires this token's owner sees.",
            ),
            404,
        )
    return list(dict.fromkeys(chosen)) or [cid for cid, _ in options[:3]], None
