"""Rate limits of the open-data API: each developer key at its own rate, anonymous visitors
per address; over the limit, 429 with Retry-After, and the window moves on.

The app here runs on the session's demo city with small rates over a 4-second window
(30 a minute is 2 per 4 s), so no test has to hammer the server or wait a minute."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import make_settings
from tests.helpers import token_of
from zhuyun.app import create_app
from zhuyun.core.settings import Settings
from zhuyun.demo.builder import DemoResult
from zhuyun.identity.permissions import Role
from zhuyun.opendata.rate_limits import RateLimiter

WINDOW = 4
RATE = 30  # a minute: 2 requests per 4-second window
STATUS = "/api/3/action/status_show"


@pytest.fixture(scope="module")
def limited_app(demo_settings: Settings, demo_city: DemoResult) -> Iterator[FastAPI]:
    settings = make_settings(
        demo_settings.data_dir,
        demo_settings.database_url,
        opendata_key_rate=RATE,
        opendata_anonymous_rate=RATE,
        opendata_rate_window=WINDOW,
    )
    application = create_app(settings)
    yield application
    application.state.db.dispose()


def _client(app: FastAPI, address: str) -> TestClient:
    return TestClient(app, client=(address, 40000))


def _new_key(client: TestClient, demo_city: DemoResult, **body: object) -> str:
    headers = token_of(client, demo_city.account(Role.ENTERPRISE))
    response = client.post("/api/opendata/keys", json={"name": "限流测试", **body}, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["key"])


def _assert_rate_limited(response: httpx.Response) -> int:
    assert response.status_code == 429
    headers = response.headers
    assert headers["content-type"].startswith("application/problem+json")
    retry_after = int(headers["retry-after"])
    assert 1 <= retry_after <= WINDOW
    body = response.json()
    assert body["status"] == 429 and body["code"] == "rate-limited"
    assert "请求过于频繁" in body["detail_zh"] and "Too many requests" in body["detail"]
    return retry_after


def test_a_key_over_its_rate_gets_429_with_retry_after_and_a_later_request_passes(
    limited_app: FastAPI, demo_city: DemoResult
) -> None:
    with _client(limited_app, "10.9.0.1") as client:
        key = {"X-CKAN-API-Key": _new_key(client, demo_city)}
        assert client.get(STATUS, headers=key).status_code == 200
        assert client.get(STATUS, headers=key).status_code == 200
        retry_after = _assert_rate_limited(client.get(STATUS, headers=key))
        time.sleep(retry_after + 0.2)
        assert client.get(STATUS, headers=key).status_code == 200


def test_each_key_is_counted_at_its_own_rate(limited_app: FastAPI, demo_city: DemoResult) -> None:
    with _client(limited_app, "10.9.0.2") as client:
        slow = {"Authorization": _new_key(client, demo_city, rate_per_minute=15)}  # 1 per 4 s
        fast = {"Authorization": _new_key(client, demo_city, rate_per_minute=60)}  # 4 per 4 s
        assert client.get(STATUS, headers=slow).status_code == 200
        _assert_rate_limited(client.get(STATUS, headers=slow))
        for _ in range(4):
            assert client.get(STATUS, headers=fast).status_code == 200
        _assert_rate_limited(client.get(STATUS, headers=fast))


def test_anonymous_visitors_are_limited_per_address(
    limited_app: FastAPI, demo_city: DemoResult
) -> None:
    with _client(limited_app, "10.9.1.1") as first, _client(limited_app, "10.9.1.2") as second:
        key = {"X-CKAN-API-Key": _new_key(first, demo_city)}
        assert first.get(STATUS).status_code == 200
        assert first.post(STATUS, json={}).status_code == 200
        _assert_rate_limited(first.get("/api/action/package_list"))
        assert second.get(STATUS).status_code == 200  # another address has its own count
        assert first.get(STATUS, headers=key).status_code == 200  # a key is counted by itself
        assert first.get("/opendata/developer").status_code == 200  # pages are not limited


def test_an_unusable_storage_setting_falls_back_to_counting_in_memory() -> None:
    limiter = RateLimiter("nonsense://nowhere", window=WINDOW)
    who = uuid.uuid4().hex
    assert limiter.hit(RATE, "test", who).allowed
    assert limiter.hit(RATE, "test", who).allowed
    refused = limiter.hit(RATE, "test", who)
    assert not refused.allowed and 1 <= refused.retry_after <= WINDOW
    assert limiter.hit(0, "test", who).allowed  # 0: no limit


def _redis_client_installed() -> bool:
    try:
        import redis  # noqa: F401
    except ImportError:
        return False
    return True


def _redis_reachable() -> bool:
    if not _redis_client_installed():
        return False
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_reachable(), reason="no Redis (or no redis client) on 127.0.0.1")
def test_workers_sharing_a_real_redis_share_the_counts() -> None:
    url = "redis://127.0.0.1:6379/0"
    one, other = RateLimiter(url, window=WINDOW), RateLimiter(url, window=WINDOW)
    assert type(one.storage).__name__ == "RedisStorage"
    who = f"test-{uuid.uuid4().hex}"
    assert one.hit(RATE, "key", who).allowed
    assert other.hit(RATE, "key", who).allowed
    refused = one.hit(RATE, "key", who)
    assert not refused.allowed and 1 <= refused.retry_after <= WINDOW
    assert not other.hit(RATE, "key", who).allowed
    time.sleep(refused.retry_after + 0.2)
    assert other.hit(RATE, "key", who).allowed


@pytest.mark.skipif(not _redis_client_installed(), reason="no redis client to fail with")
def test_a_storage_that_fails_lets_requests_through() -> None:
    closed = RateLimiter("redis://127.0.0.1:1/0", window=WINDOW)
    who = uuid.uuid4().hex
    assert all(closed.hit(1, "key", who).allowed for _ in range(3))
