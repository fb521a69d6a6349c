"""Signatures of certificates: the canonical form of a document and the two algorithms.

Canonical form: RFC 8785 (JSON Canonicalization Scheme) through the `rfc8785` package —
object members sorted by their UTF-16 code units, no whitespace, strings in their shortest
escaping, numbers in ECMAScript form — so the same document always signs as the same bytes,
whoever serialised it and however.

Algorithms:
- `ed25519` (default): `cryptography`'s Ed25519; keys and signatures are raw bytes in base64.
- `sm2`: GB/T 32918 SM2 with SM3 (GB/T 32905) through `gmssl` (pure Python; the default
  signer ID `1234567812345678`). The public key is the uncompressed point x‖y (64 bytes),
  the signature r‖s (64 bytes), both base64. The nonce comes from `secrets`, not from
  gmssl's helper (which uses `random`, not fit for a nonce).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from gmssl import sm2


class Algorithm(StrEnum):
    ED25519 = "ed25519"
    SM2 = "sm2"


def canonical(document: Any) -> bytes:
    """The RFC 8785 bytes of a JSON document: what is signed and verified."""
    return rfc8785.dumps(document)


@dataclass(frozen=True)
class KeyPair:
    algorithm: Algorithm
    private_b64: str  # to be sealed before it is stored
    public_b64: str

    @property
    def key_id(self) -> str:
        return key_id_of(self.algorithm, self.public_b64)


def key_id_of(algorithm: Algorithm | str, public_b64: str) -> str:
    """A short, stable name of a public key: its algorithm and SHA-256 prefix."""
    digest = hashlib.sha256(base64.b64decode(public_b64)).hexdigest()[:16]
    return f"{algorithm}-{digest}"


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


_SM2_N = int(sm2.default_ecc_table["n"], 16)
_SM2_HEX = len(sm2.default_ecc_table["n"])


def _sm2(private_hex: str, public_hex: str) -> sm2.CryptSM2:
    crypt = sm2.CryptSM2(private_key=private_hex, public_key="")
    crypt.public_key = public_hex  # set after: its constructor mangles keys starting 0/4
    return crypt


def generate(algorithm: Algorithm) -> KeyPair:
    """A fresh key pair."""
    if algorithm == Algorithm.ED25519:
        key = Ed25519PrivateKey.generate()
        return KeyPair(
            algorithm,
            _b64(key.private_bytes_raw()),
            _b64(key.public_key().public_bytes_raw()),
        )
    d = secrets.randbelow(_SM2_N - 1) + 1
    private_hex = f"{d:0{_SM2_HEX}x}"
    crypt = _sm2(private_hex, "")
    public_hex = crypt._kg(d, sm2.default_ecc_table["g"])  # the point d·G, x‖y in hex
    return KeyPair(algorithm, _b64(bytes.fromhex(private_hex)), _b64(bytes.fromhex(public_hex)))


def sign(algorithm: Algorithm | str, private_b64: str, public_b64: str, data: bytes) -> str:
    """The base64 signature of `data`."""
    private = base64.b64decode(private_b64)
    if Algorithm(algorithm) == Algorithm.ED25519:
        return _b64(Ed25519PrivateKey.from_private_bytes(private).sign(data))
    crypt = _sm2(private.hex(), base64.b64decode(public_b64).hex())
    nonce = f"{secrets.randbelow(_SM2_N - 1) + 1:0{_SM2_HEX}x}"
    return _b64(bytes.fromhex(crypt.sign_with_sm3(data, nonce)))


def verify(algorithm: Algorithm | str, public_b64: str, data: bytes, signature_b64: str) -> bool:
    """Whether `signature_b64` is a signature of `data` under the public key; never raises
    on malformed input (a forged document is an answer, not an error)."""
    try:
        public = base64.b64decode(public_b64, validate=True)
        signature = base64.b64decode(signature_b64, validate=True)
        if Algorithm(algorithm) == Algorithm.ED25519:
            Ed25519PublicKey.from_public_bytes(public).verify(signature, data)
            return True
        if len(signature) != 64 or len(public) != 64:
            return False
        return bool(_sm2("", public.hex()).verify_with_sm3(signature.hex(), data))
    except (InvalidSignature, ValueError, binascii.Error, TypeError, ArithmeticError):
        return False
