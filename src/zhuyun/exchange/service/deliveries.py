"""The delivery worker: reads each active subscription's changes into deliveries and pushes
webhook deliveries, oldest first, until the receiver answers 2xx.

A webhook request is signed the Standard Webhooks way (`webhook-id` = the delivery id,
`webhook-timestamp`, `webhook-signature: v1,<HMAC-SHA256>` under the subscription's
`whsec_…` secret), so any receiver verifies it with a stock library. A failed attempt is
retried after a backoff that doubles up to a ceiling; later deliveries wait behind it, so a
receiver sees batches in order. The worker holds no state of its own: everything it needs
is in the platform database, so it may stop at any point and start again — in the platform
process (`ZHUYUN_EXCHANGE_DELIVERY_INTERVAL`) or as `zhuyun exchange deliver`.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from standardwebhooks.webhooks import Webhook

from zhuyun.core.calendar import china_today
from zhuyun.core.db import Database, utcnow
from zhuyun.core.errors import Problem
from zhuyun.core.ledger import Subject, record
from zhuyun.core.secret_box import open_sealed
from zhuyun.core.settings import Settings
from zhuyun.exchange.connectors import ConnectorError
from zhuyun.exchange.models import Delivery, Subscription
from zhuyun.exchange.service import subscriptions
from zhuyun.exchange.service.policy import Refused

__all__ = ["DeliveryReport", "DeliveryWorker", "deliver_once", "sign"]

log = logging.getLogger(__name__)
MAX_BACKOFF_S = 600.0
POLLS_PER_PASS = 10  # batches read per subscription per pass: a backlog drains in steps
PUSH_TIMEOUT_S = 10.0


@dataclass
class DeliveryReport:
    read: int = 0
    delivered: int = 0
    failed: int = 0
    suspended: int = 0


def sign(secret: str, delivery_id: str, body: str, at: datetime) -> dict[str, str]:
    """The Standard Webhooks headers of one delivery."""
    return {
        "webhook-id": delivery_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(delivery_id, at, body),
    }


def backoff(attempts: int, base_s: float) -> timedelta:
    return timedelta(seconds=min(base_s * 2 ** max(attempts - 1, 0), MAX_BACKOFF_S))


def _pushed_ids(database: Database) -> list[int]:
    """The active webhook subscriptions (a pull subscription is read when it pulls: the
    platform holds no batch nobody asked for)."""
    with database.session() as session:
        return list(
            session.scalars(
                select(Subscription.id)
                .where(
                    Subscription.status == subscriptions.Status.ACTIVE.value,
                    Subscription.mode == subscriptions.Mode.WEBHOOK.value,
                )
                .order_by(Subscription.id)
            )
        )


def _read(
    database: Database, secret_key: str, subscription_id: int, report: DeliveryReport
) -> bool:
    """Read one batch for the subscription; whether there may be more to read now."""
    with database.session() as session:
        subscription = session.get(Subscription, subscription_id)
        if subscription is None or subscription.status != subscriptions.Status.ACTIVE:
            return False
        if len(subscriptions.pending(session, subscription.id, subscriptions.MAX_PENDING)) >= (
            subscriptions.MAX_PENDING
        ):
            return False  # the receiver is behind: read more once it catches up
        try:
            delivery = subscriptions.poll(session, secret_key, subscription, china_today())
        except Refused as refused:  # ledgered and rolled back by the gateway
            subscriptions.suspend(session, subscription, refused)
            report.suspended += 1
            return False
        except ConnectorError as failure:  # ledgered by the gateway; try again next pass
            subscription = session.get(Subscription, subscription_id)
            if subscription is not None:
                subscription.checked_at = utcnow()
                subscription.last_error = failure.message_zh[:500]
            return False
        if delivery is None:
            return False
        report.read += 1
        return True


def _push(
    database: Database,
    settings: Settings,
    client: httpx.Client,
    subscription_id: int,
    report: DeliveryReport,
) -> bool:
    """Push the subscription's oldest undelivered batch if it is due; whether it went."""
    secret_key = settings.secret_key.get_secret_value()
    with database.session() as session:
        subscription = session.get(Subscription, subscription_id)
        if subscription is None or subscription.status != subscriptions.Status.ACTIVE:
            return False
        waiting = subscriptions.pending(session, subscription.id, 1)
        if not waiting or waiting[0].next_attempt_at > utcnow():
            return False
        delivery = waiting[0]
        try:
            subscriptions.authorize(session, secret_key, subscription, china_today())
        except Refused as refused:
            subscription = session.get(Subscription, subscription_id)
            assert subscription is not None
            subscriptions.suspend(session, subscription, refused)
            report.suspended += 1
            return False
        body = json.dumps(
            {
                "delivery_id": delivery.delivery_id,
                "subscription_id": subscription.id,
                "resource_id": subscription.resource_id,
                "seq": delivery.seq,
                "created_at": delivery.created_at.isoformat(),
                **subscriptions.payload_of(delivery, secret_key),
            },
            ensure_ascii=False,
        )
        url = str(subscription.webhook_url)
        secret = open_sealed(str(subscription.secret_sealed), secret_key)
        delivery_pk, delivery_id = delivery.id, delivery.delivery_id
    # The call goes out with no transaction open: a slow receiver holds up nobody.
    error = _post(client, url, body, sign(secret, delivery_id, body, datetime.now(UTC)))
    with database.session() as session:
        sent = session.get(Delivery, delivery_pk)
        subscription = session.get(Subscription, subscription_id)
        assert sent is not None and subscription is not None
        delivery = sent
        if delivery.status != "pending":
            return False  # another worker finished it meanwhile
        delivery.attempts += 1
        attrs: dict[str, Any]
        if error is None:
            delivery.status = "delivered"
            delivery.delivered_at = utcnow()
            delivery.payload_sealed = None
            delivery.last_error = None
            subscription.last_delivered_at = delivery.delivered_at
            report.delivered += 1
            activity, attrs = "exchange.changes_delivered", {"rows": delivery.rows}
        else:
            delivery.last_error = error[:500]
            delivery.next_attempt_at = utcnow() + backoff(
                delivery.attempts, settings.exchange_delivery_retry
            )
            report.failed += 1
            activity, attrs = "exchange.delivery_failed", {"error": error[:200]}
        session.flush()
        record(
            session,
            subscriptions.reader(subscription).as_actor(),
            activity,
            Subject("subscription", subscription.id),
            {"mode": "webhook", "delivery_ids": [delivery.delivery_id],
             "attempt": delivery.attempts, **attrs},
        )  # fmt: skip
    return error is None


def _post(client: httpx.Client, url: str, body: str, headers: dict[str, str]) -> str | None:
    """None when the receiver took the delivery (2xx), else what went wrong."""
    try:
        response = client.post(
            url,
            content=body.encode(),
            headers={**headers, "content-type": "application/json"},
            timeout=PUSH_TIMEOUT_S,
        )
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: the receiver did not answer"
    if 200 <= response.status_code < 300:
        return None
    return f"HTTP {response.status_code}"


def deliver_once(
    database: Database, settings: Settings, client: httpx.Client | None = None
) -> DeliveryReport:
    """One pass over the active webhook subscriptions: read new changes, push what is due."""
    report = DeliveryReport()
    secret_key = settings.secret_key.get_secret_value()
    own_client = client is None
    http = client or httpx.Client(follow_redirects=False)
    try:
        for subscription_id in _pushed_ids(database):
            try:
                for _ in range(POLLS_PER_PASS):
                    if not _read(database, secret_key, subscription_id, report):
                        break
                for _ in range(subscriptions.MAX_PENDING):
                    if not _push(database, settings, http, subscription_id, report):
                        break
            except (IntegrityError, Problem) as conflict:  # another worker got there first
                log.info("subscription %s skipped this pass: %s", subscription_id, conflict)
    finally:
        if own_client:
            http.close()
    return report


class DeliveryWorker:
    """`deliver_once` every `interval` seconds on a daemon thread, until stopped."""

    def __init__(
        self,
        database: Database,
        settings: Settings,
        on_pass: Callable[[DeliveryReport], None] | None = None,
    ) -> None:
        self.database = database
        self.settings = settings
        self.on_pass = on_pass
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="zhuyun-deliveries", daemon=True)

    def start(self) -> DeliveryWorker:
        self._thread.start()
        return self

    def _run(self) -> None:
        with httpx.Client(follow_redirects=False) as client:
            while not self._stop.wait(self.settings.exchange_delivery_interval):
                try:
                    report = deliver_once(self.database, self.settings, client)
                except Exception:  # the worker outlives a bad pass; the next one retries
                    log.exception("delivery pass failed")
                    continue
                if self.on_pass is not None:
                    self.on_pass(report)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=PUSH_TIMEOUT_S + 5)
