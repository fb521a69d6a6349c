"""Fixtures of the 一网通办 tests: tokens of the demo citizen, enterprise and handlers, a
second citizen, and a helper that submits a case."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.helpers import api_token, token_for
from zhuyun.core.db import Database
from zhuyun.core.ids import make_resident_id
from zhuyun.demo.builder import DemoResult
from zhuyun.identity import service as identity
from zhuyun.identity.permissions import Role

PENSION = "520100-RSJ-GG-0001"
STARTUP = "520100-SCJG-XK-0001"
UNEMPLOYMENT = "520100-RSJ-JF-0001"
PROPERTY = "520100-ZRZY-QR-0001"
PROOF = "520100-RSJ-GG-0002"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def citizen(client: TestClient, demo_city: DemoResult) -> dict[str, str]:
    return api_token(client, demo_city, Role.CITIZEN)


@pytest.fixture
def enterprise(client: TestClient, demo_city: DemoResult) -> dict[str, str]:
    return api_token(client, demo_city, Role.ENTERPRISE)


@pytest.fixture
def rsj(client: TestClient, demo_city: DemoResult) -> dict[str, str]:
    return token_for(client, demo_city, "rsj.handler")


@pytest.fixture
def handler_of(client: TestClient, demo_city: DemoResult) -> Any:
    return lambda code: token_for(client, demo_city, f"{code}.handler")


_OTHER_PASSWORD = "Other-citizen-2026"


@pytest.fixture(scope="session")
def other_citizen_id(app: Any) -> str:
    """A second natural person, registered once for the run."""
    database: Database = app.state.db
    id_number = make_resident_id("520103", date(1991, 6, 1), 37)
    with database.session() as session:
        if identity.find_account(session, id_number) is None:
            identity.register_person(session, id_number, "赵小明", _OTHER_PASSWORD)
    return id_number


@pytest.fixture
def other_citizen(client: TestClient, other_citizen_id: str) -> dict[str, str]:
    response = client.post(
        "/api/auth/token", json={"username": other_citizen_id, "password": _OTHER_PASSWORD}
    )
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def submit(
    client: TestClient,
    headers: dict[str, str],
    item_code: str,
    form: dict[str, Any] | None = None,
    key: str | None = None,
    consent: bool = True,
) -> Any:
    return client.post(
        "/api/services/cases",
        json={"item_code": item_code, "form": form or {}, "consent": consent},
        headers={**headers, "Idempotency-Key": key or uuid.uuid4().hex},
    )


def upload_missing(
    client: TestClient, headers: dict[str, str], case: dict[str, Any]
) -> dict[str, Any]:
    """Upload a small PNG for every material still waiting for the applicant."""
    for material in case["materials"]:
        if material["status"] in ("missing", "pending") and material["required"]:
            response = client.post(
                f"/api/services/cases/{case['number']}/materials/{material['material_id']}",
                files={"file": ("scan.png", PNG, "image/png")},
                headers=headers,
            )
            assert response.status_code == 200, response.text
    detail = client.get(f"/api/services/cases/{case['number']}", headers=headers)
    assert detail.status_code == 200
    result: dict[str, Any] = detail.json()
    return result


def act(client: TestClient, headers: dict[str, str], number: str, action: str, **body: Any) -> Any:
    return client.post(
        f"/api/services/cases/{number}/actions",
        json={"action": action, "opinion": body.pop("opinion", "符合条件"), **body},
        headers=headers,
    )
