"""Key figures the home dashboard shows, written by whoever knows them (the demo, later the
block-data jobs), so the dashboard never reads a department's database itself."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhuyun.core.db import Base, UTCDateTime, utcnow


class KeyFigure(Base):
    __tablename__ = "key_figures"
    __table_args__ = (UniqueConstraint("name", "division_code", name="uq_key_figures"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    division_code: Mapped[str] = mapped_column(String(12))
    value: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(100))
    as_of: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
