"""Rate limits of the open-data API, with the `limits` library: a moving window per developer
key at the key's own rate, and per client address for anonymous visitors. Rates are requests
per minute; the window is `ZHUYUN_OPENDATA_RATE_WINDOW` seconds (60 by default).

Counters live in the storage `ZHUYUN_OPENDATA_RATE_STORAGE` names: `memory://` (one process)
by default, a Redis URL (`redis://host:6379/0`) when several workers or servers share them.
A storage that fails does not take the portal down: the request passes and the failure is
logged.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass

from fastapi import FastAPI
from limits import RateLimitItemPerSecond
from limits.errors import ConfigurationError, StorageError
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from zhuyun.core.errors import TooManyRequests

log = logging.getLogger("zhuyun.opendata.rate_limits")
NAMESPACE = "zhuyun-opendata"


@dataclass(frozen=True)
class Verdict:
    """The answer to one request: allowed, or how many seconds until it would be."""

    allowed: bool
    limit: int
    retry_after: int = 0


class RateLimiter:
    """Moving-window limits over one `limits` storage: rates are requests per minute,
    counted over a window of `window` seconds (scaled: 600 a minute over 10 s is 100 per
    10 s, at least one)."""

    def __init__(self, storage_uri: str, window: int = 60) -> None:
        self.window = window
        try:
            storage = storage_from_string(storage_uri, wrap_exceptions=True)
        except (ConfigurationError, ImportError, ValueError):
            log.exception("rate-limit storage unusable; counting in this process's memory")
            storage = MemoryStorage()
        if not isinstance(storage, Storage):  # an async:// storage: not for sync routes
            log.error("rate-limit storage %s is asynchronous; counting in memory", storage)
            storage = MemoryStorage()
        self.storage: Storage = storage
        self.strategy = MovingWindowRateLimiter(storage)

    def hit(self, per_minute: int, *identifiers: str) -> Verdict:
        """Count one request against `per_minute` for `identifiers` (0: no limit)."""
        if per_minute <= 0:
            return Verdict(True, 0)
        amount = max(1, round(per_minute * self.window / 60))
        item = RateLimitItemPerSecond(amount, multiples=self.window)
        try:
            if self.strategy.hit(item, NAMESPACE, *identifiers):
                return Verdict(True, per_minute)
            reset_at, _remaining = self.strategy.get_window_stats(item, NAMESPACE, *identifiers)
        except StorageError:
            log.warning("rate-limit storage failed; request let through", exc_info=True)
            return Verdict(True, per_minute)
        return Verdict(False, per_minute, max(1, math.ceil(reset_at - time.time())))


_lock = threading.Lock()


def limiter_for(app: FastAPI) -> RateLimiter:
    """The app's limiter, made on first use from its settings."""
    limiter: RateLimiter | None = getattr(app.state, "opendata_limiter", None)
    if limiter is None:
        with _lock:
            limiter = getattr(app.state, "opendata_limiter", None)
            if limiter is None:
                settings = app.state.settings
                uri = settings.opendata_rate_storage.get_secret_value()
                limiter = RateLimiter(uri, settings.opendata_rate_window)
                app.state.opendata_limiter = limiter
    return limiter


def too_many(verdict: Verdict, who: str) -> TooManyRequests:
    """The 429 problem of a refused request, with `Retry-After` in seconds."""
    whom = {"key": ("this developer key", "该开发者密钥"), "address": ("your address", "您的地址")}
    en, zh = whom[who]
    return TooManyRequests(
        f"Too many requests: {en} may make {verdict.limit} per minute. "
        f"Try again in {verdict.retry_after} s"
        + ("." if who == "key" else ", or use a developer key (/opendata/developer)."),
        f"请求过于频繁：{zh}每分钟最多调用 {verdict.limit} 次，请 {verdict.retry_after} 秒后重试"
        + ("。" if who == "key" else "，或申请开发者密钥（/opendata/developer）。"),
        code="rate-limited",
        headers={"Retry-After": str(verdict.retry_after), "X-RateLimit-Limit": str(verdict.limit)},
    )
