"""A node's configuration: one TOML file the department's admin writes (`node.toml`).

```toml
[node]
name = "gongan"                       # the node's name on the platform (letters, digits, - _)
unit = "贵阳市公安局"                  # the unit that runs it, as the platform admin knows it
listen = "127.0.0.1:8701"             # where `zhuyun node` listens
url = "http://10.1.2.3:8701"          # how the platform reaches it (default: http://<listen>)
data_dir = "var/node"                 # its keys, trusted platform keys, message log
timestamp_window_s = 60               # requests older or newer than this are refused
platform_url = "http://zhuyun.gov:8000"  # for `zhuyun node rotate-keys` (optional)

[sources.people]                      # one table per source the node serves
kind = "postgresql"
location = "postgresql+psycopg://reader@127.0.0.1:5432/hukou"
secret_env = "HUKOU_PASSWORD"         # or secret = "…" (the file then must be kept private)
options = { schema = "share" }
```

Relative paths are read from the configuration file's folder. The credentials stay here:
the platform only knows `node://gongan/people`.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zhuyun.exchange.connectors import SourceConfig, SourceKind

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")
SOURCE_KINDS = tuple(kind for kind in SourceKind if kind != SourceKind.NODE)


class NodeConfigError(Exception):
    """A configuration that cannot work; the message says which entry and why."""


@dataclass(frozen=True)
class NodeConfig:
    path: Path
    name: str
    unit: str
    host: str
    port: int
    url: str
    data_dir: Path
    timestamp_window_s: int = 60
    platform_url: str | None = None
    sources: Mapping[str, SourceConfig] = field(default_factory=dict)

    @property
    def key_file(self) -> Path:
        return self.data_dir / "node_ed25519.pem"

    @property
    def pending_key_file(self) -> Path:
        return self.data_dir / "node_ed25519.pending.pem"

    @property
    def trusted_file(self) -> Path:
        return self.data_dir / "trusted_platform_keys.json"

    @property
    def log_url(self) -> str:
        return f"sqlite:///{(self.data_dir / 'node.sqlite').as_posix()}"


def _text(table: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = table.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise NodeConfigError(f"{where}: '{key}' must be a non-empty string")
    return value.strip()


def _source(name: str, table: Any, base: Path) -> SourceConfig:
    where = f"[sources.{name}]"
    if not NAME_PATTERN.match(name):
        raise NodeConfigError(f"{where}: a source name uses letters, digits, '-' and '_'")
    if not isinstance(table, dict):
        raise NodeConfigError(f"{where} must be a table")
    unknown = set(table) - {"kind", "location", "options", "secret", "secret_env"}
    if unknown:
        raise NodeConfigError(f"{where}: unknown entries {sorted(unknown)}")
    kind_text = _text(table, "kind", where)
    if kind_text not in {k.value for k in SOURCE_KINDS}:
        raise NodeConfigError(
            f"{where}: kind must be one of {', '.join(k.value for k in SOURCE_KINDS)}"
        )
    kind = SourceKind(kind_text)
    location = _text(table, "location", where)
    if kind == SourceKind.SQLITE and location.startswith("sqlite:///"):
        path = Path(location.removeprefix("sqlite:///"))
        if not path.is_absolute():
            location = f"sqlite:///{(base / path).as_posix()}"
    elif kind in (SourceKind.CSV, SourceKind.PARQUET, SourceKind.XLSX):
        path = Path(location)
        location = str(path if path.is_absolute() else base / path)
    options = table.get("options", {})
    if not isinstance(options, dict):
        raise NodeConfigError(f"{where}: options must be a table")
    secret = table.get("secret")
    if "secret_env" in table:
        variable = _text(table, "secret_env", where)
        secret = os.environ.get(variable)
        if secret is None:
            raise NodeConfigError(f"{where}: the environment variable {variable} is not set")
    if secret is not None and not isinstance(secret, str):
        raise NodeConfigError(f"{where}: secret must be a string")
    return SourceConfig(kind, location, options, secret)


def load_config(path: Path) -> NodeConfig:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise NodeConfigError(f"{path}: no such file") from exc
    except tomllib.TOMLDecodeError as exc:
        raise NodeConfigError(f"{path}: not valid TOML: {exc}") from exc
    base = path.resolve().parent
    node = raw.get("node")
    if not isinstance(node, dict):
        raise NodeConfigError(f"{path}: a [node] table is required")
    name = _text(node, "name", "[node]")
    if not NAME_PATTERN.match(name):
        raise NodeConfigError("[node]: name uses letters, digits, '-' and '_' (at most 63)")
    listen = _text(node, "listen", "[node]", "127.0.0.1:8701")
    host, _, port_text = listen.rpartition(":")
    if not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise NodeConfigError("[node]: listen must be host:port")
    data_dir = Path(_text(node, "data_dir", "[node]", "node-data"))
    window = node.get("timestamp_window_s", 60)
    if not isinstance(window, int) or not 5 <= window <= 3600:
        raise NodeConfigError("[node]: timestamp_window_s must be 5 to 3600 seconds")
    sources_table = raw.get("sources", {})
    if not isinstance(sources_table, dict):
        raise NodeConfigError("[sources] must be a table of sources")
    return NodeConfig(
        path=path,
        name=name,
        unit=_text(node, "unit", "[node]", name),
        host=host,
        port=int(port_text),
        url=_text(node, "url", "[node]", f"http://{listen}").rstrip("/"),
        data_dir=data_dir if data_dir.is_absolute() else base / data_dir,
        timestamp_window_s=window,
        platform_url=node.get("platform_url"),
        sources={key: _source(key, value, base) for key, value in sources_table.items()},
    )
