"""Starting ramp (the app, every CLI command) does not load the heavy libraries only a few
commands need: WeasyPrint loads on the first PDF, in ramp/pdf.py, and nowhere else."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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


def test_starting_ramp_loads_no_heavy_library():
    assert loaded_after_start(*HEAVY) == []


def test_the_check_sees_a_loaded_module():
    # The same check, on modules starting ramp certainly loads: it can fail.
    assert loaded_after_start("flask", "click", "weasyprint") == ["flask", "click"]


def test_a_pdf_still_renders(tmp_path):
    from ramp.pdf import render_pdf

    pdf = render_pdf("<p>ready</p>", str(tmp_path))
    assert pdf.startswith(b"%PDF")
