"""Fuzzing the JSON API from its own OpenAPI document (schemathesis): whatever a client sends,
as nobody, as a citizen or as the platform admin, the answer is never a server error, and
every error is a problem-details document.

The fuzzer creates, renames and deactivates things, so it runs against a demo city of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from tests.conftest import make_settings
from tests.helpers import api_token
from zhuyun.app import create_app
from zhuyun.demo.builder import DemoResult, build_demo
from zhuyun.demo.scale import ScaleName
from zhuyun.identity.permissions import Role

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fuzz_city(
    tmp_path_factory: pytest.TempPathFactory, database_urls: object
) -> Iterator[tuple[FastAPI, DemoResult]]:
    new_url = database_urls
    assert callable(new_url)
    city_settings = make_settings(Path(tmp_path_factory.mktemp("fuzz-city")), new_url())
    city = build_demo(city_settings, ScaleName.TEST, 3)
    application = create_app(city_settings)
    yield application, city
    application.state.db.dispose()


@pytest.fixture(scope="module")
def api_schema(fuzz_city: tuple[FastAPI, DemoResult]) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/api/openapi.json", fuzz_city[0])


@pytest.fixture(scope="module")
def callers(fuzz_city: tuple[FastAPI, DemoResult]) -> list[dict[str, str]]:
    """Headers of nobody, a citizen and the platform admin."""
    application, city = fuzz_city
    with TestClient(application) as client:
        signed_in = [api_token(client, city, role) for role in (Role.CITIZEN, Role.PLATFORM_ADMIN)]
    return [{}, *signed_in]


schema = schemathesis.pytest.from_fixture("api_schema")
CKAN_PATHS = ("/api/3/action/", "/api/action/")
SELF_ENDING = {"/api/auth/logout", "/api/me/tokens/{token_id}"}


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_makes_the_api_fail_with_a_server_error(
    case: schemathesis.Case, callers: list[dict[str, str]]
) -> None:
    for caller in callers:
        if case.path in SELF_ENDING and caller:
            continue  # logging out or revoking tokens would end the fuzzing caller's credentials
        response = case.call(headers={**(case.headers or {}), **caller})
        assert response.status_code < 500, (case.method, case.path, response.text[:500])
        headers = {name.lower(): values for name, values in response.headers.items()}
        problem = headers.get("content-type", [""])[0].startswith("application/problem+json")
        if response.status_code >= 400 and case.path.startswith(CKAN_PATHS) and not problem:
            body = response.json()  # CKAN's own error shape, for CKAN's clients
            assert body["success"] is False and body["error"]["__type"]
        elif response.status_code >= 400 and case.path.startswith("/open311/") and not problem:
            # GeoReport v2's own error shape: [{code, description}] (or <errors> in XML)
            assert response.content.startswith((b"[", b"<?xml")), (
                response.status_code,
                case.formatted_path,
                caller,
                response.text[-400:],
            )
        elif response.status_code >= 400:
            assert headers["content-type"][0].startswith("application/problem+json")
            body = response.json()
            assert body["status"] == response.status_code
            assert body["detail"] and body["detail_zh"]
