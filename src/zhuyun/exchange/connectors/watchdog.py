"""Deadlines for waits that the source cannot bound itself.

`watchdog` cancels from another thread (DuckDB's `interrupt`, MySQL's `KILL QUERY`);
`Deadline` is checked in-line by loops that read rows in Python (XLSX, HTTP JSON).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import duckdb

__all__ = ["Deadline", "DeadlineExpired", "interrupting_duckdb", "watchdog"]


class DeadlineExpired(Exception):
    """A wait ran past its deadline; the connector turns this into SourceTimeout."""


@contextmanager
def watchdog(timeout_s: float, cancel: Callable[[], None]) -> Iterator[threading.Event]:
    """Call `cancel` from a timer thread if the block runs longer than `timeout_s`.

    Yields the event that tells whether it fired. On leaving, a cancel already under way is
    waited for, so it can never hit whatever the connection runs next.
    """
    fired = threading.Event()

    def expire() -> None:
        fired.set()
        cancel()

    timer = threading.Timer(timeout_s, expire)
    timer.daemon = True
    timer.start()
    try:
        yield fired
    finally:
        timer.cancel()
        timer.join()


class Deadline:
    """A deadline that a streaming loop resets at every batch and checks as it reads rows."""

    __slots__ = ("_at", "timeout_s")

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self._at = time.monotonic() + timeout_s

    def reset(self) -> None:
        self._at = time.monotonic() + self.timeout_s

    def check(self) -> None:
        if time.monotonic() > self._at:
            raise DeadlineExpired

    def remaining(self) -> float:
        return max(0.001, self._at - time.monotonic())


@contextmanager
def interrupting_duckdb(cursor: duckdb.DuckDBPyConnection, timeout_s: float) -> Iterator[None]:
    """Interrupt DuckDB past the deadline; late is late even if the answer squeezed through."""
    with watchdog(timeout_s, cursor.interrupt) as fired:
        try:
            yield
        except duckdb.InterruptException:
            raise DeadlineExpired from None
    if fired.is_set():
        raise DeadlineExpired
