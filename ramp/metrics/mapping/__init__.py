"""The import mapping format, and reading the rows of an export with it.

A mapping is a YAML document that says which column of an export (CSV or JSON lines) feeds
which field of ramp's contact or QA records, and how to read each value: dates in which
order and time zone, durations in which unit, ratings on which scale, which words mean yes
and no. Every problem in a mapping is reported with its file, line and column. Reading rows
is pure and streams: no Flask, no database, memory flat in the size of the file.

One module per concern, each importing only modules listed before it:

- fields: the kinds of record, their fields and types, the limits of what a row may hold
- values: one cell's text read as its field's value, and the row errors
- record_checks: the rules across the fields of one record (check_record)
- cells: each mapped column's cells read by a function made once per mapping
- reader: a row read through a mapping (parse_row, row_reader, cells_reader)
- spec: the mapping document's models, and the plan and reader a mapping works out once
- validation: the rules across the document (parse_mapping, load_mapping_file)
- files: the rows of a CSV or JSON lines export (read_rows)
- latest: the latest row per key (reduce_latest, LatestRows)

values, cells and reader name the spec's classes in annotations only: the spec calls into
them, not the other way round. _skipped and _convert are not public: they are here for the
test that compares the compiled reader with reading every cell the general way.
"""

from ramp.metrics.mapping.fields import (
    CONTACT_FIELDS,
    EXTRA_CELLS,
    FIELDS,
    KINDS,
    QA_FIELDS,
    REQUIRED,
    category_key,
)
from ramp.metrics.mapping.files import MappingColumnsError, read_rows
from ramp.metrics.mapping.latest import LatestRows, reduce_latest
from ramp.metrics.mapping.reader import ParsedRow, cells_reader, parse_row, row_reader
from ramp.metrics.mapping.reader import _skipped as _skipped
from ramp.metrics.mapping.record_checks import check_record
from ramp.metrics.mapping.spec import FieldSpec, MappingSpec, SkipRule
from ramp.metrics.mapping.validation import MappingFileError, load_mapping_file, parse_mapping
from ramp.metrics.mapping.values import RowError, RowErrors, parse_value
from ramp.metrics.mapping.values import _convert as _convert

__all__ = [
    "CONTACT_FIELDS",
    "EXTRA_CELLS",
    "FIELDS",
    "KINDS",
    "QA_FIELDS",
    "REQUIRED",
    "FieldSpec",
    "LatestRows",
    "MappingColumnsError",
    "MappingFileError",
    "MappingSpec",
    "ParsedRow",
    "RowError",
    "RowErrors",
    "SkipRule",
    "category_key",
    "cells_reader",
    "check_record",
    "load_mapping_file",
    "parse_mapping",
    "parse_row",
    "parse_value",
    "read_rows",
    "reduce_latest",
    "row_reader",
]
