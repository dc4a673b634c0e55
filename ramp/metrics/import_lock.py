"""One import at a time: the lock that serialises imports and undos of imports.

Two imports writing at once would fight over the same records (and on SQLite the second
would wait for the first's write lock, then die). So every import and every undo first takes
this lock, or is refused at once with a message naming the import that holds it.

The lock is one the operating system or the database server drops by itself when the process
holding it dies (kill -9 included), so a crashed import never blocks the next one:
- SQLite: an exclusive `flock` on a file beside the database (`<database>.import-lock`),
  which also holds a line describing the running import;
- PostgreSQL: a session-level advisory lock on a connection of its own, whose
  `application_name` describes the running import.
An in-memory SQLite database (one process) uses a lock of the process.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, text

from ramp import clock
from ramp.errors import ValidationError
from ramp.extensions import db

# The advisory lock's key on PostgreSQL: any 64-bit number no other part of ramp uses.
ADVISORY_KEY = 7_212_003_651
_memory_lock = threading.Lock()


class ImportBusy(ValidationError):
    """Another import (or undo) is running: this one was not started, nothing changed."""

    def __init__(self, holder: str | None):
        what = f" ({holder})" if holder else ""
        super().__init__(
            f"Another import is running{what}. This one was not started and nothing was "
            "changed: try again when that one has finished."
        )


def describe(label: str, actor_email: str | None = None) -> str:
    """'records.csv, ana@example.com, since 09:31 UTC': what the lock says it holds."""
    who = f", {actor_email}" if actor_email else ""
    return f"{label[:200]}{who}, since {clock.now():%H:%M} UTC"


@contextmanager
def exclusive_import(description: str) -> Iterator[None]:
    """Hold the import lock while the block runs; ImportBusy at once when another holds it."""
    engine = db.engine
    if engine.dialect.name == "postgresql":
        with _advisory(engine, description):
            yield
        return
    database = engine.url.database
    if not database or database == ":memory:":
        if not _memory_lock.acquire(blocking=False):
            raise ImportBusy(None)
        try:
            yield
        finally:
            _memory_lock.release()
        return
    with _flock(f"{database}.import-lock", description):
        yield


@contextmanager
def _flock(path: str, description: str) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 400, 0).decode("utf-8", "replace").strip()
            raise ImportBusy(holder or None) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, description.encode("utf-8"), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextmanager
def _advisory(engine, description: str) -> Iterator[None]:
    with engine.connect() as conn:
        got = conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY})
        if not got.scalar():
            holder = conn.execute(
                text(
                    "SELECT a.application_name FROM pg_locks l "
                    "JOIN pg_stat_activity a ON a.pid = l.pid "
                    "WHERE l.locktype = 'advisory' AND l.granted AND l.database = "
                    "(SELECT oid FROM pg_database WHERE datname = current_database()) "
                    "AND l.objid = (:key & 4294967295) AND l.classid = (:key >> 32)"
                ),
                {"key": ADVISORY_KEY},
            ).scalar()
            conn.rollback()
            raise ImportBusy(holder or None)
        # application_name holds at most 63 bytes: enough for a file name, who and when.
        name = description.encode("utf-8")[:63].decode("utf-8", "ignore")
        conn.execute(text("SELECT set_config('application_name', :name, false)"), {"name": name})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
            conn.execute(text("SELECT set_config('application_name', '', false)"))
            conn.commit()


def hold_until_transaction_ends(description: str) -> None:
    """Take the import lock for the rest of the session's transaction (ImportBusy if taken).

    Imports and undos flush and leave the commit to their caller, so the lock must outlast
    them: it is given back when the session's outermost transaction ends, committed or
    rolled back (a request's or a command's end closes the session, which ends it too).
    Within the transaction that holds it, further imports and undos go on.
    """
    session = db.session()
    if session.info.get("import_lock"):  # this transaction holds it already
        return
    held = exclusive_import(description)
    held.__enter__()
    session.info["import_lock"] = held
    if not event.contains(session, "after_transaction_end", _release):
        event.listen(session, "after_transaction_end", _release)
    session.connection()  # a transaction is open from here, so its end gives the lock back


def _release(session, transaction) -> None:
    """Give the import lock back when the session's outermost transaction ends."""
    if transaction.parent is None and (held := session.info.pop("import_lock", None)):
        held.__exit__(None, None, None)
