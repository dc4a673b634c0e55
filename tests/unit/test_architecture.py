"""How ramp's modules may import each other, checked on the code itself.

The contracts are in pyproject.toml ([tool.importlinter]) and import-linter checks them;
this file runs it, and adds what it cannot say: no import circle among ramp's top-level
modules, and no Flask request globals outside the web layer.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest
from importlinter.api import read_configuration
from importlinter.cli import lint_imports

REPO = Path(__file__).resolve().parents[2]
PYPROJECT = REPO / "pyproject.toml"
RAMP = REPO / "ramp"

# The web layer: the only modules that may see the request being served.
WEB_LAYER = ("ramp/web.py", "ramp/webkit.py", "ramp/blueprints/")

# Circles between domain areas that are older than this check. Breaking one means moving
# code between the two areas; until then neither may grow, and no other circle may appear.
KNOWN_CYCLES = [
    {"ramp.accounts", "ramp.audit"},  # audit records name users; account changes are audited
    {"ramp.metrics", "ramp.milestones"},  # plans read metrics; imports re-evaluate plans
]
# The same, module by module: the one circle between two modules is inside the second above.
KNOWN_MODULE_CYCLES = [{"ramp.metrics.display", "ramp.milestones.operations"}]

# Names that stand for the request being served: request, g, session and the signed-in user.
REQUEST_GLOBALS = {
    "flask": {"request", "g", "session"},
    "flask.globals": {"request", "g", "session"},
    "flask_login": {"current_user"},
    "flask_login.utils": {"current_user"},
}


def top_level(module: str, package: str) -> str:
    """package.x for any module in or under package.x; the package itself stays itself."""
    return ".".join(module.split(".")[:2]) if module != package else package


def import_cycles(
    graph: grimp.ImportGraph, package: str, by_module: bool = False
) -> list[set[str]]:
    """The circles among package's top-level modules (each with everything under it), or
    among all its modules one by one, as sets of modules that all reach each other through
    imports.

    An import of the package itself is left out: `from ramp import create_app` is how the
    worker and the command line build the app, and the factory imports everything."""
    edges: dict[str, set[str]] = {}
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            if imported == package:
                continue
            if by_module:
                a, b = module, imported
            else:
                a, b = top_level(module, package), top_level(imported, package)
            if a != b:
                edges.setdefault(a, set()).add(b)

    def reachable(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for nxt in edges.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    reach = {module: reachable(module) for module in edges}
    cycles: list[set[str]] = []
    for module in sorted(edges):
        if module in reach[module] and not any(module in cycle for cycle in cycles):
            cycles.append({m for m in reach[module] if module in reach.get(m, ())})
    return cycles


def unknown_cycles(cycles: list[set[str]], known: list[set[str]] = KNOWN_CYCLES) -> list[set[str]]:
    return [cycle for cycle in cycles if cycle not in known]


def request_globals_used(source: str) -> list[str]:
    """Each use of a request global in this source, as 'line: the import or attribute'."""
    found = []
    modules = set()  # names under which flask or flask_login itself was imported
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in REQUEST_GLOBALS:
            for alias in node.names:
                if alias.name in REQUEST_GLOBALS[node.module]:
                    found.append(f"{node.lineno}: from {node.module} import {alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in REQUEST_GLOBALS:
                    modules.add((alias.asname or alias.name, alias.name))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            dotted = ast.unparse(node.value)
            for local, real in modules:
                if dotted == local and node.attr in REQUEST_GLOBALS[real]:
                    found.append(f"{node.lineno}: {real}.{node.attr}")
    return found


# Statements a view would run itself instead of calling the area's queries or operations.
QUERY_CALLS = {
    "select",
    "db.select",
    "db.session.execute",
    "db.session.scalars",
    "db.session.scalar",
}

# Queries still written in a view, by file and function (none: keep it so).
KNOWN_VIEW_QUERIES: set[str] = set()


def queries_in_views(source: str, path: str) -> list[str]:
    """Each query a view runs itself, as 'path::function: line: the call'."""
    found = []
    for function in ast.walk(ast.parse(source)):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Call) and ast.unparse(node.func) in QUERY_CALLS:
                place = f"{path}::{function.name}"
                if place not in KNOWN_VIEW_QUERIES:
                    found.append(f"{place}: {node.lineno}: {ast.unparse(node.func)}(...)")
    return sorted(set(found))


def outside_web_layer() -> list[Path]:
    return [
        path
        for path in sorted(RAMP.rglob("*.py"))
        if not path.relative_to(REPO).as_posix().startswith(WEB_LAYER)
    ]


# The contracts hold on ramp ---------------------------------------------------------------


def test_import_contracts_are_kept(capsys):
    code = lint_imports(config_filename=str(PYPROJECT), no_cache=True, no_logo=True)
    report = capsys.readouterr().out
    assert code == 0, report
    assert "0 broken" in report


def test_every_top_level_module_is_in_a_contract():
    """A new area is named in the contracts, so that the web layer stays above it."""
    contracts = {c["id"]: c for c in read_configuration(str(PYPROJECT))["contracts_options"]}
    named = {*contracts["web-layers"]["layers"], *contracts["areas-below-web"]["source_modules"]}
    modules = {
        f"ramp.{path.stem if path.is_file() else path.name}"
        for path in RAMP.iterdir()
        if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").is_file()
    }
    assert modules - named == set(), "add these to a contract in pyproject.toml"


def test_no_import_circle_among_ramps_modules():
    graph = grimp.build_graph("ramp", cache_dir=None, exclude_type_checking_imports=True)
    cycles = import_cycles(graph, "ramp")
    new = [sorted(cycle) for cycle in unknown_cycles(cycles)]
    assert new == [], "each of these groups of top-level modules import each other in a circle"


def test_no_import_circle_between_single_modules():
    """Also inside an area or a blueprint: a package and the modules it imports, too."""
    graph = grimp.build_graph("ramp", cache_dir=None, exclude_type_checking_imports=True)
    cycles = import_cycles(graph, "ramp", by_module=True)
    new = [sorted(cycle) for cycle in unknown_cycles(cycles, KNOWN_MODULE_CYCLES)]
    assert new == [], "each of these groups of modules import each other in a circle"


def test_no_request_globals_outside_the_web_layer():
    """Areas, the command line and shared modules take what they need from a request as
    arguments (current_app is fine: the command line runs in an app context too)."""
    found = {
        path.relative_to(REPO).as_posix(): uses
        for path in outside_web_layer()
        if (uses := request_globals_used(path.read_text()))
    }
    assert found == {}


def test_views_call_a_query_instead_of_running_one():
    """Views ask the area's queries or operations; no select or execute of their own."""
    found = []
    for path in sorted((RAMP / "blueprints").rglob("*.py")):
        found += queries_in_views(path.read_text(), path.relative_to(REPO).as_posix())
    assert found == [], "move these to the area's queries.py (or operations.py)"


# The checks catch what they are for -------------------------------------------------------


def test_a_circle_patched_into_ramps_graph_is_found():
    graph = grimp.build_graph("ramp", cache_dir=None, exclude_type_checking_imports=True)
    graph.add_import(importer="ramp.extensions", imported="ramp.web")
    new = unknown_cycles(import_cycles(graph, "ramp"))
    assert len(new) == 1
    assert {"ramp.extensions", "ramp.web", "ramp.blueprints"} <= new[0]


def test_a_circle_in_a_small_package_is_found(tmp_path, monkeypatch):
    package = tmp_path / "circled"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from circled import b\n")
    (package / "b.py").write_text("def f():\n    from circled.c import x\n")
    (package / "c.py").write_text("import circled.a\nx = 1\n")
    (package / "d.py").write_text("from circled import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph("circled", cache_dir=None)
    assert import_cycles(graph, "circled") == [{"circled.a", "circled.b", "circled.c"}]


def test_a_circle_inside_one_area_is_found_module_by_module(tmp_path, monkeypatch):
    package = tmp_path / "inner"
    (package / "area").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "area" / "__init__.py").write_text("from inner.area import views\n")
    (package / "area" / "views.py").write_text("from inner.area import bp\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph("inner", cache_dir=None)
    assert import_cycles(graph, "inner") == []
    assert import_cycles(graph, "inner", by_module=True) == [{"inner.area", "inner.area.views"}]


def test_importing_the_package_itself_is_not_a_circle(tmp_path, monkeypatch):
    package = tmp_path / "factory"
    package.mkdir()
    (package / "__init__.py").write_text("def create_app():\n    from factory import worker\n")
    (package / "worker.py").write_text("from factory import create_app\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph("factory", cache_dir=None)
    assert import_cycles(graph, "factory") == []


@pytest.mark.parametrize(
    "source",
    [
        "from flask import request\n",
        "from flask import current_app, g\n",
        "from flask import session as s\n",
        "from flask.globals import request\n",
        "from flask_login import current_user\n",
        "import flask\n\ndef who():\n    return flask.g.user\n",
        "import flask_login as fl\n\ndef who():\n    return fl.current_user\n",
    ],
)
def test_request_globals_are_found(source):
    assert request_globals_used(source) != []


@pytest.mark.parametrize(
    "source",
    [
        "from flask import current_app, url_for\n",
        "from flask_login import UserMixin\n",
        "import flask\n\ndef name():\n    return flask.current_app.name\n",
        "def f(request):\n    return request.args\n",
    ],
)
def test_what_areas_may_use_is_not_flagged(source):
    assert request_globals_used(source) == []


def test_the_contracts_catch_an_area_importing_the_web_layer(tmp_path):
    """A copy of ramp where the metrics queries import a view helper breaks the contract."""
    shutil.copytree(RAMP, tmp_path / "ramp", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(PYPROJECT, tmp_path / "pyproject.toml")
    queries = tmp_path / "ramp" / "metrics" / "queries.py"
    queries.write_text(queries.read_text() + "\nfrom ramp.webkit import render  # noqa\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "from importlinter.cli import lint_imports_command as c; c()",
            "--config",
            str(tmp_path / "pyproject.toml"),
            "--no-cache",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "do not import the web layer BROKEN" in " ".join(run.stdout.split())
    assert "ramp.metrics.queries -> ramp.webkit" in run.stdout


@pytest.mark.parametrize(
    "source",
    [
        "def page():\n    return db.session.execute(select(User)).scalars().all()\n",
        "def page():\n    return db.session.scalars(db.select(User)).all()\n",
        "def page():\n    return db.session.scalar(q)\n",
    ],
)
def test_a_query_in_a_view_is_found(source):
    assert queries_in_views(source, "ramp/blueprints/x/views.py") != []


def test_a_call_to_an_areas_query_is_not_flagged():
    source = "def page():\n    return queries.visible_hires(current_user)\n"
    assert queries_in_views(source, "ramp/blueprints/x/views.py") == []
