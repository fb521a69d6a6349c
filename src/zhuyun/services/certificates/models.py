"""The certificate library's own tables: the units' signing keys and the certificates.

The view `certificate_library` (made by migration 0012, not a model) is what the exchange
binds as the 电子证照库 resource: the certificates neither revoked nor expired, whose
signing key is not revoked.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhuyun.core.db import Base, JSONType, UTCDateTime, utcnow


class CertificateKey(Base):
    """An issuing unit's signing key. The private half is sealed with the platform key; the
    public half is published. A revoked key makes every certificate it signed invalid."""

    __tablename__ = "certificate_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_id: Mapped[str] = mapped_column(String(40), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    algorithm: Mapped[str] = mapped_column(String(10))
    public_key: Mapped[str] = mapped_column(String(200))
    private_key_sealed: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoke_reason: Mapped[str | None] = mapped_column(String(500))


class Certificate(Base):
    """One issued certificate: the signed document, its signature and its revocation."""

    __tablename__ = "certificates"
    __table_args__ = (
        UniqueConstraint("issuer_unit_id", "case_ref", "kind", name="uq_certificates_case_kind"),
        Index("ix_certificates_holder_kind", "holder_id", "kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    kind_name: Mapped[str] = mapped_column(String(50))
    holder_id: Mapped[str] = mapped_column(String(18))
    holder_type: Mapped[str] = mapped_column(String(10))
    holder_name: Mapped[str] = mapped_column(String(200))
    issuer_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    issuer_name: Mapped[str] = mapped_column(String(200))
    case_ref: Mapped[str] = mapped_column(String(100))
    fields: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    key_id: Mapped[int] = mapped_column(ForeignKey("certificate_keys.id"), index=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSONType)
    signature: Mapped[str] = mapped_column(String(200))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    revoke_reason: Mapped[str | None] = mapped_column(String(500))
