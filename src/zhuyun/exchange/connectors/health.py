"""Health probes: the same timing and bilingual wording for every kind of source."""

from __future__ import annotations

import time
from collections.abc import Callable

from zhuyun.exchange.connectors.base import HealthReport
from zhuyun.exchange.connectors.errors import ConnectorError

__all__ = ["probe"]


def probe(ping: Callable[[], str]) -> HealthReport:
    """Run `ping` (which returns a detail such as a server version) and time it.

    A source that is down is a report, not an exception: the source list shows it red.
    """
    start = time.perf_counter()
    try:
        detail = ping()
    except ConnectorError as exc:
        elapsed = (time.perf_counter() - start) * 1000
        return HealthReport(False, elapsed, f"{exc.message_zh} / {exc.message_en}")
    elapsed = (time.perf_counter() - start) * 1000
    suffix = f" ({detail})" if detail else ""
    return HealthReport(
        True,
        elapsed,
        f"连接正常，耗时 {elapsed:.0f} 毫秒{suffix} / reachable in {elapsed:.0f} ms{suffix}",
    )
