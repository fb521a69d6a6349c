"""The power-operation log: a slice of the ledger read as an event log.

Each ledger entry is an event of its case (`case_id`): the activity, the time, the actor as
resource, the role and unit, the sequence number and the entry's own attributes. For
OCEL 2.0 each entry also names the objects it concerns: its subject (`<type>:<id>`), the
actor's account and the actor's unit. Reading is bounded: a slice larger than `max_events`
is refused rather than loaded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhuyun.core.ledger import LedgerEntry
from zhuyun.supervision.eventlog.log import (
    EventLog,
    EventLogError,
    EventObject,
    LogBuilder,
    to_micros,
)

DEFAULT_MAX_EVENTS = 1_000_000
_RESERVED = {"concept:name", "time:timestamp", "org:resource"}


@dataclass(frozen=True)
class LedgerSlice:
    """Which entries: an activity prefix (`auth.`), a time range, a unit, a case-id prefix
    (`application:`), a subject type. All optional; together they narrow."""

    activity: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    unit_id: int | None = None
    case_prefix: str | None = None
    subject_type: str | None = None

    def conditions(self) -> list[Any]:
        conditions: list[Any] = []
        if self.activity:
            conditions.append(LedgerEntry.activity.startswith(self.activity, autoescape=True))
        if self.since is not None:
            conditions.append(LedgerEntry.occurred_at >= self.since)
        if self.until is not None:
            conditions.append(LedgerEntry.occurred_at < self.until)
        if self.unit_id is not None:
            conditions.append(LedgerEntry.unit_id == self.unit_id)
        if self.case_prefix:
            conditions.append(LedgerEntry.case_id.startswith(self.case_prefix, autoescape=True))
        if self.subject_type:
            conditions.append(LedgerEntry.subject_type == self.subject_type)
        return conditions

    def describe(self) -> dict[str, Any]:
        return {
            k: (v.isoformat() if isinstance(v, datetime) else v)
            for k, v in vars(self).items()
            if v is not None
        }


def count_entries(session: Session, where: LedgerSlice) -> int:
    return (
        session.scalar(select(func.count()).select_from(LedgerEntry).where(*where.conditions()))
        or 0
    )


def _flat(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def from_ledger(
    session: Session, where: LedgerSlice | None = None, *, max_events: int = DEFAULT_MAX_EVENTS
) -> EventLog:
    """The slice of the ledger as an event log (cases in order of their first entry)."""
    where = where or LedgerSlice()
    total = count_entries(session, where)
    if total > max_events:
        raise EventLogError(
            f"the ledger slice has {total:,} entries, more than the {max_events:,} one log "
            "may hold: narrow it (activity, time range, unit or case prefix)",
            f"所选台账有 {total:,} 条记录，超过单个日志 {max_events:,} 条的上限；"
            "请按活动、时间、单位或案件前缀缩小范围",
        )
    columns = (
        LedgerEntry.seq, LedgerEntry.occurred_at, LedgerEntry.case_id, LedgerEntry.activity,
        LedgerEntry.actor_id, LedgerEntry.actor_name, LedgerEntry.unit_id, LedgerEntry.role,
        LedgerEntry.subject_type, LedgerEntry.subject_id, LedgerEntry.attrs,
    )  # fmt: skip
    builder = LogBuilder()
    objects: list[tuple[EventObject, ...]] = []
    last, batch = 0, 5000
    while True:
        rows = session.execute(
            select(*columns)
            .where(LedgerEntry.seq > last, *where.conditions())
            .order_by(LedgerEntry.seq)
            .limit(batch)
        ).all()
        if not rows:
            break
        for seq, at, case_id, activity, actor_id, actor, unit_id, role, stype, sid, attrs in rows:
            event_attrs: dict[str, Any] = {"ledger:seq": seq}
            if role:
                event_attrs["org:role"] = role
            if unit_id is not None:
                event_attrs["org:group"] = f"unit:{unit_id}"
            for key, value in (attrs or {}).items():
                if key not in _RESERVED and value is not None:
                    event_attrs[key] = _flat(value)
            builder.add_event(
                builder.cases.code(case_id), activity, to_micros(at), actor or None, event_attrs
            )
            linked = [EventObject(f"{stype}:{sid}", stype, "subject")]
            if actor_id is not None:
                linked.append(EventObject(f"account:{actor_id}", "account", "actor"))
            if unit_id is not None:
                linked.append(EventObject(f"unit:{unit_id}", "org_unit", "unit"))
            objects.append(tuple(linked))
        last = rows[-1][0]
        if len(rows) < batch:
            break
    log = builder.build(name="zhuyun ledger", attrs={"zhuyun:slice": json.dumps(where.describe())})
    # events were added in ledger order; the builder sorted them by case and time
    if objects:
        order = _build_order(builder)
        log.event_objects = [objects[i] for i in order]
    return log


def _build_order(builder: LogBuilder) -> list[int]:
    import numpy as np

    cases = np.asarray(builder.case_codes, dtype=np.int32)
    times = np.asarray(builder.timestamps, dtype=np.int64)
    return np.lexsort((np.arange(len(cases)), times, cases)).tolist()
