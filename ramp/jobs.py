"""The background queue: long work (large imports) runs off the request.

Embedded by default: one worker thread in the web process, progress kept in memory, which is
what the single-process SQLite setup needs. With REDIS_URL set, jobs go to a Redis queue (RQ)
that `ramp worker` processes, and progress lives in Redis, so any web worker can show it.
With JOBS_EAGER (tests) an embedded job runs at once, inside the request.

A job is a function named by its import path, called as fn(*args, progress=callback) inside
an application context; it commits or rolls back itself.
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from werkzeug.utils import import_string

from ramp.cli_support import fail
from ramp.extensions import db

# redis and rq are imported where a Redis queue is used, not here: they take about as long
# to load as Flask itself, and the embedded queue (no REDIS_URL) never needs them.


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

    def progress(self, stage: str, done: int, total: int | None) -> None:
        """A progress callback for long operations."""
        self.stage, self.done, self.total = stage, done, total

    @property
    def percent(self) -> int | None:
        return min(100, 100 * self.done // self.total) if self.total else None


def _call(app: Flask, job: Job, path: str, args: tuple) -> None:
    with app.app_context():
        job.status = "running"
        try:
            job.result = import_string(path)(*args, progress=job.progress)
            job.status = "done"
        except Exception as exc:  # shown on the job's page; the transaction is undone
            db.session.rollback()
            job.error = str(exc) or exc.__class__.__name__
            job.status = "failed"
            app.logger.exception("background job %s failed", job.label)
        finally:
            db.session.remove()


class JobQueue:
    """Runs jobs on a worker thread, or hands them to Redis when REDIS_URL is configured."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None

    def init_app(self, app: Flask) -> None:
        app.extensions["ramp_jobs"] = self

    @staticmethod
    def _redis_queue():
        from redis import Redis
        from rq import Queue

        url = current_app.config.get("REDIS_URL")
        return Queue("ramp", connection=Redis.from_url(url)) if url else None

    def submit(self, label: str, path: str, *args, owner_id: int | None = None) -> str:
        """Queue path(*args, progress=...); return the job's id."""
        queue = self._redis_queue()
        if queue is not None:
            job = queue.enqueue(
                "ramp.jobs.run_in_worker",
                path,
                args,
                job_timeout=6 * 3600,
                result_ttl=24 * 3600,
                meta={"label": label, "owner_id": owner_id, "stage": "", "done": 0, "total": None},
            )
            return job.id
        app = current_app._get_current_object()
        job = Job(uuid.uuid4().hex, label, owner_id=owner_id)
        with self._lock:
            self._jobs[job.id] = job
            if app.config.get("JOBS_EAGER"):
                _call(app, job, path, args)
                return job.id
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ramp-jobs")
        self._executor.submit(_call, app, job, path, args)
        return job.id

    def submit_at(self, when, label: str, path: str, *args) -> str | None:
        """With Redis, queue path(*args, progress=...) to run at `when` (a worker started
        with its scheduler, as `ramp worker` is, moves it to the queue then); the job's id.
        Embedded, nothing: what waits is picked up by the command cron runs."""
        queue = self._redis_queue()
        if queue is None:
            return None
        job = queue.enqueue_at(
            when,
            "ramp.jobs.run_in_worker",
            path,
            args,
            job_timeout=3600,
            result_ttl=24 * 3600,
            meta={"label": label, "owner_id": None, "stage": "", "done": 0, "total": None},
        )
        return job.id

    def get(self, job_id: str) -> Job | None:
        """A job by id (from Redis when configured, else while this process is alive)."""
        queue = self._redis_queue()
        if queue is None:
            return self._jobs.get(job_id)
        from rq.exceptions import NoSuchJobError
        from rq.job import Job as RQJob

        try:
            found = RQJob.fetch(job_id, connection=queue.connection)
        except NoSuchJobError:
            return None
        meta = found.get_meta(refresh=True)
        status = found.get_status(refresh=True)
        state = {"queued": "queued", "started": "running", "finished": "done", "failed": "failed"}
        job = Job(found.id, meta.get("label", ""), owner_id=meta.get("owner_id"))
        job.status = state.get(getattr(status, "value", status), "queued")
        job.stage, job.done, job.total = (
            meta.get("stage", ""),
            meta.get("done", 0),
            meta.get("total"),
        )
        if job.status == "done":
            job.result = found.return_value()
        if job.status == "failed":
            job.error = meta.get("error") or "the job failed"
        return job


def run_in_worker(path: str, args: tuple):
    """The RQ entry point: run a job inside this worker's application, reporting progress."""
    from rq import get_current_job

    from ramp import create_app  # the factory imports this module

    global _worker_app
    if _worker_app is None:
        _worker_app = create_app()
    rq_job = get_current_job()

    def progress(stage: str, done: int, total: int | None) -> None:
        rq_job.meta.update(stage=stage, done=done, total=total)
        rq_job.save_meta()

    with _worker_app.app_context():
        try:
            return import_string(path)(*args, progress=progress)
        except Exception as exc:
            db.session.rollback()
            rq_job.meta["error"] = str(exc) or exc.__class__.__name__
            rq_job.save_meta()
            raise
        finally:
            db.session.remove()


_worker_app: Flask | None = None
jobs = JobQueue()


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@with_appcontext
def worker_command(burst):
    """Run background jobs from the Redis queue (needs REDIS_URL)."""
    from redis import Redis
    from rq import Queue, Worker

    url = current_app.config.get("REDIS_URL")
    if not url:
        fail("set REDIS_URL to use a Redis queue; without it, jobs run inside the web process")
    connection = Redis.from_url(url)
    # With its scheduler: jobs queued for later (a notification's next try) run on time.
    Worker([Queue("ramp", connection=connection)], connection=connection).work(
        burst=burst, with_scheduler=True
    )
