"""电子证照: the operations other modules call — issue, read, verify, revoke, list a holder's.

**Issuing** (called by the service-case engine at a case's "issue result" step)::

    issue_certificate(session, kind="YYZZ", issuer_unit_id=unit.id,
                      holder_id="91520100MA6DKXXXXX", holder_name="贵阳某某有限公司",
                      fields={...}, case_ref="case:123", actor=principal) -> Certificate

`kind` is a code of `kinds.KINDS` (YYZZ 营业执照, SPJYXKZ 食品经营许可证, HJZM 居民户籍证明,
BDCQZ 不动产权证书, SBCBZM 社会保险参保证明); `fields` must hold the kind's required face
fields and no others. `holder_id` is checked against GB 11643 (persons) or GB 32100 (legal
persons). `actor` is the principal acting: staff of the issuing unit holding
`certificates.issue`, a platform admin, or the platform itself (`SYSTEM_PRINCIPAL`). The
same (issuer, case_ref, kind) issues once: calling again returns the first certificate. The
certificate is signed by the issuing unit's own key and ledgered (`certificate.issued`) in
the caller's transaction; a refusal is ledgered and raised (`Forbidden`, `Unprocessable`).

**Signed form**: `certificate_json(cert)` is `{"certificate": <document>, "signature":
{"algorithm", "key_id", "value"}}`; the signature is over the RFC 8785 canonical bytes of
the document (see `signing`). Public keys: `GET /api/certificates/keys`.

**The certificate library (电子证照库)** is a catalog resource named `LIBRARY_RESOURCE_NAME`
("电子证照库", provider 大数据局 in the demo city, 有条件共享), bound to the view
`certificate_library` of valid certificates (neither revoked nor expired); find its id with
`library_resource_id(session)`. Query it through the exchange gateway like any resource::

    gateway.QueryRequest(library_resource_id(session), LIBRARY_ITEMS, LIBRARY_PURPOSE,
                         [Filter("holder_id", "eq", id_number), Filter("kind", "eq", "HJZM")])

Items (`LIBRARY_ITEMS`): number, kind, kind_name, holder_id (sensitive, masked as an ID
number unless the grant clears it), holder_type, holder_name (sensitive, masked as a name),
issuer_name, fields_json (the face fields as JSON; sensitive, fully masked unless cleared),
valid_from, valid_until, issued_at. Filter by `holder_id` and `kind` (equality: a masked item
is filtered by whole values only). The demo city grants the library to several departments
for `LIBRARY_PURPOSE`, with holder_id, holder_name and fields_json in clear.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import date, timedelta
from math import isfinite
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhuyun.catalog import service as catalog
from zhuyun.core.calendar import china_today
from zhuyun.core.db import utcnow
from zhuyun.core.errors import Conflict, Forbidden, Unprocessable
from zhuyun.core.ids import InvalidIdentifier, parse_credit_code, parse_resident_id
from zhuyun.core.ledger import Subject, record
from zhuyun.core.settings import get_settings
from zhuyun.identity import service as identity
from zhuyun.identity.permissions import AccountKind, Permission, Principal, Role
from zhuyun.identity.service.auth import record_refusal
from zhuyun.services.certificates import keys, signing
from zhuyun.services.certificates.kinds import BY_CODE, KINDS, CertificateKind, HolderType
from zhuyun.services.certificates.models import Certificate, CertificateKey
from zhuyun.services.certificates.verification import (
    Verification,
    get_certificate,
    masked_holder,
    public_view,
    verify_document,
    verify_number,
)

__all__ = [
    "KINDS",
    "LIBRARY_ITEMS",
    "LIBRARY_PURPOSE",
    "LIBRARY_RESOURCE_NAME",
    "LIBRARY_TABLE",
    "Certificate",
    "Verification",
    "certificate_json",
    "get_certificate",
    "holder_certificates",
    "issue_certificate",
    "library_resource_id",
    "may_download",
    "public_view",
    "revoke_certificate",
    "revoke_key",
    "verify_document",
    "verify_number",
]

DOCUMENT_TYPE = "zhuyun.certificate.v1"
LIBRARY_RESOURCE_NAME = "电子证照库"
LIBRARY_TABLE = "certificate_library"
LIBRARY_ITEMS = (
    "number", "kind", "kind_name", "holder_id", "holder_type", "holder_name", "issuer_name",
    "fields_json", "valid_from", "valid_until", "issued_at",
)  # fmt: skip
LIBRARY_PURPOSE = "政务服务办件：调取申请人电子证照，免于提交纸质材料"
_NUMBER_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
MAX_FIELD_LENGTH = 500


def _invalid(en: str, zh: str) -> Unprocessable:
    return Unprocessable(en, zh, code="invalid-certificate")


def _kind(code: str) -> CertificateKind:
    kind = BY_CODE.get(code)
    if kind is None:
        known = "、".join(f"{k.code} {k.name}" for k in KINDS)
        raise _invalid(
            f"Unknown certificate kind {code!r}.", f"未知证照类型“{code}”；可选：{known}。"
        )
    return kind


def _holder(kind: CertificateKind, holder_id: str) -> tuple[str, HolderType]:
    """The canonical holder number and whether it names a person or a legal person."""
    person_error: InvalidIdentifier | None = None
    if kind.holder_type in (HolderType.PERSON, HolderType.ANY):
        try:
            return parse_resident_id(holder_id).number, HolderType.PERSON
        except InvalidIdentifier as exc:
            person_error = exc
    if kind.holder_type in (HolderType.LEGAL, HolderType.ANY):
        try:
            return parse_credit_code(holder_id).number, HolderType.LEGAL
        except InvalidIdentifier as exc:
            if person_error is None:
                raise _invalid(
                    f"holder_id: {exc.message_en}", f"持证主体代码：{exc.message_zh}"
                ) from None
    assert person_error is not None
    raise _invalid(
        f"holder_id: {person_error.message_en}", f"持证人身份号码：{person_error.message_zh}"
    )


def _fields(kind: CertificateKind, fields: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(fields) - {f.key for f in kind.fields})
    if unknown:
        raise _invalid(
            f"{kind.name} has no fields {', '.join(unknown)}.",
            f"{kind.name}没有以下照面项：{'、'.join(unknown)}。",
        )
    clean: dict[str, Any] = {}
    for face in kind.fields:
        value = fields.get(face.key)
        if isinstance(value, str):
            value = " ".join(value.split())
        if value is None or value == "":
            if face.required:
                raise _invalid(f"Field {face.key} is required.", f"照面项“{face.label}”必填。")
            continue
        if isinstance(value, int | float) and not (isfinite(value) and abs(value) <= 2**53):
            value = None  # JSON numbers beyond IEEE doubles cannot be signed canonically
        if not isinstance(value, str | int | float | bool) or (
            isinstance(value, str) and len(value) > MAX_FIELD_LENGTH
        ):
            raise _invalid(
                f"Field {face.key} must be text of at most {MAX_FIELD_LENGTH} characters or a "
                "number.",
                f"照面项“{face.label}”须为不超过 {MAX_FIELD_LENGTH} 字的文字或数字。",
            )
        clean[face.key] = value
    return clean


def _ensure_issuer(session: Session, principal: Principal, unit_id: int, permission: Permission,
                   what: str) -> None:  # fmt: skip
    """Only the issuing unit's own staff with `permission`, a platform admin or the platform."""
    if principal.via == "system" or principal.has_role(Role.PLATFORM_ADMIN):
        return
    if principal.can(permission) and principal.unit_id == unit_id:
        return
    record_refusal(
        session,
        "auth.forbidden",
        Subject("unit", unit_id),
        {"what": what, "permission": permission.value},
        actor=principal.as_actor(),
    )
    raise Forbidden(
        "Only the issuing unit's staff can do this to its certificates.",
        "只有发证单位的工作人员才能对其电子证照执行此操作。",
    )


def _new_number(kind: CertificateKind, today: date) -> str:
    """`YYZZ-2026-7K3M9QX2RT`: kind, year and 50 random bits, so numbers cannot be guessed."""
    tail = "".join(secrets.choice(_NUMBER_ALPHABET) for _ in range(10))
    return f"{kind.code}-{today.year}-{tail}"


def _valid_until(kind: CertificateKind, start: date) -> date | None:
    if kind.valid_years is None:
        return None
    try:
        anniversary = start.replace(year=start.year + kind.valid_years)
    except ValueError:  # 29 February
        anniversary = start.replace(year=start.year + kind.valid_years, day=28)
    return anniversary - timedelta(days=1)


def issue_certificate(
    session: Session,
    *,
    kind: str,
    issuer_unit_id: int,
    holder_id: str,
    holder_name: str,
    fields: Mapping[str, Any],
    case_ref: str,
    actor: Principal,
    secret_key: str | None = None,
    sm2_units: str | None = None,
) -> Certificate:
    """Issue a certificate signed by the issuing unit's key (see the module docstring).

    `secret_key` and `sm2_units` default to the process settings (`ZHUYUN_SECRET_KEY`,
    `ZHUYUN_CERTIFICATE_SM2_UNITS`)."""
    spec = _kind(kind)
    unit = identity.get_unit(session, issuer_unit_id)
    _ensure_issuer(session, actor, unit.id, Permission.CERTIFICATES_ISSUE, "certificate.issue")
    case_ref = case_ref.strip()
    if not 1 <= len(case_ref) <= 100:
        raise _invalid("case_ref needs 1 to 100 characters.", "办件编号须为 1 至 100 个字符。")
    number_of_holder, holder_type = _holder(spec, holder_id)
    name = " ".join(holder_name.split())
    if not 1 <= len(name) <= 200:
        raise _invalid("holder_name needs 1 to 200 characters.", "持证人名称须为 1 至 200 个字符。")
    face = _fields(spec, fields)
    existing = session.scalar(
        select(Certificate).where(
            Certificate.issuer_unit_id == unit.id,
            Certificate.case_ref == case_ref,
            Certificate.kind == spec.code,
        )
    )
    if existing is not None:
        if existing.holder_id != number_of_holder:
            raise Conflict(
                f"Case {case_ref} already has a {spec.name} for another holder.",
                f"办件 {case_ref} 已为其他持证人签发{spec.name}。",
                code="certificate-case-taken",
            )
        return existing
    settings = get_settings()
    secret = secret_key if secret_key is not None else settings.secret_key.get_secret_value()
    algorithm = keys.algorithm_for(
        unit.code, sm2_units if sm2_units is not None else settings.certificate_sm2_units
    )
    key = keys.active_key(session, actor.as_actor(), unit.id, algorithm, secret)
    today = china_today()
    issued_at = utcnow().replace(microsecond=0)
    until = _valid_until(spec, today)
    number = _new_number(spec, today)
    document: dict[str, Any] = {
        "type": DOCUMENT_TYPE,
        "number": number,
        "kind": spec.code,
        "kind_name": spec.name,
        "holder": {"type": holder_type.value, "id": number_of_holder, "name": name},
        "issuer": {"unit_id": unit.id, "code": unit.code, "name": unit.name},
        "fields": face,
        "valid_from": today.isoformat(),
        "valid_until": until.isoformat() if until else None,
        "issued_at": issued_at.isoformat().replace("+00:00", "Z"),
        "case_ref": case_ref,
        "algorithm": key.algorithm,
        "key_id": key.key_id,
    }
    certificate = Certificate(
        number=number,
        kind=spec.code,
        kind_name=spec.name,
        holder_id=number_of_holder,
        holder_type=holder_type.value,
        holder_name=name,
        issuer_unit_id=unit.id,
        issuer_name=unit.name,
        case_ref=case_ref,
        fields=face,
        issued_at=issued_at,
        valid_from=today,
        valid_until=until,
        key_id=key.id,
        document=document,
        signature=keys.sign_with(key, secret, signing.canonical(document)),
    )
    session.add(certificate)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(
            "The certificate was issued by a concurrent request; fetch it again.",
            "该证照已由并发请求签发，请重新获取。",
            code="certificate-concurrent",
        ) from None
    record(
        session,
        actor.as_actor(),
        "certificate.issued",
        Subject("certificate", number),
        {"kind": spec.code, "issuer_unit_id": unit.id, "case_ref": case_ref,
         "holder_masked": masked_holder(certificate), "key_id": key.key_id,
         "algorithm": key.algorithm},
        case_id=case_ref,
    )  # fmt: skip
    return certificate


def certificate_json(certificate: Certificate) -> dict[str, Any]:
    """The signed certificate as the holder downloads it and anyone may verify it."""
    document = certificate.document
    return {
        "certificate": document,
        "signature": {
            "algorithm": document["algorithm"],
            "key_id": document["key_id"],
            "value": certificate.signature,
        },
    }


# -- who may see what ----------------------------------------------------------------------


def holder_number(session: Session, principal: Principal) -> str | None:
    """The resident ID or credit code a citizen's or enterprise's account stands for."""
    if principal.kind == AccountKind.STAFF or principal.via not in ("session", "token"):
        return None
    account = identity.get_account(session, principal.account_id)
    return account.id_number if principal.kind == AccountKind.PERSON else account.credit_code


def may_download(session: Session, principal: Principal, certificate: Certificate) -> bool:
    """The holder, the issuing unit's staff, and platform admins."""
    if principal.has_role(Role.PLATFORM_ADMIN) or principal.via == "system":
        return True
    if principal.unit_id == certificate.issuer_unit_id and principal.can(
        Permission.CERTIFICATES_ISSUE
    ):
        return True
    return holder_number(session, principal) == certificate.holder_id


def holder_certificates(
    session: Session, principal: Principal, offset: int, limit: int
) -> tuple[list[Certificate], int]:
    """The signed-in citizen's or enterprise's own certificates, newest first."""
    holder = holder_number(session, principal)
    if holder is None:
        return [], 0
    where = Certificate.holder_id == holder
    total = session.scalar(select(func.count()).select_from(Certificate).where(where)) or 0
    rows = session.scalars(
        select(Certificate)
        .where(where)
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return list(rows), total


# -- revocation ----------------------------------------------------------------------


def revoke_certificate(
    session: Session, principal: Principal, number: str, reason: str
) -> Certificate:
    """Revoke (注销) a certificate: only its issuing unit, with a reason, in the ledger."""
    certificate = get_certificate(session, number)
    _ensure_issuer(
        session,
        principal,
        certificate.issuer_unit_id,
        Permission.CERTIFICATES_REVOKE,
        "certificate.revoke",
    )
    reason = " ".join(reason.split())
    if not 2 <= len(reason) <= 500:
        raise _invalid("Give a reason of 2 to 500 characters.", "请填写 2 至 500 字的注销理由。")
    if certificate.revoked_at is not None:
        raise Conflict(
            f"Certificate {number} is already revoked.",
            f"电子证照 {number} 已注销。",
            code="certificate-revoked",
        )
    certificate.revoked_at = utcnow()
    certificate.revoked_by = principal.account_ref
    certificate.revoke_reason = reason
    record(
        session,
        principal.as_actor(),
        "certificate.revoked",
        Subject("certificate", number),
        {"kind": certificate.kind, "issuer_unit_id": certificate.issuer_unit_id,
         "reason": reason},
        case_id=certificate.case_ref,
    )  # fmt: skip
    return certificate


def revoke_key(session: Session, principal: Principal, key_id: str, reason: str) -> CertificateKey:
    """Revoke a unit's signing key (lost or compromised): only that unit or a platform admin;
    every certificate it signed then verifies as `key-revoked`, and the unit's next
    certificate is signed with a new key."""
    key = keys.get_key(session, key_id)
    _ensure_issuer(
        session, principal, key.unit_id, Permission.CERTIFICATES_REVOKE, "certificate.key_revoke"
    )
    reason = " ".join(reason.split())
    if not 2 <= len(reason) <= 500:
        raise _invalid("Give a reason of 2 to 500 characters.", "请填写 2 至 500 字的吊销理由。")
    if key.revoked_at is not None:
        raise Conflict(
            f"Key {key_id} is already revoked.", f"密钥 {key_id} 已吊销。", code="key-revoked"
        )
    keys.revoke_key(session, principal.as_actor(), key, reason)
    return key


def issued_by_unit(
    session: Session, principal: Principal, offset: int, limit: int, q: str = ""
) -> tuple[list[Certificate], int]:
    """The certificates the caller's unit issued (all, for a platform admin)."""
    conditions = []
    if not principal.has_role(Role.PLATFORM_ADMIN):
        conditions.append(Certificate.issuer_unit_id == principal.unit_id)
    if q:
        conditions.append(or_(Certificate.number == q.strip(), Certificate.case_ref == q.strip()))
    total = session.scalar(select(func.count()).select_from(Certificate).where(*conditions)) or 0
    rows = session.scalars(
        select(Certificate)
        .where(*conditions)
        .order_by(Certificate.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return list(rows), total


def library_resource_id(session: Session) -> int | None:
    """The published 电子证照库 resource of the catalog, if the city has registered it."""
    return session.scalar(
        select(catalog.Resource.id)
        .where(
            catalog.Resource.name == LIBRARY_RESOURCE_NAME,
            catalog.Resource.status == "published",
        )
        .order_by(catalog.Resource.id)
        .limit(1)
    )
