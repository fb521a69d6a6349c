"""The platform admin's page of department nodes: paste a node's registration code to
approve it, check its health (a node that is down shows as such), revoke it with a reason —
and nobody else may."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.exchange.nodes_support import write_config
from tests.helpers import csrf, sign_in
from zhuyun.core.settings import Settings
from zhuyun.demo.builder import DemoResult
from zhuyun.identity.permissions import Role


@pytest.fixture
def admin(app: FastAPI, demo_city: DemoResult) -> TestClient:
    client = TestClient(app)
    account = demo_city.account(Role.PLATFORM_ADMIN)
    sign_in(client, account.username, account.password)
    return client


def test_an_admin_approves_checks_and_revokes_a_node_on_the_page(
    admin: TestClient, demo_settings: Settings, tmp_path: Path
) -> None:
    node = write_config(
        tmp_path / "gamma",
        "gamma-page",
        {"scjg": {"kind": "sqlite", "location": f"sqlite:///{demo_settings.sources_dir}/x.db"}},
    )
    code = node.run("init").strip().splitlines()[-1]
    empty = admin.post("/exchange/nodes/approve", data={"code": "", "csrf_token": csrf(admin)})
    assert empty.status_code == 422 and "注册码" in empty.text

    approved = admin.post("/exchange/nodes/approve", data={"code": code, "csrf_token": csrf(admin)})
    assert approved.status_code == 200 and "节点已批准" in approved.text
    row = approved.text.split('data-node="gamma-page"')[1].split("</tr>")[0]
    assert 'data-status="approved"' in row and node.url in row
    node_id = row.split("/exchange/nodes/")[1].split("/")[0]

    replayed = admin.post("/exchange/nodes/approve", data={"code": code, "csrf_token": csrf(admin)})
    assert replayed.text.count('data-node="gamma-page"') == 1  # one node per code, however often

    checked = admin.post(f"/exchange/nodes/{node_id}/check", data={"csrf_token": csrf(admin)})
    row = checked.text.split('data-node="gamma-page"')[1].split("</tr>")[0]
    assert "异常" in row  # the node process is not running

    no_reason = admin.post(
        f"/exchange/nodes/{node_id}/revoke", data={"reason": "", "csrf_token": csrf(admin)}
    )
    assert no_reason.status_code == 422
    revoked = admin.post(
        f"/exchange/nodes/{node_id}/revoke",
        data={"reason": "前置机下线", "csrf_token": csrf(admin)},
    )
    row = revoked.text.split('data-node="gamma-page"')[1].split("</tr>")[0]
    assert 'data-status="revoked"' in row and "/revoke" not in row


@pytest.mark.parametrize("role", [Role.DATA_ADMIN, Role.CITIZEN, Role.CASE_HANDLER])
def test_only_a_platform_admin_sees_the_nodes(
    app: FastAPI, demo_city: DemoResult, role: Role
) -> None:
    client = TestClient(app)
    account = demo_city.account(role)
    sign_in(client, account.username, account.password)
    assert client.get("/exchange/nodes").status_code == 403
    refused = client.post("/exchange/nodes/approve", data={"code": "x", "csrf_token": csrf(client)})
    assert refused.status_code == 403
