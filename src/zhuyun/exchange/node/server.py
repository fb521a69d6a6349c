"""The node's HTTP app (Starlette under uvicorn): it answers only requests the central
platform signed, that are fresh, never seen before, and carry a grant token for exactly
this read; everything else is refused with a problem (both languages) and logged.

| path | body | answer |
|---|---|---|
| `POST /v1/health` | `{}` | version and each source's health (JSON) |
| `POST /v1/tables` | `{source}` | the source's tables (JSON) |
| `POST /v1/columns` | `{source, table}` | the table's columns (JSON) |
| `POST /v1/select` | `{source, query, grant, timeout_s, batch_size, arrow}` | frames |
| `POST /v1/lookup` | `{source, query: {table, columns, key, value, limit}, grant, …}` | frames |
| `POST /v1/count` | `{source, query, grant, timeout_s}` | `{count}` (JSON) |
| `POST /v1/catalog` | `{source}` | what a source publishes up, if it does (JSON) |

A district platform answers its city platform with this same app, mounted in its own
(`exchange.service.upward`): one source, its catalog, read through its own gateway.

JSON answers carry `X-Zhuyun-Answer-Signature`; framed answers end with a signed trailer.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from zhuyun import __version__
from zhuyun.core.errors import PROBLEM_MEDIA_TYPE, Problem
from zhuyun.core.ledger import Subject
from zhuyun.exchange.connectors import (
    ColumnInfo,
    Connector,
    ConnectorError,
    SelectSpec,
    connect,
)
from zhuyun.exchange.node import signing, wire
from zhuyun.exchange.node.config import NodeConfig
from zhuyun.exchange.node.keys import KeyRing
from zhuyun.exchange.node.message_log import MessageLog

log = logging.getLogger("zhuyun.node")
MAX_BODY = 1024 * 1024
MAX_TIMEOUT_S = 600.0
MAX_BATCH = 100_000
COLUMNS_TTL_S = 60.0
FRAMED = "application/vnd.zhuyun.frames"


class Refusal(Problem):
    """A request the node will not answer; its code names the check that failed."""

    def __init__(self, status: int, code: str, en: str, zh: str) -> None:
        super().__init__(en, zh, status=status, code=code)


_REFUSALS: dict[str, tuple[int, str, str]] = {
    "unsigned": (401, "The request is not signed by the platform.", "请求未经平台签名。"),
    "unknown-key": (
        401,
        "The request is signed with a key this node does not trust.",
        "请求签名所用的密钥不受本节点信任。",
    ),
    "stale": (
        401,
        "The request's timestamp is outside the node's window; check the clocks.",
        "请求时间戳超出本节点允许的时间窗口，请检查双方时钟。",
    ),
    "bad-signature": (
        401,
        "The request's signature does not verify (forged or altered on the way).",
        "请求签名校验失败（伪造或在传输中被篡改）。",
    ),
    "replayed": (
        401,
        "The request's nonce was used before: a replayed request is never answered.",
        "请求的随机数已被使用过：重放的请求不予应答。",
    ),
    "malformed": (400, "The request body is not what the platform sends.", "请求内容格式不正确。"),
    "too-large": (413, "The request body is too large.", "请求内容过大。"),
    "grant-missing": (403, "The read carries no grant token.", "该读取请求未携带授权令牌。"),
    "grant-malformed": (403, "The grant token is malformed.", "授权令牌格式不正确。"),
    "grant-untrusted": (
        403,
        "The grant token is issued by a key this node does not trust.",
        "授权令牌的签发密钥不受本节点信任。",
    ),
    "grant-bad-signature": (403, "The grant token is forged.", "授权令牌签名无效（伪造）。"),
    "grant-expired": (403, "The grant token has expired.", "授权令牌已过期。"),
    "grant-scope": (
        403,
        "The grant token does not cover this read (node, source, table, columns or query).",
        "授权令牌不涵盖本次读取（节点、数据源、表、字段或查询不符）。",
    ),
    "unknown-source": (404, "This node serves no such source.", "本节点没有该数据源。"),
    "unknown-operation": (404, "No such operation.", "不支持该操作。"),
}


def refusal(code: str) -> Refusal:
    status, en, zh = _REFUSALS[code]
    return Refusal(status, f"node-{code}", en, zh)


@dataclass(frozen=True)
class Authorised:
    body: dict[str, Any]
    nonce: str
    platform_key_id: str


def _problem_response(problem: Problem, path: str) -> Response:
    return Response(
        json.dumps(problem.body(path), ensure_ascii=False),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=problem.headers,
    )


class NodeService:
    """The node: its sources' connectors, its keys, its message log."""

    def __init__(self, config: NodeConfig, connectors: dict[str, Connector] | None = None) -> None:
        self.config = config
        self.keys = KeyRing(config.key_file, config.trusted_file)
        self.keys.key()  # fails at start when `zhuyun node init` was not run
        self.log = MessageLog(config.log_url, config.timestamp_window_s)
        self.connectors: dict[str, Connector] = (
            connectors
            if connectors is not None
            else {name: connect(source) for name, source in config.sources.items()}
        )
        self._columns: dict[tuple[int, str], tuple[float, list[ColumnInfo]]] = {}

    def close(self) -> None:
        for connector in self.connectors.values():
            connector.close()
        self.log.close()

    def columns(self, connector: Connector, table: str) -> list[ColumnInfo]:
        """A table's columns, introspected at most once a minute (the answers' schema)."""
        key = (id(connector), table)
        cached = self._columns.get(key)
        if cached is not None and time.monotonic() - cached[0] < COLUMNS_TTL_S:
            return cached[1]
        columns = connector.columns(table)
        self._columns[key] = (time.monotonic(), columns)
        return columns

    # -- checks -----------------------------------------------------------------------

    def authenticate(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> Authorised:
        kid = headers.get(signing.HEADER_KEY_ID.lower())
        stamp = headers.get(signing.HEADER_TIMESTAMP.lower())
        nonce = headers.get(signing.HEADER_NONCE.lower())
        signature = headers.get(signing.HEADER_SIGNATURE.lower())
        if not (kid and stamp and nonce and signature):
            raise refusal("unsigned")
        if len(nonce) > 64 or len(kid) > 64 or len(signature) > 200:
            raise refusal("malformed")
        key = self.keys.trusted().get(kid)
        if key is None:
            raise refusal("unknown-key")
        now = time.time()
        if not stamp.isdigit() or abs(now - int(stamp)) > self.config.timestamp_window_s:
            raise refusal("stale")
        message = signing.canonical_request(
            method, path, signing.body_digest(body), stamp, nonce, kid
        )
        try:
            signing.verify(key, signature, message)
        except signing.SignatureInvalid:
            raise refusal("bad-signature") from None
        if not self.log.claim_nonce(nonce, now):
            raise refusal("replayed")
        try:
            parsed = json.loads(body) if body else {}
        except ValueError:
            raise refusal("malformed") from None
        if not isinstance(parsed, dict):
            raise refusal("malformed")
        return Authorised(parsed, nonce, kid)

    def connector(self, body: dict[str, Any]) -> tuple[str, Connector]:
        name = body.get("source")
        connector = self.connectors.get(name) if isinstance(name, str) else None
        if connector is None:
            raise refusal("unknown-source")
        return str(name), connector

    def check_grant(
        self, body: dict[str, Any], source: str, table: str, fields: set[str]
    ) -> signing.GrantClaims:
        token = body.get("grant")
        if not token:
            raise refusal("grant-missing")
        try:
            claims = signing.read_grant(str(token), self.keys.trusted(), time.time())
        except signing.SignatureInvalid as exc:
            raise refusal(exc.code) from None
        if (
            claims.node != self.config.name
            or claims.source != source
            or claims.table != table
            or not fields <= set(claims.columns)
            or claims.query != signing.spec_digest(body.get("query") or {})
        ):
            raise refusal("grant-scope")
        return claims

    # -- answers ----------------------------------------------------------------------

    def signed_json(self, value: Any, nonce: str) -> Response:
        content = wire.dumps(value)
        key, kid = self.keys.key()
        digest = signing.body_digest(content)
        return Response(
            content,
            media_type="application/json",
            headers={
                signing.HEADER_ANSWER_KEY_ID: kid,
                signing.HEADER_ANSWER_SIGNATURE: signing.sign(
                    key, signing.answer_message(nonce, digest, 0)
                ),
            },
        )

    def frames(
        self,
        auth: Authorised,
        op: str,
        source: str,
        spec: SelectSpec,
        first: pa.Schema,
        batches: Iterator[Any],
        close: Any,
    ) -> Iterator[bytes]:
        """Schema, batches, trailer; a failure after the start becomes an `E` frame."""
        hasher = hashlib.sha256()
        rows = 0
        completed = False

        def emit(kind: bytes, payload: bytes) -> bytes:
            data = wire.frame(kind, payload)
            hasher.update(data)
            return data

        try:
            yield emit(b"S", first.serialize().to_pybytes())
            for batch in batches:
                rows += batch.num_rows
                yield emit(b"B", batch.serialize().to_pybytes())
            completed = True
            digest = hasher.hexdigest()
            key, kid = self.keys.key()
            trailer = {
                "rows": rows,
                "digest": digest,
                "key_id": kid,
                "signature": signing.sign(key, signing.answer_message(auth.nonce, digest, rows)),
            }
            yield wire.frame(b"T", wire.dumps(trailer))
        except ConnectorError as failure:
            log.warning("node %s: %s failed mid-stream: %s", self.config.name, op, failure.code)
            yield wire.frame(b"E", wire.dumps(failure.body()))
        except Exception:
            log.exception("node %s: %s failed mid-stream", self.config.name, op)
            internal = Problem(
                "The node could not encode its answer; see the node's log.",
                "前置机无法编码应答，请查看前置机日志。",
                status=500,
                code="node-internal",
            )
            yield wire.frame(b"E", wire.dumps(internal.body()))
        finally:
            close()
            self.log.write(
                "node.answered",
                Subject("source", source),
                {
                    "op": op,
                    "table": spec.table,
                    "columns": list(spec.columns),
                    "rows": rows,
                    "digest": hasher.hexdigest(),
                    "nonce": auth.nonce,
                    "platform_key_id": auth.platform_key_id,
                    "completed": completed,
                },
            )

    def row_batches(
        self, spec: SelectSpec, stream: Iterator[Any], connector: Connector
    ) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
        """Row batches as Arrow, the schema from the source's columns and the first batch."""
        first = next(stream, None)
        schema = wire.arrow_schema(spec.columns, self.columns(connector, spec.table), first or [])

        def batches() -> Iterator[pa.RecordBatch]:
            if first:
                yield wire.arrow_batch(schema, first)
            for batch in stream:
                yield wire.arrow_batch(schema, batch)

        return schema, batches()


def _timeout(body: dict[str, Any], default: float) -> float:
    value = body.get("timeout_s", default)
    if not isinstance(value, int | float) or not 0 < value <= MAX_TIMEOUT_S:
        raise refusal("malformed")
    return float(value)


def _fields(spec: SelectSpec) -> set[str]:
    names = set(spec.columns) | {name for name, _ in spec.order_by}
    for f in spec.filters:
        names.add(f.field)
        if f.op == "any" and isinstance(f.value, list):
            names |= {sub.field for sub in f.value}
    return names


def _lifespan(service: NodeService) -> Any:
    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        service.close()

    return lifespan


def create_node_app(
    config: NodeConfig, connectors: dict[str, Connector] | None = None
) -> Starlette:
    """The node's app; `connectors` replace the configured sources (a platform's peer)."""
    service = NodeService(config, connectors)

    def refuse(problem: Problem, request: Request, kid: str | None) -> Response:
        client = request.client.host if request.client else None
        log.warning("node %s refused %s: %s", config.name, request.url.path, problem.code)
        service.log.write(
            "node.refused",
            Subject("node", config.name),
            {
                "code": problem.code,
                "path": request.url.path[:100],
                "claimed_key_id": (kid or "")[:64] or None,
                "client": client,
                "status": problem.status,
            },
        )
        return _problem_response(problem, request.url.path)

    def run(op: str, auth: Authorised) -> Response:
        body = auth.body
        if op == "health":
            sources = {}
            for name, connector in service.connectors.items():
                report = connector.health()
                sources[name] = {"ok": report.ok, "latency_ms": round(report.latency_ms, 2),
                                 "message": report.message}  # fmt: skip
            return service.signed_json(
                {"node": config.name, "version": __version__, "sources": sources}, auth.nonce
            )
        source, connector = service.connector(body)
        if op == "tables":
            return service.signed_json({"tables": connector.tables()}, auth.nonce)
        if op == "catalog":
            published = getattr(connector, "catalog", None)
            if published is None:
                raise refusal("unknown-operation")
            return service.signed_json({"resources": published()}, auth.nonce)
        if op == "columns":
            table = body.get("table")
            if not isinstance(table, str):
                raise refusal("malformed")
            described = [
                {"name": c.name, "data_type": c.data_type.value, "native_type": c.native_type,
                 "nullable": c.nullable, "is_key": c.is_key, "indexed": c.indexed}
                for c in connector.columns(table)
            ]  # fmt: skip
            return service.signed_json({"columns": described}, auth.nonce)
        if op == "lookup":
            query = body.get("query")
            if not isinstance(query, dict):
                raise refusal("malformed")
            table, columns, key = query.get("table"), query.get("columns"), query.get("key")
            limit = query.get("limit")
            if (
                not isinstance(table, str)
                or not isinstance(key, str)
                or not isinstance(columns, list)
                or not all(isinstance(c, str) for c in columns)
                or (limit is not None and not isinstance(limit, int))
            ):
                raise refusal("malformed")
            service.check_grant(body, source, table, {*columns, key})
            timeout_s = _timeout(body, 2.0)
            rows = connector.lookup(table, columns, key, query.get("value"), timeout_s=timeout_s)
            if limit is not None:
                rows = rows[:limit]
            spec = SelectSpec(table, columns)
            schema, batches = service.row_batches(spec, iter([rows]), connector)
            return StreamingResponse(
                service.frames(auth, op, source, spec, schema, batches, lambda: None),
                media_type=FRAMED,
            )
        if op in ("select", "count"):
            try:
                spec = wire.spec_from_json(body.get("query"))
            except wire.BadQuery:
                raise refusal("malformed") from None
            service.check_grant(body, source, spec.table, _fields(spec))
            if op == "count":
                count = connector.count(spec, timeout_s=_timeout(body, 10.0))
                return service.signed_json({"count": count}, auth.nonce)
            timeout_s = _timeout(body, 10.0)
            batch_size = body.get("batch_size", 5000)
            if not isinstance(batch_size, int) or not 0 < batch_size <= MAX_BATCH:
                raise refusal("malformed")
            arrow = None
            select_arrow = getattr(connector, "select_arrow", None)
            if body.get("arrow") and select_arrow is not None:
                arrow = select_arrow(spec, timeout_s=timeout_s, batch_size=batch_size)
            if arrow is not None:
                first = next(arrow, None)
                schema = first.schema if first is not None else pa.schema([])

                def arrow_batches() -> Iterator[pa.RecordBatch]:
                    if first is not None:
                        yield first
                    yield from arrow

                batches, close = arrow_batches(), arrow.close
            else:
                stream = connector.select(spec, timeout_s=timeout_s, batch_size=batch_size)
                schema, batches = service.row_batches(spec, stream, connector)
                close = getattr(stream, "close", lambda: None)
            return StreamingResponse(
                service.frames(auth, op, source, spec, schema, batches, close),
                media_type=FRAMED,
            )
        raise refusal("unknown-operation")

    async def endpoint(request: Request) -> Response:
        op = request.path_params["op"]
        headers = {k.lower(): v for k, v in request.headers.items()}
        kid = headers.get(signing.HEADER_KEY_ID.lower())
        try:
            length = int(headers.get("content-length") or 0)
        except ValueError:
            length = MAX_BODY + 1
        if length > MAX_BODY:
            return await run_in_threadpool(refuse, refusal("too-large"), request, kid)
        body = await request.body()
        try:
            if len(body) > MAX_BODY:
                raise refusal("too-large")
            # the path the platform signed: the same where this app is mounted under a prefix
            auth = await run_in_threadpool(
                service.authenticate, request.method, f"/v1/{op}", headers, body
            )
        except Refusal as problem:
            return await run_in_threadpool(refuse, problem, request, kid)
        try:
            return await run_in_threadpool(run, op, auth)
        except Refusal as problem:
            return await run_in_threadpool(refuse, problem, request, kid)
        except ConnectorError as failure:
            return _problem_response(failure, request.url.path)

    async def not_found(request: Request) -> Response:
        return await run_in_threadpool(refuse, refusal("unknown-operation"), request, None)

    app = Starlette(
        routes=[
            Route("/v1/{op:str}", endpoint, methods=["POST"]),
            Route("/{rest:path}", not_found, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
        ],
        lifespan=_lifespan(service),
    )
    app.state.node = service
    return app
