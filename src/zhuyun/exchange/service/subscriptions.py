"""Subscriptions: a consumer unit's standing order for the changes of a resource it may read.

Each change batch is a governed read like any query — the gateway's policy decides it
(deny by default, grants, row filters, masking), the source answers it where it lives
(directly or through its department node) and the ledger records it — read as the keyset
page after the subscription's watermark (see `change_tracking`). The batch becomes a
*delivery*: an id the receiver deduplicates by, its masked rows kept sealed until
acknowledged, and the watermark moved past it, all in one transaction. So a restart of the
platform loses nothing (the delivery and the watermark commit together, or neither does)
and a retry sends exactly what the first attempt sent (at least once; the id makes it once
for a receiver that remembers ids).

The policy is checked when subscribing, for every batch read and again before every
delivery is handed over: a refusal suspends the subscription, withdraws its undelivered
batches and moves the watermark back before them, so nothing read under a grant that no
longer holds is handed over, and nothing is lost when the subscription is resumed.
"""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhuyun.core.db import utcnow
from zhuyun.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from zhuyun.core.ledger import Subject, record
from zhuyun.core.secret_box import open_sealed, seal
from zhuyun.exchange.models import Delivery, Subscription
from zhuyun.exchange.service import gateway
from zhuyun.exchange.service.change_tracking import order_of, tracking_for
from zhuyun.exchange.service.policy import Refused
from zhuyun.exchange.service.sources import host_allowed
from zhuyun.identity.permissions import AccountKind, Permission, Principal, Role

__all__ = [
    "Mode",
    "SubscriptionDraft",
    "SubscriptionLag",
    "acknowledge",
    "authorize",
    "cancel",
    "get_visible",
    "lags",
    "list_subscriptions",
    "payload_of",
    "pending",
    "poll",
    "resume",
    "subscribe",
    "suspend",
]

DEFAULT_BATCH_ROWS = 500
MAX_PENDING = 20  # undelivered batches a subscription may hold before reading more


class Mode(StrEnum):
    WEBHOOK = "webhook"
    PULL = "pull"


class Status(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class SubscriptionDraft:
    resource_id: int
    items: Sequence[str]
    purpose: str
    mode: Mode
    idempotency_key: str
    webhook_url: str | None = None
    batch_rows: int = DEFAULT_BATCH_ROWS


@dataclass(frozen=True)
class SubscriptionLag:
    """How far behind a subscription is: undelivered batches and rows, and since when."""

    pending: int
    pending_rows: int
    oldest_pending_at: datetime | None


def reader(subscription: Subscription) -> Principal:
    """Who reads for a subscription: its unit, in the name of the account that subscribed."""
    return Principal(
        account_id=subscription.created_by,
        username=f"subscription-{subscription.id}",
        display_name=f"订阅 #{subscription.id}",
        kind=AccountKind.STAFF,
        unit_id=subscription.consumer_unit_id,
        via="subscription",
    )


def _request(subscription: Subscription) -> gateway.QueryRequest:
    return gateway.QueryRequest(
        resource_id=subscription.resource_id,
        items=list(subscription.items),
        purpose=subscription.purpose,
    )


def _check_webhook(url: str | None, allowed_hosts: Sequence[str]) -> str:
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url or "") > 500:
        raise Unprocessable(
            "A webhook subscription needs an http(s) URL of at most 500 characters.",
            "推送订阅须提供不超过 500 个字符的 http(s) 回调地址。",
            code="bad-webhook",
        )
    if not host_allowed(parts.hostname, allowed_hosts):
        raise Unprocessable(
            f"The platform may not call {parts.hostname}: ask the platform admin to allow it "
            "(ZHUYUN_SOURCE_HOSTS).",
            f"平台不允许访问 {parts.hostname}：请平台管理员放行（ZHUYUN_SOURCE_HOSTS）。",
            code="bad-webhook",
        )
    return str(url)


def _same(existing: Subscription, draft: SubscriptionDraft) -> bool:
    return (
        existing.resource_id == draft.resource_id
        and existing.items == list(dict.fromkeys(draft.items))
        and existing.mode == draft.mode.value
    )


def subscribe(
    session: Session,
    principal: Principal,
    secret_key: str,
    allowed_hosts: Sequence[str],
    draft: SubscriptionDraft,
    today: date,
) -> tuple[Subscription, str | None, bool]:
    """Subscribe the principal's unit; the policy must allow the read now. Returns the
    subscription, the webhook's signing secret (shown once, when created) and whether it
    was created now (the same idempotency key returns the first)."""
    key = draft.idempotency_key.strip()
    if not 8 <= len(key) <= 100:
        raise Unprocessable("The idempotency key must be 8 to 100 characters.",
                            "幂等键须为 8 至 100 个字符。", code="bad-idempotency-key")  # fmt: skip
    existing = _subscribed_with(session, principal, key)
    if existing is not None:
        if not _same(existing, draft):
            raise Conflict(
                "This idempotency key was used for a different subscription.",
                "该幂等键已用于另一个订阅。",
                code="idempotency-key-reused",
            )
        return existing, None, False
    if not 1 <= draft.batch_rows <= gateway.MAX_PAGE_ROWS:
        raise Unprocessable(
            f"A batch holds 1 to {gateway.MAX_PAGE_ROWS:,} rows.",
            f"每批变更为 1 至 {gateway.MAX_PAGE_ROWS:,} 行。",
            code="bad-batch-rows",
        )
    if draft.mode == Mode.WEBHOOK:
        url: str | None = _check_webhook(draft.webhook_url, allowed_hosts)
    elif draft.webhook_url:
        raise Unprocessable("A pull subscription has no webhook URL.",
                            "拉取订阅无需回调地址。", code="bad-webhook")  # fmt: skip
    else:
        url = None
    if tracking_for(session, draft.resource_id) is None:
        raise Conflict(
            f"The provider of resource {draft.resource_id} has not declared how its changes "
            "are found, so it cannot be subscribed to.",
            f"资源 {draft.resource_id} 的提供单位尚未声明变更追踪方式，暂不能订阅。",
            code="changes-not-tracked",
        )
    request = gateway.QueryRequest(draft.resource_id, list(draft.items), draft.purpose)
    prepared = gateway.prepare(session, secret_key, principal, request, today)  # policy now
    # Standard Webhooks secrets are whsec_ + base64 of random bytes
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode() if url else None
    subscription = Subscription(
        resource_id=draft.resource_id,
        consumer_unit_id=prepared.consumer.unit_id,
        created_by=principal.account_id,
        idempotency_key=key,
        items=list(dict.fromkeys(draft.items)),
        purpose=" ".join(draft.purpose.split())[:500],
        mode=draft.mode.value,
        webhook_url=url,
        secret_sealed=seal(secret, secret_key) if secret else None,
        batch_rows=draft.batch_rows,
        status=Status.ACTIVE.value,
        next_seq=1,
    )
    try:
        with session.begin_nested():
            session.add(subscription)
    except IntegrityError:  # the same key at the same moment: the first one won
        winner = _subscribed_with(session, principal, key)
        assert winner is not None
        return winner, None, False
    record(
        session,
        principal.as_actor(),
        "exchange.subscribed",
        Subject("subscription", subscription.id),
        {"resource_id": subscription.resource_id, "items": subscription.items,
         "purpose": subscription.purpose, "mode": subscription.mode,
         "webhook_host": urlsplit(url).hostname if url else None},
    )  # fmt: skip
    return subscription, secret, True


def _subscribed_with(session: Session, principal: Principal, key: str) -> Subscription | None:
    return session.scalar(
        select(Subscription).where(
            Subscription.created_by == principal.account_id, Subscription.idempotency_key == key
        )
    )


def _oversees(principal: Principal) -> bool:
    return principal.has_role(Role.PLATFORM_ADMIN) or principal.can(Permission.EXCHANGE_COORDINATE)


def get_visible(session: Session, principal: Principal, subscription_id: int) -> Subscription:
    """A subscription of the principal's unit (or any, for the big-data bureau)."""
    subscription = session.get(Subscription, subscription_id)
    if subscription is None or not (
        _oversees(principal) or subscription.consumer_unit_id == principal.unit_id
    ):
        raise NotFound(
            f"Subscription {subscription_id} does not exist or is not your unit's.",
            f"订阅 {subscription_id} 不存在或不属于本单位。",
            code="subscription-not-found",
        )
    return subscription


def _own(principal: Principal, subscription: Subscription) -> None:
    if subscription.consumer_unit_id != principal.unit_id:
        raise Forbidden(
            "Only the subscribing unit reads its changes.",
            "只有订阅单位本身才能读取变更数据。",
            code="not-subscriber",
        )


def list_subscriptions(
    session: Session, principal: Principal, unit_id: int | None, offset: int, limit: int
) -> tuple[list[Subscription], int]:
    """A unit's subscriptions, newest first; the big-data bureau may list any unit's or all."""
    if not _oversees(principal):
        if unit_id is not None and unit_id != principal.unit_id:
            raise Forbidden("You may only see your own unit's subscriptions.",
                            "您只能查看本单位的订阅。")  # fmt: skip
        unit_id = principal.unit_id
    query = select(Subscription)
    if unit_id is not None:
        query = query.where(Subscription.consumer_unit_id == unit_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Subscription.id.desc()).offset(offset).limit(limit)).all()
    return list(rows), total


def lags(session: Session, subscription_ids: Sequence[int]) -> dict[int, SubscriptionLag]:
    """Each subscription's undelivered batches, in one grouped query."""
    rows = session.execute(
        select(
            Delivery.subscription_id,
            func.count(),
            func.coalesce(func.sum(Delivery.rows), 0),
            func.min(Delivery.created_at),
        )
        .where(Delivery.subscription_id.in_(subscription_ids), Delivery.status == "pending")
        .group_by(Delivery.subscription_id)
    ).all()
    found = {r[0]: SubscriptionLag(int(r[1]), int(r[2]), r[3]) for r in rows}
    return {i: found.get(i, SubscriptionLag(0, 0, None)) for i in subscription_ids}


def pending(session: Session, subscription_id: int, limit: int) -> list[Delivery]:
    return list(
        session.scalars(
            select(Delivery)
            .where(Delivery.subscription_id == subscription_id, Delivery.status == "pending")
            .order_by(Delivery.seq)
            .limit(limit)
        )
    )


def payload_of(delivery: Delivery, secret_key: str) -> dict[str, Any]:
    """The batch as it is handed over: items, masked rows, what was masked and why."""
    if delivery.payload_sealed is None:
        raise Conflict(
            f"Delivery {delivery.delivery_id} was already handed over or withdrawn.",
            f"投递 {delivery.delivery_id} 已完成或已撤回。",
            code="delivery-gone",
        )
    payload: dict[str, Any] = json.loads(open_sealed(delivery.payload_sealed, secret_key))
    return payload


# -- reading changes ------------------------------------------------------------------------


def authorize(
    session: Session, secret_key: str, subscription: Subscription, today: date
) -> gateway.PreparedQuery:
    """The policy's decision for the subscription's read now (`Refused` if it no longer
    holds: the refusal is ledgered and the session's transaction rolled back)."""
    return gateway.prepare(session, secret_key, reader(subscription), _request(subscription), today)


def poll(
    session: Session,
    secret_key: str,
    subscription: Subscription,
    today: date,
    prepared: gateway.PreparedQuery | None = None,
) -> Delivery | None:
    """Read the next batch of changes after the watermark into a new delivery, or None when
    nothing changed. Raises `Refused` (policy) or a `ConnectorError` (source)."""
    tracking = tracking_for(session, subscription.resource_id)
    if tracking is None:
        raise Refused(
            "changes-not-tracked",
            "The provider no longer declares how the resource's changes are found.",
            "资源提供单位已取消变更追踪声明。",
            status=409,
        )
    prepared = prepared or authorize(session, secret_key, subscription, today)
    order = order_of(tracking, prepared.binding)
    columns = list(prepared.spec.columns)
    columns.extend(name for name, _ in order if name not in columns)
    after = None
    if subscription.watermark:
        after = gateway.decode_cursor(subscription.watermark, len(order), secret_key)
    prepared.spec = replace(
        prepared.spec,
        columns=columns,
        order_by=order,
        after=after,
        limit=min(subscription.batch_rows, prepared.decision.max_rows, gateway.MAX_PAGE_ROWS),
    )
    raw = gateway.read_rows(session, prepared)
    subscription.checked_at = utcnow()
    subscription.last_error = None
    if not raw:
        session.flush()
        return None
    seq = subscription.next_seq
    delivery_id = str(uuid.uuid4())
    page = gateway.answer_page(
        session, secret_key, prepared, raw,
        {"subscription_id": subscription.id, "delivery_id": delivery_id},
    )  # fmt: skip
    positions = [columns.index(name) for name, _ in order]
    watermark = gateway.encode_cursor([raw[-1][i] for i in positions], secret_key)
    payload = {
        "items": page.items,
        "rows": page.rows,
        "masked": page.masked,
        "basis": page.basis,
    }
    delivery = Delivery(
        subscription_id=subscription.id,
        seq=seq,
        delivery_id=delivery_id,
        rows=len(raw),
        payload_sealed=seal(json.dumps(payload, ensure_ascii=False), secret_key),
        watermark_before=subscription.watermark,
        status="pending",
        attempts=0,
        next_attempt_at=utcnow(),
        query_seq=page.ledger_seq,
    )
    session.add(delivery)
    # Compare-and-set: a second worker that read the same watermark fails here (or on the
    # delivery's unique sequence number) and rolls back; no change is read twice.
    moved = session.connection().execute(
        update(Subscription)
        .where(Subscription.id == subscription.id, Subscription.next_seq == seq)
        .values(next_seq=seq + 1, watermark=watermark, checked_at=subscription.checked_at,
                last_error=None)
    )  # fmt: skip
    if moved.rowcount != 1:
        raise Conflict("Another worker read this batch.", "另一个投递进程已读取该批变更。",
                       code="batch-taken")  # fmt: skip
    session.flush()
    session.refresh(subscription)
    record(
        session,
        reader(subscription).as_actor(),
        "exchange.changes_read",
        Subject("subscription", subscription.id),
        {"delivery_id": delivery_id, "seq": seq, "rows": len(raw), "query_seq": page.ledger_seq,
         "resource_id": subscription.resource_id},
    )  # fmt: skip
    return delivery


def suspend(session: Session, subscription: Subscription, refused: Refused) -> int:
    """Suspend a subscription whose read the policy refuses: its undelivered batches are
    withdrawn (their rows dropped) and the watermark moves back before the first of them,
    so a resumed subscription reads those changes again under the policy of that day."""
    withdrawn = pending(session, subscription.id, 1_000_000)
    if withdrawn:
        subscription.watermark = withdrawn[0].watermark_before
    for delivery in withdrawn:
        delivery.status = "withdrawn"
        delivery.payload_sealed = None
    subscription.status = Status.SUSPENDED.value
    subscription.status_reason = refused.message_zh[:500]
    session.flush()
    record(
        session,
        reader(subscription).as_actor(),
        "exchange.subscription_suspended",
        Subject("subscription", subscription.id),
        {"rule": refused.rule, "withdrawn": [d.delivery_id for d in withdrawn]},
    )
    return len(withdrawn)


def acknowledge(
    session: Session, principal: Principal, subscription: Subscription, up_to_seq: int
) -> int:
    """A pull consumer confirms every batch up to `up_to_seq`: their rows are dropped."""
    _own(principal, subscription)
    if up_to_seq >= subscription.next_seq:
        raise Unprocessable(
            f"No delivery {up_to_seq} has been handed out yet (the last is "
            f"{subscription.next_seq - 1}).",
            f"尚无序号为 {up_to_seq} 的投递（最新为 {subscription.next_seq - 1}）。",
            code="bad-after",
        )
    acked = [d for d in pending(session, subscription.id, 1_000_000) if d.seq <= up_to_seq]
    if not acked:
        return 0
    now = utcnow()
    for delivery in acked:
        delivery.status = "delivered"
        delivery.payload_sealed = None
        delivery.delivered_at = now
        delivery.attempts += 1
    subscription.last_delivered_at = now
    session.flush()
    record(
        session,
        principal.as_actor(),
        "exchange.changes_delivered",
        Subject("subscription", subscription.id),
        {"mode": Mode.PULL.value, "delivery_ids": [d.delivery_id for d in acked],
         "rows": sum(d.rows for d in acked)},
    )  # fmt: skip
    return len(acked)


def changes(
    session: Session,
    principal: Principal,
    secret_key: str,
    subscription_id: int,
    after: int | None,
    limit: int,
    today: date,
) -> tuple[Subscription, list[tuple[Delivery, dict[str, Any]]]]:
    """The pull consumer's call: acknowledge up to `after`, then the next undelivered
    batches, reading more from the source until `limit` wait or nothing more changed."""
    subscription = get_visible(session, principal, subscription_id)
    _own(principal, subscription)
    if subscription.mode != Mode.PULL:
        raise Conflict("This subscription is pushed to its webhook; it is not pulled.",
                       "该订阅为推送方式，不能拉取。", code="not-pull")  # fmt: skip
    if after is not None and acknowledge(session, principal, subscription, after):
        session.commit()  # confirmed stays confirmed, whatever the policy says next
    if subscription.status != Status.ACTIVE:
        raise Conflict(
            f"The subscription is {subscription.status}: {subscription.status_reason or ''}",
            f"订阅已{'暂停' if subscription.status == Status.SUSPENDED else '取消'}："
            f"{subscription.status_reason or ''}",
            code=f"subscription-{subscription.status}",
        )
    try:
        prepared = authorize(session, secret_key, subscription, today)
    except Refused as refused:
        suspend(session, subscription, refused)
        session.commit()
        raise
    waiting = pending(session, subscription.id, limit)
    while len(waiting) < limit:
        read = poll(session, secret_key, subscription, today, replace(prepared))
        if read is None:
            break
        waiting.append(read)
    return subscription, [(d, payload_of(d, secret_key)) for d in waiting]


# -- the consumer's controls ----------------------------------------------------------------


def cancel(session: Session, principal: Principal, subscription_id: int) -> Subscription:
    subscription = get_visible(session, principal, subscription_id)
    if not principal.has_role(Role.PLATFORM_ADMIN):
        _own(principal, subscription)
    if subscription.status != Status.CANCELLED:
        dropped = pending(session, subscription.id, 1_000_000)
        for delivery in dropped:
            delivery.status = "withdrawn"
            delivery.payload_sealed = None
        subscription.status = Status.CANCELLED.value
        subscription.status_reason = "订阅已取消"
        session.flush()
        record(session, principal.as_actor(), "exchange.unsubscribed",
               Subject("subscription", subscription.id), {"withdrawn": len(dropped)})  # fmt: skip
    return subscription


def resume(
    session: Session, principal: Principal, secret_key: str, subscription_id: int, today: date
) -> Subscription:
    """Resume a suspended subscription once the policy allows its read again."""
    subscription = get_visible(session, principal, subscription_id)
    _own(principal, subscription)
    if subscription.status == Status.CANCELLED:
        raise Conflict(
            "A cancelled subscription is not resumed: subscribe again.",
            "已取消的订阅不能恢复，请重新订阅。",
            code="subscription-cancelled",
        )
    if subscription.status == Status.SUSPENDED:
        authorize(session, secret_key, subscription, today)  # Refused: stays suspended
        subscription.status = Status.ACTIVE.value
        subscription.status_reason = None
        session.flush()
        record(session, principal.as_actor(), "exchange.subscription_resumed",
               Subject("subscription", subscription.id), {})  # fmt: skip
    return subscription
