"""With REDIS_URL, large imports go to a real Redis queue; a worker runs them; any web process
shows the progress and the report."""

from html import unescape
from io import BytesIO

from sqlalchemy import func, select

from ramp.metrics.models import QAEvaluation
from tests.conftest import FIXTURES, csrf_token, login
from tests.web.test_import_page import HEADER, rows


def test_import_through_redis_and_a_worker(client, app, db, make_user, redis_url):
    from redis import Redis
    from rq import Queue, SimpleWorker

    app.config.update(IMPORT_BACKGROUND_BYTES=10, REDIS_URL=redis_url)
    admin = make_user("admin")
    agent = make_user("agent", email="ana.silva@example.com")
    login(client, admin.email)
    token = csrf_token(client, "/admin/imports")
    response = client.post(
        "/admin/imports",
        data={
            "csrf_token": token,
            "preset": "",
            "export": (BytesIO((HEADER + rows(agent.email, 6)).encode()), "reviews.csv"),
            "mapping": (BytesIO((FIXTURES / "mappings" / "qa-basic.yaml").read_bytes()), "qa.yaml"),
        },
        content_type="multipart/form-data",
    )
    run = client.post(response.headers["Location"] + "/run", data={"csrf_token": token})
    job_url = run.headers["Location"]
    waiting = unescape(client.get(job_url).get_data(as_text=True))
    assert "queued" in waiting
    db.session.commit()

    connection = Redis.from_url(redis_url)
    queue = Queue("ramp", connection=connection)
    assert queue.count == 1
    # The worker runs in its own application, as `ramp worker` would, on the same database.
    import ramp.jobs as jobs_module
    from tests.conftest import make_app

    jobs_module._worker_app = make_app(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        SimpleWorker([queue], connection=connection).work(burst=True)
    finally:
        jobs_module._worker_app = None
    report = unescape(client.get(job_url).get_data(as_text=True))
    assert "wrote 6 evaluations (6 new, 0 updated)" in report
    db.session.remove()
    assert db.session.execute(select(func.count()).select_from(QAEvaluation)).scalar_one() == 6
