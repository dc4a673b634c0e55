"""The background queue: long work (large imports) runs off the request.

Embedded by default: one worker thread in the web process, with progress kept in memory,
which is what the single-process SQLite setup needs. With JOBS_EAGER (tests) a job runs at
once, inside the request.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from flask import Flask


@dataclass
class Job:
    """One piece of background work and how far it has got."""

    id: str
    label: str
    status: str = "queued"  # queued, running, done, failed
    stage: str = ""
    done: int = 0
    total: int | None = None
    result: object = None
    error: str | None = None
    owner_id: int | None = None
    extra: dict = field(default_factory=dict)

    def progress(self, stage: str, done: int, total: int | None) -> None:
        """A progress callback for long operations."""
        self.stage, self.done, self.total = stage, done, total

    @property
    def percent(self) -> int | None:
        return min(100, 100 * self.done // self.total) if self.total else None


class JobQueue:
    """Runs jobs on a worker thread, each inside its own application context."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None

    def init_app(self, app: Flask) -> None:
        app.extensions["ramp_jobs"] = self

    def submit(
        self, app: Flask, label: str, fn: Callable[[Job], object], owner_id: int | None = None
    ) -> Job:
        """Queue fn(job); it runs with an app context and commits or rolls back itself."""
        job = Job(uuid.uuid4().hex, label, owner_id=owner_id)
        with self._lock:
            self._jobs[job.id] = job
            if app.config.get("JOBS_EAGER"):
                self._run(app, job, fn)
                return job
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ramp-jobs")
        self._executor.submit(self._run, app, job, fn)
        return job

    def get(self, job_id: str) -> Job | None:
        """A job by id, while the process that ran it is alive."""
        return self._jobs.get(job_id)

    @staticmethod
    def _run(app: Flask, job: Job, fn: Callable[[Job], object]) -> None:
        from ramp.extensions import db

        with app.app_context():
            job.status = "running"
            try:
                job.result = fn(job)
                job.status = "done"
            except Exception as exc:  # reported on the job's page; the transaction is undone
                db.session.rollback()
                job.error = str(exc) or exc.__class__.__name__
                job.status = "failed"
                app.logger.exception("background job %s failed", job.label)
            finally:
                db.session.remove()


jobs = JobQueue()
