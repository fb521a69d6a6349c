"""Shared by the work-order tests: handler accounts of any unit, a point in a grid worker's
grid, and submitting orders."""

from __future__ import annotations

import itertools
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.helpers import token_for, token_of
from zhuyun.core.db import Database
from zhuyun.core.ledger import SYSTEM, LedgerEntry
from zhuyun.demo.builder import DemoAccount, DemoResult
from zhuyun.governance.models import Grid
from zhuyun.governance.service import grids_of_worker
from zhuyun.identity import service as identity
from zhuyun.identity.permissions import Role
from zhuyun.identity.service import StaffDraft

PASSWORD = "Handler2024x"
_made: dict[int, str] = {}
_serial = itertools.count(1)


def handler_of_unit(client: TestClient, db: Database, unit_id: int) -> dict[str, str]:
    """Authorization headers of a case handler of the unit (created once per unit)."""
    if unit_id not in _made:
        username = f"wo.handler.{unit_id}"
        with db.session() as session:
            if identity.find_account(session, username) is None:
                identity.create_staff(
                    session,
                    SYSTEM,
                    StaffDraft(
                        username=username,
                        display_name=f"经办人{unit_id}",
                        unit_id=unit_id,
                        password=PASSWORD,
                        roles=((Role.CASE_HANDLER, unit_id),),
                    ),
                )
        _made[unit_id] = username
    account = DemoAccount("case_handler", "业务经办人", _made[unit_id], PASSWORD, "", "")
    return token_of(client, account)


def operator(client: TestClient, demo_city: DemoResult) -> dict[str, str]:
    return token_for(client, demo_city, "hotline.operator")


def worker_point(db: Database, demo_city: DemoResult) -> tuple[str, float, float]:
    """A grid of the demo's grid worker and its centroid."""
    with db.session() as session:
        account = identity.find_account(session, "grid.worker")
        assert account is not None
        grid = grids_of_worker(session, account.id)[0]
        return grid.code, grid.centroid_lng, grid.centroid_lat


def other_point(db: Database, exclude: str, index: int = 0) -> tuple[str, float, float]:
    """The centroid of some other grid (a different one for each `index`)."""
    with db.session() as session:
        grids = session.execute(
            select(Grid.code, Grid.centroid_lng, Grid.centroid_lat)
            .where(Grid.code != exclude)
            .order_by(Grid.code)
        ).all()
        code, lng, lat = grids[(index * 7 + next(_serial) * 13) % len(grids)]
        return code, lng, lat


def submit(client: TestClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = client.post("/api/governance/workorders", json=body, headers=headers)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def act(
    client: TestClient, headers: dict[str, str], order_id: int, action: str, **body: Any
) -> dict[str, Any]:
    response = client.post(
        f"/api/governance/workorders/{order_id}/{action}", json=body, headers=headers
    )
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def activities(db: Database, order_id: int) -> list[str]:
    with db.session() as session:
        return list(
            session.scalars(
                select(LedgerEntry.activity)
                .where(LedgerEntry.case_id == f"workorder:{order_id}")
                .order_by(LedgerEntry.seq)
            )
        )
