"""Starting ramp (the app, every CLI command) does not load the heavy libraries only a few
commands need: WeasyPrint loads on the first PDF, in ramp/pdf.py, and nowhere else. The
`ramp` command loads only what the command asked for: `ramp --help` no area's commands and no
database, a simple command its own area, without the web layer or Alembic."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ramp.cli import COMMANDS, EXTENSION_COMMANDS, SUBCOMMANDS
from ramp.lazy_commands import load_command

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ["weasyprint", "fontTools", "PIL", "pandas", "playwright"]

LOAD_EVERYTHING = """
import json, sys
import ramp.certificates.operations, ramp.certificates.render, ramp.cli, ramp.pdf
from ramp import create_app
app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
app.cli.list_commands(None)
print(json.dumps([name for name in sys.argv[1:] if name in sys.modules]))
"""

# Runs `ramp ARGS...` as the console script does, then prints every module it loaded.
RUN_RAMP = """
import json, sys
from ramp.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""

# What only the web layer, the migrations or a PDF need.
WEB_AND_MIGRATIONS = [
    "ramp.web",
    "ramp.webkit",
    "ramp.blueprints",
    "ramp.schema",
    "ramp.models",
    "flask_wtf",
    "wtforms",
    "flask_limiter",
    "htmx_flask",
    "alembic",
    "flask_migrate",
    "weasyprint",
]
AREAS_CLI = [
    "ramp.accounts.cli",
    "ramp.certificates.cli",
    "ramp.curricula.cli",
    "ramp.keys.cli",
    "ramp.lti.cli",
    "ramp.metrics.cli",
    "ramp.milestones.cli",
    "ramp.demo",
]


def env_for(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SECRET_KEY": "import-cost",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'ramp.sqlite'}",
    }


def loaded_after_start(*modules: str) -> list[str]:
    """Which of `modules` a fresh interpreter has loaded after starting ramp and its CLI."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SECRET_KEY": "import-cost"}
    out = subprocess.run(
        [sys.executable, "-c", LOAD_EVERYTHING, *modules],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(out.stdout.splitlines()[-1])


def ramp_loads(tmp_path: Path, *args: str) -> tuple[int, list[str]]:
    """The exit code of `ramp ARGS...` in a fresh interpreter, and the modules it loaded."""
    out = subprocess.run(
        [sys.executable, "-c", RUN_RAMP, *args],
        env=env_for(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    result = json.loads(out.stdout.splitlines()[-1])
    return result["code"], result["modules"]


def under(modules: list[str], packages: list[str]) -> list[str]:
    """The packages of `packages` that `modules` holds, or holds a module of."""
    return [p for p in packages if any(m == p or m.startswith(p + ".") for m in modules)]


def test_starting_ramp_loads_no_heavy_library():
    assert loaded_after_start(*HEAVY) == []


def test_the_check_sees_a_loaded_module():
    # The same check, on modules starting ramp certainly loads: it can fail.
    assert loaded_after_start("flask", "click", "weasyprint") == ["flask", "click"]


def test_a_pdf_still_renders(tmp_path):
    from ramp.pdf import render_pdf

    pdf = render_pdf("<p>ready</p>", str(tmp_path))
    assert pdf.startswith(b"%PDF")


def test_ramp_help_loads_no_area_no_database_and_no_web_layer(tmp_path):
    code, modules = ramp_loads(tmp_path, "--help")
    assert code == 0
    assert under(modules, WEB_AND_MIGRATIONS + AREAS_CLI) == []
    assert under(modules, ["sqlalchemy", "flask_sqlalchemy", "ramp.extensions"]) == []


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    """A folder whose SQLite database `ramp db upgrade` has migrated."""
    where = tmp_path_factory.mktemp("cli")
    code, modules = ramp_loads(where, "db", "upgrade")
    assert code == 0
    # `db` is the command that loads Alembic, and the whole schema for it; not the web layer.
    assert under(modules, ["alembic", "flask_migrate", "ramp.models"]) == [
        "alembic",
        "flask_migrate",
        "ramp.models",
    ]
    assert under(modules, ["ramp.web", "ramp.blueprints", "flask_wtf", "flask_limiter"]) == []
    return where


def test_a_simple_command_loads_its_own_area_only(migrated):
    code, modules = ramp_loads(migrated, "users", "list")
    assert code == 0
    assert under(modules, AREAS_CLI) == ["ramp.accounts.cli"]
    assert under(modules, WEB_AND_MIGRATIONS) == []


def test_the_whole_app_is_built_for_the_commands_that_serve_it(migrated):
    code, modules = ramp_loads(migrated, "routes")
    assert code == 0
    assert under(modules, ["ramp.web", "ramp.blueprints", "flask_wtf", "flask_limiter"]) == [
        "ramp.web",
        "ramp.blueprints",
        "flask_wtf",
        "flask_limiter",
    ]


COMMAND_MODULES = sorted(
    {
        lazy.path.partition(":")[0]
        for lazy in [*COMMANDS.values(), *(c for g in SUBCOMMANDS.values() for c in g.values())]
    }
)


@pytest.mark.parametrize("module", COMMAND_MODULES)
def test_each_command_module_maps_its_models_on_its_own(module, tmp_path):
    # The command line's app loads no model the command does not import: each models module
    # must import the models it refers to, or the first query of the command fails.
    code = f"import {module}; from sqlalchemy.orm import configure_mappers; configure_mappers()"
    subprocess.run(
        [sys.executable, "-c", code],
        env=env_for(tmp_path),
        check=True,
        capture_output=True,
        timeout=120,
    )


def test_the_help_ramp_lists_unloaded_is_each_command_s_own():
    # `ramp --help` shows each command's help from ramp.cli, without loading it: the same words.
    listed = {**COMMANDS, **EXTENSION_COMMANDS}
    listed |= {f"users {name}": lazy for name, lazy in SUBCOMMANDS["users"].items()}
    for name, lazy in listed.items():
        command = load_command(lazy.path)
        assert command.help.partition("\n\n")[0].strip() == lazy.help, name


# Runs `ramp users list` as the console script does, noting whether the cyclic collector was
# on while the command was loaded, while it ran, and after main returned.
COLLECTOR = """
import gc, json, sys
import ramp.cli

seen = {}
load = ramp.cli.gathered


def gathered(name):
    seen["loading"] = gc.isenabled()
    return load(name)


ramp.cli.gathered = gathered
import ramp.accounts.cli as area

query = area.user_listing


def user_listing():
    seen["running"] = gc.isenabled()
    return query()


area.user_listing = user_listing
try:
    ramp.cli.main(["users", "list"])
except SystemExit as exit:
    seen["code"] = exit.code
seen["after"] = gc.isenabled()
print(json.dumps(seen))
"""


def test_a_command_loads_with_the_collector_paused_and_runs_with_it_on(migrated):
    out = subprocess.run(
        [sys.executable, "-c", COLLECTOR],
        env=env_for(migrated),
        cwd=migrated,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    seen = json.loads(out.stdout.splitlines()[-1])
    assert seen == {"loading": False, "running": True, "code": 0, "after": True}
