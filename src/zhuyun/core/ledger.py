"""The ledger: every state change of every module, recorded in the caller's transaction.

One append-only table. Each entry carries what an event log needs (case id, activity, actor,
unit, role, time, typed attributes, the object it concerns), so XES and OCEL 2.0 exports are
projections of it. Entries are sealed into a hash chain — SM3 where OpenSSL has it, SHA-256
otherwise — over a canonical JSON form that includes the previous entry's hash and the
entry's own sequence number, so editing, deleting or reordering an entry breaks the chain at
that entry. Writers serialise on the chain head: PostgreSQL through a transaction-scoped
advisory lock, SQLite through its single writer (`BEGIN IMMEDIATE`, see `core.db`).

Under that lock an append is one statement in the common case: the process remembers the
head it last wrote or read, and the entry is inserted only if that is still the head in the
database (no entry after it, and its hash unchanged). The remembered head is a hint, never
trusted: when another process appended, or a transaction that appended rolled back, the
insert writes nothing, and the head is read and the entry sealed again.
"""

from __future__ import annotations

import hashlib
import json
import re
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Connection,
    Engine,
    Integer,
    String,
    Table,
    bindparam,
    exists,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from zhuyun.core.db import Base, JSONType, UTCDateTime, utcnow

GENESIS_HASH = "0" * 64
_KEY_LENGTH = 128  # case and subject ids are cut to their columns' width, never refused
_ADVISORY_LOCK_KEY = 0x7A687579  # "zhuy": one key for the whole chain
_SECRET_KEY_PATTERN = re.compile(r"pass(word)?|secret|token|credential|private", re.I)
# Naming a secret is not holding one: `token_id` or `token_prefix` may be recorded.
_SECRET_REFERENCE_PATTERN = re.compile(
    r"^(had|has|is)_|_(id|ids|name|prefix|count|kind|type)$", re.I
)


def _pick_algorithm() -> str:
    try:
        hashlib.new("sm3")
    except ValueError:
        return "sha256"
    return "sm3"


HASH_ALGORITHM = _pick_algorithm()


class LedgerEntry(Base):
    """One sealed event. Nothing updates or deletes a row of this table."""

    __tablename__ = "ledger_entries"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    case_id: Mapped[str] = mapped_column(String(_KEY_LENGTH), index=True)
    activity: Mapped[str] = mapped_column(String(100), index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor_name: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[int | None] = mapped_column(Integer, index=True)
    role: Mapped[str | None] = mapped_column(String(50))
    subject_type: Mapped[str] = mapped_column(String(50))
    subject_id: Mapped[str] = mapped_column(String(_KEY_LENGTH))
    attrs: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    algorithm: Mapped[str] = mapped_column(String(10))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class LedgerCheckpoint(Base):
    """A remembered chain head: deleting entries from the tail below it is then detectable."""

    __tablename__ = "ledger_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    hash: Mapped[str] = mapped_column(String(64))
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime())


@dataclass(frozen=True)
class Actor:
    """Who did it: an account (or the system), acting for a unit in a role."""

    id: int | None
    name: str
    unit_id: int | None = None
    role: str | None = None


SYSTEM = Actor(id=None, name="system")


@dataclass(frozen=True)
class Subject:
    """What it was done to; its `type:id` is the default case id."""

    type: str
    id: str | int

    @property
    def key(self) -> str:
        return f"{self.type}:{self.id}"


def _normalise_attrs(attrs: Mapping[str, Any] | None) -> dict[str, Any]:
    if not attrs:
        return {}
    for key in attrs:
        if _SECRET_KEY_PATTERN.search(key) and not _SECRET_REFERENCE_PATTERN.search(key):
            raise ValueError(
                f"ledger attribute {key!r} looks like a secret; secrets never enter it"
            )
    # Round-trip through JSON so what we hash is exactly what the database gives back.
    normalised: dict[str, Any] = json.loads(json.dumps(dict(attrs), default=str))
    return normalised


def _canonical(entry: LedgerEntry) -> bytes:
    payload = {
        "seq": entry.seq,
        "occurred_at": entry.occurred_at.isoformat(timespec="microseconds"),
        "case_id": entry.case_id,
        "activity": entry.activity,
        "actor_id": entry.actor_id,
        "actor_name": entry.actor_name,
        "unit_id": entry.unit_id,
        "role": entry.role,
        "subject_type": entry.subject_type,
        "subject_id": entry.subject_id,
        "attrs": entry.attrs or {},
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def seal(entry: LedgerEntry) -> str:
    """The entry's hash under its own algorithm."""
    return hashlib.new(entry.algorithm, _canonical(entry)).hexdigest()


_LOCK_CHAIN = text("SELECT pg_advisory_xact_lock(:key)")


def _lock_chain(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(_LOCK_CHAIN, {"key": _ADVISORY_LOCK_KEY})


def _head(session: Session) -> tuple[int, str]:
    row = session.execute(
        select(LedgerEntry.seq, LedgerEntry.hash).order_by(LedgerEntry.seq.desc()).limit(1)
    ).first()
    return (row[0], row[1]) if row else (0, GENESIS_HASH)


_known_heads: weakref.WeakKeyDictionary[Engine, tuple[int, str]] = weakref.WeakKeyDictionary()
"""Per engine, the head this process last saw: a hint checked by the insert, see above."""


def _seal_entry(entry: LedgerEntry, head_seq: int, head_hash: str) -> None:
    entry.seq = head_seq + 1
    entry.prev_hash = head_hash
    entry.hash = seal(entry)


def record(
    session: Session,
    actor: Actor,
    activity: str,
    subject: Subject,
    attrs: Mapping[str, Any] | None = None,
    *,
    case_id: str | None = None,
) -> LedgerEntry:
    """Append a sealed entry inside the caller's transaction; it commits or rolls back with it."""
    # Statements go to the session's connection (its transaction) without the ORM's
    # execution machinery: they are plain Core statements on one table.
    connection = session.connection()
    _lock_chain(connection)
    session.flush()  # pending changes reach the database under the lock, as they always did
    engine = connection.engine
    entry = LedgerEntry(
        occurred_at=utcnow(),
        case_id=(case_id or subject.key)[:_KEY_LENGTH],
        activity=activity,
        actor_id=actor.id,
        actor_name=actor.name,
        unit_id=actor.unit_id,
        role=actor.role,
        subject_type=subject.type,
        subject_id=str(subject.id)[:_KEY_LENGTH],
        attrs=_normalise_attrs(attrs),
        algorithm=HASH_ALGORITHM,
    )
    # A Core insert, not the unit of work: the entry is written now, in order, and never
    # updated, so it needs none of the ORM's change tracking (that halves the chain's cost).
    known = _known_heads.get(engine)
    written = False
    if known is not None:
        _seal_entry(entry, *known)
        row = _row(entry)
        row["head_seq"], row["head_hash"] = known
        written = connection.execute(_INSERT_AFTER_HEAD, row).rowcount == 1
    if not written:
        _seal_entry(entry, *_head(session))
        connection.execute(_INSERT, [_row(entry)])
    _known_heads[engine] = (entry.seq, entry.hash)
    return entry


@dataclass(frozen=True)
class Pending:
    """One entry for `record_many`: what `record` takes."""

    actor: Actor
    activity: str
    subject: Subject
    attrs: Mapping[str, Any] | None = None
    case_id: str | None = None


def record_many(session: Session, entries: list[Pending]) -> list[LedgerEntry]:
    """Append entries in their order with one multi-row insert, in the caller's transaction:
    for batches (a day of 12345 calls), where one `record` per entry would cost a statement
    each. Under the chain lock the head is read once and the entries sealed one after another,
    so the chain is the same as if each had been recorded alone."""
    if not entries:
        return []
    connection = session.connection()
    _lock_chain(connection)
    session.flush()
    seq, prev = _head(session)
    now = utcnow()
    sealed: list[LedgerEntry] = []
    for pending in entries:
        entry = LedgerEntry(
            occurred_at=now,
            case_id=(pending.case_id or pending.subject.key)[:_KEY_LENGTH],
            activity=pending.activity,
            actor_id=pending.actor.id,
            actor_name=pending.actor.name,
            unit_id=pending.actor.unit_id,
            role=pending.actor.role,
            subject_type=pending.subject.type,
            subject_id=str(pending.subject.id)[:_KEY_LENGTH],
            attrs=_normalise_attrs(pending.attrs),
            algorithm=HASH_ALGORITHM,
        )
        _seal_entry(entry, seq, prev)
        seq, prev = entry.seq, entry.hash
        sealed.append(entry)
    connection.execute(_INSERT, [_row(e) for e in sealed])
    _known_heads[connection.engine] = (seq, prev)
    return sealed


_TABLE = cast(Table, LedgerEntry.__table__)
_INSERT = insert(_TABLE)
_COLUMNS = tuple(column.key for column in _TABLE.columns)


def _row(entry: LedgerEntry) -> dict[str, Any]:
    return {key: getattr(entry, key) for key in _COLUMNS}


def _insert_after_head() -> Any:
    """INSERT … SELECT the entry WHERE the remembered head is still the chain's head: no
    entry after it, and its hash unchanged."""
    head_seq = bindparam("head_seq", type_=_TABLE.c.seq.type)
    head_hash = bindparam("head_hash", type_=_TABLE.c.hash.type)
    values = select(*(bindparam(c.key, type_=c.type) for c in _TABLE.columns)).where(
        ~exists().where(_TABLE.c.seq > head_seq),
        exists().where(_TABLE.c.seq == head_seq, _TABLE.c.hash == head_hash),
    )
    statement = insert(_TABLE).from_select(list(_COLUMNS), values)
    return statement.execution_options(preserve_rowcount=True)


_INSERT_AFTER_HEAD = _insert_after_head()


@dataclass
class VerifyReport:
    """What `zhuyun ledger verify` found: all good, or the first broken entry and why."""

    checked: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS_HASH
    broken_seq: int | None = None
    problem_en: str | None = None
    problem_zh: str | None = None
    algorithms: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return self.broken_seq is None


def _iter_entries(session: Session, batch: int = 2000) -> Iterator[LedgerEntry]:
    last = 0
    while True:
        rows = session.scalars(
            select(LedgerEntry).where(LedgerEntry.seq > last).order_by(LedgerEntry.seq).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq
        session.expunge_all()


def verify(session: Session) -> VerifyReport:
    """Recompute the whole chain and name the first entry that does not hold."""
    report = VerifyReport()
    expected_seq, prev_hash = 1, GENESIS_HASH
    for entry in _iter_entries(session):
        report.algorithms.add(entry.algorithm)
        if entry.seq != expected_seq:
            return _broken(
                report,
                expected_seq,
                f"entry {expected_seq} is missing (deleted or renumbered); "
                f"the chain jumps to {entry.seq}",
                f"第 {expected_seq} 条记录缺失（被删除或改号），链条跳到第 {entry.seq} 条",
            )
        if entry.prev_hash != prev_hash:
            return _broken(
                report,
                entry.seq,
                f"entry {entry.seq} does not follow entry {entry.seq - 1} "
                "(reordered, or its predecessor was replaced)",
                f"第 {entry.seq} 条记录与第 {entry.seq - 1} 条不衔接（顺序被调换或前一条被替换）",
            )
        if seal(entry) != entry.hash:
            return _broken(
                report,
                entry.seq,
                f"entry {entry.seq} was altered after it was sealed",
                f"第 {entry.seq} 条记录在封存后被篡改",
            )
        report.checked += 1
        prev_hash = entry.hash
        expected_seq += 1
    report.head_seq, report.head_hash = expected_seq - 1, prev_hash
    checkpoint = session.scalars(
        select(LedgerCheckpoint).order_by(LedgerCheckpoint.seq.desc()).limit(1)
    ).first()
    if checkpoint is not None:
        if checkpoint.seq > report.head_seq:
            return _broken(
                report,
                report.head_seq + 1,
                f"entries {report.head_seq + 1}–{checkpoint.seq} are missing: "
                "a checkpoint had seen them",
                f"第 {report.head_seq + 1}–{checkpoint.seq} 条记录缺失（检查点曾记录过）",
            )
        at_checkpoint = session.get(LedgerEntry, checkpoint.seq)
        if at_checkpoint is None or at_checkpoint.hash != checkpoint.hash:
            return _broken(
                report,
                checkpoint.seq,
                f"entry {checkpoint.seq} differs from the checkpoint taken of it",
                f"第 {checkpoint.seq} 条记录与检查点不符",
            )
    return report


def _broken(report: VerifyReport, seq: int, en: str, zh: str) -> VerifyReport:
    report.broken_seq, report.problem_en, report.problem_zh = seq, en, zh
    return report


def checkpoint(session: Session) -> LedgerCheckpoint | None:
    """Remember the current head (after a verification that passed)."""
    head_seq, head_hash = _head(session)
    if head_seq == 0:
        return None
    mark = LedgerCheckpoint(seq=head_seq, hash=head_hash, taken_at=utcnow())
    session.add(mark)
    session.flush()
    return mark


@dataclass(frozen=True)
class LedgerQuery:
    """Filters of the ledger view and API."""

    activity: str | None = None
    actor_id: int | None = None
    unit_id: int | None = None
    case_id: str | None = None
    subject_type: str | None = None


def list_entries(
    session: Session, query: LedgerQuery, offset: int = 0, limit: int = 50
) -> tuple[list[LedgerEntry], int]:
    """A page of entries, newest first, and how many match."""
    conditions = []
    if query.activity:
        conditions.append(LedgerEntry.activity.startswith(query.activity, autoescape=True))
    if query.actor_id is not None:
        conditions.append(LedgerEntry.actor_id == query.actor_id)
    if query.unit_id is not None:
        conditions.append(LedgerEntry.unit_id == query.unit_id)
    if query.case_id:
        conditions.append(LedgerEntry.case_id == query.case_id)
    if query.subject_type:
        conditions.append(LedgerEntry.subject_type == query.subject_type)
    total = session.scalar(select(func.count()).select_from(LedgerEntry).where(*conditions)) or 0
    rows = session.scalars(
        select(LedgerEntry)
        .where(*conditions)
        .order_by(LedgerEntry.seq.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return list(rows), total


def count_by_day(session: Session, since: datetime) -> list[tuple[str, int]]:
    """Entries per UTC day since a moment, for the dashboard's activity chart."""
    day = func.date(LedgerEntry.occurred_at)
    rows = session.execute(
        select(day, func.count())
        .where(LedgerEntry.occurred_at >= since)
        .group_by(day)
        .order_by(day)
    ).all()
    return [(str(d), n) for d, n in rows]
