"""Cells a spreadsheet would run as formulas are written as text; numbers stay numbers."""

import csv
import io

import pytest

from ramp.csvsafe import SafeDictWriter, SafeWriter, safe_cell

PAYLOAD = "=cmd|' /C calc'!A0"


@pytest.mark.parametrize(
    "cell",
    [
        PAYLOAD,
        '=HYPERLINK("http://evil.example","Wave A")',
        "+1+cmd",
        "-2+3+cmd|' /C x'!A0",
        "@SUM(1+1)*cmd",
        "\t=1+1",
        "\r=1+1",
        "-",
        "+",
        "=",
        "@",
    ],
)
def test_formula_starts_become_text(cell):
    assert safe_cell(cell) == "'" + cell


@pytest.mark.parametrize(
    "cell", ["-12", "+3.5", "-1e3", "-0.25", "-,5", "12", "Wave A", "", "a=b", " =1"]
)
def test_numbers_and_plain_text_are_unchanged(cell):
    assert safe_cell(cell) == cell


@pytest.mark.parametrize("value", [None, -12, 3.5, True])
def test_values_that_are_not_text_are_unchanged(value):
    assert safe_cell(value) is value


def test_writers_read_back_as_text():
    out = io.StringIO()
    SafeWriter(out).writerow([PAYLOAD, -5, "-5", "ok"])
    fields = SafeDictWriter(out, fieldnames=["a", "b"])
    fields.writerow({"a": "@x", "b": "-7"})
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows == [["'" + PAYLOAD, "-5", "-5", "ok"], ["'@x", "-7"]]
