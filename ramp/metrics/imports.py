"""Importing QA evaluations and contacts from exports: checked whole, written in one go.

One pass over the file, in batches, keeps memory flat in its size: each row is parsed,
checked and its agent resolved (rows.py, in a second process for a large file), and the good
rows are written as they come, inside a savepoint that is rolled back when anything is wrong
(unless the caller accepts the good rows) or for a dry run. The caller commits once.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from flask import current_app
from sqlalchemy import Boolean, Date, DateTime, Float, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from ramp.accounts.models import User, utcnow
from ramp.csvsafe import SafeDictWriter
from ramp.errors import LineProblem, ValidationError
from ramp.extensions import db
from ramp.metrics import records
from ramp.metrics.import_lock import describe, hold_until_transaction_ends
from ramp.metrics.mapping import (
    MappingColumnsError,
    MappingSpec,
    RowErrors,
    load_mapping_file,
    parse_row,
    read_rows,
)
from ramp.metrics.models import (
    AgentIdentity,
    Contact,
    ImportRun,
    QAEvaluation,
    replaced_contacts,
    replaced_qa_evaluations,
)
from ramp.metrics.rows import ReadFailed, Reading, Row, agent_label, open_chunks, open_text

# SQLite page cache of the connection while an import runs: the table's two indexes take a
# new entry at scattered places for every row, and a cache that holds most of their pages
# keeps each insert from reading and writing them back (at 5M rows: 2x the rate of 16 MiB).
IMPORT_CACHE_KIB = 128 * 1024
BATCH = 1000  # rows per statement (a batch keeps its raw rows, for the rejects file)
MAX_PROBLEMS = 1000  # a report lists this many; the counts stay exact beyond it


Problem = LineProblem  # a problem placed by line and column


@dataclass
class ImportReport:
    """What an import read, would write or wrote, and every problem found."""

    filename: str
    mapping: str
    kind: str
    rows_read: int = 0
    rows_skipped: int = 0  # left out by the mapping: the two below together
    rows_skipped_by_rule: int = 0  # matched a skip rule
    rows_superseded: int = 0  # older events of a latest_per key, left out for a later one
    rows_valid: int = 0
    rows_rejected: int = 0
    created: int = 0
    updated: int = 0
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    # (agent e-mail or id, rows naming it): most rows first, then by name
    unknown_agents: list[tuple[str, int]] = field(default_factory=list)
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
        head = (
            f"{self.rows_read} rows read, {self.rows_valid} valid, "
            f"{self.rows_skipped_by_rule} skipped by a skip rule"
        )
        if self.rows_superseded:
            head += f", {self.rows_superseded} superseded by a later row of the same record"
        if self.problem_count:
            head += f", {self.rows_rejected} with problems ({self.problem_count} problems)"
        if self.unknown_agents:
            rows = sum(n for _, n in self.unknown_agents)
            head += (
                f", {_count(len(self.unknown_agents), 'unknown agent')} on {_count(rows, 'row')}"
            )
        if self.written:
            return f"{head}; wrote {self.created + self.updated} {what} ({self.created} new, {self.updated} updated)."
        if self.dry_run:
            return f"{head}; dry run: nothing written."
        return f"{head}; nothing written."


def _count(n: int, word: str) -> str:
    """'1 row', '2 rows'."""
    return f"{n} {word}{'' if n == 1 else 's'}"


class ImportRefused(Exception):
    """The file has problems and the caller did not accept writing the good rows."""

    def __init__(self, report: ImportReport):
        self.report = report
        super().__init__(report.summary())


def agent_index(source: str) -> dict[tuple[str, str], int]:
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
    reader_process: bool | None = None,
    filename: str | None = None,
) -> ImportReport:
    """Check a whole export and write it in one transaction (the caller commits).

    One pass: rows are written as they are read, inside a savepoint, and the savepoint is
    rolled back when any row has a problem (unless accept_good) or for a dry run, so nothing
    is ever half-written. Memory stays flat in the file's size (except latest_per, which keeps
    one row per key). A file of the IMPORT_READER_PROCESS_BYTES setting or more is read in a
    second process while this one writes (reader_process decides for any file). Raises
    ImportRefused when the file is refused. filename: the name the file was uploaded under,
    kept in the import's history (by default the path's own name). The values of every
    record the import updates are kept, so that undoing the import can write them back.
    """
    filename = filename or Path(path).name
    report = ImportReport(filename, mapping.name, mapping.kind, dry_run=dry_run)
    total = Path(path).stat().st_size
    if total == 0:
        report.add(
            Problem(1, None, "the file is empty: it has no rows (only a header, or nothing at all)")
        )
        raise ImportRefused(report)
    if reader_process is None:
        threshold = current_app.config["IMPORT_READER_PROCESS_BYTES"]
        reader_process = 0 < threshold <= total
    mapped = set(mapping.fields) | ({"categories"} if mapping.categories else set())
    id_column = mapping.fields["external_id"].label()
    savepoint = db.session.begin_nested()
    run = ImportRun(
        kind=mapping.kind,
        source=mapping.source,
        mapping=mapping.name,
        filename=filename[:300],
        created_by_id=actor.id if actor else None,
    )
    db.session.add(run)
    db.session.flush()
    writer = _Writer(mapping.kind, mapping.source, mapped)
    run_id = run.id
    rejects = rejects_writer = None
    if accept_good and rejects_path:
        rejects = open(rejects_path, "w", encoding="utf-8", newline="")  # noqa: SIM115 (closed below)
    reading = Reading(
        str(path),
        mapping,
        agent_index(mapping.source),
        run_id,
        writer.sqlite,
        keep_raw=rejects is not None,
    )
    batch: list[Row] = []

    unknown: dict[tuple[str, str], list[int]] = {}  # agent_key -> [rows, first line]

    def reject(line: int, raw: dict | None, problems: list[Problem], reported=True) -> None:
        nonlocal rejects_writer
        report.rows_rejected += 1
        if reported:
            for problem in problems:
                report.add(problem)
        if rejects is not None and raw is not None:
            if rejects_writer is None:
                rejects_writer = SafeDictWriter(
                    rejects,
                    fieldnames=[*mapping.column_list(), "ramp_line", "ramp_problem"],
                    extrasaction="ignore",
                )
                rejects_writer.writeheader()
            rejects_writer.writerow(
                {**raw, "ramp_line": line, "ramp_problem": "; ".join(p.message for p in problems)}
            )

    def flush(rows: list[Row]) -> None:
        # Duplicates: an id met earlier in this file (already written by this run) or twice here.
        known = writer.known([row[1] for _, _, row in rows])
        seen: set[str] = set()
        new: list[tuple] = []
        old: list[tuple] = []
        for line, raw, row in rows:
            ext = row[1]
            if ext in seen or (ext in known and known[ext] == run_id):
                reject(
                    line,
                    raw,
                    [Problem(line, id_column, f"'{ext}' appears more than once in the file")],
                )
                continue
            seen.add(ext)
            (old if ext in known else new).append(row)
        # Fields this mapping reads are replaced on update (emptied when the export says so);
        # fields it does not read keep their values, and so do derived outcomes it cannot
        # work out. The values an update replaces are kept first, for undoing this run.
        if old:
            writer.keep_replaced(run_id, [row[1] for row in old])
        writer.write(new, old)
        report.created += len(new)
        report.updated += len(old)
        report.affected_users.update(row[2] for row in new)
        report.affected_users.update(row[2] for row in old)

    reported = 0
    try:
        with open_chunks(reading, reader_process) as chunks:
            for chunk in chunks:
                report.rows_read += chunk.read
                report.rows_skipped_by_rule += chunk.skipped
                report.rows_superseded += chunk.superseded
                for key, line, raw in chunk.unknown:
                    seen = unknown.setdefault(key, [0, line])
                    seen[0] += 1
                    message = f"unknown agent {agent_label(key, mapping.source)}: {NOT_AN_AGENT}"
                    reject(line, raw, [Problem(line, None, message)], reported=False)
                for line, raw, problems in chunk.rejects:
                    reject(line, raw, problems)
                batch.extend(chunk.rows)
                while len(batch) >= BATCH:
                    flush(batch[:BATCH])
                    del batch[:BATCH]
                if progress and report.rows_read - reported >= 10_000:
                    reported = report.rows_read
                    progress("reading", chunk.position, total)
        if batch:
            flush(batch)
        _report_unknown(report, unknown, mapping.source)
    except ReadFailed as exc:
        savepoint.rollback()
        report.add(exc.problem)
        raise ImportRefused(report) from None
    except Exception:
        if savepoint.is_active:  # whatever stopped the import, nothing of it stays
            savepoint.rollback()
        raise
    finally:
        writer.close()
        if rejects is not None:
            rejects.close()
    report.rows_valid = report.created + report.updated
    report.rows_skipped = report.rows_skipped_by_rule + report.rows_superseded
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
    run.report = _report_document(report)
    db.session.flush()
    return report


NOT_AN_AGENT = "not a ramp user, and not linked to one"


def _report_unknown(
    report: ImportReport, unknown: dict[tuple[str, str], list[int]], source: str
) -> None:
    """Each unknown agent once, with the rows naming it (most first): one problem per agent."""
    ordered = sorted(unknown.items(), key=lambda item: (-item[1][0], item[0][1], item[0][0]))
    report.unknown_agents = [(key[1], rows) for key, (rows, _) in ordered]
    for key, (rows, first) in ordered:
        report.add(
            Problem(first, None, f"unknown agent {agent_label(key, source)}: {_count(rows, 'row')}")
        )


@lru_cache(maxsize=32)
def _upsert(dialect: str, model, columns: tuple[str, ...], mapped: frozenset[str]):
    """INSERT ... ON CONFLICT (source, external_id) DO UPDATE, for these columns and mapping."""
    dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = model.__table__
    stmt = dialect_insert(table)
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


# Column types whose values the table rows already carry as the database stores them, so
# SQLAlchemy's conversion of each value is left out. SQLite: moments and days are written as
# sqlite_stamper and date.isoformat write them (SQLAlchemy's own formats); sqlite3 binds a bool
# as the integer 0 or 1 and an int into a REAL column as a real, as SQLAlchemy's int() and
# float() would. PostgreSQL: booleans are already True, False or None.
_STORED_AS_IS: dict[str, tuple[type, ...]] = {
    "sqlite": (DateTime, Date, Boolean, Float),
    "postgresql": (Boolean,),
}


_SQLITE_IDS = 997  # ids per lookup: SQLite before 3.32 allows 999 parameters per statement

# The replaced values of each kind of record, and the columns of their own (not the record's).
REPLACED = {"contacts": replaced_contacts, "qa_evaluations": replaced_qa_evaluations}
_REPLACED_OWN = {"id", "replaced_by_run_id", "record_id"}


class _Writer:
    """Writes batches of table rows through the DBAPI cursor (executemany).

    Rows are plain tuples, built with the database's own representation of each value
    (sqlite_stamper's text for moments on SQLite), so no per-value processing is left to do but
    what _STORED_AS_IS does not cover (JSON). Same connection, same transaction and
    savepoint as the session; the statements are SQLAlchemy's, compiled once: the upsert,
    and on SQLite a plain INSERT for ids not stored yet.
    """

    def __init__(self, kind: str, source: str, mapped: set[str]):
        self.model = QAEvaluation if kind == "qa" else Contact
        self.source = source
        self.columns = records.QA_COLUMNS if kind == "qa" else records.CONTACT_COLUMNS
        self.connection = db.session.connection()
        dialect = self.connection.dialect
        self.sqlite = sqlite = dialect.name == "sqlite"
        upsert = _upsert(dialect.name, self.model, self.columns, frozenset(mapped))
        self.upsert_sql, self.names = self._compile(upsert, dialect)
        # On SQLite the import holds the write lock from its first write, so the ids found
        # new just before a batch are still new when it is written: a plain INSERT skips the
        # upsert's separate unique-index probe. PostgreSQL has concurrent writers: upsert all.
        self.insert_sql = (
            self._compile(insert(self.model.__table__), dialect)[0] if sqlite else None
        )
        # SQLite's page cache (2 MiB by default) holds a fraction of the table's two indexes,
        # which every row updates at scattered places: a larger one while the import runs.
        self.cache_size = None
        if sqlite:
            self.cache_size = self.connection.exec_driver_sql("PRAGMA cache_size").scalar()
            self.connection.exec_driver_sql(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
        table = self.model.__table__
        as_is = _STORED_AS_IS.get(dialect.name, ())
        self.processors = [
            (i, process)
            for i, name in enumerate(self.columns)
            if not isinstance(table.c[name].type, as_is)
            and (process := table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
            is not None
        ]

    def close(self) -> None:
        """Give the connection back its own page cache size."""
        if self.cache_size is not None:
            self.connection.exec_driver_sql(f"PRAGMA cache_size = {int(self.cache_size)}")
            self.cache_size = None

    def _compile(self, statement, dialect) -> tuple[str, list[str] | None]:
        """The statement's SQL for executemany, and the parameter names when they are named."""
        compiled = statement.compile(
            dialect=dialect, column_keys=list(self.columns), for_executemany=True
        )
        if compiled.positional:
            if tuple(compiled.positiontup or ()) != self.columns:
                raise RuntimeError(f"unexpected parameter order: {compiled.positiontup}")
            return compiled.string, None
        escaped = compiled.escaped_bind_names or {}
        return compiled.string, [escaped.get(c, c) for c in self.columns]

    def known(self, ids: list[str]) -> dict[str, int | None]:
        """The ids already stored for this source, with the import run that last wrote each."""
        # Plain statements: SQLAlchemy's expanding IN costs more than the lookup itself.
        table = self.model.__tablename__
        head = f"SELECT external_id, import_run_id FROM {table} WHERE source = "
        if not self.sqlite:  # PostgreSQL: one array parameter
            found = self.connection.exec_driver_sql(
                head + "%s AND external_id = ANY(%s)", (self.source, ids)
            )
            return {ext: run_id for ext, run_id in found}
        out: dict[str, int | None] = {}
        for start in range(0, len(ids), _SQLITE_IDS):  # within SQLite's oldest variable limit
            chunk = ids[start : start + _SQLITE_IDS]
            sql = head + f"? AND external_id IN ({', '.join('?' * len(chunk))})"
            found = self.connection.exec_driver_sql(sql, (self.source, *chunk))
            out.update((ext, run_id) for ext, run_id in found)
        return out

    def keep_replaced(self, run_id: int, ids: list[str]) -> None:
        """Copy the stored rows of these ids into the run's table of replaced values."""
        # One INSERT ... SELECT per batch: the values never pass through Python.
        replaced = REPLACED[self.model.__tablename__]
        columns = ", ".join(c.name for c in replaced.columns if c.name not in _REPLACED_OWN)
        head = (
            f"INSERT INTO {replaced.name} (replaced_by_run_id, record_id, {columns}) "
            f"SELECT {{run}}, id, {columns} FROM {self.model.__tablename__} WHERE source = "
        )
        if not self.sqlite:
            sql = head.format(run="%s") + "%s AND external_id = ANY(%s)"
            self.connection.exec_driver_sql(sql, (run_id, self.source, ids))
            return
        for start in range(0, len(ids), _SQLITE_IDS):
            chunk = ids[start : start + _SQLITE_IDS]
            sql = head.format(run="?") + f"? AND external_id IN ({', '.join('?' * len(chunk))})"
            self.connection.exec_driver_sql(sql, (run_id, self.source, *chunk))

    def write(self, new: list[tuple], known: list[tuple]) -> None:
        """Insert new records and update known ones (by source and external id)."""
        if self.insert_sql is not None:
            for sql, rows in ((self.insert_sql, new), (self.upsert_sql, known)):
                if rows:
                    self.connection.exec_driver_sql(sql, self._params(rows))
        elif new or known:
            self.connection.exec_driver_sql(self.upsert_sql, self._params(new + known))

    def _params(self, rows: list[tuple]) -> list:
        if self.processors:
            converted = []
            for row in rows:
                items = list(row)
                for i, process in self.processors:
                    items[i] = process(items[i])
                converted.append(tuple(items))
            rows = converted
        if self.names is not None:
            return [dict(zip(self.names, row, strict=True)) for row in rows]
        return rows


PRESETS_DIR = Path(__file__).parent / "presets"


def preset_names() -> list[str]:
    """The mapping presets that ship with ramp."""
    return sorted(p.stem for p in PRESETS_DIR.glob("*.yaml"))


def load_mapping(preset: str | None = None, path: str | None = None) -> MappingSpec:
    """A shipped preset by name, or a mapping file; a clear error for an unknown preset."""
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

    Only one import runs at a time: ImportBusy (nothing changed) while another holds the
    import lock, which this one holds until the caller's transaction ends.
    Returns the report and the number of milestones whose status or evidence changed. When
    the file is refused or the import stops on an error, the caller's transaction is rolled
    back (nothing of the import stays) and the run is kept in the history as failed, with
    its error, in a transaction of its own; then the exception goes on to the caller.
    """
    # Imported here: ramp.milestones.operations reads this area's figures and targets at
    # import time, so importing it (and the weekly parts it feeds) at the top is a circle.
    from ramp.metrics.weekly import refresh_weeks
    from ramp.milestones.operations import evaluate_users

    actor = options.get("actor")
    filename = options.get("filename") or Path(path).name
    hold_until_transaction_ends(describe(filename, actor.email if actor else None))
    run = ImportRun(
        kind=mapping.kind,
        source=mapping.source,
        mapping=mapping.name,
        filename=filename[:300],
        started_at=utcnow(),
        created_by_id=actor.id if actor else None,
        status="failed",
    )
    try:
        report = import_file(path, mapping, **options)
        changed = 0
        if report.written:
            refresh_weeks(report.affected_users)
            changed = evaluate_users(report.affected_users)
    except ImportRefused as exc:
        if not exc.report.dry_run:
            exc.report.import_run_id = _keep_failed(run, _refusal(exc.report), exc.report)
        raise
    except Exception as exc:
        _keep_failed(run, f"the import stopped on an error: {exc.__class__.__name__}: {exc}")
        raise
    return report, changed


def _keep_failed(run: ImportRun, error: str, report: ImportReport | None = None) -> int:
    """Roll the import back and keep its run as failed, committed on its own."""
    db.session.rollback()
    run.error = error
    run.finished_at = utcnow()
    if report is not None:
        run.rows_read, run.rows_skipped = report.rows_read, report.rows_skipped
        run.rows_rejected = report.rows_rejected
        run.report = _report_document(report)
    db.session.add(run)
    db.session.commit()  # the history outlives the rolled-back import
    return run.id


def _refusal(report: ImportReport) -> str:
    """Why a file was refused, in a line: the summary and the first problem."""
    if not report.problems:
        return report.summary()
    more = report.problem_count - 1
    return f"{report.summary()} First problem: {report.problems[0]}" + (
        f" (and {more} more)." if more else ""
    )


def _report_document(report: ImportReport) -> dict:
    """What the history keeps of a report: its summary, problems and unknown agents."""
    return {
        "summary": report.summary(),
        "problems": [str(p) for p in report.problems[:200]],
        "rows_skipped_by_rule": report.rows_skipped_by_rule,
        "rows_superseded": report.rows_superseded,
        "unknown_agents": [list(pair) for pair in report.unknown_agents[:100]],
    }


@dataclass(frozen=True)
class PreviewRow:
    line: int
    values: dict
    problems: list[str]
    skipped: bool


def preview(path: str | Path, mapping: MappingSpec, rows: int = 10) -> list[PreviewRow]:
    """The first rows as the mapping reads them, with their problems; nothing is written.

    Raises ValidationError when the file cannot be read at all (a column the mapping reads
    is missing, with a "did you mean" for a near miss; not UTF-8; not CSV).
    """
    with readable_file():
        return _preview_rows(path, mapping, rows)


@contextmanager
def readable_file() -> Iterator[None]:
    """Turn a file that cannot be read at all into a ValidationError with a clear message."""
    try:
        yield
    except MappingColumnsError as exc:
        raise ValidationError(str(exc)) from None
    except UnicodeDecodeError:
        raise ValidationError("the file is not UTF-8 text; export it again as CSV UTF-8") from None
    except csv.Error as exc:
        raise ValidationError(f"the file is not valid CSV: {exc}") from None


def _preview_rows(path: str | Path, mapping: MappingSpec, rows: int) -> list[PreviewRow]:
    out: list[PreviewRow] = []
    with open_text(path) as fh:
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
