"""Importing QA evaluations and contacts from exports: checked whole, written in one go.

One pass over the file, in batches, keeps memory flat in its size: each row is parsed,
checked and its agent resolved (rows.py, in a second process for a large file), and the good
rows are staged in a temporary table as they come (COPY on PostgreSQL). Only when the whole
file is read, and nothing is wrong (unless the caller accepts the good rows) and it is not a
dry run, are the staged rows merged into the records with a few set-based statements, inside
a savepoint. Until then the import writes nothing other sessions wait for (on SQLite: it
holds no write lock while it reads). The caller commits once.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    literal,
    select,
    true,
)
from sqlalchemy.dialects import postgresql, sqlite

from ramp.accounts.models import User, utcnow
from ramp.csvsafe import SafeDictWriter
from ramp.errors import LineProblem, ValidationError
from ramp.events import announce
from ramp.extensions import db
from ramp.metrics import categories, records
from ramp.metrics.agent_sync import learn_from_rows
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
BATCH = 5000  # rows per staging statement (a batch keeps its raw rows, for the rejects file)
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
    # Ids learned from rows naming their agent by both id and e-mail: (id, e-mail) linked (or,
    # in a dry run, that would be), and ids not linked because they conflict.
    learned_links: list[tuple[str, str]] = field(default_factory=list)
    link_conflicts: list[str] = field(default_factory=list)

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
        if self.learned_links:
            verb = "learned" if self.written else "would learn"
            head += f", {verb} {_count(len(self.learned_links), 'agent id')} from e-mails"
        if self.link_conflicts:
            head += f", {_count(len(self.link_conflicts), 'agent id')} not linked (conflict)"
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

    One pass: rows are staged as they are read (_Stage), and written to the records at the
    end in one savepoint, only when no row has a problem (unless accept_good) and not for a
    dry run, so nothing is ever half-written. Memory stays flat in the file's size (except latest_per, which keeps
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
    rejects = rejects_writer = None
    if accept_good and rejects_path:
        rejects = open(rejects_path, "w", encoding="utf-8", newline="")  # noqa: SIM115 (closed below)
    stage = _Stage(mapping.kind, mapping.source, mapped, keep_raw=rejects is not None)
    reading = Reading(
        str(path),
        mapping,
        agent_index(mapping.source),
        stage.sqlite,
        keep_raw=rejects is not None,
    )
    batch: list[Row] = []

    unknown: dict[tuple[str, str], list[int]] = {}  # agent_key -> [rows, first line]
    pairs: dict[tuple[str, str], int] = {}  # (agent id, e-mail) -> first line

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

    reported = 0
    try:
        with open_chunks(reading, reader_process) as chunks:
            for chunk in chunks:
                report.rows_read += chunk.read
                report.rows_skipped_by_rule += chunk.skipped
                report.rows_superseded += chunk.superseded
                for pair, line in chunk.pairs.items():
                    pairs.setdefault(pair, line)
                for key, line, raw in chunk.unknown:
                    seen = unknown.setdefault(key, [0, line])
                    seen[0] += 1
                    message = f"unknown agent {agent_label(key, mapping.source)}: {NOT_AN_AGENT}"
                    reject(line, raw, [Problem(line, None, message)], reported=False)
                for line, raw, problems in chunk.rejects:
                    reject(line, raw, problems)
                batch.extend(chunk.rows)
                if len(batch) >= BATCH:
                    stage.add(batch)
                    batch = []
                if progress and report.rows_read - reported >= 10_000:
                    reported = report.rows_read
                    progress("reading", chunk.position, total)
        stage.add(batch)
        # Duplicates: the first line with an id is imported, every later one is a problem.
        for line, raw, ext in stage.drop_duplicates():
            reject(
                line, raw, [Problem(line, id_column, f"'{ext}' appears more than once in the file")]
            )
        _report_unknown(report, unknown, mapping.source)
    except ReadFailed as exc:
        report.add(exc.problem)
        raise ImportRefused(report) from None
    finally:
        if rejects is not None:
            rejects.close()
    report.rows_valid = stage.staged
    report.rows_skipped = report.rows_skipped_by_rule + report.rows_superseded
    if report.rows_read == 0:
        report.add(Problem(1, None, "the file has no rows (only a header, or nothing at all)"))
        raise ImportRefused(report)
    if pairs and dry_run:
        _learn(report, mapping.source, pairs, actor, write=False)
    if (report.problem_count and not accept_good) or dry_run:
        stage.drop()
        if report.problem_count and not accept_good:
            raise ImportRefused(report)
        return report
    if rejects is not None and report.rows_rejected:
        report.rejects_path = str(rejects_path)
    if progress:
        progress("writing", total, total)
    # The only writes to the records: a short while at the end, all of them or none.
    with db.session.begin_nested():
        run = ImportRun(
            kind=mapping.kind,
            source=mapping.source,
            mapping=mapping.name,
            filename=filename[:300],
            created_by_id=actor.id if actor else None,
        )
        db.session.add(run)
        db.session.flush()
        report.updated, report.affected_users = stage.merge(run.id)
        if "categories" in stage.mapped:
            categories.write_staged(stage.connection, STAGE, mapping.source, run.id, report.updated)
        report.created = report.rows_valid - report.updated
        stage.drop()
        report.written = True
        report.import_run_id = run.id
        if pairs:
            _learn(report, mapping.source, pairs, actor, write=True)
        run.status = "done"
        run.finished_at = utcnow()
        run.rows_read, run.rows_written = report.rows_read, report.rows_valid
        run.rows_skipped, run.rows_rejected = report.rows_skipped, report.rows_rejected
        run.report = _report_document(report)
        db.session.flush()
        announce("import.finished", import_run_id=run.id)
    return report


NOT_AN_AGENT = "not a ramp user, and not linked to one"


def _learn(report: ImportReport, source: str, pairs, actor: User | None, write: bool) -> None:
    """Link the ids the rows name beside an e-mail ramp knows (ramp.metrics.agent_sync)."""
    learned = learn_from_rows(source, pairs, actor, write)
    report.learned_links, report.link_conflicts = learned.linked, learned.conflicts


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


def _upsert(dialect: str, model, columns: tuple[str, ...], mapped: frozenset[str], rows):
    """INSERT ... SELECT rows ON CONFLICT (source, external_id) DO UPDATE, for this mapping."""
    dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = model.__table__
    stmt = dialect_insert(table).from_select(list(columns), rows)
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


# Column types whose values the table rows already carry as SQLite stores them, so
# SQLAlchemy's conversion of each value is left out when they are staged: moments and days
# are written as sqlite_stamper and date.isoformat write them (SQLAlchemy's own formats);
# sqlite3 binds a bool as the integer 0 or 1 and an int into a REAL column as a real, as
# SQLAlchemy's int() and float() would. JSON is still converted (to its text).
_SQLITE_AS_IS = (DateTime, Date, Boolean, Float)

# PostgreSQL's binary COPY format of each column type: psycopg's C dumpers, chosen once per
# column, cost a tenth of adapting each value as text. Moments come as the microseconds
# since 2000 in UTC and days as the days since 2000 (rows.postgresql_stamp and _day): a
# timestamp's and a date's binary forms are those integers, so they are written as int8 and
# int4, and the column stores the UTC wall-clock time, as the ORM writes it.
_COPY_TYPES = (
    (Boolean, "bool"),
    (DateTime, "int8"),
    (Date, "int4"),
    (Float, "float8"),
    (Integer, "int4"),
    (JSON, "json"),
    (String, "text"),
    (Text, "text"),
)


def _copy_type(column_type) -> str:
    for kind, name in _COPY_TYPES:
        if isinstance(column_type, kind):
            return name
    raise TypeError(f"no COPY type for {column_type!r}")


# The replaced values of each kind of record, and the columns of their own (not the record's).
REPLACED = {"contacts": replaced_contacts, "qa_evaluations": replaced_qa_evaluations}
_REPLACED_OWN = {"id", "replaced_by_run_id", "record_id"}
STAGE = "ramp_import_stage"
STAGE_WORK_MEM = "64MB"  # PostgreSQL: working memory of the statement finding duplicate ids


class _Stage:
    """The checked rows of one import, staged in a temporary table, then merged in one go.

    Reading and checking the file writes nothing but the staging table, which is the
    connection's own (on SQLite a temporary table takes no lock on the database, so
    learners and other writers go on while a large file is read). Then merge() writes the
    import run, keeps the values the import replaces (for undo) and upserts every staged row
    with set-based statements: one INSERT ... SELECT ... ON CONFLICT (source, external_id).
    PostgreSQL is fed with COPY, SQLite with executemany of rows already in its stored form.
    Duplicate ids in the file are found in the stage, not by looking each batch up.
    """

    def __init__(self, kind: str, source: str, mapped: set[str], keep_raw: bool):
        self.model = QAEvaluation if kind == "qa" else Contact
        self.source = source
        self.mapped = frozenset(mapped)
        self.columns = records.QA_COLUMNS if kind == "qa" else records.CONTACT_COLUMNS
        self.keep_raw = keep_raw
        self.connection = db.session.connection()
        dialect = self.connection.dialect
        self.sqlite = dialect.name == "sqlite"
        self.table = _stage_table(self.model, self.columns)
        self.staged = 0
        if self.sqlite:
            # A stage left by an import whose transaction was rolled back after its DROP.
            self.connection.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{STAGE}")
        self.table.create(self.connection)
        names = ["line", *self.columns, "raw"]
        if self.sqlite:
            self.insert_sql = (
                f"INSERT INTO temp.{STAGE} ({', '.join(names)}) "
                f"VALUES ({', '.join('?' * len(names))})"
            )
        else:
            self.copy_sql = f"COPY {STAGE} ({', '.join(names)}) FROM STDIN (FORMAT BINARY)"
            self.copy_types = [_copy_type(self.table.c[name].type) for name in names]
        table = self.model.__table__
        self.processors = []  # PostgreSQL: psycopg's dumpers write every value
        if self.sqlite:
            self.processors = [
                (i, process)
                for i, name in enumerate(self.columns)
                if not isinstance(table.c[name].type, _SQLITE_AS_IS)
                and (process := table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
                is not None
            ]

    def add(self, rows: list[Row]) -> None:
        """Stage a batch of checked rows (line, raw cells when kept, table row)."""
        if not rows:
            return
        processors = self.processors
        keep_raw = self.keep_raw
        staged = []
        for line, raw, row in rows:
            if processors:
                items = list(row)
                for i, process in processors:
                    items[i] = process(items[i])
                row = tuple(items)
            staged.append((line, *row, json.dumps(raw) if keep_raw and raw is not None else None))
        self.staged += len(staged)
        if self.sqlite:
            self.connection.exec_driver_sql(self.insert_sql, staged)
            return
        cursor = self.connection.connection.dbapi_connection.cursor()
        try:
            with cursor.copy(self.copy_sql) as copy:
                copy.set_types(self.copy_types)
                for item in staged:
                    copy.write_row(item)
        finally:
            cursor.close()

    def drop_duplicates(self) -> list[tuple[int, dict | None, str]]:
        """Take out every row whose id an earlier line of the file has: (line, raw, id)."""
        stage = self.table
        first = (
            select(stage.c.external_id, func.min(stage.c.line).label("first"))
            .group_by(stage.c.external_id)
            .having(func.count() > 1)
            .subquery()
        )
        query = (
            select(stage.c.line, stage.c.raw, stage.c.external_id)
            .join(first, first.c.external_id == stage.c.external_id)
            .where(stage.c.line > first.c.first)
            .order_by(stage.c.line)
        )
        if self.sqlite:
            found = self.connection.execute(query).all()
        else:
            # Counting every id spills to disk at PostgreSQL's default 4 MB of working
            # memory from about 100,000 rows: more for this statement, then as it was.
            with self._work_mem(STAGE_WORK_MEM):
                found = self.connection.execute(query).all()
        lines = [line for line, _, _ in found]
        for start in range(0, len(lines), 500):
            self.connection.execute(
                delete(stage).where(stage.c.line.in_(lines[start : start + 500]))
            )
        self.staged -= len(lines)
        return [(line, json.loads(raw) if raw else None, ext) for line, raw, ext in found]

    @contextmanager
    def _work_mem(self, size: str) -> Iterator[None]:
        """PostgreSQL's working memory of this transaction set to `size` for a while."""
        connection = self.connection
        before = connection.exec_driver_sql("SELECT current_setting('work_mem')").scalar()
        connection.execute(select(func.set_config("work_mem", size, True)))
        yield  # on an error the transaction is rolled back, and the setting with it
        connection.execute(select(func.set_config("work_mem", before, True)))

    def merge(self, run_id: int) -> tuple[int, set[int]]:
        """Write the staged rows as this run's; return (records updated, agents affected)."""
        connection = self.connection
        stage = self.table
        cache_size = None
        if self.sqlite:
            # SQLite's page cache (2 MiB by default) holds a fraction of the table's two
            # indexes, which every row updates at scattered places: a larger one meanwhile.
            cache_size = connection.exec_driver_sql("PRAGMA cache_size").scalar()
            connection.exec_driver_sql(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
        try:
            # The values an update replaces are kept first, for undoing this run.
            replaced = REPLACED[self.model.__tablename__]
            kept = [c.name for c in replaced.columns if c.name not in _REPLACED_OWN]
            table = self.model.__table__
            updated = connection.execute(
                insert(replaced).from_select(
                    ["replaced_by_run_id", "record_id", *kept],
                    select(literal(run_id), table.c.id, *(table.c[name] for name in kept)).join(
                        stage,
                        (table.c.source == self.source)
                        & (table.c.external_id == stage.c.external_id),
                    ),
                ),
                execution_options={"preserve_rowcount": True},  # psycopg's, for INSERT ... SELECT
            ).rowcount
            run = literal(run_id).label("import_run_id")
            rows = select(
                *(run if name == "import_run_id" else stage.c[name] for name in self.columns)
            ).where(true())  # SQLite reads "ON CONFLICT" after a bare FROM as a join's
            if updated:
                connection.execute(
                    _upsert(connection.dialect.name, self.model, self.columns, self.mapped, rows)
                )
            else:
                # No staged id is in the records (the statement above kept none): every row
                # is new, and a plain INSERT spares each row the check for a conflict. No
                # other import can add one meanwhile: one import runs at a time.
                connection.execute(insert(table).from_select(list(self.columns), rows))
            users = {
                uid
                for (uid,) in connection.execute(
                    select(stage.c.user_id)
                    .distinct()
                    .union(
                        select(replaced.c.user_id).where(replaced.c.replaced_by_run_id == run_id)
                    )
                )
            }
        finally:
            if cache_size is not None:
                connection.exec_driver_sql(f"PRAGMA cache_size = {int(cache_size)}")
        return updated, users

    def drop(self) -> None:
        """The stage is done with (on PostgreSQL it also goes when the transaction ends)."""
        self.table.drop(self.connection, checkfirst=False)


def _stage_table(model, columns: tuple[str, ...]) -> Table:
    """The staging table: the record's columns as the table has them, plus line and raw cells."""
    source = model.__table__
    return Table(
        STAGE,
        MetaData(),
        Column("line", Integer),
        *(Column(name, source.c[name].type) for name in columns),
        Column("raw", Text),
        prefixes=["TEMPORARY"],
        postgresql_on_commit="DROP",
    )


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
            # Coaching (and whoever else listens) reads what was just written.
            announce("records.changed", user_ids=sorted(report.affected_users))
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
    run.error = _storable(error)
    run.filename = _storable(run.filename)
    run.finished_at = utcnow()
    if report is not None:
        run.rows_read, run.rows_skipped = report.rows_read, report.rows_skipped
        run.rows_rejected = report.rows_rejected
        run.report = _storable(_report_document(report))
    db.session.add(run)
    db.session.flush()
    announce("import.failed", import_run_id=run.id)
    db.session.commit()  # the history outlives the rolled-back import
    return run.id


def _storable(value):
    """`value` (text, or a JSON document of it) as every database keeps it: a refused file's
    problems quote its cells and field names, which may hold a NUL (PostgreSQL refuses it in
    text and JSON) or half a surrogate pair (no UTF-8 encodes it)."""
    if isinstance(value, str):
        return value.replace("\x00", "\N{SYMBOL FOR NULL}").encode("utf-8", "replace").decode()
    if isinstance(value, dict):
        return {_storable(k): _storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable(v) for v in value]
    return value


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
        "learned_links": [list(pair) for pair in report.learned_links[:200]],
        "link_conflicts": report.link_conflicts[:200],
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
