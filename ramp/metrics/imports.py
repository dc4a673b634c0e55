"""Importing QA evaluations and contacts from exports: checked whole, then written at once.

Two passes over the file keep memory flat in its size: the first parses and checks every
row and resolves the agents; the second, only when nothing is wrong (or the caller accepts
the good rows), writes the records in batches. The caller commits once.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from ramp.accounts.models import User, utcnow
from ramp.extensions import db
from ramp.metrics import records
from ramp.metrics.mapping import (
    MappingColumnsError,
    MappingSpec,
    RowErrors,
    parse_row,
    read_rows,
)
from ramp.metrics.models import AgentIdentity, Contact, ImportRun, QAEvaluation

BATCH = 500
MAX_PROBLEMS = 1000  # a report lists this many; the counts stay exact beyond it


@dataclass(frozen=True)
class Problem:
    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


@dataclass
class ImportReport:
    """What an import read, would write or wrote, and every problem found."""

    filename: str
    mapping: str
    kind: str
    rows_read: int = 0
    rows_skipped: int = 0
    rows_valid: int = 0
    rows_rejected: int = 0
    created: int = 0
    updated: int = 0
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    unknown_agents: dict[str, list[int]] = field(default_factory=dict)
    dry_run: bool = False
    written: bool = False
    import_run_id: int | None = None
    rejects_path: str | None = None
    affected_users: set[int] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    def add(self, problem: Problem) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)

    def summary(self) -> str:
        """One sentence a person can act on."""
        what = "evaluations" if self.kind == "qa" else "contacts"
        head = f"{self.rows_read} rows read, {self.rows_valid} valid, {self.rows_skipped} skipped by the mapping"
        if self.problem_count:
            head += f", {self.rows_rejected} with problems ({self.problem_count} problems)"
        if self.written:
            return f"{head}; wrote {self.created + self.updated} {what} ({self.created} new, {self.updated} updated)."
        if self.dry_run:
            return f"{head}; dry run: nothing written."
        return f"{head}; nothing written."


class ImportRefused(Exception):
    """The file has problems and the caller did not accept writing the good rows."""

    def __init__(self, report: ImportReport):
        self.report = report
        super().__init__(report.summary())


def _open(path: str | Path):
    # utf-8-sig strips a byte-order mark; errors surface as a clear problem, not a crash.
    return open(path, encoding="utf-8-sig", newline="")


def _agent_key(values: dict) -> tuple[str, str] | None:
    if values.get("agent_email"):
        return ("email", str(values["agent_email"]).strip().lower())
    if values.get("agent_id") not in (None, ""):
        return ("id", str(values["agent_id"]).strip())
    return None


def _resolve_agents(keys: set[tuple[str, str]], source: str) -> dict[tuple[str, str], int]:
    emails = [k for kind, k in keys if kind == "email"]
    ids = [k for kind, k in keys if kind == "id"]
    found: dict[tuple[str, str], int] = {}
    for i in range(0, len(emails), BATCH):
        chunk = emails[i : i + BATCH]
        for email, uid in db.session.execute(
            select(func.lower(User.email), User.id).where(func.lower(User.email).in_(chunk))
        ):
            found[("email", email)] = uid
    for i in range(0, len(ids), BATCH):
        chunk = ids[i : i + BATCH]
        for ext, uid in db.session.execute(
            select(AgentIdentity.external_id, AgentIdentity.user_id).where(
                AgentIdentity.source == source, AgentIdentity.external_id.in_(chunk)
            )
        ):
            found[("id", ext)] = uid
    return found


def import_file(
    path: str | Path,
    mapping: MappingSpec,
    *,
    dry_run: bool = False,
    accept_good: bool = False,
    rejects_path: str | Path | None = None,
    actor: User | None = None,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> ImportReport:
    """Check a whole export, then write it in one transaction (the caller commits).

    Raises ImportRefused when any row has a problem and accept_good is false: nothing is
    written then. With accept_good, good rows are written and bad ones saved to rejects_path.
    """
    report = ImportReport(str(path), mapping.name, mapping.kind, dry_run=dry_run)
    bad_lines: set[int] = set()
    seen_ids: dict[str, int] = {}
    latest: dict[str, tuple[object, int]] = {}
    agent_lines: dict[tuple[str, str], list[int]] = {}

    if Path(path).stat().st_size == 0:
        report.add(
            Problem(1, None, "the file is empty: it has no rows (only a header, or nothing at all)")
        )
        raise ImportRefused(report)
    # Pass 1: parse and check every row.
    try:
        with _open(path) as fh:
            rows = read_rows(fh, mapping)
            while True:
                try:
                    line, raw = next(rows)
                except StopIteration:
                    break
                except RowErrors as exc:  # a line that is not a record at all (bad JSON)
                    report.rows_read += 1
                    bad_lines.add(exc.line)
                    for err in exc.errors:
                        report.add(Problem(exc.line, err.column, err.message))
                    continue
                report.rows_read += 1
                if progress and report.rows_read % 5000 == 0:
                    progress("checking", report.rows_read, None)
                try:
                    parsed = parse_row(line, raw, mapping)
                except RowErrors as exc:
                    bad_lines.add(line)
                    for err in exc.errors:
                        report.add(Problem(line, err.column, err.message))
                    continue
                if parsed is None:
                    report.rows_skipped += 1
                    continue
                values = parsed.values
                if mapping.latest_per:
                    key, order = values.get("_key"), values.get("_order")
                    previous = latest.get(key)
                    if (
                        previous is None
                        or order is None
                        or previous[0] is None
                        or order >= previous[0]
                    ):
                        latest[key] = (order, line)
                else:
                    ext = str(values["external_id"])
                    if ext in seen_ids:
                        bad_lines.add(line)
                        column = mapping.fields["external_id"].column
                        report.add(
                            Problem(
                                line,
                                column,
                                f"'{ext}' appears twice in the file (also line {seen_ids[ext]})",
                            )
                        )
                        continue
                    seen_ids[ext] = line
                agent_lines.setdefault(_agent_key(values), []).append(line)
    except MappingColumnsError as exc:
        report.add(
            Problem(
                1,
                None,
                "missing column(s): "
                + ", ".join(exc.missing)
                + " (found: "
                + ", ".join(exc.found)
                + ")",
            )
        )
        raise ImportRefused(report) from None
    except UnicodeDecodeError:
        report.add(Problem(1, None, "the file is not UTF-8 text; export it again as CSV UTF-8"))
        raise ImportRefused(report) from None
    except csv.Error as exc:
        report.add(Problem(report.rows_read + 1, None, f"the file is not valid CSV: {exc}"))
        raise ImportRefused(report) from None

    if report.rows_read == 0:
        report.add(Problem(1, None, "the file has no rows (only a header, or nothing at all)"))
        raise ImportRefused(report)

    keep: set[int] | None = {line for _, line in latest.values()} if mapping.latest_per else None
    agents = _resolve_agents(set(agent_lines), mapping.source)
    for key, lines in agent_lines.items():
        if key not in agents:
            label = key[1] if key[0] == "email" else f"{mapping.source} agent {key[1]}"
            report.unknown_agents[label] = lines
            for line in lines:
                if keep is None or line in keep:
                    bad_lines.add(line)
                    report.add(
                        Problem(
                            line,
                            None,
                            f"unknown agent '{label}': no ramp user has this e-mail or id",
                        )
                    )
    candidate = report.rows_read - report.rows_skipped
    if keep is not None:
        candidate = len(keep)
        report.rows_skipped += (
            report.rows_read - report.rows_skipped - len(keep) - len(bad_lines - keep)
        )
    report.rows_rejected = len(bad_lines)
    report.rows_valid = (
        candidate - len(bad_lines & keep) if keep is not None else candidate - len(bad_lines)
    )
    if report.problem_count and not accept_good:
        raise ImportRefused(report)
    if dry_run:
        return report

    # Pass 2: write the good rows in batches; save the bad ones when asked.
    run = ImportRun(
        kind=mapping.kind, source=mapping.source, mapping=mapping.name, filename=Path(path).name,
        created_by_id=actor.id if actor else None,
    )  # fmt: skip
    db.session.add(run)
    db.session.flush()
    model = QAEvaluation if mapping.kind == "qa" else Contact
    to_record = records.qa_row if mapping.kind == "qa" else records.contact_row
    zone = ZoneInfo(mapping.timezone)
    mapped = set(mapping.fields) | ({"categories"} if mapping.categories else set())
    batch: list[dict] = []
    rejects = None
    writer = None
    written = 0
    try:
        if accept_good and report.problem_count and rejects_path:
            rejects = open(rejects_path, "w", encoding="utf-8", newline="")  # noqa: SIM115 (closed below)
            report.rejects_path = str(rejects_path)
        with _open(path) as fh:
            for line, raw in read_rows(fh, mapping):
                if line in bad_lines:
                    if rejects is not None:
                        if writer is None:
                            writer = csv.DictWriter(
                                rejects, fieldnames=[*raw.keys(), "ramp_line", "ramp_problem"]
                            )
                            writer.writeheader()
                        reasons = "; ".join(str(p) for p in report.problems if p.line == line)
                        writer.writerow({**raw, "ramp_line": line, "ramp_problem": reasons})
                    continue
                if keep is not None and line not in keep:
                    continue
                parsed = parse_row(line, raw, mapping)
                if parsed is None:
                    continue
                user_id = agents[_agent_key(parsed.values)]
                batch.append(
                    to_record(
                        parsed.values, mapping.source, user_id, run.id, zone, mapping.csat_scale
                    )
                )
                report.affected_users.add(user_id)
                if len(batch) >= BATCH:
                    _write(model, batch, report, mapped)
                    written += len(batch)
                    batch = []
                    if progress:
                        progress("writing", written, report.rows_valid)
            if batch:
                _write(model, batch, report, mapped)
                written += len(batch)
                if progress:
                    progress("writing", written, report.rows_valid)
    finally:
        if rejects is not None:
            rejects.close()
    report.written = True
    report.import_run_id = run.id
    run.status = "done"
    run.finished_at = utcnow()
    run.rows_read, run.rows_written = report.rows_read, report.created + report.updated
    run.rows_skipped, run.rows_rejected = report.rows_skipped, report.rows_rejected
    run.report = {
        "summary": report.summary(),
        "problems": [str(p) for p in report.problems[:200]],
        "unknown_agents": {k: v[:20] for k, v in list(report.unknown_agents.items())[:100]},
    }
    db.session.flush()
    return report


def _write(model, rows: list[dict], report: ImportReport, mapped: set[str]) -> None:
    """Insert new records and update known ones (by source and external id) in one statement.

    On update, the fields this mapping reads are replaced (emptied when the export says so);
    fields it does not read keep their values, and so do derived outcomes it cannot work out.
    """
    source = rows[0]["source"]
    ids = [r["external_id"] for r in rows]
    existing = set(
        db.session.execute(
            select(model.external_id).where(model.source == source, model.external_id.in_(ids))
        ).scalars()
    )
    report.updated += len(existing)
    report.created += len(rows) - len(existing)
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(model).values(rows)
    table = model.__table__
    always = {"user_id", "import_run_id"}
    # The metric date comes from the solved (or interaction) time when there is one: only a
    # mapping that reads that time may move it.
    if {"solved_at", "interaction_at"} & mapped:
        always.add("metric_date")
    if "csat_rating" in mapped:
        mapped = mapped | {"csat_min", "csat_max"}
    update = {}
    for column in rows[0]:
        if column in ("source", "external_id"):
            continue
        if column in always or column in mapped:
            update[column] = stmt.excluded[column]
        elif column in records.DERIVED:
            update[column] = func.coalesce(stmt.excluded[column], table.c[column])
    stmt = stmt.on_conflict_do_update(index_elements=["source", "external_id"], set_=update)
    db.session.execute(stmt)


PRESETS_DIR = Path(__file__).parent / "presets"


def preset_names() -> list[str]:
    """The mapping presets that ship with ramp."""
    return sorted(p.stem for p in PRESETS_DIR.glob("*.yaml"))


def load_mapping(preset: str | None = None, path: str | None = None) -> MappingSpec:
    """A shipped preset by name, or a mapping file; a clear error for an unknown preset."""
    from ramp.errors import ValidationError
    from ramp.metrics.mapping import load_mapping_file

    if preset:
        file = PRESETS_DIR / f"{preset}.yaml"
        if not file.is_file():
            raise ValidationError(f"unknown preset '{preset}' (known: {', '.join(preset_names())})")
        return load_mapping_file(str(file))
    if path:
        return load_mapping_file(path)
    raise ValidationError("name a preset (--preset) or a mapping file (--mapping)")


def import_and_update(
    path: str | Path, mapping: MappingSpec, **options
) -> tuple[ImportReport, int]:
    """Import a file, then bring the agents' weekly figures and plans up to date (same transaction).

    Returns the report and the number of milestones whose status or evidence changed.
    """
    from ramp.metrics.weekly import refresh_weeks
    from ramp.milestones.operations import evaluate_users

    report = import_file(path, mapping, **options)
    changed = 0
    if report.written:
        refresh_weeks(report.affected_users)
        changed = evaluate_users(report.affected_users)
    return report, changed


@dataclass(frozen=True)
class PreviewRow:
    line: int
    values: dict
    problems: list[str]
    skipped: bool


def preview(path: str | Path, mapping: MappingSpec, rows: int = 10) -> list[PreviewRow]:
    """The first rows as the mapping reads them, with their problems; nothing is written."""
    out: list[PreviewRow] = []
    with _open(path) as fh:
        reader = read_rows(fh, mapping)
        while len(out) < rows:
            try:
                line, raw = next(reader)
            except StopIteration:
                break
            except RowErrors as exc:
                out.append(PreviewRow(exc.line, {}, [e.message for e in exc.errors], False))
                continue
            try:
                parsed = parse_row(line, raw, mapping)
            except RowErrors as exc:
                out.append(
                    PreviewRow(line, {}, [f"{e.column}: {e.message}" for e in exc.errors], False)
                )
                continue
            if parsed is None:
                out.append(PreviewRow(line, {}, [], True))
                continue
            shown = {k: v for k, v in parsed.values.items() if not k.startswith("_")}
            out.append(PreviewRow(line, shown, [], False))
    return out
