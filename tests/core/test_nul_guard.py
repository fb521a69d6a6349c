"""A NUL character in a request is refused with a clear 400 before any database sees it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.helpers import api_token
from zhuyun.demo.builder import DemoResult
from zhuyun.identity.permissions import Role


@pytest.mark.parametrize(
    "request_args",
    [
        {"method": "GET", "url": "/api/ledger", "params": {"case_id": "\x00"}},
        {"method": "GET", "url": "/api/units/%00"},
        {"method": "POST", "url": "/api/me/tokens", "json": {"name": "ci\x00"}},
    ],
)
def test_a_nul_character_is_a_bad_request_on_every_backend(
    client: TestClient, demo_city: DemoResult, request_args: dict[str, object]
) -> None:
    headers = api_token(client, demo_city, Role.PLATFORM_ADMIN)
    response = client.request(headers=headers, **request_args)  # type: ignore[arg-type]
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "nul-character"
    assert "空字符" in response.json()["detail_zh"]


def test_a_form_post_with_a_nul_changes_nothing(client: TestClient, demo_city: DemoResult) -> None:
    response = client.post(
        "/login", data={"username": "admin\x00", "password": "x"}, follow_redirects=False
    )
    assert response.status_code == 400


def test_ordinary_text_with_percent_signs_and_backslashes_passes(
    client: TestClient, demo_city: DemoResult
) -> None:
    headers = api_token(client, demo_city, Role.PLATFORM_ADMIN)
    response = client.post("/api/me/tokens", headers=headers, json={"name": "增长100%00 \\ 备用"})
    assert response.status_code == 201, response.text
