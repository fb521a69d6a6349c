"""Keys that apps present instead of a password (open-data developer keys, Open311 keys):
`<kind>_<prefix>_<secret>`, shown once, stored only as an HMAC-SHA256 under the platform's
secret key — fast enough to check on every request, useless to whoever reads the table."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

MAX_KEY_LENGTH = 200


@dataclass(frozen=True)
class MintedKey:
    raw: str  # given to its owner once, never stored
    prefix: str  # stored in the clear: names the key in lists and the ledger
    digest: str  # what is stored and looked up


def key_digest(secret_key: str, raw: str) -> str:
    return hmac.new(secret_key.encode(), raw.encode(), hashlib.sha256).hexdigest()


def mint_key(kind: str, secret_key: str) -> MintedKey:
    prefix = secrets.token_hex(6)
    raw = f"{kind}_{prefix}_{secrets.token_urlsafe(32)}"
    return MintedKey(raw, prefix, key_digest(secret_key, raw))


def looks_like_key(kind: str, raw: str) -> bool:
    return raw.startswith(f"{kind}_") and raw.count("_") >= 2 and len(raw) <= MAX_KEY_LENGTH
