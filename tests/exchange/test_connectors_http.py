"""HTTP JSON sources against a real API on loopback (see `api_url` in conftest)."""

from __future__ import annotations

import logging
import socket

import pytest

from tests.exchange.conftest import API_TOKEN, PEOPLE, _ApiHandler, api_config, rows_of
from zhuyun.exchange.connectors import (
    BadSourceConfig,
    Filter,
    SelectSpec,
    SourceConfig,
    SourceKind,
    SourceTimeout,
    SourceUnavailable,
    UnknownTable,
    connect,
)


def test_equality_filters_travel_as_query_parameters_and_pages_follow(api_url: str) -> None:
    connector = connect(api_config(api_url))
    connector.columns("people")  # inferred from a sample of the first 200 records
    _ApiHandler.requests.clear()
    spec = SelectSpec(
        "people", ["id"], [Filter("district", "eq", "云岩区"), Filter("id", "range", low=100)]
    )
    got = [row[0] for row in rows_of(connector.select(spec))]
    assert got == [r[0] for r in PEOPLE if r[3] == "云岩区" and r[0] >= 100]
    assert _ApiHandler.requests == [{"district": "云岩区", "page": 1}]
    _ApiHandler.requests.clear()
    assert len(rows_of(connector.select(SelectSpec("people", ["id"])))) == len(PEOPLE)
    assert [r["page"] for r in _ApiHandler.requests] == [1, 2, 3, 4, 5]
    connector.close()


def test_a_limit_without_order_stops_reading_pages(api_url: str) -> None:
    connector = connect(api_config(api_url))
    connector.columns("people")
    _ApiHandler.requests.clear()
    assert len(rows_of(connector.select(SelectSpec("people", ["id"], limit=60)))) == 60
    assert [r["page"] for r in _ApiHandler.requests] == [1, 2]
    connector.close()


def test_filters_hold_even_when_the_api_is_not_told(api_url: str) -> None:
    connector = connect(api_config(api_url, filter_params=False))
    connector.columns("people")
    _ApiHandler.requests.clear()
    spec = SelectSpec("people", ["id"], [Filter("district", "eq", "云岩区")])
    assert len(rows_of(connector.select(spec))) == sum(1 for r in PEOPLE if r[3] == "云岩区")
    assert all("district" not in r for r in _ApiHandler.requests)
    connector.close()


def test_a_wrong_token_is_refused_without_showing_it(
    api_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "wrong-t0ken-kept-secret"
    config = SourceConfig(SourceKind.HTTP_JSON, api_url, api_config(api_url).options, wrong)
    connector = connect(config)
    assert wrong not in repr(config) and wrong not in repr(connector)
    report = connector.health()
    assert not report.ok and "401" in report.message and wrong not in report.message
    with pytest.raises(SourceUnavailable) as caught:
        connector.select(SelectSpec("people", ["id"]))
    assert "credentials" in caught.value.message_en and "凭据" in caught.value.message_zh
    assert wrong not in str(caught.value.body())
    assert wrong not in caplog.text and API_TOKEN not in caplog.text
    connector.close()


def test_api_failures_are_named(api_url: str) -> None:
    connector = connect(api_config(api_url))
    with pytest.raises(SourceUnavailable, match="HTTP 500"):
        connector.select(SelectSpec("broken", ["id"]))
    with pytest.raises(UnknownTable):
        connector.select(SelectSpec("vehicles", ["id"]))  # not among the configured tables
    open_api = connect(api_config(api_url, tables=[]))
    with pytest.raises(UnknownTable):
        open_api.select(SelectSpec("vehicles", ["id"]))  # the API answers 404
    with pytest.raises(UnknownTable):
        open_api.select(SelectSpec("../admin", ["id"]))
    wrong_path = connect(api_config(api_url, records_path="data.rows"))
    with pytest.raises(SourceUnavailable, match="records_path"):
        wrong_path.select(SelectSpec("people", ["id"]))


def test_a_slow_api_times_out_with_503(api_url: str) -> None:
    connector = connect(api_config(api_url))
    assert [c.name for c in connector.columns("slow")] == ["id"]  # slow, but within 10 s
    with pytest.raises(SourceTimeout) as caught:
        connector.select(SelectSpec("slow", ["id"]), timeout_s=0.5)
    assert caught.value.status == 503 and caught.value.code == "source-timeout"
    connector.close()


def test_an_api_that_is_down_is_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    connector = connect(api_config(f"http://127.0.0.1:{port}/api"))
    assert not connector.health().ok
    with pytest.raises(SourceUnavailable):
        connector.select(SelectSpec("people", ["id"]))
    connector.close()


@pytest.mark.parametrize(
    ("location", "options"),
    [
        ("ftp://example.org/api", {}),
        ("http://user:pw@127.0.0.1/api", {}),
        ("http://127.0.0.1/api", {"paging": "cursor"}),
        ("http://127.0.0.1/api", {"page_size": "ten"}),
        ("http://127.0.0.1/api", {"delimiter": ","}),
    ],
)
def test_bad_api_bindings_are_refused(location: str, options: dict[str, object]) -> None:
    with pytest.raises(BadSourceConfig):
        connect(SourceConfig(SourceKind.HTTP_JSON, location, options))
