"""CSV files that spreadsheets open as data, never as formulas.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel,
LibreOffice and Google Sheets as a formula, so a cohort name taken from an LMS course title
or a cell of an uploaded export could run one when a manager opens the file. As OWASP's
"CSV Injection" advice says, such a cell gets a leading apostrophe, which spreadsheets show
as text. Numbers (`-12`, `+3.5`, `-1e3`) are left as they are, so figures stay figures.

And reading a small CSV file a person made (a roster, a list of users) whatever its delimiter.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from typing import IO, Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")


def safe_cell(value: Any) -> Any:
    """The value, with an apostrophe before text that a spreadsheet would run as a formula."""
    if not isinstance(value, str) or not value.startswith(FORMULA_START):
        return value
    if NUMBER.fullmatch(value):
        return value
    return "'" + value


class SafeWriter:
    """csv.writer whose rows are written with every cell made safe."""

    def __init__(self, stream: IO[str], **options: Any) -> None:
        self._writer = csv.writer(stream, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        """Write one row, each cell through safe_cell."""
        return self._writer.writerow([safe_cell(v) for v in row])


class SafeDictWriter(csv.DictWriter):
    """csv.DictWriter whose rows are written with every value made safe."""

    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        """Write one row, each value through safe_cell."""
        return super().writerow({k: safe_cell(v) for k, v in rowdict.items()})


def dict_reader(text: str) -> csv.DictReader:
    """Rows of CSV text by its header: a byte-order mark dropped, the delimiter (comma,
    semicolon, tab or bar) guessed from the start of the text."""
    text = text.removeprefix("\ufeff")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    return csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
