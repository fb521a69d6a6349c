"""Who read my data: the people a governed query returned records about, kept as keyed
hashes of their resident IDs beside the query's ledger entry, so a citizen can see every
access to records about them without the platform keeping a list of whose data was read.
Also the public sharing statistics per unit.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, case, func, insert, select
from sqlalchemy.orm import Session

from zhuyun.core.ledger import LedgerEntry
from zhuyun.exchange.models import AccessSubject

# A Core insert of the table: the ORM's bulk insert would also ask for the new ids back,
# which nothing reads.
_INSERT_SUBJECTS = insert(cast(Table, AccessSubject.__table__))


def subject_hash(id_number: str, secret_key: str) -> str:
    """A keyed hash of a resident ID: equal IDs match, the table alone reveals none."""
    key = hashlib.sha256(("zhuyun-access-subjects:" + secret_key).encode()).digest()
    return hmac.new(key, id_number.strip().upper().encode(), hashlib.sha256).hexdigest()


def remember_subjects(
    session: Session,
    secret_key: str,
    resource_id: int,
    seq: int,
    subjects: Iterable[Any],
    *,
    occurred_at: datetime | None = None,
) -> int:
    """Index the people one query returned records about; returns how many. `occurred_at`
    is the entry's time, read from the ledger when the caller does not have it."""
    entry_time = occurred_at
    if entry_time is None:
        entry_time = session.scalar(select(LedgerEntry.occurred_at).where(LedgerEntry.seq == seq))
    hashes = {subject_hash(str(s), secret_key) for s in subjects if s}
    if hashes:
        session.execute(
            _INSERT_SUBJECTS,
            [
                {"subject_hash": h, "ledger_seq": seq, "resource_id": resource_id,
                 "occurred_at": entry_time}
                for h in sorted(hashes)
            ],
        )  # fmt: skip
    return len(hashes)


@dataclass(frozen=True)
class AccessRecord:
    seq: int
    occurred_at: datetime
    activity: str
    resource_id: int
    unit_id: int | None
    actor_name: str
    purpose: str
    items: list[str]


def accesses_to(
    session: Session, secret_key: str, id_number: str, offset: int = 0, limit: int = 50
) -> tuple[list[AccessRecord], int]:
    """Every governed read that returned records about this person, newest first."""
    mine = select(AccessSubject.ledger_seq).where(
        AccessSubject.subject_hash == subject_hash(id_number, secret_key)
    )
    total = session.scalar(select(func.count()).select_from(mine.subquery())) or 0
    entries = session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.seq.in_(mine))
        .order_by(LedgerEntry.seq.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return [
        AccessRecord(
            seq=e.seq,
            occurred_at=e.occurred_at,
            activity=e.activity,
            resource_id=int(e.subject_id),
            unit_id=e.attrs.get("consumer_unit_id"),
            actor_name=e.actor_name,
            purpose=str(e.attrs.get("purpose", "")),
            items=list(e.attrs.get("items", [])),
        )
        for e in entries
    ], total


@dataclass(frozen=True)
class UnitSharing:
    unit_id: int
    queries: int
    rows: int
    refused: int


ANSWERED = ("exchange.query", "exchange.exported")


def sharing_statistics(session: Session, since: datetime) -> list[UnitSharing]:
    """Per consumer unit: answered queries, rows received and refusals since a moment — one
    grouped query, the rows summed in SQL from the entries' attributes."""
    answered = LedgerEntry.activity.in_(ANSWERED)
    rows_sent = LedgerEntry.attrs["rows"].as_integer()
    found = session.execute(
        select(
            LedgerEntry.unit_id,
            func.sum(case((answered, 1), else_=0)),
            func.coalesce(func.sum(case((answered, rows_sent), else_=0)), 0),
            func.sum(case((LedgerEntry.activity == "exchange.refused", 1), else_=0)),
        )
        .where(
            LedgerEntry.activity.in_((*ANSWERED, "exchange.refused")),
            LedgerEntry.occurred_at >= since,
            LedgerEntry.unit_id.is_not(None),
        )
        .group_by(LedgerEntry.unit_id)
    ).all()
    return sorted(
        (UnitSharing(int(u), int(q), int(r), int(x)) for u, q, r, x in found),
        key=lambda s: (-s.queries, s.unit_id),
    )
