"""Verification of certificates, for anyone: the stored one by its number, or an uploaded
copy; and what of a certificate the public may see.

A verification checks the signature over the RFC 8785 form of the signed document with the
key it names, that the key belongs to the issuer and is not revoked, that an uploaded copy is
exactly the document the platform issued, and then revocation and the signed validity.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhuyun.core.calendar import china_today
from zhuyun.core.errors import NotFound, Unprocessable
from zhuyun.core.masking import MaskKind, mask, mask_id_number
from zhuyun.services.certificates import keys, signing
from zhuyun.services.certificates.kinds import BY_CODE, HolderType
from zhuyun.services.certificates.models import Certificate, CertificateKey


def get_certificate(session: Session, number: str) -> Certificate:
    certificate = session.scalar(select(Certificate).where(Certificate.number == number))
    if certificate is None:
        raise NotFound(
            f"No certificate numbered {number}.",
            f"不存在编号为 {number} 的电子证照。",
            code="certificate-not-found",
        )
    return certificate


def masked_holder(certificate: Certificate) -> str:
    if certificate.holder_type == HolderType.PERSON:
        return mask_id_number(certificate.holder_id)
    return certificate.holder_id  # a credit code is public (国家企业信用信息公示)


def public_view(certificate: Certificate) -> dict[str, Any]:
    """What anyone verifying may see: never a person's full name or ID, never a face field
    the kind does not mark public, never the revocation reason."""
    spec = BY_CODE.get(certificate.kind)
    shown = spec.public_keys if spec else frozenset()
    person = certificate.holder_type == HolderType.PERSON
    return {
        "number": certificate.number,
        "kind": certificate.kind,
        "kind_name": certificate.kind_name,
        "holder_type": certificate.holder_type,
        "holder_name": mask(MaskKind.NAME, certificate.holder_name)
        if person
        else certificate.holder_name,
        "holder_id": masked_holder(certificate),
        "issuer_name": certificate.issuer_name,
        "fields": [
            {"key": f.key, "label": f.label, "value": certificate.fields[f.key]}
            for f in (spec.fields if spec else ())
            if f.key in shown and f.key in certificate.fields
        ],
        "valid_from": certificate.valid_from,
        "valid_until": certificate.valid_until,
        "issued_at": certificate.issued_at,
        "revoked_at": certificate.revoked_at,
    }


@dataclass(frozen=True)
class Verification:
    """The answer of a verification: `status` is valid, revoked, expired, key-revoked or
    forged; `certificate` is the stored one when the number is known and genuine."""

    status: str
    message_en: str
    message_zh: str
    certificate: Certificate | None = None

    @property
    def valid(self) -> bool:
        return self.status == "valid"


_FORGED = (
    "forged",
    "The signature does not match: the certificate is forged or was altered.",
    "签名不符：该证照系伪造或已被篡改。",
)


def _status(session: Session, certificate: Certificate, key: CertificateKey | None) -> Verification:
    if key is None or not signing.verify(
        key.algorithm, key.public_key, signing.canonical(certificate.document),
        certificate.signature,
    ) or key.unit_id != certificate.issuer_unit_id:  # fmt: skip
        return Verification(*_FORGED)
    if key.revoked_at is not None:
        return Verification(
            "key-revoked",
            "The issuing unit's signing key has been revoked: the certificate is not valid.",
            "发证单位的签名密钥已吊销：该证照无效。",
            certificate,
        )
    if certificate.revoked_at is not None:
        return Verification(
            "revoked",
            "The certificate was revoked by its issuing unit.",
            "该证照已被发证单位注销。",
            certificate,
        )
    until = certificate.document.get("valid_until")  # the signed date, not a column
    if isinstance(until, str) and until < china_today().isoformat():
        return Verification(
            "expired", "The certificate has expired.", "该证照已过有效期。", certificate
        )
    return Verification(
        "valid",
        "Genuine: signed by the issuing unit, neither revoked nor expired.",
        "真实有效：经发证单位签名，未注销、未过期。",
        certificate,
    )


def verify_number(session: Session, number: str) -> Verification:
    """Verify the stored certificate of a number: its signature, key and revocation."""
    certificate = get_certificate(session, number)
    return _status(session, certificate, session.get(CertificateKey, certificate.key_id))


def verify_document(session: Session, signed: Mapping[str, Any]) -> Verification:
    """Verify an uploaded signed certificate (`certificate_json`'s shape): the signature by
    the named key, and that it is exactly the certificate the platform issued."""
    document, signature = signed.get("certificate"), signed.get("signature")
    if not isinstance(document, dict) or not isinstance(signature, dict):
        raise Unprocessable(
            'Upload the certificate as downloaded: {"certificate": {...}, "signature": {...}}.',
            '请上传下载所得的证照 JSON：{"certificate": {...}, "signature": {...}}。',
            code="invalid-certificate",
        )
    key_name, value = signature.get("key_id"), signature.get("value")
    if not isinstance(key_name, str) or not isinstance(value, str) or len(key_name) > 40:
        return Verification(*_FORGED)
    key = keys.find_key(session, key_name)
    try:
        data = signing.canonical(document)
    except (TypeError, ValueError, OverflowError):
        return Verification(*_FORGED)
    if key is None or not signing.verify(key.algorithm, key.public_key, data, value):
        return Verification(*_FORGED)
    number = document.get("number")
    certificate = (
        session.scalar(select(Certificate).where(Certificate.number == number))
        if isinstance(number, str)
        else None
    )
    if certificate is None or signing.canonical(certificate.document) != data:
        return Verification(*_FORGED)
    return _status(session, certificate, key)
