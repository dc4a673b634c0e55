"""gunicorn's settings for ramp, as docs/production.md explains them:

    gunicorn -c python:ramp.serving --workers 2 --bind 127.0.0.1:8000 'ramp:create_app()'

Flags on the command line override the settings here. Besides gunicorn's own settings, each
worker settles its memory once the app is built (`settle`), which makes the pages that build
many objects (a list of every hire's readiness) cheaper; small pages cost the same.
"""

from __future__ import annotations

import gc

worker_class = "gthread"
threads = 4
keepalive = 30  # seconds: a browser's next page reuses its connection

# How many objects may be allocated before the youngest generation is collected (Python's
# default is 700). A page listing thousands of records allocates hundreds of thousands of
# short-lived objects; at 700, the collector runs hundreds of times for it.
YOUNG_THRESHOLD = 10_000


def settle() -> None:
    """Once the app is built, before the first request: collect what start-up left, then
    freeze the rest (modules, the app, its mappers and templates), so the collector never
    looks at those objects again, and collect the youngest objects less often. Reference
    counting still frees almost everything a request makes the moment it is no longer
    used; the collector is only for cycles. Under gunicorn this runs in each worker
    (post_worker_init); `ramp demo` and the benchmarks call it after building the app."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)


def post_worker_init(worker) -> None:  # gunicorn's hook: the worker has loaded the app
    settle()
