"""Each issuing unit's own signing key: made on its first certificate, private half sealed.

The private key is sealed with the platform secret key (`core.secret_box`) and opened only
to sign; the public key is published (`/api/certificates/keys`). Which algorithm a unit
signs with is `ZHUYUN_CERTIFICATE_SM2_UNITS`; a unit whose setting changes gets a new key of
the new algorithm, and its old key keeps verifying what it signed.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhuyun.core.db import utcnow
from zhuyun.core.errors import NotFound, Problem
from zhuyun.core.ledger import Actor, Subject, record
from zhuyun.core.secret_box import SealBroken, open_sealed, seal
from zhuyun.services.certificates import signing
from zhuyun.services.certificates.models import CertificateKey
from zhuyun.services.certificates.signing import Algorithm


def algorithm_for(unit_code: str, sm2_units: str) -> Algorithm:
    """The algorithm a unit signs with, from the comma-separated `sm2_units` setting."""
    named = {code.strip() for code in sm2_units.split(",") if code.strip()}
    return Algorithm.SM2 if "*" in named or unit_code in named else Algorithm.ED25519


def active_key(
    session: Session, actor: Actor, unit_id: int, algorithm: Algorithm, secret_key: str
) -> CertificateKey:
    """The unit's live key of `algorithm`, made (and ledgered) on first use."""
    key = session.scalar(
        select(CertificateKey)
        .where(
            CertificateKey.unit_id == unit_id,
            CertificateKey.algorithm == algorithm.value,
            CertificateKey.revoked_at.is_(None),
        )
        .order_by(CertificateKey.id.desc())
        .limit(1)
    )
    if key is not None:
        return key
    pair = signing.generate(algorithm)
    key = CertificateKey(
        key_id=pair.key_id,
        unit_id=unit_id,
        algorithm=algorithm.value,
        public_key=pair.public_b64,
        private_key_sealed=seal(pair.private_b64, secret_key),
    )
    session.add(key)
    session.flush()
    record(
        session,
        actor,
        "certificate.key_created",
        Subject("certificate_key", pair.key_id),
        {"unit_id": unit_id, "algorithm": algorithm.value, "public_key_b64": pair.public_b64},
    )
    return key


def sign_with(key: CertificateKey, secret_key: str, data: bytes) -> str:
    """Sign `data` with the unit key (its private half opened only for this)."""
    try:
        private_b64 = open_sealed(key.private_key_sealed, secret_key)
    except SealBroken:
        raise Problem(
            f"The signing key {key.key_id} cannot be opened with the platform secret key (was "
            "ZHUYUN_SECRET_KEY changed?); the unit cannot issue until it is restored or the key "
            "is revoked.",
            f"无法用平台密钥解开签名密钥 {key.key_id}（ZHUYUN_SECRET_KEY 是否已更换？）；"
            "恢复平台密钥或吊销该签名密钥后方可继续签发。",
            status=503,
            code="certificate-key-sealed",
        ) from None
    return signing.sign(key.algorithm, private_b64, key.public_key, data)


def find_key(session: Session, key_id: str) -> CertificateKey | None:
    return session.scalar(select(CertificateKey).where(CertificateKey.key_id == key_id))


def get_key(session: Session, key_id: str) -> CertificateKey:
    key = find_key(session, key_id)
    if key is None:
        raise NotFound(
            f"No certificate signing key {key_id}.",
            f"不存在电子证照签名密钥 {key_id}。",
            code="certificate-key-not-found",
        )
    return key


def list_keys(session: Session, offset: int, limit: int) -> tuple[list[CertificateKey], int]:
    total = session.scalar(select(func.count()).select_from(CertificateKey)) or 0
    rows = session.scalars(
        select(CertificateKey).order_by(CertificateKey.id).offset(offset).limit(limit)
    ).all()
    return list(rows), total


def revoke_key(session: Session, actor: Actor, key: CertificateKey, reason: str) -> None:
    """Retire a compromised key: every certificate it signed stops verifying as valid."""
    key.revoked_at = utcnow()
    key.revoke_reason = reason
    record(
        session,
        actor,
        "certificate.key_revoked",
        Subject("certificate_key", key.key_id),
        {"unit_id": key.unit_id, "reason": reason},
    )
