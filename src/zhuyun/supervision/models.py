"""The supervision module's own tables: event logs imported from other systems, kept so
their processes can be mined and checked like the ledger's own; the power list, rules as
data, the cases the rules track, warnings, and idempotency keys of submissions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, UniqueConstraint
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


# --- 数据铁笼: the power list, rules as data, tracked cases and warnings ---------------------


class Power(Base):
    """One administrative power of a unit (权力清单的一项): its type, legal basis, normative
    process (steps as JSON: code, name, activity, role, days, mandatory), discretion benchmarks
    (article, min, max), risk points and the person responsible."""

    __tablename__ = "supervision_powers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    power_type: Mapped[str] = mapped_column(String(10), index=True)
    legal_basis: Mapped[str] = mapped_column(String(2000))
    responsible: Mapped[str] = mapped_column(String(100))
    time_limit_days: Mapped[int | None] = mapped_column(Integer)
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    discretion: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    risks: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PowerLink(Base):
    """A service item or governance category that is the exercise of a power: entries that
    carry that code (`item_code`, `category`) are read as steps of the power."""

    __tablename__ = "supervision_power_links"
    __table_args__ = (UniqueConstraint("kind", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    code: Mapped[str] = mapped_column(String(100))
    power_code: Mapped[str] = mapped_column(String(64), index=True)


class Rule(Base):
    """A rule as data: a template with its parameters, city-wide or for one unit and/or one
    power, on or off. False positives marked on its warnings are counted here."""

    __tablename__ = "supervision_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    template: Mapped[str] = mapped_column(String(40), index=True)
    name: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"))
    power_code: Mapped[str | None] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    enabled: Mapped[bool] = mapped_column(default=True)
    false_positives: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Watermark(Base):
    """How far a reader of the ledger got: the last sequence number it has evaluated."""

    __tablename__ = "supervision_watermarks"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PowerCase(Base):
    """A case of a power as the rules have seen it so far: where it stands, when the current
    step is due, and what it ended with (for the peers, the temporal profile and the scores).
    Holds no personal data: the public QR page is drawn from it."""

    __tablename__ = "supervision_power_cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[str] = mapped_column(String(128), unique=True)
    public_token: Mapped[str] = mapped_column(String(32), unique=True)
    power_code: Mapped[str] = mapped_column(String(64), index=True)
    unit_id: Mapped[int | None] = mapped_column(Integer, index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_at: Mapped[datetime] = mapped_column(UTCDateTime())
    steps_done: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    step_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    step_code: Mapped[str | None] = mapped_column(String(64))
    due_level: Mapped[str | None] = mapped_column(String(10))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    duration_s: Mapped[float | None] = mapped_column(Float)
    on_time: Mapped[bool | None] = mapped_column()
    amount: Mapped[float | None] = mapped_column(Float)
    article: Mapped[str | None] = mapped_column(String(100))
    decider_id: Mapped[int | None] = mapped_column(Integer, index=True)
    rating: Mapped[int | None] = mapped_column(Integer)


class RuleWarning(Base):
    """A yellow or red warning of a rule about a case or an officer, with its lifecycle:
    open → explained → verified → closed (or false positive), escalating while unexplained."""

    __tablename__ = "supervision_warnings"
    __table_args__ = (UniqueConstraint("dedupe_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(250))
    rule_code: Mapped[str] = mapped_column(String(64), index=True)
    template: Mapped[str] = mapped_column(String(40))
    level: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), index=True)
    escalation: Mapped[int] = mapped_column(Integer, default=0)
    case_id: Mapped[str | None] = mapped_column(String(128), index=True)
    power_code: Mapped[str | None] = mapped_column(String(64))
    unit_id: Mapped[int | None] = mapped_column(Integer, index=True)
    officer_id: Mapped[int | None] = mapped_column(Integer, index=True)
    ledger_seq: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    message_zh: Mapped[str] = mapped_column(String(500))
    message_en: Mapped[str] = mapped_column(String(500))
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    event_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    explain_by: Mapped[datetime | None] = mapped_column(UTCDateTime())
    explanation: Mapped[str | None] = mapped_column(String(2000))
    feedback: Mapped[str | None] = mapped_column(String(2000))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Submission(Base):
    """An idempotency key of a submission (a reported step, an explanation): one result per
    account and key, across restarts."""

    __tablename__ = "supervision_submissions"
    __table_args__ = (UniqueConstraint("account_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(100))
    result: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
