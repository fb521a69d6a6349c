"""One live connector per source, shared by every request of the process.

A connector pools its connections, so building one per query would throw the pool away; the
cache keys each source by a fingerprint of its configuration, so editing a source replaces
its connector. The credentials are opened from their sealed form only here.
"""

from __future__ import annotations

import hashlib
import json
import threading

from zhuyun.core.secret_box import open_sealed
from zhuyun.exchange.connectors import Connector, SourceConfig, SourceKind, connect
from zhuyun.exchange.models import Source

_lock = threading.Lock()
_connectors: dict[int, tuple[str, Connector]] = {}


def _fingerprint(source: Source) -> str:
    payload = json.dumps(
        [source.kind, source.location, source.options, source.secret_sealed],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def source_config(source: Source, secret_key: str) -> SourceConfig:
    secret = open_sealed(source.secret_sealed, secret_key) if source.secret_sealed else None
    return SourceConfig(SourceKind(source.kind), source.location, dict(source.options), secret)


def connector_for(source: Source, secret_key: str) -> Connector:
    """The cached connector of a source, rebuilt when its configuration changed."""
    fingerprint = _fingerprint(source)
    with _lock:  # creations are rare: one at a time, so no two threads build the same one
        previous = _connectors.get(source.id)
        if previous is not None and previous[0] == fingerprint:
            return previous[1]
        connector = connect(source_config(source, secret_key))
        _connectors[source.id] = (fingerprint, connector)
    if previous is not None:
        previous[1].close()
    return connector


def close_all() -> None:
    """Close every pooled connection (the app's shutdown, tests)."""
    with _lock:
        cached = list(_connectors.values())
        _connectors.clear()
    for _, connector in cached:
        connector.close()
