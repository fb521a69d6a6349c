"""The node's own message log: what it answered and what it refused, append-only and
hash-chained with the platform's ledger code (`zhuyun.core.ledger`) on the node's SQLite
file, so a department can prove what left its house (`zhuyun node verify-log`).

The same file keeps the nonces seen within the timestamp window: a nonce is never accepted
twice, across restarts too.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy import Float, String, delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from zhuyun.core.db import Base, Database
from zhuyun.core.ledger import (
    Actor,
    LedgerCheckpoint,
    LedgerEntry,
    Subject,
    VerifyReport,
    record,
    verify,
)


class _NodeBase(DeclarativeBase):
    pass


class SeenNonce(_NodeBase):
    __tablename__ = "node_nonces"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[float] = mapped_column(Float, index=True)


PLATFORM = Actor(id=None, name="platform")


class MessageLog:
    """The node's SQLite: the hash-chained log and the nonces of the window."""

    def __init__(self, url: str, window_s: int) -> None:
        self.database = Database(url)
        tables = [Base.metadata.tables[t.__tablename__] for t in (LedgerEntry, LedgerCheckpoint)]
        Base.metadata.create_all(self.database.engine, tables=tables)
        _NodeBase.metadata.create_all(self.database.engine)
        self._window = window_s
        self._lock = threading.Lock()
        self._recent: dict[str, float] = {}
        self._purged = 0.0

    def claim_nonce(self, nonce: str, now: float) -> bool:
        """Remember a nonce; False when it was seen within the window (a replay)."""
        with self._lock:
            if nonce in self._recent:
                return False
            self._recent[nonce] = now
        try:
            with self.database.session() as session:
                session.execute(insert(SeenNonce).values(nonce=nonce, seen_at=now))
                if now - self._purged > self._window:
                    horizon = now - 2 * self._window
                    session.execute(delete(SeenNonce).where(SeenNonce.seen_at < horizon))
                    self._purge_memory(horizon)
                    self._purged = now
        except IntegrityError:
            return False
        return True

    def _purge_memory(self, horizon: float) -> None:
        with self._lock:
            for nonce in [n for n, at in self._recent.items() if at < horizon]:
                del self._recent[nonce]

    def write(self, activity: str, subject: Subject, attrs: dict[str, Any]) -> int:
        with self.database.session() as session:
            return record(session, PLATFORM, activity, subject, attrs).seq

    def entries(self, activity: str | None = None, limit: int = 100) -> list[LedgerEntry]:
        with self.database.session() as session:
            statement = select(LedgerEntry).order_by(LedgerEntry.seq.desc()).limit(limit)
            if activity:
                statement = statement.where(LedgerEntry.activity == activity)
            return list(session.scalars(statement))

    def verify(self) -> VerifyReport:
        with self.database.session() as session:
            return verify(session)

    def close(self) -> None:
        self.database.dispose()


def now() -> float:
    return time.time()
