"""HTTP JSON APIs: GET `{location}/{table}`, records under `records_path`, paged if told how.

Equality filters travel as query parameters (`filter_params`: all of them by default, or a
list of the fields the API understands); every filter is applied again here, so an API that
ignores a parameter cannot widen the answer. Columns are inferred from a sample of records.
The secret is sent as a bearer token.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import httpx

from zhuyun.exchange.connectors.base import ColumnInfo, SelectSpec, SourceConfig
from zhuyun.exchange.connectors.checks import CheckedSpec, check_options
from zhuyun.exchange.connectors.errors import (
    BadSourceConfig,
    SourceUnavailable,
    UnknownTable,
)
from zhuyun.exchange.connectors.files import key_names
from zhuyun.exchange.connectors.local import LocalConnector, Row
from zhuyun.exchange.connectors.stream import RowStream
from zhuyun.exchange.connectors.typing_local import infer_type, normaliser
from zhuyun.exchange.connectors.watchdog import Deadline, DeadlineExpired

__all__ = ["HttpJsonConnector"]

_OPTIONS: dict[str, type | tuple[type, ...]] = {
    "records_path": str,
    "tables": (list, tuple),
    "key": (str, list, tuple),
    "paging": str,
    "page_param": str,
    "size_param": str,
    "offset_param": str,
    "limit_param": str,
    "page_size": int,
    "first_page": int,
    "filter_params": (bool, list, tuple),
    "headers": Mapping,
    "sample_size": int,
    "max_pages": int,
    "connect_timeout_s": (int, float),
    "schema_ttl_s": (int, float),
}
_PAGING = ("none", "page", "offset")
_TABLE_NAME = re.compile(r"[A-Za-z0-9_\-]+(/[A-Za-z0-9_\-]+)*")


@dataclass(frozen=True)
class _Endpoint:
    at: float
    columns: list[ColumnInfo]
    normalisers: list[Callable[[Any], Any]]


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


class HttpJsonConnector(LocalConnector):
    """One API; one httpx client (a thread-safe connection pool) per connector."""

    def __init__(self, config: SourceConfig) -> None:
        options = check_options(config.options, _OPTIONS, config.kind.value)
        url = httpx.URL(config.location)
        if url.scheme not in ("http", "https") or not url.host:
            raise BadSourceConfig(
                "The location of an HTTP JSON source must be an http(s) URL.",
                "HTTP JSON 数据源的位置须为 http(s) URL。",
            )
        if url.password:
            raise BadSourceConfig(
                "The location must not contain a password; give the token as the secret.",
                "数据源位置中不能包含密码，请将令牌作为凭据单独提供（加密保存）。",
            )
        self._paging = str(options.get("paging", "none"))
        if self._paging not in _PAGING:
            raise BadSourceConfig(
                f"paging must be one of {', '.join(_PAGING)}.",
                f"paging 须为 {'、'.join(_PAGING)} 之一。",
            )
        self.config = config
        self._label = config.label
        self._options = options
        self._records_path = [p for p in str(options.get("records_path", "")).split(".") if p]
        self._tables = [str(t) for t in options.get("tables", ())]
        self._keys = key_names(options)
        self._page_size = max(1, int(options.get("page_size", 100)))
        self._ttl = float(options.get("schema_ttl_s", 60.0))
        headers = {str(k): str(v) for k, v in dict(options.get("headers", {})).items()}
        headers.setdefault("Accept", "application/json")
        if config.secret:
            headers["Authorization"] = f"Bearer {config.secret}"
        self._connect_timeout = float(options.get("connect_timeout_s", 5.0))
        self._client = httpx.Client(
            base_url=config.location.rstrip("/") + "/",
            headers=headers,
            timeout=httpx.Timeout(10.0, connect=self._connect_timeout),
            follow_redirects=False,
        )
        self._lock = threading.Lock()
        self._endpoints: dict[str, _Endpoint] = {}

    def __repr__(self) -> str:
        return f"<HttpJsonConnector {self._label}>"

    # -- HTTP -------------------------------------------------------------------------------

    def _check_table(self, table: str) -> None:
        if (
            not isinstance(table, str)
            or not _TABLE_NAME.fullmatch(table)
            or (self._tables and table not in self._tables)
        ):
            raise UnknownTable(self._label, str(table)[:80])

    def _get(
        self, table: str, params: Mapping[str, str], timeout_s: float
    ) -> list[Mapping[str, Any]]:
        """One page of records; every way an API can fail becomes the connector's problem."""
        try:
            response = self._client.get(
                table,
                params=dict(params),
                timeout=httpx.Timeout(timeout_s, connect=self._connect_timeout),
            )
        except httpx.ConnectTimeout:
            raise SourceUnavailable(self._label, "connecting timed out", "连接超时") from None
        except httpx.TimeoutException:
            raise DeadlineExpired from None
        except httpx.HTTPError as exc:
            raise SourceUnavailable(self._label, type(exc).__name__) from None
        if response.status_code == 404:
            raise UnknownTable(self._label, table)
        if response.status_code in (401, 403):
            raise SourceUnavailable(
                self._label,
                f"the API refused the credentials (HTTP {response.status_code})",
                f"接口拒绝了凭据（HTTP {response.status_code}）",
            )
        if response.status_code != 200:
            raise SourceUnavailable(self._label, f"HTTP {response.status_code}")
        try:
            records: Any = response.json()
        except ValueError:
            raise SourceUnavailable(
                self._label, "the answer is not JSON", "返回内容不是 JSON"
            ) from None
        for part in self._records_path:
            records = records.get(part) if isinstance(records, Mapping) else None
        if not isinstance(records, list) or not all(isinstance(r, Mapping) for r in records):
            raise SourceUnavailable(
                self._label,
                "the answer holds no list of records at records_path",
                "返回内容在 records_path 处没有记录列表",
            )
        return records

    def _pages(
        self, table: str, filters: Mapping[str, str], deadline: Deadline
    ) -> Iterator[Mapping[str, Any]]:
        """Every record of the endpoint, page after page, as lazily as the caller reads."""
        size = self._page_size
        first = int(self._options.get("first_page", 1))
        for number in range(int(self._options.get("max_pages", 100_000))):
            params = dict(filters)
            if self._paging == "page":
                params[self._options.get("page_param", "page")] = str(first + number)
                params[self._options.get("size_param", "size")] = str(size)
            elif self._paging == "offset":
                params[self._options.get("offset_param", "offset")] = str(number * size)
                params[self._options.get("limit_param", "limit")] = str(size)
            records = self._get(table, params, deadline.remaining())
            yield from records
            if self._paging == "none" or len(records) < size:
                return

    def _pushed(self, checked: CheckedSpec) -> dict[str, str]:
        allowed = self._options.get("filter_params", True)
        if allowed is False:
            return {}
        return {
            f.column.name: _param(f.value)
            for f in checked.filters
            if f.op == "eq" and (allowed is True or f.column.name in allowed)
        }

    # -- LocalConnector ---------------------------------------------------------------------

    def tables(self) -> list[str]:
        return list(self._tables)

    def _ping(self) -> str:
        if not self._tables:
            return ""
        params = {}
        if self._paging == "page":
            params = {
                self._options.get("page_param", "page"): str(self._options.get("first_page", 1)),
                self._options.get("size_param", "size"): "1",
            }
        elif self._paging == "offset":
            params = {
                self._options.get("offset_param", "offset"): "0",
                self._options.get("limit_param", "limit"): "1",
            }
        try:
            self._get(self._tables[0], params, self._connect_timeout)
        except DeadlineExpired:
            raise SourceUnavailable(self._label, "no answer in time", "未及时响应") from None
        return ""

    def _describe(self, table: str) -> tuple[list[ColumnInfo], list[Callable[[Any], Any]]]:
        self._check_table(table)
        with self._lock:
            cached = self._endpoints.get(table)
        if cached is not None and time.monotonic() - cached.at < self._ttl:
            return cached.columns, cached.normalisers
        sample_size = int(self._options.get("sample_size", 200))
        deadline = Deadline(10.0)
        try:
            sample = [
                r
                for _, r in zip(range(sample_size), self._pages(table, {}, deadline), strict=False)
            ]
        except DeadlineExpired:
            raise SourceUnavailable(self._label, "no answer in time", "未及时响应") from None
        names: dict[str, None] = {}
        for record in sample:
            names.update(dict.fromkeys(str(k) for k in record))
        columns, normalisers = [], []
        for name in names:
            values = [record.get(name) for record in sample]
            data_type, seen = infer_type(values)
            columns.append(
                ColumnInfo(
                    name=name,
                    data_type=data_type,
                    native_type=f"json:{seen}",
                    nullable=name not in self._keys,
                    is_key=name in self._keys,
                )
            )
            normalisers.append(normaliser(data_type))
        endpoint = _Endpoint(time.monotonic(), columns, normalisers)
        with self._lock:
            self._endpoints[table] = endpoint
        return columns, normalisers

    def columns(self, table: str) -> list[ColumnInfo]:
        with self._lock:
            self._endpoints.pop(table, None)
        return super().columns(table)

    def select(
        self, spec: SelectSpec, *, timeout_s: float = 10.0, batch_size: int = 5000
    ) -> RowStream:
        self._check_table(spec.table)
        return super().select(spec, timeout_s=timeout_s, batch_size=batch_size)

    @contextmanager
    def _read(
        self, checked: CheckedSpec, names: Sequence[str], deadline: Deadline
    ) -> Iterator[Iterator[Row]]:
        pages = self._pages(checked.table, self._pushed(checked), deadline)
        yield (tuple(record.get(name) for name in names) for record in pages)

    def close(self) -> None:
        self._client.close()
