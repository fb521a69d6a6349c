"""Evaluating a checked query in Python, for sources that cannot run one (XLSX, HTTP JSON).

Rows are filtered as they stream past. Ordering needs the rows together: with a limit
only the best `limit` rows are kept (a heap, memory in the limit); without one the matching
rows are sorted in memory, which is why these sources page by keyset with a limit.
"""

from __future__ import annotations

import heapq
import itertools
from abc import ABC, abstractmethod
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager as ContextManager
from dataclasses import replace
from typing import Any

from zhuyun.exchange.connectors.base import ColumnInfo, HealthReport, SelectSpec, SourceConfig
from zhuyun.exchange.connectors.checks import (
    CheckedFilter,
    CheckedSpec,
    check_run_args,
    check_spec,
)
from zhuyun.exchange.connectors.errors import SourceTimeout
from zhuyun.exchange.connectors.health import probe
from zhuyun.exchange.connectors.stream import Batch, RowStream, lookup_by_select, prime, rebatch
from zhuyun.exchange.connectors.watchdog import Deadline, DeadlineExpired

__all__ = ["LocalConnector", "run_local"]

Row = tuple[Any, ...]
_CHECK_EVERY = 1024


def _test(checked: CheckedFilter) -> Callable[[Any], bool]:
    """A predicate on one value; a value of an unexpected type simply does not match."""
    if checked.op == "eq":
        return lambda v: v is not None and v == checked.value
    if checked.op == "in":
        members = set(checked.values)
        return lambda v: v is not None and v in members
    if checked.op == "prefix":
        return lambda v: isinstance(v, str) and v.startswith(checked.value)
    if checked.op == "contains":
        return lambda v: isinstance(v, str) and checked.value in v
    if checked.op == "is_null":
        return lambda v: (v is None) is checked.value
    low, high = checked.low, checked.high
    return lambda v: v is not None and (low is None or low <= v) and (high is None or v <= high)


def _row_test(checked: CheckedFilter, position: Mapping[str, int]) -> Callable[[Row], bool]:
    """A predicate on a whole row: one column's test, or any of an `any` group's."""
    if checked.op == "any":
        subs = [_row_test(sub, position) for sub in checked.values]
        return lambda row: any(test(row) for test in subs)
    index, test = position[checked.column.name], _safely(_test(checked))
    return lambda row: test(row[index])


def _sort_part(value: Any) -> tuple[int, Any]:
    """Nulls sort first (as in SQLite and MySQL), then the values themselves."""
    return (0, 0) if value is None else (1, value)


def _safely(test: Callable[[Any], bool]) -> Callable[[Any], bool]:
    def guarded(value: Any) -> bool:
        try:
            return test(value)
        except TypeError:
            return False

    return guarded


def _timed(rows: Iterable[Row], deadline: Deadline) -> Iterator[Row]:
    for count, row in enumerate(rows, 1):
        if count % _CHECK_EVERY == 0:
            deadline.check()
        yield row


def run_local(
    rows: Iterable[Row],
    names: Sequence[str],
    checked: CheckedSpec,
    batch_size: int,
    deadline: Deadline,
) -> Generator[Batch, None, None]:
    """Filter, keyset, order, limit and project `rows` (whose columns are `names`)."""
    position = {name: index for index, name in enumerate(names)}
    tests = [_row_test(f, position) for f in checked.filters]
    order = [position[column.name] for column in checked.order_by]

    def key(row: Row) -> tuple[tuple[int, Any], ...]:
        return tuple(_sort_part(row[i]) for i in order)

    matching: Iterator[Row] = (
        row for row in _timed(rows, deadline) if all(test(row) for test in tests)
    )
    if order and checked.after is not None:
        cursor = tuple(_sort_part(value) for value in checked.after)
        if checked.descending:
            matching = (row for row in matching if _safely(lambda r: key(r) < cursor)(row))
        else:
            matching = (row for row in matching if _safely(lambda r: key(r) > cursor)(row))
    ordered: Iterable[Row]
    skip = checked.offset
    if order and checked.limit is not None:
        pick = heapq.nlargest if checked.descending else heapq.nsmallest
        ordered = pick(skip + checked.limit, matching, key=key)[skip:]
    elif order:
        ordered = sorted(matching, key=key, reverse=checked.descending)[skip:]
    elif checked.limit is not None:
        ordered = itertools.islice(matching, skip, skip + checked.limit)
    else:
        ordered = itertools.islice(matching, skip, None)
    projection = [position[column.name] for column in checked.columns]
    projected = (tuple(row[i] for i in projection) for row in ordered)
    for batch in rebatch(projected, batch_size):
        yield batch
        deadline.reset()


class LocalConnector(ABC):
    """The contract for sources whose rows are read in Python (see the module docstring).

    A subclass says what tables and columns there are and how to read one table's rows;
    checking, filtering, paging, deadlines and lookups are done here once.
    """

    config: SourceConfig
    _label: str

    @abstractmethod
    def tables(self) -> list[str]: ...

    @abstractmethod
    def _describe(self, table: str) -> tuple[list[ColumnInfo], list[Callable[[Any], Any]]]:
        """The table's columns and, per column, the normaliser its values go through."""

    @abstractmethod
    def _read(
        self, checked: CheckedSpec, names: Sequence[str], deadline: Deadline
    ) -> ContextManager[Iterator[Row]]:
        """A context holding the table open and yielding its rows in `names` order; it may
        push some of `checked` to the source (the rows are filtered again anyway)."""

    @abstractmethod
    def _ping(self) -> str: ...

    def health(self) -> HealthReport:
        return probe(self._ping)

    def columns(self, table: str) -> list[ColumnInfo]:
        return list(self._describe(table)[0])

    def select(
        self, spec: SelectSpec, *, timeout_s: float = 10.0, batch_size: int = 5000
    ) -> RowStream:
        check_run_args(timeout_s, batch_size)
        columns, normalisers = self._describe(spec.table)
        checked = check_spec(spec, columns, self._label)
        return prime(self._stream(checked, columns, normalisers, timeout_s, batch_size))

    def _stream(
        self,
        checked: CheckedSpec,
        columns: list[ColumnInfo],
        normalisers: list[Callable[[Any], Any]],
        timeout_s: float,
        batch_size: int,
    ) -> Generator[Batch, None, None]:
        names = [column.name for column in columns]
        deadline = Deadline(timeout_s)
        try:
            with self._read(checked, names, deadline) as rows:
                typed = (
                    tuple(convert(value) for convert, value in zip(normalisers, row, strict=True))
                    for row in rows
                )
                yield from run_local(typed, names, checked, batch_size, deadline)
        except DeadlineExpired:
            raise SourceTimeout(self._label, timeout_s) from None

    def count(self, spec: SelectSpec, *, timeout_s: float = 10.0) -> int:
        """Rows are counted as they are read: the matching ones, without keeping them."""
        bare = replace(
            spec, columns=list(spec.columns)[:1], order_by=(), limit=None, after=None, offset=0
        )
        return sum(len(batch) for batch in self.select(bare, timeout_s=timeout_s))

    def lookup(
        self,
        table: str,
        columns: Sequence[str],
        key: str,
        value: Any,
        *,
        timeout_s: float = 2.0,
        limit: int | None = 1000,
    ) -> list[tuple[Any, ...]]:
        """No index to use: a lookup is a filtered read."""
        return lookup_by_select(self, table, columns, key, value, timeout_s, limit)
