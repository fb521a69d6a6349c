"""Open311 GeoReport v2: driven through a real third-party client (`georeport` from PyPI,
reads in JSON and XML over HTTP) and posted as the spec's examples post, with its errors."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from fastapi.testclient import TestClient
from georeport import GeoReport
from requests import HTTPError
from sqlalchemy import func, select

from tests.governance.workorders_support import other_point
from tests.helpers import api_token
from zhuyun.core.db import Database
from zhuyun.demo.builder import DemoResult
from zhuyun.governance.models import WorkOrder
from zhuyun.identity.permissions import Role

BASE = "/open311/v2"


@pytest.fixture
def api_key(client: TestClient, demo_city: DemoResult) -> str:
    citizen = api_token(client, demo_city, Role.CITIZEN)
    response = client.post("/api/governance/open311/keys", json={"name": "随手拍"}, headers=citizen)
    assert response.status_code == 201
    key: str = response.json()["key"]
    assert key.startswith("o311_")
    return key


def _orders(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(WorkOrder)) or 0


def _post(client: TestClient, fmt: str, **form: object) -> tuple[int, object]:
    response = client.post(f"{BASE}/requests.{fmt}", data=form)
    body = response.json() if fmt == "json" else ET.fromstring(response.content)
    return response.status_code, body


def test_a_third_party_client_reads_services_and_requests_in_json_and_xml(
    live_server: str, client: TestClient, db: Database, api_key: str
) -> None:
    _, lng, lat = other_point(db, "", 11)
    status, posted = _post(client, "json", api_key=api_key, service_code="traffic", lat=lat,
                           long=lng, description="路面塌陷了一个大坑", first_name="明",
                           last_name="王", phone="13912345678")  # fmt: skip
    assert status == 201
    assert isinstance(posted, list)
    number, token = posted[0]["service_request_id"], posted[0]["token"]
    for fmt in ("json", "xml"):
        app = GeoReport(f"{live_server}{BASE}", output_format=fmt)
        services = app.get_service_list()
        assert {s["service_code"] for s in services} >= {"traffic", "sanitation", "noise"}
        definition = app.get_service_definition("utilities")
        assert definition["service_code"] == "utilities"
        one = app.get_service_request(number)
        assert one["service_request_id"] == number
        assert one["service_code"] == "traffic" and one["status"] == "open"
        assert "王" not in str(one) and "13912345678" not in str(one)  # nothing of the reporter
        listed = app.get_service_requests(service_code="traffic", status="open")
        listed = listed if isinstance(listed, list) else [listed]
        assert number in {r["service_request_id"] for r in listed}
        with pytest.raises(HTTPError):
            app.get_service_definition("no_such_service")
    tokens = client.get(f"{BASE}/tokens/{token}.json").json()
    assert tokens == [{"service_request_id": number, "token": token}]


def test_discovery_and_definitions_follow_the_spec_shapes(client: TestClient) -> None:
    discovery = client.get("/open311/discovery.json").json()
    assert discovery["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert "text/xml" in discovery["endpoints"][0]["formats"]
    xml = client.get(f"{BASE}/services/utilities.xml")
    assert xml.headers["content-type"].startswith("text/xml")
    assert xml.text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(xml.content)
    assert root.tag == "service_definition"
    codes = [a.findtext("code") for a in root.iter("attribute")]
    assert codes == ["urgency", "supply"]
    assert root.find("attributes/attribute/values/value/key") is not None


def test_posting_needs_a_valid_api_key_and_errors_take_the_spec_format(
    client: TestClient, db: Database, api_key: str
) -> None:
    _, lng, lat = other_point(db, "", 12)
    good = {"service_code": "noise", "lat": lat, "long": lng, "description": "广场舞音响太大"}
    before = _orders(db)
    status, body = _post(client, "json", **good)
    assert status == 403 and body[0]["code"] == 403  # type: ignore[index]
    status, body = _post(client, "json", api_key="o311_bad_key", **good)
    assert status == 403 and "api_key" in body[0]["description"]  # type: ignore[index]
    status, root = _post(client, "xml", api_key="nope", **good)
    assert status == 403 and root.tag == "errors"  # type: ignore[union-attr]
    assert root.findtext("error/code") == "403"  # type: ignore[union-attr]
    cases = [
        ({**good, "service_code": "ufo"}, 400, "service_code"),
        ({**good, "description": ""}, 400, "description"),
        ({"service_code": "noise", "description": "吵"}, 400, "location"),
        ({**good, "lat": 39.9, "long": 116.4}, 400, "outside the city"),
        ({**good, "service_code": "utilities"}, 400, "attribute[supply]"),
        ({**good, "attribute[urgency]": "yesterday"}, 400, "attribute[urgency]"),
        ({**good, "description": "吵" * 3_000}, 400, "2000"),
    ]
    for form, code, words in cases:
        status, body = _post(client, "json", api_key=api_key, **form)
        assert status == code, body
        assert body[0]["code"] == code and words in body[0]["description"]  # type: ignore[index]
    assert _orders(db) == before  # nothing stored by any of them
    assert client.get(f"{BASE}/requests/GY0.json").json()[0]["code"] == 404
    assert client.get(f"{BASE}/requests.json", params={"status": "pending"}).status_code == 400
    assert (
        client.get(
            f"{BASE}/requests.json",
            params={"start_date": "2025-01-01T00:00:00Z", "end_date": "2025-12-31T00:00:00Z"},
        ).status_code
        == 400
    )  # more than 90 days
    assert client.get(f"{BASE}/services.csv").status_code == 404


def test_a_replayed_open311_post_makes_one_request(
    client: TestClient, db: Database, api_key: str
) -> None:
    _, lng, lat = other_point(db, "", 13)
    form = {"api_key": api_key, "service_code": "food_safety", "lat": lat, "long": lng,
            "description": "外卖店卫生状况很差"}  # fmt: skip
    headers = {"Idempotency-Key": "o311-replay-1"}
    one = client.post(f"{BASE}/requests.json", data=form, headers=headers).json()
    two = client.post(f"{BASE}/requests.json", data=form, headers=headers).json()
    assert one == two and one[0]["service_request_id"]
    requests = client.get(
        f"{BASE}/requests.json", params={"service_request_id": one[0]["service_request_id"]}
    )
    assert len(requests.json()) == 1


def test_a_revoked_key_can_post_no_more(
    client: TestClient, db: Database, demo_city: DemoResult, api_key: str
) -> None:
    citizen = api_token(client, demo_city, Role.CITIZEN)
    keys = client.get("/api/governance/open311/keys", headers=citizen).json()
    prefix = api_key.split("_")[1]
    key_id = next(k["id"] for k in keys if k["prefix"] == prefix)
    assert all(k["key"] is None for k in keys)  # shown once, never again
    assert (
        client.delete(f"/api/governance/open311/keys/{key_id}", headers=citizen).status_code == 200
    )
    _, lng, lat = other_point(db, "", 14)
    status, _ = _post(client, "json", api_key=api_key, service_code="noise", lat=lat,
                         long=lng, description="夜市噪音")  # fmt: skip
    assert status == 403
