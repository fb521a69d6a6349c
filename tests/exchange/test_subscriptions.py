"""Subscriptions in one process: a consumer unit subscribes to a resource's changes and pulls
them or receives them on its webhook — every change once (after dedup by delivery id), masked
as a query would be, ledgered — and the policy is checked again before every hand-over."""

from __future__ import annotations

import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.exchange.subscriptions_support import (
    ITEMS,
    PURPOSE,
    Receiver,
    changes_of,
    deduplicated,
    publish_permits,
    subscribe,
)
from tests.helpers import api_token, csrf, sign_in, token_for
from zhuyun.core.db import Database
from zhuyun.core.ledger import LedgerEntry
from zhuyun.core.settings import Settings
from zhuyun.demo.builder import DemoResult
from zhuyun.exchange.models import Delivery
from zhuyun.exchange.service.deliveries import deliver_once
from zhuyun.identity.permissions import Role


def _pull(client: TestClient, headers: dict[str, str], sid: int, after: int | None) -> Any:
    params = {"after": after} if after is not None else {}
    response = client.get(f"/api/exchange/subscriptions/{sid}/changes", headers=headers,
                          params=params)  # fmt: skip
    return response


def _drain(client: TestClient, headers: dict[str, str], sid: int, after: int | None) -> Any:
    """Pull until nothing is left; returns the batches and the last seq confirmed."""
    batches: list[dict[str, Any]] = []
    while True:
        response = _pull(client, headers, sid, after)
        assert response.status_code == 200, response.text
        body = response.json()
        if not body["deliveries"]:
            return batches, after
        batches.extend(body["deliveries"])
        after = body["next_after"]


def _entries(db: Database, activity: str) -> list[LedgerEntry]:
    with db.session() as session:
        return list(session.scalars(select(LedgerEntry).where(LedgerEntry.activity == activity)))


def test_a_pull_subscription_hands_over_every_change_once_masked_and_ledgered(
    client: TestClient, demo_city: DemoResult, demo_settings: Settings, db: Database
) -> None:
    provider = token_for(client, demo_city, "gongan.data")
    consumer = api_token(client, demo_city, Role.CASE_HANDLER)
    permits, _, resource_id = publish_permits(client, provider, demo_settings.sources_dir)
    expected = [(n, "有效") for n, _ in permits.insert(1, 25)]
    created = subscribe(client, consumer, resource_id, batch_rows=10)
    sid = created["id"]
    assert created["webhook_secret"] is None and created["status"] == "active"

    first = _pull(client, consumer, sid, None).json()["deliveries"]
    again = _pull(client, consumer, sid, None).json()["deliveries"]
    # not confirmed yet: the very same batch, under the same delivery id
    assert [d["delivery_id"] for d in again] == [d["delivery_id"] for d in first]
    assert [len(d["rows"]) for d in first] == [10, 10, 5]
    batches, after = _drain(client, consumer, sid, None)
    assert changes_of(batches) == expected
    assert all(d["items"] == ITEMS for d in batches)
    assert batches[0]["masked"]["id_number"]  # a resident ID is masked for another unit
    assert all("*" in row[1] for d in batches for row in d["rows"])
    assert [d["seq"] for d in batches] == [1, 2, 3]

    changed = [(n, "吊销") for n, _ in permits.update([3, 7], "吊销")]
    changed += [(n, "有效") for n, _ in permits.insert(26, 2)]
    more, after = _drain(client, consumer, sid, after)
    assert changes_of(more) == changed
    assert _pull(client, consumer, sid, after).json()["deliveries"] == []

    # each batch read is a governed query in the ledger, naming the subscription
    reads = [e for e in _entries(db, "exchange.query") if e.attrs.get("subscription_id") == sid]
    assert sorted(e.attrs["delivery_id"] for e in reads) == sorted(
        d["delivery_id"] for d in batches + more
    )
    assert all(e.attrs["masked"] == ["id_number"] for e in reads)
    confirmed = [
        i for e in _entries(db, "exchange.changes_delivered") if e.subject_id == str(sid)
        for i in e.attrs["delivery_ids"]
    ]  # fmt: skip
    assert sorted(confirmed) == sorted(d["delivery_id"] for d in batches + more)
    with db.session() as session:  # confirmed batches keep no copy of the rows
        kept = session.scalars(select(Delivery.payload_sealed).where(
            Delivery.subscription_id == sid)).all()  # fmt: skip
    assert kept and all(payload is None for payload in kept)

    listed = client.get("/api/exchange/subscriptions", headers=consumer).json()["data"]
    mine = next(s for s in listed if s["id"] == sid)
    assert (mine["deliveries"], mine["pending"], mine["lag_seconds"]) == (4, 0, 0.0)
    cancelled = client.post(f"/api/exchange/subscriptions/{sid}/cancel", headers=consumer)
    assert cancelled.json()["status"] == "cancelled"
    assert _pull(client, consumer, sid, after).status_code == 409


def test_subscribing_is_refused_with_a_reason_and_changes_nothing(
    client: TestClient, demo_city: DemoResult, demo_settings: Settings
) -> None:
    provider = token_for(client, demo_city, "gongan.data")
    consumer = api_token(client, demo_city, Role.CASE_HANDLER)
    _, _, resource_id = publish_permits(client, provider, demo_settings.sources_dir)

    def attempt(headers: dict[str, str], **body: Any) -> httpx.Response:
        payload = {"resource_id": resource_id, "items": ITEMS, "purpose": PURPOSE,
                   "mode": "pull", **body}  # fmt: skip
        return client.post("/api/exchange/subscriptions", json=payload,
                           headers={**headers, "Idempotency-Key": uuid.uuid4().hex})  # fmt: skip

    cases = {
        "bad-webhook": attempt(consumer, mode="webhook", webhook_url="ftp://x"),
        "bad-webhook ": attempt(consumer, mode="webhook", webhook_url="http://10.1.2.3/hook"),
        "policy-unknown-item": attempt(consumer, items=["permit_no", "password"]),
        "purpose-required": attempt(consumer, purpose=" "),
    }
    for code, response in cases.items():
        assert 400 <= response.status_code < 500, response.text
        problem = response.json()
        assert problem["code"] == code.strip(), problem
        assert problem["detail"] and problem["detail_zh"]
    untracked = client.put(
        f"/api/exchange/resources/{resource_id}/change-tracking",
        headers=provider,
        json={"field": "no_such_column", "kind": "updated_at"},
    )
    assert untracked.status_code == 422 and untracked.json()["code"] == "bad-tracking"
    # only the provider's data admins declare how changes are found
    assert (
        client.put(
            f"/api/exchange/resources/{resource_id}/change-tracking",
            headers=token_for(client, demo_city, "scjg.data"),
            json={"field": "updated_at", "kind": "updated_at"},
        ).status_code
        == 403
    )
    listed = client.get("/api/exchange/subscriptions", headers=consumer).json()["data"]
    assert not [s for s in listed if s["resource_id"] == resource_id]
    # the same key twice subscribes once
    key = {"Idempotency-Key": uuid.uuid4().hex}
    body = {"resource_id": resource_id, "items": ITEMS, "purpose": PURPOSE, "mode": "pull"}
    one = client.post("/api/exchange/subscriptions", json=body, headers={**consumer, **key})
    two = client.post("/api/exchange/subscriptions", json=body, headers={**consumer, **key})
    assert (one.status_code, two.status_code) == (201, 200)
    assert one.json()["id"] == two.json()["id"]
    # another unit sees nothing of it
    other = token_for(client, demo_city, "scjg.data")
    assert client.get(f"/api/exchange/subscriptions/{one.json()['id']}",
                      headers=other).status_code == 404  # fmt: skip
    client.post(f"/api/exchange/subscriptions/{one.json()['id']}/cancel", headers=consumer)


def _grant(client: TestClient, consumer: dict[str, str], provider: dict[str, str],
           resource_id: int) -> int:  # fmt: skip
    applied = client.post(
        "/api/exchange/applications",
        headers={**consumer, "Idempotency-Key": uuid.uuid4().hex},
        json={"resource_id": resource_id, "items": ITEMS, "purpose": PURPOSE,
              "basis": "许可证联合监管", "valid_until": str(date.today() + timedelta(days=90)),
              "expected_daily_rows": 1000},
    )  # fmt: skip
    assert applied.status_code == 201, applied.text
    approved = client.post(
        f"/api/exchange/applications/{applied.json()['id']}/approve", headers=provider, json={}
    )
    assert approved.status_code == 200, approved.text
    return int(approved.json()["id"])


def _until(condition: Any, db: Database, settings: Settings, timeout: float = 30.0) -> None:
    """Run delivery passes until `condition()` holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "deliveries did not arrive in time"
        deliver_once(db, settings)
        time.sleep(0.1)


def test_a_revoked_grant_suspends_the_webhook_and_resuming_loses_no_change(
    client: TestClient, demo_city: DemoResult, demo_settings: Settings, db: Database,
    tmp_path: Path,
) -> None:  # fmt: skip
    provider = token_for(client, demo_city, "gongan.data")
    consumer = token_for(client, demo_city, "dsj.data")  # the big-data bureau's data admin
    permits, _, resource_id = publish_permits(
        client, provider, demo_settings.sources_dir, share_type="conditional"
    )
    expected = [(n, "有效") for n, _ in permits.insert(1, 10)]
    refused = client.post(
        "/api/exchange/subscriptions",
        headers={**consumer, "Idempotency-Key": uuid.uuid4().hex},
        json={"resource_id": resource_id, "items": ITEMS, "purpose": PURPOSE, "mode": "pull"},
    )
    assert refused.status_code == 403 and refused.json()["code"] == "policy-grant-required"
    grant_id = _grant(client, consumer, provider, resource_id)
    receiver = Receiver(tmp_path, "", fail_first=2)
    created = subscribe(client, consumer, resource_id, mode="webhook", webhook_url=receiver.url,
                        batch_rows=5)  # fmt: skip
    sid = created["id"]
    receiver.secret = created["webhook_secret"]
    assert receiver.secret.startswith("whsec_")
    settings = demo_settings.model_copy(update={"exchange_delivery_retry": 0.05})

    def shown() -> dict[str, Any]:
        response = client.get(f"/api/exchange/subscriptions/{sid}", headers=consumer)
        assert response.status_code == 200, response.text
        return dict(response.json())

    receiver.start()
    try:
        # the receiver answers 503 twice: retried with backoff, then taken, in order
        _until(lambda: len(receiver.received()) >= 2, db, settings)
        assert changes_of(deduplicated(receiver.received())) == expected
        failed = [e for e in _entries(db, "exchange.delivery_failed") if e.subject_id == str(sid)]
        assert len(failed) >= 2 and all(e.attrs["error"] == "HTTP 503" for e in failed)
        # the receiver is down while two permits are issued: the batch waits, pending
        receiver.kill()
        expected += [(n, "有效") for n, _ in permits.insert(11, 2)]
        _until(lambda: shown()["pending"] == 1, db, settings)
        # the grant is revoked before the batch is handed over: the subscription is
        # suspended and the batch withdrawn (its rows dropped), never sent
        revoked = client.post(f"/api/exchange/grants/{grant_id}/revoke", headers=provider,
                              json={"reason": "职能调整"})  # fmt: skip
        assert revoked.status_code == 200, revoked.text
        receiver.fail_first = 0
        receiver.start()
        _until(lambda: shown()["status"] == "suspended", db, settings)
        assert "撤销" in shown()["status_reason"] and shown()["pending"] == 0
        deliver_once(db, settings)
        assert len(deduplicated(receiver.received())) == 2
        # resuming needs a grant again; then the withdrawn changes come, and the new one
        expected += [(n, "注销") for n, _ in permits.update([1], "注销")]
        blocked = client.post(f"/api/exchange/subscriptions/{sid}/resume", headers=consumer)
        assert blocked.status_code == 403, blocked.text
        _grant(client, consumer, provider, resource_id)
        resumed = client.post(f"/api/exchange/subscriptions/{sid}/resume", headers=consumer)
        assert resumed.status_code == 200 and resumed.json()["status"] == "active"
        _until(lambda: len(deduplicated(receiver.received())) == 3, db, settings)
        got = deduplicated(receiver.received())
        assert changes_of(got) == expected
        assert [d["seq"] for d in got] == [1, 2, 4]  # batch 3 was withdrawn, then read again
    finally:
        receiver.kill()
        client.post(f"/api/exchange/subscriptions/{sid}/cancel", headers=consumer)
    suspended = _entries(db, "exchange.subscription_suspended")
    assert any(e.subject_id == str(sid) for e in suspended)


def test_the_subscriptions_page_shows_the_units_subscriptions_with_their_lag(
    client: TestClient, demo_city: DemoResult, demo_settings: Settings, app: Any
) -> None:
    provider = token_for(client, demo_city, "gongan.data")
    consumer = api_token(client, demo_city, Role.CASE_HANDLER)
    permits, _, resource_id = publish_permits(client, provider, demo_settings.sources_dir)
    permits.insert(1, 7)
    sid = subscribe(client, consumer, resource_id, batch_rows=5)["id"]
    handed = _pull(client, consumer, sid, None).json()["deliveries"]  # not confirmed yet
    assert len(handed) == 2
    account = demo_city.account(Role.CASE_HANDLER)
    with TestClient(app) as browser:
        sign_in(browser, account.username, account.password)
        page = browser.get("/exchange/subscriptions")
        assert page.status_code == 200
        row = page.text.split(f'data-subscription="{sid}"', 1)[1].split("</tr>", 1)[0]
        assert "拉取" in row and "投递中" in row and "2 批 / 7 行" in row
        assert "ID" not in row and "52010219900101" not in row  # no data on the page
        cancelled = browser.post(
            f"/exchange/subscriptions/{sid}/cancel",
            data={"csrf_token": csrf(browser)},
            follow_redirects=True,
        )
        assert "订阅已取消" in cancelled.text
        row = cancelled.text.split(f'data-subscription="{sid}"', 1)[1].split("</tr>", 1)[0]
        assert "已取消" in row and "无" in row
        # another unit's staff do not see it
        other = next(a for a in demo_city.accounts if a.username == "scjg.data")
    with TestClient(app) as stranger:
        sign_in(stranger, other.username, other.password)
        assert f'data-subscription="{sid}"' not in stranger.get("/exchange/subscriptions").text
