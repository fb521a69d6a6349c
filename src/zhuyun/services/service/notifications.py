"""Notifications to applicants and handlers: an in-app message, and a copy through an
outward channel (email, SMS). The channel is an adapter; the default one writes the message
to the ledger (`services.notified`, without the text, which may name a person) and to the
log, so a city plugs its SMS gateway in by setting `CHANNEL` to its own `Sender`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import Session

from zhuyun.core.db import utcnow
from zhuyun.core.ledger import SYSTEM, Subject, record
from zhuyun.identity.permissions import Principal
from zhuyun.services.models import Case, Notification

log = logging.getLogger("zhuyun.services.notifications")


@dataclass(frozen=True)
class Message:
    case_number: str
    kind: str
    text: str
    account_id: int | None
    unit_id: int | None


class Sender(Protocol):
    """An outward channel (email, SMS …): sends one message, in the caller's transaction."""

    def send(self, session: Session, message: Message) -> None: ...


class LedgerAndLog:
    """The default channel: a ledger entry that a message went out, and a log line."""

    def send(self, session: Session, message: Message) -> None:
        record(
            session,
            SYSTEM,
            "services.notified",
            Subject("service_case", message.case_number),
            {
                "kind": message.kind,
                "account_id": message.account_id,
                "unit_id": message.unit_id,
                "channel": "ledger+log",
            },
            case_id=message.case_number,
        )
        log.info(
            "notify %s %s → account %s unit %s",
            message.case_number,
            message.kind,
            message.account_id,
            message.unit_id,
        )


CHANNEL: Sender = LedgerAndLog()


def notify(
    session: Session,
    case: Case,
    kind: str,
    text: str,
    *,
    account_id: int | None = None,
    unit_id: int | None = None,
) -> None:
    """Store the in-app message; a message to an applicant also goes out through the channel
    (handlers read theirs in the workbench)."""
    session.add(
        Notification(
            account_id=account_id, unit_id=unit_id, case_id=case.id, kind=kind, text=text[:500]
        )
    )
    if account_id is not None:
        CHANNEL.send(session, Message(case.number, kind, text, account_id, unit_id))


def _mine(principal: Principal) -> ColumnElement[bool]:
    conditions = [Notification.account_id == principal.account_id]
    if principal.unit_id is not None and principal.kind.value == "staff":
        conditions.append(Notification.unit_id == principal.unit_id)
    return or_(*conditions)


def inbox(
    session: Session, principal: Principal, unread_only: bool, offset: int, limit: int
) -> tuple[list[tuple[Notification, str]], int]:
    """One's own messages and, for staff, one's unit's; newest first, with the case number."""
    conditions = [_mine(principal)]
    if unread_only:
        conditions.append(Notification.read_at.is_(None))
    total = session.scalar(select(func.count()).select_from(Notification).where(*conditions)) or 0
    rows = session.execute(
        select(Notification, Case.number)
        .join(Case, Case.id == Notification.case_id)
        .where(*conditions)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return [(n, number) for n, number in rows], total


def mark_read(session: Session, principal: Principal, notification_id: int) -> bool:
    """Mark one of one's messages read; False when it is not one's own."""
    result = session.execute(
        update(Notification)
        .where(Notification.id == notification_id, _mine(principal), Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))
