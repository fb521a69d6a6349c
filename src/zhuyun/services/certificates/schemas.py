"""The JSON shapes of the certificate API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

FieldValue = Annotated[str, Field(max_length=500)] | int | float | bool


class CertificateCreate(BaseModel):
    """A certificate to issue in the caller's unit's name."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(min_length=1, max_length=20, description="证照类型代码，如 YYZZ")
    holder_id: str = Field(
        min_length=1, max_length=30, description="公民身份号码或统一社会信用代码"
    )
    holder_name: str = Field(min_length=1, max_length=200, description="持证人名称")
    fields: dict[Annotated[str, Field(max_length=40)], FieldValue] = Field(
        default_factory=dict, max_length=50, description="照面信息"
    )
    case_ref: str = Field(
        min_length=1, max_length=100, description="办件编号；同一办件同一类型只签发一次（幂等）"
    )


class Revocation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=2, max_length=500, description="注销理由")


class FaceFieldPublic(BaseModel):
    key: str
    label: str
    required: bool
    public: bool


class KindPublic(BaseModel):
    code: str
    name: str
    holder_type: str
    valid_years: int | None
    fields: list[FaceFieldPublic]


class CertificatePublic(BaseModel):
    """A certificate as its holder or its issuing unit sees it."""

    number: str
    kind: str
    kind_name: str
    holder_type: str
    holder_id: str
    holder_name: str
    issuer_unit_id: int
    issuer_name: str
    case_ref: str
    fields: dict[str, Any]
    valid_from: date
    valid_until: date | None
    issued_at: datetime
    revoked_at: datetime | None
    revoke_reason: str | None
    key_id: str
    algorithm: str


class SignatureBlock(BaseModel):
    algorithm: str = Field(max_length=20)
    key_id: str = Field(max_length=40)
    value: str = Field(max_length=200)


class SignedCertificate(BaseModel):
    """The downloaded certificate JSON: the document and its signature."""

    certificate: dict[str, Any]
    signature: SignatureBlock


class PublicField(BaseModel):
    key: str
    label: str
    value: Any


class CertificateFace(BaseModel):
    """What a public verification shows: masked holder, public face fields only."""

    number: str
    kind: str
    kind_name: str
    holder_type: str
    holder_name: str
    holder_id: str
    issuer_name: str
    fields: list[PublicField]
    valid_from: date
    valid_until: date | None
    issued_at: datetime
    revoked_at: datetime | None


class VerificationPublic(BaseModel):
    """valid / revoked / expired / key-revoked / forged, with the public face when genuine."""

    status: str
    valid: bool
    message: str
    message_zh: str
    certificate: CertificateFace | None = None


class KeyPublic(BaseModel):
    """A unit's published signing key (raw public key, base64)."""

    key_id: str
    unit_id: int
    algorithm: str
    public_key: str
    created_at: datetime
    revoked_at: datetime | None
