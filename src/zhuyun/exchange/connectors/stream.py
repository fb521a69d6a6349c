"""A stream of row batches whose failures up to the first batch surface at once.

The gateway answers with a streaming HTTP response; once it has sent a 200 it cannot turn
a source that is down or too slow into a 503. So `select` runs its generator up to the
first batch before returning, and only failures later in the stream arrive mid-stream.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Sequence
from types import TracebackType
from typing import Any, Protocol, TypeVar

from zhuyun.exchange.connectors.base import Filter, SelectSpec

Batch = Sequence[tuple[Any, ...]]
T = TypeVar("T")

__all__ = ["Batch", "PrimedStream", "RowStream", "lookup_by_select", "prime", "rebatch"]


class PrimedStream(Iterator[T]):
    """Batches (rows, or Arrow RecordBatches); `close()` (or leaving a `with` block) releases
    the source's cursor."""

    def __init__(self, first: T | None, rest: Generator[T, None, None]) -> None:
        self._first = first
        self._rest = rest

    def __iter__(self) -> PrimedStream[T]:
        return self

    def __next__(self) -> T:
        if self._first is not None:
            first, self._first = self._first, None
            return first
        return next(self._rest)

    def close(self) -> None:
        self._first = None
        self._rest.close()

    def __enter__(self) -> PrimedStream[T]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


RowStream = PrimedStream[Batch]


def prime(batches: Generator[T, None, None]) -> PrimedStream[T]:
    """Run `batches` to its first batch now, so that connecting and the first wait fail here."""
    try:
        first = next(batches)
    except StopIteration:
        return PrimedStream(None, batches)
    return PrimedStream(first, batches)


def rebatch(rows: Iterator[tuple[Any, ...]], size: int) -> Generator[Batch, None, None]:
    """Group single rows into lists of `size` (the last one shorter)."""
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class _Selecting(Protocol):
    def select(
        self, spec: SelectSpec, *, timeout_s: float = ..., batch_size: int = ...
    ) -> RowStream: ...


def lookup_by_select(
    connector: _Selecting,
    table: str,
    columns: Sequence[str],
    key: str,
    value: Any,
    timeout_s: float,
    limit: int | None,
) -> list[tuple[Any, ...]]:
    """A point lookup for sources without an index: one equality filter through `select`."""
    spec = SelectSpec(table, list(columns), (Filter(key, "eq", value),), limit=limit)
    with connector.select(spec, timeout_s=timeout_s) as stream:
        return [row for batch in stream for row in batch]
