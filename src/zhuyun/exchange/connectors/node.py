"""A source served by a department node (前置机): `node://<node>/<source>`.

The platform decided the query already (gateway → policy); this connector sends it to the
node as a signed request with a grant token naming exactly this read, and checks the node's
signature over what comes back. The platform holds no credentials of the department's
database: the node does. A node that does not answer is `SourceUnavailable` naming it, one
that stalls `SourceTimeout`; an answer cut off half-way raises, it is never passed on short.

The binding's options are filled by the platform's nodes service, never by hand: the node's
URL, its public key and key id, the platform key that signs, and the node's status.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Generator, Iterator, Sequence
from typing import Any, cast
from urllib.parse import urlsplit

import httpx
import pyarrow as pa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from zhuyun.exchange.connectors.arrow import ArrowStream, prime_arrow
from zhuyun.exchange.connectors.base import (
    ColumnInfo,
    DataType,
    Filter,
    HealthReport,
    SelectSpec,
    SourceConfig,
)
from zhuyun.exchange.connectors.errors import (
    BadSourceConfig,
    ConnectorError,
    SourceTimeout,
    SourceUnavailable,
)
from zhuyun.exchange.connectors.stream import Batch, RowStream, prime
from zhuyun.exchange.node import signing, wire

__all__ = ["NodeAnswerInvalid", "NodeConnector", "NodeRefused", "register_platform_key"]

_keys_lock = threading.Lock()
_platform_keys: dict[str, Ed25519PrivateKey] = {}
_PASSED_ON = {
    "source-unavailable",
    "source-timeout",
    "source-schema-changed",
    "bad-filter",
    "bad-source-config",
}
CONNECT_TIMEOUT_S = 3.0
SLACK_S = 5.0


def register_platform_key(key: Ed25519PrivateKey) -> str:
    """Make the platform's signing key usable by node connectors of this process."""
    kid = signing.key_id(key.public_key())
    with _keys_lock:
        _platform_keys[kid] = key
    return kid


class NodeRefused(ConnectorError):
    """The node refused the platform's request (signature, key, grant token …)."""

    status = 502
    code = "node-refused"


class NodeAnswerInvalid(ConnectorError):
    """The node's answer does not carry a valid signature over what arrived."""

    status = 502
    code = "node-answer-invalid"


class _NodeProblem(ConnectorError):
    """A connector error the node met on its source, passed on with its status and code."""


class NodeConnector:
    """One node-hosted source; thread-safe (one pooled HTTP client per source)."""

    def __init__(self, config: SourceConfig) -> None:
        self.config = config
        parts = urlsplit(config.location)
        segments = [s for s in (parts.netloc, *parts.path.split("/")) if s]
        if parts.scheme != "node" or len(segments) != 2:
            raise BadSourceConfig(
                "A node source's location is node://<node>/<source>.",
                "前置机数据源的位置须为 node://<节点名>/<数据源名>。",
            )
        self.node, self.source = segments
        options = dict(config.options)
        self._url = str(options.get("url") or "")
        self._status = str(options.get("status") or "unknown")
        self._node_key_id = str(options.get("node_key_id") or "")
        self._platform_key_id = str(options.get("platform_key_id") or "")
        self._node_key: Ed25519PublicKey | None
        try:
            self._node_key = signing.public_from_text(str(options.get("node_public_key") or ""))
        except signing.SignatureInvalid:
            self._node_key = None
        self._label = config.label
        self._client = httpx.Client(
            base_url=self._url or "http://invalid.invalid",
            timeout=httpx.Timeout(30.0, connect=CONNECT_TIMEOUT_S),
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=16),
        )

    # -- requests ---------------------------------------------------------------------

    def _unavailable(self, en: str, zh: str) -> SourceUnavailable:
        return SourceUnavailable(
            self._label, f"node {self.node}: {en}", f"前置机 {self.node}：{zh}"
        )

    def _ready(self) -> Ed25519PrivateKey:
        if self._status == "revoked":
            raise self._unavailable("its key was revoked by the platform admin", "其密钥已被吊销")
        if self._status != "approved" or not self._url or self._node_key is None:
            raise self._unavailable("it is not approved on the platform", "尚未在平台获批")
        with _keys_lock:
            key = _platform_keys.get(self._platform_key_id)
        if key is None:
            raise self._unavailable(
                "the platform's signing key is not loaded in this process", "平台签名密钥未加载"
            )
        return key

    def _request(
        self, op: str, body: dict[str, Any], timeout_s: float
    ) -> tuple[str, httpx.Response]:
        key = self._ready()
        content = json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str).encode()
        path = f"/v1/{op}"
        headers = signing.sign_request(key, self._platform_key_id, "POST", path, content)
        headers["content-type"] = "application/json"
        request = self._client.build_request(
            "POST",
            path,
            content=content,
            headers=headers,
            timeout=httpx.Timeout(timeout_s + SLACK_S, connect=CONNECT_TIMEOUT_S),
        )
        try:
            response = self._client.send(request, stream=True)
        except httpx.TimeoutException as exc:
            if isinstance(exc, httpx.ConnectTimeout):
                raise self._unavailable(
                    f"{self._url} does not answer (connect timeout)", f"{self._url} 连接超时"
                ) from None
            raise SourceTimeout(self._label, timeout_s) from None
        except httpx.TransportError as exc:
            raise self._unavailable(
                f"{self._url} does not answer ({type(exc).__name__})",
                f"{self._url} 无响应（{type(exc).__name__}）",
            ) from None
        if response.status_code != 200:
            try:
                response.read()
            finally:
                response.close()
            raise self._problem(response)
        return headers[signing.HEADER_NONCE], response

    def _problem(self, response: httpx.Response) -> ConnectorError:
        try:
            problem = response.json()
            code, en, zh = str(problem["code"]), str(problem["detail"]), str(problem["detail_zh"])
        except (ValueError, KeyError, TypeError):
            return self._unavailable(
                f"it answered HTTP {response.status_code}", f"返回 HTTP {response.status_code}"
            )
        if code in _PASSED_ON or code.startswith("policy-"):  # a peer platform's own policy
            return _NodeProblem(en, zh, status=response.status_code, code=code)
        return NodeRefused(
            f"The node {self.node} refused the platform's request: {en}",
            f"前置机 {self.node} 拒绝了平台的请求：{zh}",
            errors=[{"node": self.node, "code": code}],
        )

    def _json(self, op: str, body: dict[str, Any], timeout_s: float) -> Any:
        nonce, response = self._request(op, body, timeout_s)
        try:
            content = response.read()
        except httpx.TimeoutException:
            raise SourceTimeout(self._label, timeout_s) from None
        except httpx.TransportError:
            raise self._unavailable("the answer broke off", "应答中断") from None
        finally:
            response.close()
        self._check_answer(
            response.headers.get(signing.HEADER_ANSWER_KEY_ID, ""),
            response.headers.get(signing.HEADER_ANSWER_SIGNATURE, ""),
            nonce,
            signing.body_digest(content),
            0,
        )
        return json.loads(content)

    def _check_answer(self, kid: str, signature: str, nonce: str, digest: str, rows: int) -> None:
        assert self._node_key is not None
        try:
            if kid != self._node_key_id:
                raise signing.SignatureInvalid("unknown-key", "answer signed by another key")
            signing.verify(self._node_key, signature, signing.answer_message(nonce, digest, rows))
        except signing.SignatureInvalid:
            raise NodeAnswerInvalid(
                f"The answer of node {self.node} is not signed by its registered key; "
                "it was discarded.",
                f"前置机 {self.node} 的应答未经其登记密钥签名，已丢弃。",
            ) from None

    def _frames(
        self, op: str, body: dict[str, Any], timeout_s: float
    ) -> Generator[pa.RecordBatch | pa.Schema, None, None]:
        """The schema, then each record batch; the trailer is checked before the end."""
        nonce, response = self._request(op, body, timeout_s)
        hasher = hashlib.sha256()
        schema: pa.Schema | None = None
        rows = 0
        try:
            for kind, payload, raw in wire.read_frames(response.iter_raw()):
                if kind == b"T":
                    trailer = json.loads(payload)
                    if trailer.get("rows") != rows or trailer.get("digest") != hasher.hexdigest():
                        raise NodeAnswerInvalid(
                            f"The answer of node {self.node} does not match its trailer.",
                            f"前置机 {self.node} 的应答与其校验尾不符。",
                        )
                    self._check_answer(
                        str(trailer.get("key_id")),
                        str(trailer.get("signature")),
                        nonce,
                        hasher.hexdigest(),
                        rows,
                    )
                    return
                if kind == b"E":
                    problem = json.loads(payload)
                    raise _NodeProblem(
                        f"node {self.node}: {problem.get('detail')}",
                        f"前置机 {self.node}：{problem.get('detail_zh')}",
                        status=int(problem.get("status", 503)),
                        code=str(problem.get("code", "source-unavailable")),
                    )
                hasher.update(raw)
                if kind == b"S":
                    schema = pa.ipc.read_schema(pa.py_buffer(payload))
                    yield schema
                elif kind == b"B" and schema is not None:
                    batch = pa.ipc.read_record_batch(pa.py_buffer(payload), schema)
                    rows += batch.num_rows
                    yield batch
                else:
                    raise NodeAnswerInvalid(
                        f"The answer of node {self.node} is malformed.",
                        f"前置机 {self.node} 的应答格式错误。",
                    )
            raise EOFError
        except httpx.TimeoutException:
            raise SourceTimeout(self._label, timeout_s) from None
        except (httpx.TransportError, EOFError):
            raise self._unavailable(
                f"the answer broke off after {rows:,} rows; it is incomplete and was not "
                "passed on as complete",
                f"应答在 {rows:,} 行后中断，数据不完整",
            ) from None
        finally:
            response.close()

    # -- grants -----------------------------------------------------------------------

    def _grant(self, table: str, fields: set[str], query: dict[str, Any]) -> str:
        key = self._ready()
        return signing.mint_grant(
            key, self._platform_key_id, self.node, self.source, table, sorted(fields), query
        )

    def _read_body(self, spec: SelectSpec, timeout_s: float) -> dict[str, Any]:
        query = wire.spec_to_json(spec)
        fields = set(spec.columns) | {name for name, _ in spec.order_by}
        for condition in spec.filters:
            fields.add(condition.field)
            if condition.op == "any" and isinstance(condition.value, list):
                fields |= {sub.field for sub in condition.value if isinstance(sub, Filter)}
        return {
            "source": self.source,
            "query": query,
            "grant": self._grant(spec.table, fields, query),
            "timeout_s": timeout_s,
        }

    # -- the contract -----------------------------------------------------------------

    def health(self) -> HealthReport:
        started = time.perf_counter()
        try:
            answer = self._json("health", {}, 5.0)
        except ConnectorError as failure:
            return HealthReport(False, (time.perf_counter() - started) * 1000, failure.message_zh)
        latency = (time.perf_counter() - started) * 1000
        source = answer.get("sources", {}).get(self.source)
        if source is None:
            return HealthReport(False, latency, f"前置机 {self.node} 没有数据源 {self.source}")
        return HealthReport(
            bool(source.get("ok")),
            latency,
            f"前置机 {self.node}（版本 {answer.get('version')}）：{source.get('message')}",
        )

    def node_health(self) -> dict[str, Any]:
        """The node's own answer to a health check: its version and each source's health."""
        answer: dict[str, Any] = self._json("health", {}, 5.0)
        return answer

    def catalog(self) -> list[dict[str, Any]]:
        """What a peer platform publishes up (its `catalog` source): resources and items."""
        return list(self._json("catalog", {"source": self.source}, 10.0)["resources"])

    def tables(self) -> list[str]:
        return [str(t) for t in self._json("tables", {"source": self.source}, 10.0)["tables"]]

    def columns(self, table: str) -> list[ColumnInfo]:
        answer = self._json("columns", {"source": self.source, "table": table}, 10.0)
        return [
            ColumnInfo(c["name"], DataType(c["data_type"]), c["native_type"], bool(c["nullable"]),
                       bool(c["is_key"]), bool(c["indexed"]))
            for c in answer["columns"]
        ]  # fmt: skip

    def _row_batches(self, frames: Iterator[Any]) -> Generator[Batch, None, None]:
        for item in frames:
            if isinstance(item, pa.RecordBatch):
                yield wire.rows_of(item)

    def select(
        self, spec: SelectSpec, *, timeout_s: float = 10.0, batch_size: int = 5000
    ) -> RowStream:
        body = self._read_body(spec, timeout_s)
        body["batch_size"] = batch_size
        return prime(self._row_batches(self._frames("select", body, timeout_s)))

    def select_arrow(
        self, spec: SelectSpec, *, timeout_s: float = 10.0, batch_size: int = 65536
    ) -> ArrowStream:
        """The node's answer as it came: RecordBatches where the node's source has an Arrow
        path, else batches of rows (exactly what the direct path would give)."""
        body = self._read_body(spec, timeout_s)
        body["batch_size"] = batch_size
        body["arrow"] = True

        def batches() -> Generator[Any, None, None]:
            frames = self._frames("select", body, timeout_s)
            by_rows = False
            for item in frames:
                if isinstance(item, pa.Schema):
                    by_rows = wire.by_rows(item)
                elif by_rows:
                    yield wire.rows_of(item)
                else:
                    yield item

        return prime_arrow(cast(Generator[pa.RecordBatch, None, None], batches()))

    def count(self, spec: SelectSpec, *, timeout_s: float = 10.0) -> int:
        body = self._read_body(spec, timeout_s)
        return int(self._json("count", body, timeout_s)["count"])

    def lookup(
        self,
        table: str,
        columns: Sequence[str],
        key: str,
        value: Any,
        *,
        timeout_s: float = 2.0,
        limit: int | None = 1000,
    ) -> list[tuple[Any, ...]]:
        query = {"table": table, "columns": list(columns), "key": key,
                 "value": wire.spec_to_json(SelectSpec(table, [key], [Filter(key, "eq", value)]))
                 ["filters"][0]["value"], "limit": limit}  # fmt: skip
        body = {
            "source": self.source,
            "query": query,
            "grant": self._grant(table, {*columns, key}, query),
            "timeout_s": timeout_s,
        }
        rows: list[tuple[Any, ...]] = []
        for batch in self._row_batches(self._frames("lookup", body, timeout_s)):
            rows.extend(batch)
        return rows

    def close(self) -> None:
        self._client.close()
