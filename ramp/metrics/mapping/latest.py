"""Keeping only the latest row per key (the mapping's latest_per, ordered by order_by), in
memory that grows with the number of keys, not of rows."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Generic, TypeVar

from ramp.metrics.mapping.reader import ParsedRow, _order_value
from ramp.metrics.mapping.spec import MappingSpec
from ramp.metrics.mapping.values import RowError, RowErrors

R = TypeVar("R", ParsedRow, tuple[int, dict[str, str]])
T = TypeVar("T")


def reduce_latest(rows: Iterable[R], mapping: MappingSpec) -> Iterator[R]:
    """Only the latest row per value of mapping.latest_per, by order_by; in file order.

    Takes parsed rows (their "_key" and "_order" values) or raw (line, row) pairs (which
    may raise RowErrors for an unusable order_by cell). Ties go to the later line. Rows
    with an empty key are kept as they are. Without latest_per the rows pass through
    lazily; with it, memory grows with the number of distinct keys, not rows.
    """
    if not mapping.latest_per:
        return iter(rows)
    latest: LatestRows[R] = LatestRows()
    for item in rows:
        if isinstance(item, ParsedRow):
            latest.add(item.line, item.values.get("_key"), item.values.get("_order"), item)
            continue
        line, raw = item
        key = (raw.get(mapping.latest_per) or "").strip()
        if not key:
            latest.add(line, None, None, item)
            continue
        try:
            order = _order_value(raw, mapping)
        except RowError as exc:
            raise RowErrors(line, [exc]) from None
        latest.add(line, key, order, item)
    return iter(latest.rows())


class LatestRows(Generic[T]):
    """The latest item per key, by order (ties: the later line); items with no key, or no
    order, kept as they are. Memory grows with the number of keys, not of items."""

    def __init__(self) -> None:
        self._latest: dict[str, tuple[float, int, T]] = {}
        self._unkeyed: list[tuple[int, T]] = []

    def add(self, line: int, key: object, order: object, item: T) -> bool:
        """Keep the item if it is the latest of its key; True when the key was met before
        (one of the two items is then an older event, dropped)."""
        key = str(key or "")
        if not key or not isinstance(order, float):
            self._unkeyed.append((line, item))
            return False
        previous = self._latest.get(key)
        if previous is None or (order, line) >= previous[:2]:
            self._latest[key] = (order, line, item)
        return previous is not None

    def rows(self) -> list[T]:
        """The items kept, in line order."""
        kept = [(line, item) for _, line, item in self._latest.values()] + self._unkeyed
        return [item for _, item in sorted(kept, key=lambda pair: pair[0])]
