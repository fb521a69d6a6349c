"""The node's keys on its own disk: its Ed25519 key (0600, never printed) and the platform
keys it trusts. A running node re-reads them when the files change, so `zhuyun node trust`
and `zhuyun node rotate-keys` take effect without a restart."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from zhuyun.exchange.node import signing


def write_private(path: Path, key: Ed25519PrivateKey) -> None:
    """Write a private key readable by its owner only (created 0600, replaced atomically)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(signing.private_pem(key))
    os.replace(temporary, path)


def read_private(path: Path) -> Ed25519PrivateKey:
    return signing.load_private_pem(path.read_bytes())


def load_or_create(path: Path) -> tuple[Ed25519PrivateKey, bool]:
    """The key in `path`, created when missing; True when it was created now."""
    if path.exists():
        return read_private(path), False
    key = Ed25519PrivateKey.generate()
    write_private(path, key)
    return key, True


def read_trusted(path: Path) -> dict[str, str]:
    """key id → public key text of the platform keys this node trusts."""
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def write_trusted(path: Path, trusted: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(trusted, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(temporary, path)


class KeyRing:
    """The node's current key and trusted platform keys, re-read when their files change."""

    def __init__(self, key_file: Path, trusted_file: Path) -> None:
        self._key_file = key_file
        self._trusted_file = trusted_file
        self._lock = threading.Lock()
        self._stamp: tuple[float, float] | None = None
        self._key: Ed25519PrivateKey | None = None
        self._kid = ""
        self._trusted: dict[str, Ed25519PublicKey] = {}

    def _mtime(self, path: Path) -> float:
        try:
            return path.stat().st_mtime_ns
        except FileNotFoundError:
            return 0.0

    def _refresh(self) -> None:
        stamp = (self._mtime(self._key_file), self._mtime(self._trusted_file))
        if stamp == self._stamp:
            return
        with self._lock:
            key = read_private(self._key_file)
            trusted = {
                kid: signing.public_from_text(text)
                for kid, text in read_trusted(self._trusted_file).items()
            }
            self._key, self._kid, self._trusted = key, signing.key_id(key.public_key()), trusted
            self._stamp = stamp

    def key(self) -> tuple[Ed25519PrivateKey, str]:
        self._refresh()
        assert self._key is not None
        return self._key, self._kid

    def trusted(self) -> dict[str, Ed25519PublicKey]:
        self._refresh()
        return self._trusted
