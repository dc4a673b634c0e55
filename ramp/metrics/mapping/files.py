"""Reading the rows of an export file, streamed in constant memory: CSV (delimiter detected,
header matched to the mapping's columns) and JSON lines (one object a line, flattened), and
the errors for a file that lacks columns or cannot be read on."""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from difflib import get_close_matches
from typing import TextIO

from ramp.metrics.mapping.fields import AGENT_FIELDS, CSV_FIELD_LIMIT, EXTRA_CELLS, REQUIRED
from ramp.metrics.mapping.spec import MappingSpec
from ramp.metrics.mapping.values import RowError, RowErrors, _clip

DELIMITERS = (",", ";", "\t", "|")
SAMPLE_SIZE = 64 * 1024  # characters of a CSV file read to detect its delimiter
SNIFF_SIZE = 4 * 1024  # of which csv.Sniffer reads this many (it is slow on long quoted text)
JSON_SAMPLE_ROWS = 1000  # JSON objects read ahead to check that the key columns exist


class CsvBroken(csv.Error):
    """The CSV cannot be read on from the record that starts on this line."""

    def __init__(self, line: int, message: str):
        self.line = line
        super().__init__(message)


FOUND_SHOWN = 50  # columns found that a missing-column message lists


SUGGEST_FROM = 5000  # columns of a very wide header compared with a missing one, at most


def suggest_column(name: str, found: Iterable[str]) -> str | None:
    """The column of `found` that `name` most likely meant (case ignored), or None."""
    # A match needs a similarity of 0.6: 2 * common / (both lengths), so lengths in reach.
    low, high = len(name) * 3 / 7, len(name) * 7 / 3
    by_fold: dict[str, str] = {}
    for column in found:
        if low <= len(column) <= high:
            by_fold.setdefault(column.casefold(), column)
            if len(by_fold) >= SUGGEST_FROM:
                break
    close = get_close_matches(name.casefold(), list(by_fold), n=1)
    return by_fold[close[0]] if close else None


class MappingColumnsError(Exception):
    """The export lacks columns the mapping reads; raised before any row is read."""

    def __init__(self, missing: list[str], found: list[str]):
        self.missing = missing
        self.found = found
        super().__init__(f"the file has no column {self.names()} (columns found: {self.shown()})")

    def names(self) -> str:
        """The missing columns, each with a "did you mean" for a near miss among those found."""
        out = []
        for col in self.missing:
            close = suggest_column(col, self.found)
            out.append(f"'{col}'" + (f" (did you mean '{_clip(close)}'?)" if close else ""))
        return ", ".join(out)

    def shown(self) -> str:
        """The columns found, the first FOUND_SHOWN of a very wide header."""
        if not self.found:
            return "none"
        more = len(self.found) - FOUND_SHOWN
        shown = ", ".join(_clip(name) for name in self.found[:FOUND_SHOWN])
        return shown + (f", ... and {more} more" if more > 0 else "")


def _joined_lines(sample: str, stream: TextIO) -> Iterator[str]:
    """The sample's lines then the rest of the stream, the cut line made whole again."""
    lines = io.StringIO(sample, newline="").readlines()
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += stream.readline()
    return itertools.chain(lines, stream)


def _detect_delimiter(sample: str, columns: Iterable[str]) -> str:
    """The delimiter among , ; tab | that finds most of the mapping's columns in the header.

    csv.Sniffer's guess breaks ties (a header that names none of them, say).
    """
    try:
        # The sniffer's patterns take time growing faster than the text: a few KiB suffice.
        head = sample[:SNIFF_SIZE]
        sniffed: str | None = csv.Sniffer().sniff(head, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        sniffed = None
    wanted = {c.casefold() for c in columns}

    def score(delimiter: str) -> tuple[int, bool, int]:
        header = next(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter), [])
        found = {cell.strip().casefold() for cell in header}
        return len(wanted & found), delimiter == sniffed, len(header)

    return max(DELIMITERS, key=score)


class _CsvRows(Iterator[tuple[int, dict[str, str]]]):
    """CSV records as (line where the record starts, header -> cell)."""

    def __init__(self, stream: TextIO, mapping: MappingSpec):
        if csv.field_size_limit() < CSV_FIELD_LIMIT:
            csv.field_size_limit(CSV_FIELD_LIMIT)
        sample = stream.read(SAMPLE_SIZE)
        if sample.endswith("\r"):
            sample += stream.read(1)
        sample = sample.removeprefix("\ufeff")
        wanted = mapping.column_list()
        self._delimiter = mapping.delimiter or _detect_delimiter(sample, wanted)
        self._reader = csv.reader(_joined_lines(sample, stream), delimiter=self._delimiter)
        self._start = 1
        first = self._record()
        header = [cell.strip() for cell in first[1]] if first else []
        if any("\x00" in name for name in header):
            raise CsvBroken(
                1, "its header holds NUL characters: is it UTF-16? Export it again as CSV UTF-8"
            )
        exact = {name: i for i, name in reversed(list(enumerate(header)))}
        folded = {name.casefold(): i for i, name in reversed(list(enumerate(header)))}
        names = list(header)
        missing = []
        for column in wanted:
            if column in exact:
                continue
            if column.casefold() in folded:
                names[folded[column.casefold()]] = column  # spelled as in the mapping
            else:
                missing.append(column)
        if missing:
            raise MappingColumnsError(missing, [h for h in header if h])
        firsts: dict[str, int] = {}
        for i, name in enumerate(names):
            firsts.setdefault(name, i)
        self._positions = list(firsts.items())
        self._width = len(names)
        # A row as wide as a header without repeated names zips with it, cell by cell.
        self._names = names if len(firsts) == len(names) else None
        self._records = self._read_records()

    def _record(self) -> tuple[int, list[str]] | None:
        """The next record that has any text, with the line it starts on."""
        for cells in self._reader:
            start = self._start
            self._start = self._reader.line_num + 1
            if _has_text(cells):
                return start, cells
        return None

    def __next__(self) -> tuple[int, dict[str, str]]:
        line, cells = next(self._records)
        return line, self.row(cells)

    @property
    def names(self) -> list[str] | None:
        """The header's names, as the mapping spells its columns; None when a name repeats."""
        return self._names

    @property
    def width(self) -> int:
        return self._width

    def records(self) -> Iterator[tuple[int, list[str]]]:
        """The records that have any text, as their cells: (line where it starts, cells).

        What __next__ reads, before the cells become a row (row()): a reader that can use a
        full-width record's cells by their place leaves out building the row. One iterator,
        shared with __next__.
        """
        return self._records

    def _read_records(self) -> Iterator[tuple[int, list[str]]]:
        reader = self._reader
        try:
            for cells in reader:  # as _record, inline: this runs once per row
                line = self._start
                self._start = reader.line_num + 1
                joined = "".join(cells)  # _has_text, inline
                if not joined or joined.isspace():
                    continue
                yield line, cells
        except csv.Error as exc:
            message = str(exc)
            if "field larger than field limit" in message:
                message = (
                    f"a cell is longer than {CSV_FIELD_LIMIT // (1024 * 1024)} MiB"
                    " (a quote opened and never closed?)"
                )
            raise CsvBroken(self._start, message) from None

    def row(self, cells: list[str]) -> dict[str, str]:
        """A record's cells as header -> cell (cells past the header under EXTRA_CELLS)."""
        width = self._width
        if len(cells) == width and self._names is not None:
            return dict(zip(self._names, cells, strict=True))
        row = {name: cells[i] if i < len(cells) else "" for name, i in self._positions}
        if len(cells) > width:
            extra = cells[width:]
            if _has_text(extra):
                row[EXTRA_CELLS] = self._delimiter.join(extra)
        return row


def _has_text(cells: list[str]) -> bool:
    """Whether any cell holds more than white space."""
    joined = "".join(cells)
    return bool(joined) and not joined.isspace()


def _flatten(obj: Mapping[str, object], prefix: str = "") -> dict[str, str]:
    """A JSON object's values as text; nested objects as dotted keys (agent.email)."""
    out: dict[str, str] = {}
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        elif isinstance(value, list):
            out[name] = json.dumps(value, ensure_ascii=False)
        elif value is None:
            out[name] = ""
        elif isinstance(value, bool):
            out[name] = "true" if value else "false"
        else:
            out[name] = str(value)
    return out


def _key_columns(mapping: MappingSpec) -> list[str]:
    """Columns a JSON lines file must have somewhere in its first objects."""
    out = [
        column
        for name, spec in mapping.fields.items()
        if spec.required or name in REQUIRED[mapping.kind]
        for column in spec.source_columns()
    ]
    return out + [c for c in (mapping.latest_per, mapping.order_by) if c]


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # \ud800 to \udfff: half a character


def _encodable(obj: object) -> bool:
    """Whether a JSON value's texts are all whole characters (no lone surrogate)."""
    try:
        json.dumps(obj, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class _JsonRows(Iterator[tuple[int, dict[str, str]]]):
    """JSON lines as (line number, key -> value as text); a bad line raises RowErrors."""

    def __init__(self, stream: TextIO, mapping: MappingSpec):
        self._lines = enumerate(stream, start=1)
        self._ahead: deque[tuple[int, dict[str, str]] | RowErrors] = deque()
        seen: set[str] = set()
        while len(self._ahead) < JSON_SAMPLE_ROWS and (item := self._read()) is not None:
            self._ahead.append(item)
            if isinstance(item, tuple):
                seen.update(item[1])
        missing = [c for c in _key_columns(mapping) if c not in seen]
        agents = [
            c for n, f in mapping.fields.items() if n in AGENT_FIELDS for c in f.source_columns()
        ]
        if agents and not any(c in seen for c in agents):
            missing += agents
        if missing:
            raise MappingColumnsError(list(dict.fromkeys(missing)), sorted(seen))

    def _read(self) -> tuple[int, dict[str, str]] | RowErrors | None:
        for line, text in self._lines:
            text = text.removeprefix("\ufeff") if line == 1 else text
            if not text.strip():
                continue
            try:
                obj = json.loads(text)
                if not isinstance(obj, dict):
                    return RowErrors(
                        line, [RowError(None, "each line must be a JSON object {...}")]
                    )
                if _SURROGATE_ESCAPE.search(text) and not _encodable(obj):
                    message = "not usable JSON: a \\u escape of half a character (a lone surrogate)"
                    return RowErrors(line, [RowError(None, message)])
                return line, _flatten(obj)
            except json.JSONDecodeError as exc:
                message = f"not valid JSON: {exc.msg} (column {exc.colno})"
            except RecursionError:
                message = "not usable JSON: objects or lists nested too deeply"
            except ValueError as exc:  # a number of more digits than Python reads
                message = f"not usable JSON: {exc}"
            return RowErrors(line, [RowError(None, message)])
        return None

    def __next__(self) -> tuple[int, dict[str, str]]:
        item = self._ahead.popleft() if self._ahead else self._read()
        if item is None:
            raise StopIteration
        if isinstance(item, RowErrors):
            raise item
        return item


def read_rows(stream: TextIO, mapping: MappingSpec) -> Iterator[tuple[int, dict[str, str]]]:
    """Stream the rows of an export as (line, column -> raw text), in constant memory.

    CSV: the delimiter is detected unless the mapping gives one; a byte-order mark is
    dropped; quoted newlines are kept and `line` is the physical line a record starts on
    (the header is line 1); blank rows are left out; header names match the mapping's
    columns ignoring case and surrounding spaces; cells past the header's width land under
    EXTRA_CELLS. An unreadable file raises csv.Error. JSON lines: one object per line,
    values as text (null as "", nested objects as dotted keys). A bad JSON line raises
    RowErrors from next(); the iterator goes on with the next line when called again.
    Columns the mapping reads but the file lacks raise MappingColumnsError before any row
    (for JSON lines: the key columns, looked for in the first 1000 objects).
    """
    if mapping.format == "jsonl":
        return _JsonRows(stream, mapping)
    return _CsvRows(stream, mapping)
