"""Settings read from the environment."""

from ramp.config import engine_options


def test_the_pool_keeps_the_driver_defaults_unless_told(monkeypatch):
    monkeypatch.delenv("RAMP_DB_POOL_SIZE", raising=False)
    monkeypatch.delenv("RAMP_DB_MAX_OVERFLOW", raising=False)
    assert engine_options() == {"pool_pre_ping": True}


def test_the_pool_size_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("RAMP_DB_POOL_SIZE", "8")
    monkeypatch.setenv("RAMP_DB_MAX_OVERFLOW", "0")
    assert engine_options() == {"pool_pre_ping": True, "pool_size": 8, "max_overflow": 0}
