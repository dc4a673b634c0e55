"""gunicorn's settings module: what `gunicorn -c python:ramp.serving` loads, and the worker's
memory settling after the app is built."""

from __future__ import annotations

import gc
import weakref

import pytest
from gunicorn.app.base import Application

from ramp import serving


class _Loaded(Application):
    """gunicorn's own loading of a configuration named on its command line."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__()

    def init(self, parser, opts, args):
        return None

    def load_config(self):
        self.load_config_from_module_name_or_filename(self.name)

    def load(self):  # pragma: no cover - the app is never loaded here
        raise AssertionError


@pytest.fixture
def collector():
    """Put the collector back as it was, whatever a test does to it."""
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_gunicorn_loads_the_settings_and_the_hook():
    cfg = _Loaded("python:ramp.serving").cfg
    assert cfg.worker_class_str == "gthread"
    assert cfg.threads == 4
    assert cfg.keepalive == 30
    assert cfg.post_worker_init is serving.post_worker_init


def test_settle_freezes_what_start_up_built_and_collects_young_objects_less_often(collector):
    gc.unfreeze()
    built = [{"an": "object the app holds"} for _ in range(1000)]
    older = gc.get_threshold()[1:]
    serving.settle()
    assert gc.get_freeze_count() >= len(built)
    assert gc.get_threshold() == (serving.YOUNG_THRESHOLD, *older)


def test_a_cycle_made_after_settling_is_still_collected(collector):
    serving.settle()

    class Node:
        pass

    node = Node()
    node.me = node  # a cycle: reference counting alone never frees it
    ref = weakref.ref(node)
    del node
    gc.collect()
    assert ref() is None


def test_the_worker_hook_settles(collector, monkeypatch):
    calls = []
    monkeypatch.setattr(serving, "settle", lambda: calls.append(1))
    serving.post_worker_init(worker=object())
    assert calls == [1]
