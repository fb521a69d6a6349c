"""Credentials at rest: a department source's password or API token, sealed with the
platform's secret key so that the database alone never yields them.

`seal` and `open_sealed` use Fernet (AES-128-CBC with HMAC-SHA256, authenticated) under a
key derived from the platform secret key by HKDF-SHA256 with a purpose label, so the same
secret key used elsewhere (sessions, CSRF) never becomes this key itself. A tampered token
or the wrong key raises `SealBroken`. After changing `ZHUYUN_SECRET_KEY`, pass the old key
in `previous_keys` to keep opening old tokens, and `reseal` them under the new one.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["SealBroken", "open_sealed", "reseal", "seal"]

_PURPOSE = b"zhuyun source credentials v1"


class SealBroken(ValueError):
    """The sealed token was altered, truncated, or sealed under another key."""

    def __init__(self) -> None:
        super().__init__(
            "The sealed credential cannot be opened: it was altered or sealed under another "
            "secret key (凭据无法解密：密文已被篡改，或使用了不同的平台密钥)."
        )


@lru_cache(maxsize=8)
def _fernet(key: str) -> Fernet:
    if not key:
        raise ValueError("the platform secret key is empty (平台密钥为空)")
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PURPOSE).derive(
        key.encode("utf-8")
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def seal(plaintext: str, key: str) -> str:
    """Encrypt `plaintext` under the platform secret `key`; the token is ASCII, safe to store."""
    return _fernet(key).encrypt(plaintext.encode("utf-8")).decode("ascii")


def open_sealed(token: str, key: str, previous_keys: Sequence[str] = ()) -> str:
    """The plaintext of `token`; `SealBroken` if it was tampered with or the key is wrong."""
    box = MultiFernet([_fernet(k) for k in (key, *previous_keys)])
    try:
        return box.decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError, ValueError, TypeError):
        raise SealBroken() from None


def reseal(token: str, key: str, previous_keys: Sequence[str]) -> str:
    """`token` sealed under `key`, whichever of `previous_keys` it was sealed under before."""
    box = MultiFernet([_fernet(k) for k in (key, *previous_keys)])
    try:
        return box.rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError, ValueError, TypeError):
        raise SealBroken() from None
