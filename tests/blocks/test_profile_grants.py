"""A profile shows each viewer only what their own unit may read: a source without a grant
for the job's purpose is left out with the reason, items masked for the viewer are masked,
and every viewing is in the ledger without the ID number itself."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.blocks.conftest import demo_job
from tests.helpers import api_token, token_for
from zhuyun.core.calendar import china_today
from zhuyun.core.db import Database
from zhuyun.core.ledger import SYSTEM, LedgerEntry
from zhuyun.core.settings import Settings
from zhuyun.demo.blocks import PURPOSE
from zhuyun.demo.builder import DemoResult
from zhuyun.exchange.service import applications
from zhuyun.identity import service as identity
from zhuyun.identity.permissions import Role
from zhuyun.identity.service import StaffDraft


def _someone(demo_settings: Settings) -> str:
    with sqlite3.connect(demo_settings.sources_dir / "gongan.sqlite") as connection:
        return str(
            connection.execute(
                "SELECT id_number FROM people ORDER BY id_number LIMIT 1 OFFSET 5"
            ).fetchone()[0]
        )


def _sources(client: TestClient, headers: dict[str, str], job_id: int, key: str) -> dict:
    response = client.get(f"/api/blocks/jobs/{job_id}/profiles/{key}", headers=headers)
    assert response.status_code == 200, response.text
    return {s["alias"]: s for s in response.json()["sources"]}


def _grant_population_to_rsj(db: Database, resource_id: int, items: list[str]) -> None:
    """人社局 applies for the population register for the fusion purpose; the bureau's
    platform admin approves it with only the ID number and the name in clear."""
    with db.session() as session:
        rsj = identity.find_unit_by_code(session, "rsj")
        assert rsj is not None
        account = identity.create_staff(
            session,
            SYSTEM,
            StaffDraft(
                "rsj.data.blocks", "人社局数据管理员", rsj.id, None, ((Role.DATA_ADMIN, rsj.id),)
            ),
        )
        applicant = identity.principal_for(account)
        admin = identity.principal_for(identity.find_account(session, "admin"))  # type: ignore[arg-type]
        draft = applications.ApplicationDraft(
            resource_id,
            items,
            PURPOSE,
            "社会保险待遇资格认证",
            china_today() + timedelta(days=90),
            1_000,
            "blocks-test-rsj-population",
        )
        application, _ = applications.apply(session, applicant, draft, china_today(), 10)
        applications.approve(
            session, admin, application.id, applications.Approval(clear_items=["id_number", "name"])
        )


def test_a_viewer_sees_only_the_sources_and_clear_items_their_unit_is_granted(
    client: TestClient, demo_city: DemoResult, demo_settings: Settings, db: Database
) -> None:
    job = demo_job(db, "person")
    key = _someone(demo_settings)
    bureau = _sources(client, token_for(client, demo_city, "dsj.data"), job.id, key)
    handler_headers = token_for(client, demo_city, "rsj.handler")
    seen = _sources(client, handler_headers, job.id, key)

    # its own social insurance register: shown, in clear, with where it came from
    own = seen["social_insurance"]
    assert own["visible"] and own["provider"] == "贵阳市人力资源和社会保障局"
    assert own["facts"] == bureau["social_insurance"]["facts"]
    # the police's population register and medical insurance: no grant, left out, saying why
    for alias in ("population", "medical_insurance"):
        assert not seen[alias]["visible"] and seen[alias]["facts"] == []
        assert (
            "授权" in seen[alias]["hidden_reason_zh"] or "申请" in seen[alias]["hidden_reason_zh"]
        )

    population = next(s for s in job.definition["sources"] if s["alias"] == "population")
    items = [population["key"], *population["items"], population["updated_at"]]
    _grant_population_to_rsj(db, population["resource_id"], items)
    granted = _sources(client, handler_headers, job.id, key)["population"]
    assert granted["visible"]
    facts = {f["item"]: f for f in granted["facts"]}
    clear = {f["item"]: f["value"] for f in bureau["population"]["facts"]}
    assert facts["name"]["value"] == clear["name"] and not facts["name"]["masked"]
    assert facts["address"]["masked"] and "*" in facts["address"]["value"]
    assert facts["address"]["value"] != clear["address"]


def test_each_viewing_is_ledgered_without_the_id_number(
    client: TestClient, demo_city: DemoResult, demo_settings: Settings, db: Database
) -> None:
    job = demo_job(db, "person")
    key = _someone(demo_settings)
    _sources(client, token_for(client, demo_city, "dsj.data"), job.id, key)
    with db.session() as session:
        entry = session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.activity == "blocks.profile_viewed")
            .order_by(LedgerEntry.seq.desc())
        ).first()
        assert entry is not None and entry.subject_id == str(job.id)
        assert key not in str(entry.attrs) and entry.attrs["key_fingerprint"]
        assert entry.attrs["shown"]


def test_citizens_cannot_open_profiles_and_unknown_keys_are_not_found(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    job = demo_job(db, "person")
    citizen = api_token(client, demo_city, Role.CITIZEN)
    mine = demo_city.account(Role.CITIZEN).username
    assert (
        client.get(f"/api/blocks/jobs/{job.id}/profiles/{mine}", headers=citizen).status_code == 403
    )
    bureau = token_for(client, demo_city, "dsj.data")
    missing = client.get(f"/api/blocks/jobs/{job.id}/profiles/000000000000000000", headers=bureau)
    assert missing.status_code == 404 and missing.json()["code"] == "blocks-profile-not-found"


def test_a_district_unit_sees_a_divisional_resource_only_where_the_profile_shows_its_division(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    """The enterprise register is shared unconditionally, but a district's unit reads only
    its own district's rows: the 一企一档 does not carry the division, so it is withheld."""
    with db.session() as session:
        unit = identity.find_unit_by_code(session, "520102.rsj")
        assert unit is not None
        identity.create_staff(session, SYSTEM, StaffDraft(
            "nanming.rsj.handler", "南明区人社局经办人", unit.id, "Zy-blocks-2026!",
            ((Role.CASE_HANDLER, unit.id),)))  # fmt: skip
    token = client.post(
        "/api/auth/token", json={"username": "nanming.rsj.handler", "password": "Zy-blocks-2026!"}
    )
    assert token.status_code == 201, token.text
    headers = {"Authorization": f"Bearer {token.json()['token']}"}
    job = demo_job(db, "enterprise")
    enterprise = demo_city.account(Role.ENTERPRISE).username
    seen = _sources(client, headers, job.id, enterprise)
    assert not seen["registration"]["visible"]
    assert "本辖区" in seen["registration"]["hidden_reason_zh"]
    assert seen["penalties"]["visible"]  # shared city-wide, no division on its rows
