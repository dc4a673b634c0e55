"""Importing QA evaluations and contacts from exports: checked whole, then written at once.

Two passes over the file keep memory flat in its size: the first parses and checks every
row and resolves the agents; the second, only when nothing is wrong (or the caller accepts
the good rows), writes the records in batches. The caller commits once.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Boolean, Date, DateTime, Float, func, select

from ramp.accounts.models import User, utcnow
from ramp.errors import LineProblem
from ramp.extensions import db
from ramp.metrics import records
from ramp.metrics.mapping import (
    MappingColumnsError,
    MappingSpec,
    RowErrors,
    parse_row,
    read_rows,
    row_reader,
)
from ramp.metrics.models import AgentIdentity, Contact, ImportRun, QAEvaluation

BATCH = 5000  # rows per statement; raw rows of a batch are kept for rejects
MAX_PROBLEMS = 1000  # a report lists this many; the counts stay exact beyond it


Problem = LineProblem  # a problem placed by line and column


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


def _agent_index(source: str) -> dict[tuple[str, str], int]:
    """Every agent a row can name: by e-mail, and by their id in this source (two queries)."""
    index: dict[tuple[str, str], int] = {
        ("email", email): uid
        for email, uid in db.session.execute(select(func.lower(User.email), User.id))
    }
    for ext, uid in db.session.execute(
        select(AgentIdentity.external_id, AgentIdentity.user_id).where(
            AgentIdentity.source == source
        )
    ):
        index[("id", ext)] = uid
    return index


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
    """Check a whole export and write it in one transaction (the caller commits).

    One pass: rows are written as they are read, inside a savepoint, and the savepoint is
    rolled back when any row has a problem (unless accept_good) or for a dry run, so nothing
    is ever half-written. Memory stays flat in the file's size (except latest_per, which keeps
    one row per key). Raises ImportRefused when the file is refused.
    """
    report = ImportReport(str(path), mapping.name, mapping.kind, dry_run=dry_run)
    if Path(path).stat().st_size == 0:
        report.add(
            Problem(1, None, "the file is empty: it has no rows (only a header, or nothing at all)")
        )
        raise ImportRefused(report)
    agents = _agent_index(mapping.source)
    zone = ZoneInfo(mapping.timezone)
    mapped = set(mapping.fields) | ({"categories"} if mapping.categories else set())
    id_column = mapping.fields["external_id"].column
    total = Path(path).stat().st_size
    savepoint = db.session.begin_nested()
    run = ImportRun(
        kind=mapping.kind, source=mapping.source, mapping=mapping.name, filename=Path(path).name,
        created_by_id=actor.id if actor else None,
    )  # fmt: skip
    db.session.add(run)
    db.session.flush()
    writer = _Writer(mapping.kind, mapping.source, mapped)
    to_record, stamp, day = writer.to_record, writer.stamp, writer.day
    source, run_id, csat_scale = mapping.source, run.id, mapping.csat_scale
    read_values = row_reader(mapping)
    rejects = rejects_writer = None
    # (line, raw row, table row as stored); raw rows are kept for the rejects file.
    batch: list[tuple[int, dict, tuple]] = []
    latest: dict[object, tuple[object, tuple[int, dict, tuple]]] = {}

    def reject(line: int, raw: dict | None, problems: list[Problem]) -> None:
        nonlocal rejects_writer
        report.rows_rejected += 1
        for problem in problems:
            report.add(problem)
        if rejects is not None and raw is not None:
            if rejects_writer is None:
                rejects_writer = csv.DictWriter(
                    rejects, fieldnames=[*mapping.column_list(), "ramp_line", "ramp_problem"],
                    extrasaction="ignore",
                )  # fmt: skip
                rejects_writer.writeheader()
            rejects_writer.writerow(
                {**raw, "ramp_line": line, "ramp_problem": "; ".join(p.message for p in problems)}
            )

    def flush_batch() -> None:
        # Duplicates: an id met earlier in this file (already written by this run) or twice here.
        known = writer.known([row[1] for _, _, row in batch])
        seen: set[str] = set()
        good = []
        updated = 0
        for line, raw, row in batch:
            ext = row[1]
            if ext in seen or (ext in known and known[ext] == run_id):
                reject(line, raw, [Problem(line, id_column, f"'{ext}' appears more than once in the file")])  # fmt: skip
                continue
            seen.add(ext)
            updated += ext in known
            good.append(row)
        if good:
            # Fields this mapping reads are replaced on update (emptied when the export says
            # so); fields it does not read keep their values, and so do derived outcomes it
            # cannot work out.
            writer.write(good)
            report.updated += updated
            report.created += len(good) - updated
            report.affected_users.update(row[2] for row in good)
        batch.clear()

    try:
        if accept_good and rejects_path:
            rejects = open(rejects_path, "w", encoding="utf-8", newline="")  # noqa: SIM115 (closed below)
        with _open(path) as fh:
            rows = read_rows(fh, mapping)
            while True:
                try:
                    line, raw = next(rows)
                except StopIteration:
                    break
                except RowErrors as exc:  # a line that is not a record at all (bad JSON)
                    report.rows_read += 1
                    reject(
                        exc.line, None, [Problem(exc.line, e.column, e.message) for e in exc.errors]
                    )
                    continue
                report.rows_read += 1
                if progress and report.rows_read % 10_000 == 0:
                    progress("reading", fh.buffer.tell() if hasattr(fh, "buffer") else 0, total)
                try:
                    values = read_values(line, raw)
                except RowErrors as exc:
                    reject(line, raw, [Problem(line, e.column, e.message) for e in exc.errors])
                    continue
                if values is None:
                    report.rows_skipped += 1
                    continue
                key = _agent_key(values)
                user_id = agents.get(key)
                if user_id is None:
                    label = key[1] if key[0] == "email" else f"{mapping.source} agent {key[1]}"
                    lines = report.unknown_agents.setdefault(label, [])
                    if len(lines) < 20:
                        lines.append(line)
                    reject(
                        line,
                        raw,
                        [
                            Problem(
                                line,
                                None,
                                f"unknown agent '{label}': not a ramp user, and not linked to one",
                            )
                        ],
                    )
                    continue
                pending = (
                    line,
                    raw,
                    to_record(
                        values, source, user_id, run_id, zone,
                        values.get("_csat_scale") or csat_scale, stamp, day,
                    ),
                )  # fmt: skip
                if mapping.latest_per:
                    k, order = values.get("_key"), values.get("_order")
                    previous = latest.get(k)
                    if previous is not None:
                        report.rows_skipped += 1  # an older event of the same key
                    if (
                        previous is None
                        or order is None
                        or previous[0] is None
                        or order >= previous[0]
                    ):
                        latest[k] = (order, pending)
                    continue
                batch.append(pending)
                if len(batch) >= BATCH:
                    flush_batch()
            for _, pending in latest.values():
                batch.append(pending)
                if len(batch) >= BATCH:
                    flush_batch()
            if batch:
                flush_batch()
    except MappingColumnsError as exc:
        savepoint.rollback()
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
        savepoint.rollback()
        report.add(Problem(1, None, "the file is not UTF-8 text; export it again as CSV UTF-8"))
        raise ImportRefused(report) from None
    except csv.Error as exc:
        savepoint.rollback()
        report.add(Problem(report.rows_read + 1, None, f"the file is not valid CSV: {exc}"))
        raise ImportRefused(report) from None
    finally:
        if rejects is not None:
            rejects.close()
    report.rows_valid = report.created + report.updated
    if report.rows_read == 0:
        savepoint.rollback()
        report.add(Problem(1, None, "the file has no rows (only a header, or nothing at all)"))
        raise ImportRefused(report)
    if (report.problem_count and not accept_good) or dry_run:
        savepoint.rollback()
        report.created = report.updated = 0
        report.affected_users = set()
        if report.problem_count and not accept_good:
            raise ImportRefused(report)
        return report
    if rejects is not None and report.rows_rejected:
        report.rejects_path = str(rejects_path)
    savepoint.commit()
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


@lru_cache(maxsize=32)
def _upsert(dialect: str, model, columns: tuple[str, ...], mapped: frozenset[str]):
    """INSERT ... ON CONFLICT (source, external_id) DO UPDATE, for these columns and mapping."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = model.__table__
    stmt = insert(table)
    always = {"user_id", "import_run_id"}
    # The metric date comes from the solved (or interaction) time when there is one: only a
    # mapping that reads that time may move it.
    if {"solved_at", "interaction_at"} & mapped:
        always.add("metric_date")
    if "csat_rating" in mapped:
        mapped = mapped | {"csat_min", "csat_max"}
    update = {}
    for column in columns:
        if column in ("source", "external_id"):
            continue
        if column in always or column in mapped:
            update[column] = stmt.excluded[column]
        elif column in records.DERIVED:
            update[column] = func.coalesce(stmt.excluded[column], table.c[column])
    return stmt.on_conflict_do_update(index_elements=["source", "external_id"], set_=update)


def sqlite_stamp(moment: datetime | None) -> str | None:
    """A moment as a DateTime column holds it on SQLite: UTC, 'YYYY-MM-DD HH:MM:SS.ffffff'.

    The same text SQLAlchemy's SQLite DATETIME writes for the moment in UTC (its storage
    format ignores the zone, so moments are converted to UTC first, as records.utc does).
    """
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    # isoformat pads the year to four digits like the storage format; [:26] drops '+00:00'.
    return moment.isoformat(" ", "microseconds")[:26]


# Column types whose values the table rows already carry as the database stores them, so
# SQLAlchemy's conversion of each value is left out. SQLite: moments and days are written as
# sqlite_stamp and date.isoformat write them (SQLAlchemy's own formats); sqlite3 binds a bool
# as the integer 0 or 1 and an int into a REAL column as a real, as SQLAlchemy's int() and
# float() would. PostgreSQL: booleans are already True, False or None.
_STORED_AS_IS: dict[str, tuple[type, ...]] = {
    "sqlite": (DateTime, Date, Boolean, Float),
    "postgresql": (Boolean,),
}


class _Writer:
    """Writes batches of table rows with the upsert, through the DBAPI cursor.

    Rows are plain tuples, built with the database's own representation of each value
    (sqlite_stamp text for moments on SQLite), so no per-value processing is left to do but
    what _STORED_AS_IS does not cover (JSON). Same connection, same transaction and
    savepoint as the session; the statement is SQLAlchemy's compiled upsert.
    """

    def __init__(self, kind: str, source: str, mapped: set[str]):
        self.model = QAEvaluation if kind == "qa" else Contact
        self.source = source
        self.columns = records.QA_COLUMNS if kind == "qa" else records.CONTACT_COLUMNS
        self.to_record = records.qa_values if kind == "qa" else records.contact_values
        self.connection = db.session.connection()
        dialect = self.connection.dialect
        self.sqlite = sqlite = dialect.name == "sqlite"
        self.stamp = sqlite_stamp if sqlite else records.utc
        self.day = date.isoformat if sqlite else _same_day
        statement = _upsert(dialect.name, self.model, self.columns, frozenset(mapped))
        compiled = statement.compile(
            dialect=dialect, column_keys=list(self.columns), for_executemany=True
        )
        self.sql = compiled.string
        self.names: list[str] | None = None
        if compiled.positional:
            if tuple(compiled.positiontup or ()) != self.columns:
                raise RuntimeError(f"unexpected parameter order: {compiled.positiontup}")
        else:
            escaped = compiled.escaped_bind_names or {}
            self.names = [escaped.get(c, c) for c in self.columns]
        table = self.model.__table__
        as_is = _STORED_AS_IS.get(dialect.name, ())
        self.processors = [
            (i, process)
            for i, name in enumerate(self.columns)
            if not isinstance(table.c[name].type, as_is)
            and (process := table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
            is not None
        ]

    def known(self, ids: list[str]) -> dict[str, int | None]:
        """The ids already stored for this source, with the import run that last wrote each."""
        # One plain statement per batch: SQLAlchemy's expanding IN costs more than the lookup.
        table = self.model.__tablename__
        head = f"SELECT external_id, import_run_id FROM {table} WHERE source = "
        if self.sqlite:
            sql = head + f"? AND external_id IN ({', '.join('?' * len(ids))})"
            found = self.connection.exec_driver_sql(sql, (self.source, *ids))
        else:  # PostgreSQL: one array parameter
            found = self.connection.exec_driver_sql(
                head + "%s AND external_id = ANY(%s)", (self.source, ids)
            )
        return {ext: run_id for ext, run_id in found}

    def write(self, rows: list[tuple]) -> None:
        """Insert new records and update known ones (by source and external id), in one go."""
        if self.processors:
            converted = []
            for row in rows:
                items = list(row)
                for i, process in self.processors:
                    items[i] = process(items[i])
                converted.append(tuple(items))
            rows = converted
        params: list = rows
        if self.names is not None:
            params = [dict(zip(self.names, row, strict=True)) for row in rows]
        self.connection.exec_driver_sql(self.sql, params)


def _same_day(day: date) -> date:
    return day


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
