"""Signatures between the central platform and a department node: one home for both sides.

- Requests (platform → node) are signed over a canonical string of the method, the path, the
  SHA-256 of the body, a timestamp and a nonce; the headers carry the key id, timestamp,
  nonce and signature. The node accepts a request only within its timestamp window and
  never the same nonce twice.
- A grant token (inside the body) is the platform's offline-checkable word that it
  authorised exactly this read: node, source, table, columns, the digest of the query and an
  expiry. The node never sees grants themselves.
- Answers (node → platform) carry the node's signature over the request's nonce, the
  SHA-256 of what was sent and the rows, so the platform can check what it received.

Ed25519 (`cryptography`) is the only algorithm today; the algorithm is named in every key
id, so SM2 can be added beside it without changing the wire format.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALGORITHM = "ed25519"
PROTOCOL = "ZHUYUN-NODE-V1"
HEADER_KEY_ID = "X-Zhuyun-Key-Id"
HEADER_TIMESTAMP = "X-Zhuyun-Timestamp"
HEADER_NONCE = "X-Zhuyun-Nonce"
HEADER_SIGNATURE = "X-Zhuyun-Signature"
HEADER_ANSWER_SIGNATURE = "X-Zhuyun-Answer-Signature"
HEADER_ANSWER_KEY_ID = "X-Zhuyun-Answer-Key-Id"
GRANT_TTL_S = 60
REGISTRATION_PREFIX = "zhuyun-node-1."

__all__ = [
    "ALGORITHM",
    "GrantClaims",
    "Registration",
    "SignatureInvalid",
    "answer_message",
    "b64d",
    "b64e",
    "body_digest",
    "canonical_request",
    "key_id",
    "load_private_pem",
    "make_registration",
    "mint_grant",
    "new_nonce",
    "private_pem",
    "public_from_text",
    "public_text",
    "read_grant",
    "read_registration",
    "sign",
    "sign_request",
    "spec_digest",
    "verify",
]


class SignatureInvalid(Exception):
    """A signature, token or code that does not hold; `code` says which check failed."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64d(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise SignatureInvalid("bad-encoding", "not base64url") from exc


def public_text(key: Ed25519PublicKey) -> str:
    """The public key as `ed25519:<base64url of the 32 raw bytes>`."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return f"{ALGORITHM}:{b64e(raw)}"


def public_from_text(text: str) -> Ed25519PublicKey:
    algorithm, _, encoded = text.strip().partition(":")
    if algorithm != ALGORITHM:
        raise SignatureInvalid("bad-key", f"unsupported key algorithm {algorithm[:20]!r}")
    raw = b64d(encoded)
    if len(raw) != 32:
        raise SignatureInvalid("bad-key", "an Ed25519 public key has 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def key_id(key: Ed25519PublicKey) -> str:
    """A short, stable name of a public key: algorithm and 16 hex digits of its hash."""
    return f"{ALGORITHM}-{hashlib.sha256(public_text(key).encode()).hexdigest()[:16]}"


def private_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def load_private_pem(data: bytes) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise SignatureInvalid("bad-key", "the key file does not hold an Ed25519 private key")
    return key


def sign(key: Ed25519PrivateKey, message: bytes) -> str:
    return b64e(key.sign(message))


def verify(key: Ed25519PublicKey, signature: str, message: bytes) -> None:
    try:
        key.verify(b64d(signature), message)
    except (InvalidSignature, ValueError) as exc:
        raise SignatureInvalid("bad-signature", "the signature does not verify") from exc


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


def canonical_request(
    method: str, path: str, digest: str, timestamp: str, nonce: str, kid: str
) -> bytes:
    return "\n".join((PROTOCOL, method.upper(), path, digest, timestamp, nonce, kid)).encode()


def sign_request(
    key: Ed25519PrivateKey, kid: str, method: str, path: str, body: bytes
) -> dict[str, str]:
    """The four headers of a signed request."""
    timestamp = str(int(time.time()))
    nonce = new_nonce()
    message = canonical_request(method, path, body_digest(body), timestamp, nonce, kid)
    return {
        HEADER_KEY_ID: kid,
        HEADER_TIMESTAMP: timestamp,
        HEADER_NONCE: nonce,
        HEADER_SIGNATURE: sign(key, message),
    }


def answer_message(nonce: str, digest: str, rows: int) -> bytes:
    """What a node signs about its answer: the request it answers, what it sent, how many rows."""
    return "\n".join((f"{PROTOCOL}-ANSWER", nonce, digest, str(rows))).encode()


def _canonical_json(value: Any) -> bytes:
    return json.dumps(
        value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    ).encode()


def spec_digest(query: Mapping[str, Any]) -> str:
    """The digest of a query as sent in the body (its canonical JSON)."""
    return hashlib.sha256(_canonical_json(query)).hexdigest()


@dataclass(frozen=True)
class GrantClaims:
    """What the platform authorised: one read of these columns of one table of one source."""

    issuer: str  # the platform's key id
    node: str
    source: str
    table: str
    columns: tuple[str, ...]
    query: str  # spec_digest of the query
    expires: int  # unix seconds


def mint_grant(
    key: Ed25519PrivateKey,
    kid: str,
    node: str,
    source: str,
    table: str,
    columns: Sequence[str],
    query: Mapping[str, Any],
    ttl_s: int = GRANT_TTL_S,
) -> str:
    claims = {
        "iss": kid,
        "node": node,
        "source": source,
        "table": table,
        "columns": sorted(set(columns)),
        "query": spec_digest(query),
        "exp": int(time.time()) + ttl_s,
    }
    payload = b64e(_canonical_json(claims))
    return f"{payload}.{sign(key, f'{PROTOCOL}-GRANT.{payload}'.encode())}"


def read_grant(token: str, trusted: Mapping[str, Ed25519PublicKey], now: float) -> GrantClaims:
    """The claims of a grant token signed by a trusted platform key and not expired."""
    if not isinstance(token, str) or token.count(".") != 1 or len(token) > 8192:
        raise SignatureInvalid("grant-malformed", "the grant token is malformed")
    payload, signature = token.split(".")
    try:
        claims = json.loads(b64d(payload))
    except ValueError as exc:
        raise SignatureInvalid("grant-malformed", "the grant token is malformed") from exc
    if not isinstance(claims, dict):
        raise SignatureInvalid("grant-malformed", "the grant token is malformed")
    key = trusted.get(str(claims.get("iss")))
    if key is None:
        raise SignatureInvalid("grant-untrusted", "the grant token's issuer is not trusted")
    try:
        verify(key, signature, f"{PROTOCOL}-GRANT.{payload}".encode())
    except SignatureInvalid as exc:
        raise SignatureInvalid("grant-bad-signature", "the grant token is forged") from exc
    try:
        grant = GrantClaims(
            issuer=str(claims["iss"]),
            node=str(claims["node"]),
            source=str(claims["source"]),
            table=str(claims["table"]),
            columns=tuple(str(c) for c in claims["columns"]),
            query=str(claims["query"]),
            expires=int(claims["exp"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise SignatureInvalid("grant-malformed", "the grant token is malformed") from exc
    if grant.expires < now:
        raise SignatureInvalid("grant-expired", "the grant token has expired")
    return grant


@dataclass(frozen=True)
class Registration:
    """A node's one-time registration code, signed with the node's new key."""

    node: str
    unit: str
    url: str
    public_key: str
    key_id: str
    secret: str
    previous_key_id: str | None = None  # a rotation: announced, signed by the previous key
    previous_signature: str | None = None


def _registration_body(fields: Mapping[str, Any]) -> bytes:
    return _canonical_json({k: v for k, v in fields.items() if k != "previous_signature"})


def make_registration(
    key: Ed25519PrivateKey,
    node: str,
    unit: str,
    url: str,
    previous: Ed25519PrivateKey | None = None,
) -> str:
    """`zhuyun-node-1.<payload>.<signature>`: the node's name, unit, URL and new public key
    with a random one-time secret, signed by the new key (and, for a rotation, by the old)."""
    public = key.public_key()
    fields: dict[str, Any] = {
        "node": node,
        "unit": unit,
        "url": url,
        "public_key": public_text(public),
        "key_id": key_id(public),
        "secret": secrets.token_urlsafe(16),
        "issued": int(time.time()),
    }
    if previous is not None:
        fields["previous_key_id"] = key_id(previous.public_key())
        fields["previous_signature"] = sign(previous, _registration_body(fields))
    payload = b64e(_canonical_json(fields))
    return f"{REGISTRATION_PREFIX}{payload}.{sign(key, payload.encode())}"


def read_registration(code: str) -> Registration:
    """The registration in a code whose signature by its own key holds (self-signed: it
    proves the holder of the key made it; the admin's approval makes it trusted)."""
    code = "".join(code.split())
    if not code.startswith(REGISTRATION_PREFIX) or len(code) > 4096:
        raise SignatureInvalid("registration-malformed", "not a zhuyun node registration code")
    body = code[len(REGISTRATION_PREFIX) :]
    if body.count(".") != 1:
        raise SignatureInvalid("registration-malformed", "not a zhuyun node registration code")
    payload, signature = body.split(".")
    try:
        fields = json.loads(b64d(payload))
        registration = Registration(
            node=str(fields["node"]),
            unit=str(fields["unit"]),
            url=str(fields["url"]),
            public_key=str(fields["public_key"]),
            key_id=str(fields["key_id"]),
            secret=str(fields["secret"]),
            previous_key_id=fields.get("previous_key_id"),
            previous_signature=fields.get("previous_signature"),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise SignatureInvalid(
            "registration-malformed", "not a zhuyun node registration code"
        ) from exc
    public = public_from_text(registration.public_key)
    if key_id(public) != registration.key_id:
        raise SignatureInvalid("registration-malformed", "the key id does not match the key")
    verify(public, signature, payload.encode())
    return registration


def verify_rotation(registration: Registration, previous: Ed25519PublicKey, code: str) -> None:
    """Check that a rotation's announcement is signed by the node's previous key."""
    if registration.previous_signature is None:
        raise SignatureInvalid("rotation-unsigned", "the new key is not signed by the old one")
    payload = "".join(code.split())[len(REGISTRATION_PREFIX) :].split(".")[0]
    fields = json.loads(b64d(payload))
    verify(previous, registration.previous_signature, _registration_body(fields))
