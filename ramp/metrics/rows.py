"""An export read into table rows: parsed, checked, agents resolved, outcomes derived.

This is the reading half of an import; imports.py writes what it yields. It needs no
database and no application, so a large file is read in a second process while the first
one writes: the two halves cost about the same, and each gets a core (open_chunks).
"""

from __future__ import annotations

import csv
import os
import pickle
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

from ramp.errors import LineProblem
from ramp.metrics import records
from ramp.metrics.mapping import (
    LatestRows,
    MappingColumnsError,
    MappingSpec,
    RowErrors,
    cells_reader,
    read_rows,
    row_reader,
)

CHUNK = 1000  # rows read per chunk

# (line where the record starts, the raw row when kept, the table row as stored)
Row = tuple[int, dict | None, tuple]


@dataclass
class Chunk:
    """The outcome of reading the next CHUNK rows of the file."""

    read: int = 0  # rows read
    skipped: int = 0  # skipped by a skip rule of the mapping
    superseded: int = 0  # older events of a latest_per key, left out for a later one
    position: int = 0  # bytes of the file read so far
    rows: list[Row] = field(default_factory=list)
    # (line, raw row when kept, problems) of each row that cannot be imported
    rejects: list[tuple[int, dict | None, list[LineProblem]]] = field(default_factory=list)
    # (agent_key, line, raw row when kept) of each row naming an agent ramp does not know
    unknown: list[tuple[tuple[str, str], int, dict | None]] = field(default_factory=list)
    # (agent id, e-mail) -> first line, of rows naming their agent by both (ids to learn)
    pairs: dict[tuple[str, str], int] = field(default_factory=dict)


class ReadFailed(Exception):
    """The file cannot be read at all (missing columns, not UTF-8, not CSV): one problem."""

    def __init__(self, problem: LineProblem):
        super().__init__(problem)
        self.problem = problem


@dataclass(frozen=True)
class Reading:
    """What reading a file needs: all of it plain data, so it can go to another process."""

    path: str
    mapping: MappingSpec
    agents: dict[tuple[str, str], int]  # agent_key -> user id
    sqlite: bool  # moments and days as SQLite stores them (text), else as PostgreSQL (integers)
    keep_raw: bool  # rows carry their raw cells (for a rejects file)


def open_text(path: str | Path):
    """An export opened as text: utf-8-sig strips a byte-order mark."""
    return open(path, encoding="utf-8-sig", newline="")


def agent_key(values: dict) -> tuple[str, str] | None:
    """How a row names its agent: ('email', address) or ('id', the source's agent id)."""
    if values.get("agent_email"):
        return ("email", str(values["agent_email"]).strip().lower())
    if values.get("agent_id") not in (None, ""):
        return ("id", str(values["agent_id"]).strip())
    return None


def agent_label(key: tuple[str, str], source: str) -> str:
    """An agent as a person reads it: 'ana@example.com', or 'Ana Silva' (zendesk) for an id."""
    return f"'{key[1]}'" if key[0] == "email" else f"'{key[1]}' ({source})"


def read_chunks(reading: Reading) -> Iterator[Chunk]:
    """The file's rows, CHUNK at a time; raises ReadFailed when the file cannot be read."""
    read = 0
    try:
        with open_text(reading.path) as fh:
            for chunk in _chunks(fh, reading):
                read += chunk.read
                yield chunk
    except MappingColumnsError as exc:
        message = f"missing column(s): {exc.names()} (found: {exc.shown()})"
        raise ReadFailed(LineProblem(1, None, message)) from None
    except UnicodeDecodeError:
        raise ReadFailed(
            LineProblem(1, None, "the file is not UTF-8 text; export it again as CSV UTF-8")
        ) from None
    except csv.Error as exc:
        line = getattr(exc, "line", read + 1)  # CsvBroken knows where the record starts
        raise ReadFailed(LineProblem(line, None, f"the file is not valid CSV: {exc}")) from None


def _chunks(fh, reading: Reading) -> Iterator[Chunk]:
    mapping = reading.mapping
    agents, keep_raw = reading.agents, reading.keep_raw
    source, csat_scale = mapping.source, mapping.csat_scale
    # The team's days (metric dates): in UTC itself when that is the zone, which is cheaper.
    zone = UTC if mapping.timezone in ("UTC", "Etc/UTC") else ZoneInfo(mapping.timezone)
    to_record = record_maker(mapping.kind, reading.sqlite)
    read_values = row_reader(mapping)
    latest_per = bool(mapping.latest_per)
    latest: LatestRows[Row] = LatestRows()
    position = fh.buffer.tell if hasattr(fh, "buffer") else (lambda: 0)
    rows = read_rows(fh, mapping)
    chunk = Chunk()

    # A mapping naming agents by both id and e-mail teaches ramp the ids (agent_sync.py).
    both = "agent_id" in mapping.fields and "agent_email" in mapping.fields

    def learn(line: int, values: dict) -> None:
        ident, email = values.get("agent_id"), values.get("agent_email")
        if ident not in (None, "") and email:
            pair = (str(ident).strip(), str(email).strip().lower())
            chunk.pairs.setdefault(pair, line)

    def add(line: int, raw: dict | None, values: dict) -> None:
        """A row read: its agent resolved, then its table row kept (or its agent reported)."""
        if both:
            learn(line, values)
        key = agent_key(values)
        user_id = agents.get(key)  # type: ignore[arg-type]
        if user_id is None:  # rejected on its own, reported once per agent (imports.py)
            chunk.unknown.append((key, line, raw if keep_raw else None))  # type: ignore[arg-type]
            return
        scale = values.get("_csat_scale")
        row = (
            line,
            raw if keep_raw else None,
            # No import run yet: the merge writes the run's id into every row (imports.py).
            to_record(values, source, user_id, None, zone, csat_scale if scale is None else scale),
        )
        if latest_per:
            if latest.add(line, values.get("_key"), values.get("_order"), row):
                chunk.superseded += 1  # an older event of the same key
            return
        chunk.rows.append(row)

    def read_row(line: int, raw: dict) -> None:
        """A row read the careful way: its values, or its problems, or skipped."""
        try:
            values = read_values(line, raw)
        except RowErrors as exc:
            problems = [LineProblem(line, e.column, e.message) for e in exc.errors]
            chunk.rejects.append((line, raw if keep_raw else None, problems))
            return
        if values is None:
            chunk.skipped += 1
            return
        add(line, raw, values)

    # A CSV file's full-width records are read by the places of their cells (cells_reader),
    # without a row of header -> cell; any other record, as a row. Rows are kept for the
    # rejects file: then every record is a row.
    names = getattr(rows, "names", None)
    read_cells = cells_reader(mapping, names) if names is not None and not keep_raw else None
    if read_cells is not None:
        width = rows.width  # type: ignore[attr-defined]
        as_row = rows.row  # type: ignore[attr-defined]
        for line, cells in rows.records():  # type: ignore[attr-defined]
            if chunk.read >= CHUNK:
                chunk.position = position()
                yield chunk
                chunk = Chunk()
            chunk.read += 1
            values = read_cells(cells) if len(cells) == width else None
            if values is None:
                read_row(line, as_row(cells))
                continue
            # add(), inline: this runs for nearly every row.
            if both:
                learn(line, values)
            key = agent_key(values)
            user_id = agents.get(key)  # type: ignore[arg-type]
            if user_id is None:
                chunk.unknown.append((key, line, None))  # type: ignore[arg-type]
                continue
            scale = values.get("_csat_scale")
            chunk.rows.append(
                (
                    line,
                    None,
                    to_record(
                        values, source, user_id, None, zone, csat_scale if scale is None else scale
                    ),
                )
            )
    else:
        while True:
            if chunk.read >= CHUNK:
                chunk.position = position()
                yield chunk
                chunk = Chunk()
            try:
                line, raw = next(rows)
            except StopIteration:
                break
            except RowErrors as exc:  # a line that is not a record at all (bad JSON)
                chunk.read += 1
                problems = [LineProblem(exc.line, e.column, e.message) for e in exc.errors]
                chunk.rejects.append((exc.line, None, problems))
                continue
            chunk.read += 1
            read_row(line, raw)
    for row in latest.rows():
        chunk.rows.append(row)
        if len(chunk.rows) >= CHUNK:
            chunk.position = position()
            yield chunk
            chunk = Chunk()
    chunk.position = position()
    yield chunk


# A second process ------------------------------------------------------------------------


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@contextmanager
def open_chunks(reading: Reading, separate: bool) -> Iterator[Iterator[Chunk]]:
    """read_chunks, in a second process when separate (and the machine has two cores).

    The process is `python -m ramp.metrics.rows`: it gets the Reading pickled on its standard
    input and answers with pickled chunks on its standard output, whose pipe keeps it at
    most a chunk or two ahead of the writer. Nothing of the caller's program runs in it. It is
    stopped when the caller leaves the block, however it leaves. Where it cannot start (one
    core, no Python interpreter to run), the file is read here.
    """
    process = None
    # Under an application server sys.executable may be the server itself, not Python.
    python = Path(sys.executable or "-").name.startswith(("python", "pypy"))
    if separate and python and _cores() >= 2:
        env = dict(os.environ)
        package_root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "ramp.metrics.rows"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=env,
            )
        except OSError:
            process = None
    if process is None:
        chunks = read_chunks(reading)
        try:
            yield chunks
        finally:
            chunks.close()
        return
    try:
        assert process.stdin is not None and process.stdout is not None
        try:
            with process.stdin:
                pickle.dump(reading, process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        except BrokenPipeError:  # it stopped at once: _received says so with its exit code
            pass
        yield _received(process)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _received(process: subprocess.Popen) -> Iterator[Chunk]:
    """The chunks the reading process sends, until it says it is done."""
    while True:
        try:
            kind, item = pickle.load(process.stdout)  # type: ignore[arg-type]
        except EOFError:
            raise RuntimeError(
                f"the process reading the file stopped (exit code {process.wait()})"
            ) from None
        if kind == "chunk":
            yield item
        elif kind == "done":
            with suppress(subprocess.TimeoutExpired):  # it is exiting: let it, not kill it
                process.wait(timeout=10)
            return
        elif kind == "failed":
            raise ReadFailed(item)
        else:
            raise RuntimeError(f"reading the file failed: {item}")


def _serve() -> None:
    """The reading process: every chunk, then done, or why it stopped."""
    out = sys.stdout.buffer
    reading = pickle.load(sys.stdin.buffer)

    def send(kind: str, item: object) -> None:
        pickle.dump((kind, item), out, protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()

    try:
        for chunk in read_chunks(reading):
            send("chunk", chunk)
    except ReadFailed as exc:
        send("failed", exc.problem)
    except Exception as exc:  # sent as text: not every exception can be pickled
        send("error", f"{exc.__class__.__name__}: {exc}")
    else:
        send("done", None)


# Values as the database stores them ------------------------------------------------------


def record_maker(kind: str, sqlite: bool) -> Callable[..., tuple]:
    """records.contact_values or qa_values, writing moments and days as the database stores
    them (SQLite: its text, with memory of its own: one per file; PostgreSQL: the integers of
    its binary form).
    """
    to_record = records.qa_values if kind == "qa" else records.contact_values
    if sqlite:
        return partial(to_record, stamp=sqlite_stamper(), day=day_texts())
    return partial(to_record, stamp=postgresql_stamp, day=postgresql_day)


# PostgreSQL's binary form of a timestamp is the microseconds since 2000-01-01 as an 8-byte
# integer, and of a date the days since then as a 4-byte one: the stage's COPY writes them as
# int8 and int4 (imports.py). As integers, a row costs a fraction of its moments to pickle
# (a large file's rows come from a second process) and nothing to dump.
_POSTGRESQL_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_POSTGRESQL_EPOCH_DAY = _POSTGRESQL_EPOCH.toordinal()
_MICROSECOND = timedelta(microseconds=1)


def postgresql_stamp(moment: datetime | None) -> int | None:
    """A moment as a timestamp column holds it on PostgreSQL: microseconds since 2000 in UTC
    (naive moments are UTC, as records.utc takes them); None stays None."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _POSTGRESQL_EPOCH) // _MICROSECOND


def postgresql_day(day: date) -> int:
    """A day as a date column holds it on PostgreSQL: days since 2000-01-01."""
    return day.toordinal() - _POSTGRESQL_EPOCH_DAY


# 'HH:MM:' for each minute of the day, 'SS.000000' for each second of a minute.
_HOUR_MINUTE = [f"{h:02d}:{m:02d}:" for h in range(24) for m in range(60)]
_SECOND = [f"{s:02d}.000000" for s in range(60)]


def sqlite_stamper() -> Callable[[datetime | None], str | None]:
    """A function writing a moment as a DateTime column holds it on SQLite (None stays None).

    The text is SQLAlchemy's SQLite DATETIME storage format, 'YYYY-MM-DD HH:MM:SS.ffffff',
    of the moment in UTC (the format ignores the zone, so moments are converted to UTC first,
    as records.utc does). Whole seconds, the usual case, are put together from the text of
    their day (remembered by the function: use one per import) and of their time of day,
    which costs a fraction of formatting them.
    """
    days: dict[int, str] = {}

    def stamp(moment: datetime | None) -> str | None:
        if moment is None:
            return None
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC)
        if moment.microsecond:
            # isoformat pads the year to four digits as the storage format does.
            return moment.isoformat(" ", "microseconds")[:26]
        ordinal = moment.toordinal()
        day = days.get(ordinal)
        if day is None:
            day = days[ordinal] = moment.date().isoformat() + " "
        return day + _HOUR_MINUTE[moment.hour * 60 + moment.minute] + _SECOND[moment.second]

    return stamp


def day_texts() -> Callable[[date], str]:
    """date.isoformat (a Date column's text on SQLite), remembered per day."""
    texts: dict[date, str] = {}

    def day_text(day: date) -> str:
        text = texts.get(day)
        if text is None:
            text = texts[day] = day.isoformat()
        return text

    return day_text


if __name__ == "__main__":
    # Through the module's own name, so what it pickles names ramp.metrics.rows, not __main__.
    from ramp.metrics import rows

    rows._serve()
