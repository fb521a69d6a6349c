"""The supervision module's own tables: event logs imported from other systems, kept so
their processes can be mined and checked like the ledger's own."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhuyun.core.db import Base, JSONType, UTCDateTime, utcnow


class ImportedLog(Base):
    """One imported log (XES or CSV): who brought it, from which file, and its size."""

    __tablename__ = "supervision_event_logs"
    __table_args__ = (UniqueConstraint("imported_by", "idempotency_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    source_format: Mapped[str] = mapped_column(String(10))  # xes | csv
    filename: Mapped[str] = mapped_column(String(255), default="")
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    imported_by: Mapped[int | None] = mapped_column(Integer)
    unit_id: Mapped[int | None] = mapped_column(Integer)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    cases: Mapped[int] = mapped_column(Integer, default=0)
    events: Mapped[int] = mapped_column(Integer, default=0)
    activities: Mapped[int] = mapped_column(Integer, default=0)
    first_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attrs: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class ImportedCase(Base):
    """A case of an imported log, in the log's order, with its attributes."""

    __tablename__ = "supervision_cases"
    __table_args__ = (UniqueConstraint("log_id", "case_index"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    log_id: Mapped[int] = mapped_column(ForeignKey("supervision_event_logs.id", ondelete="CASCADE"))
    case_index: Mapped[int] = mapped_column(Integer)
    case_id: Mapped[str] = mapped_column(String(200))
    attrs: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class ImportedEvent(Base):
    """An event of an imported log: its case (by index), position in the case, activity,
    time, resource and other attributes (dates as {"$date": iso})."""

    __tablename__ = "supervision_events"
    __table_args__ = (Index("ix_supervision_events_log_case", "log_id", "case_index", "position"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    log_id: Mapped[int] = mapped_column(ForeignKey("supervision_event_logs.id", ondelete="CASCADE"))
    case_index: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)
    activity: Mapped[str] = mapped_column(String(200))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resource: Mapped[str | None] = mapped_column(String(200))
    attrs: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
