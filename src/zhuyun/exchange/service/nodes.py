"""Department nodes (前置机) on the platform: registration by a one-time code, approval,
key rotation and revocation, health; and the platform's own signing key.

The platform is the control plane: it keeps each node's URL and public key, never a
credential of the department's sources. A source of kind `node` (`node://<node>/<source>`)
gets its binding options from here — the node's URL, key and status — so approving,
rotating or revoking a node takes effect on the next query in every process.
"""

from __future__ import annotations

import hashlib
import threading
import time
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhuyun import __version__
from zhuyun.core.db import utcnow
from zhuyun.core.errors import Conflict, NotFound, Unprocessable
from zhuyun.core.ledger import SYSTEM, Subject, record
from zhuyun.core.settings import Settings
from zhuyun.exchange.connectors import SourceConfig, SourceKind
from zhuyun.exchange.connectors.node import NodeConnector, register_platform_key
from zhuyun.exchange.models import ExchangeNode, Source
from zhuyun.exchange.node import keys, signing
from zhuyun.identity.permissions import Principal
from zhuyun.identity.service.auth import record_refusal

__all__ = [
    "approve",
    "approve_code",
    "check_node",
    "get_node",
    "list_nodes",
    "node_options",
    "platform_key",
    "register",
    "revoke",
    "rotate",
]

_key_lock = threading.Lock()
_keys: dict[Path, tuple[Ed25519PrivateKey, str]] = {}
_current_kid = ""  # the key id last loaded: new node sources name it until a sync


def key_file(settings: Settings) -> Path:
    return (
        settings.exchange_signing_key_file
        or settings.data_dir / "exchange" / "platform_ed25519.pem"
    )


def platform_key(settings: Settings) -> tuple[Ed25519PrivateKey, str]:
    """The platform's signing key and its key id, created on first use (never logged)."""
    path = key_file(settings)
    with _key_lock:
        cached = _keys.get(path)
        if cached is None:
            key, _ = keys.load_or_create(path)
            cached = (key, register_platform_key(key))
            _keys[path] = cached
        global _current_kid
        _current_kid = cached[1]
    return cached


def platform_public(settings: Settings) -> tuple[str, str]:
    """(key id, public key text) of the platform: what a node trusts."""
    key, kid = platform_key(settings)
    return kid, signing.public_text(key.public_key())


def _bad_code(exc: signing.SignatureInvalid) -> Unprocessable:
    return Unprocessable(
        f"The registration code is not valid ({exc.code}): copy it again from `zhuyun node init`.",
        f"注册码无效（{exc.code}）：请重新复制 `zhuyun node init` 输出的注册码。",
        code="node-code-invalid",
    )


def _digest(registration: signing.Registration) -> str:
    return hashlib.sha256(registration.secret.encode()).hexdigest()


def get_node(session: Session, node_id: int) -> ExchangeNode:
    node = session.get(ExchangeNode, node_id)
    if node is None:
        raise NotFound(f"Node {node_id} does not exist.", f"前置机 {node_id} 不存在。",
                       code="node-not-found")  # fmt: skip
    return node


def list_nodes(session: Session, offset: int, limit: int) -> tuple[list[ExchangeNode], int]:
    total = session.scalar(select(func.count()).select_from(ExchangeNode)) or 0
    rows = session.scalars(
        select(ExchangeNode).order_by(ExchangeNode.name).offset(offset).limit(limit)
    ).all()
    return list(rows), total


def _used(session: Session, digest: str) -> bool:
    return (
        session.scalar(select(ExchangeNode.id).where(ExchangeNode.registration_digest == digest))
        is not None
    )


def register(session: Session, code: str, principal: Principal | None = None) -> ExchangeNode:
    """A new node from its registration code, pending the admin's approval."""
    try:
        registration = signing.read_registration(code)
    except signing.SignatureInvalid as exc:
        actor = principal.as_actor() if principal else SYSTEM
        record_refusal(
            session, "exchange.node_refused", Subject("node", "?"), {"rule": exc.code}, actor=actor
        )
        raise _bad_code(exc) from None
    if registration.previous_key_id is not None:
        raise Unprocessable(
            "This code announces a new key of a registered node: rotate, do not register.",
            "该注册码用于已登记节点的密钥轮换，请使用轮换接口。",
            code="node-code-is-rotation",
        )
    existing = session.scalar(select(ExchangeNode).where(ExchangeNode.name == registration.node))
    if existing is not None:
        if existing.registration_digest == _digest(registration):
            return existing  # the same code again: idempotent
        raise Conflict(
            f"A node named {registration.node} is already registered.",
            f"已有名为 {registration.node} 的前置机。",
            code="node-name-taken",
        )
    if not registration.url.startswith(("http://", "https://")) or len(registration.url) > 500:
        raise Unprocessable("The node's URL must be http(s).", "前置机地址须为 http(s) 地址。",
                            code="node-code-invalid")  # fmt: skip
    node = ExchangeNode(
        name=registration.node,
        unit=registration.unit[:200],
        url=registration.url.rstrip("/"),
        public_key=registration.public_key,
        key_id=registration.key_id,
        status="pending",
        registration_digest=_digest(registration),
    )
    session.add(node)
    session.flush()
    record(
        session,
        principal.as_actor() if principal else SYSTEM,
        "exchange.node_registered",
        Subject("node", node.name),
        {"unit": node.unit, "url": node.url, "key_id": node.key_id},
    )
    return node


def node_options(node: ExchangeNode, platform_kid: str) -> dict[str, Any]:
    return {
        "url": node.url,
        "node_key_id": node.key_id,
        "node_public_key": node.public_key,
        "platform_key_id": platform_kid,
        "status": node.status,
    }


def _sync_sources(session: Session, node: ExchangeNode, platform_kid: str) -> None:
    """Every source the node serves gets the node's current URL, key and status."""
    prefix = f"node://{node.name}/"
    for source in session.scalars(select(Source).where(Source.kind == SourceKind.NODE.value)):
        if source.location.startswith(prefix):
            source.options = node_options(node, platform_kid)
    session.flush()


def options_for_location(session: Session, location: str) -> dict[str, Any]:
    """The options of a new node source: from the node's row, never from the request."""
    name = location.removeprefix("node://").split("/", 1)[0]
    node = session.scalar(select(ExchangeNode).where(ExchangeNode.name == name))
    if not location.startswith("node://") or node is None or location.count("/") != 3:
        raise Unprocessable(
            "A node source's location is node://<registered node>/<source of the node>.",
            "前置机数据源的位置须为 node://<已登记的节点名>/<节点上的数据源名>。",
            code="bad-source",
        )
    return node_options(node, _current_kid)


def approve(
    session: Session, principal: Principal, settings: Settings, node_id: int
) -> ExchangeNode:
    node = get_node(session, node_id)
    if node.status == "revoked":
        raise Conflict(
            "A revoked node is not approved again: register it anew with a new key.",
            "已吊销的前置机不能再次批准：请以新密钥重新注册。",
            code="node-revoked",
        )
    if node.status != "approved":
        node.status = "approved"
        node.approved_at = utcnow()
        record(session, principal.as_actor(), "exchange.node_approved", Subject("node", node.name),
               {"key_id": node.key_id, "url": node.url})  # fmt: skip
    _sync_sources(session, node, platform_key(settings)[1])
    return node


def approve_code(
    session: Session, principal: Principal, settings: Settings, code: str
) -> ExchangeNode:
    """Register and approve in one step (`zhuyun exchange approve-node <code>`); a rotation
    code is checked against the node's current key instead."""
    try:
        registration = signing.read_registration(code)
    except signing.SignatureInvalid as exc:
        raise _bad_code(exc) from None
    if registration.previous_key_id is not None:
        return rotate(session, settings, code)
    node = register(session, code, principal)
    return approve(session, principal, settings, node.id)


def rotate(session: Session, settings: Settings, code: str) -> ExchangeNode:
    """A node's new key, announced signed by its current key: approved at once."""
    try:
        registration = signing.read_registration(code)
        node = session.scalar(select(ExchangeNode).where(ExchangeNode.name == registration.node))
        if node is None or node.status != "approved":
            raise signing.SignatureInvalid("rotation-unknown-node", "no approved node of that name")
        if registration.previous_key_id != node.key_id:
            raise signing.SignatureInvalid("rotation-wrong-key", "not signed by the current key")
        if _used(session, _digest(registration)):
            raise signing.SignatureInvalid("rotation-replayed", "this code was used before")
        signing.verify_rotation(registration, signing.public_from_text(node.public_key), code)
    except signing.SignatureInvalid as exc:
        record_refusal(session, "exchange.node_refused", Subject("node", registration_name(code)),
                       {"rule": exc.code}, actor=SYSTEM)  # fmt: skip
        raise Unprocessable(
            f"The key rotation is refused ({exc.code}): a new key must be announced by the "
            "node's current, unrevoked key.",
            f"密钥轮换被拒绝（{exc.code}）：新密钥须由该节点当前有效的密钥签名宣告。",
            code="node-rotation-refused",
        ) from None
    previous = node.key_id
    node.public_key = registration.public_key
    node.key_id = registration.key_id
    node.registration_digest = _digest(registration)
    if registration.url.startswith(("http://", "https://")):
        node.url = registration.url.rstrip("/")
    record(session, SYSTEM, "exchange.node_rotated", Subject("node", node.name),
           {"previous_key_id": previous, "key_id": node.key_id})  # fmt: skip
    _sync_sources(session, node, platform_key(settings)[1])
    return node


def registration_name(code: str) -> str:
    try:
        return signing.read_registration(code).node
    except signing.SignatureInvalid:
        return "?"


def revoke(
    session: Session, principal: Principal, settings: Settings, node_id: int, reason: str
) -> ExchangeNode:
    node = get_node(session, node_id)
    if node.status != "revoked":
        node.status = "revoked"
        node.revoked_at = utcnow()
        record(session, principal.as_actor(), "exchange.node_revoked", Subject("node", node.name),
               {"key_id": node.key_id, "reason": reason[:500]})  # fmt: skip
    _sync_sources(session, node, platform_key(settings)[1])
    return node


def check_node(session: Session, settings: Settings, node_id: int) -> ExchangeNode:
    """Ask the node for its health (a signed request) and remember version and latency."""
    node = get_node(session, node_id)
    kid = platform_key(settings)[1]
    connector = NodeConnector(
        SourceConfig(SourceKind.NODE, f"node://{node.name}/-", node_options(node, kid))
    )
    started = time.perf_counter()
    try:
        answer = connector.node_health()
        node.health_ok = all(s.get("ok") for s in answer.get("sources", {}).values())
        node.version = str(answer.get("version"))[:40]
        sources = answer.get("sources", {})
        node.health_message = f"在线，{len(sources)} 个数据源" + (
            "" if node.health_ok else "，部分数据源不可用"
        )
    except Exception as failure:  # a node that is down is a status, not an error
        node.health_ok = False
        node.health_message = str(getattr(failure, "message_zh", "无法连接"))[:500]
    finally:
        connector.close()
    node.latency_ms = round((time.perf_counter() - started) * 1000, 2)
    node.checked_at = utcnow()
    session.flush()
    return node


def platform_version() -> str:
    return __version__


def refuse_secret(secret: str | None) -> None:
    if secret:
        raise Unprocessable(
            "A node source has no credential on the platform: its node keeps it.",
            "前置机数据源在平台上不保存任何凭据：凭据只保存在前置机上。",
            code="node-source-secret",
        )
