"""Citizens and enterprises register with their real identifiers; bad ones change nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from zhuyun.core.db import Database
from zhuyun.core.ids import make_credit_code, make_resident_id
from zhuyun.identity.models import Account


def _accounts(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Account)) or 0


def test_a_citizen_registers_with_a_resident_id_and_signs_in_with_it(client: TestClient) -> None:
    from datetime import date

    id_number = make_resident_id("520103", date(1990, 5, 17), 123)
    response = client.post(
        "/api/auth/register/person",
        json={"id_number": id_number.lower(), "name": "李建国", "password": "Guiyang2026"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["username"] == id_number.upper()
    token = client.post(
        "/api/auth/token", json={"username": id_number.lower(), "password": "Guiyang2026"}
    )
    assert token.status_code == 201
    me = client.get("/api/me", headers={"Authorization": f"Bearer {token.json()['token']}"})
    assert me.json()["kind"] == "person"
    assert "citizen" in {r["role"] for r in me.json()["roles"]}


def test_a_resident_id_with_a_wrong_check_digit_is_refused(
    client: TestClient, db: Database
) -> None:
    before = _accounts(db)
    from datetime import date

    good = make_resident_id("520102", date(1985, 1, 2), 7)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    response = client.post(
        "/api/auth/register/person",
        json={"id_number": bad, "name": "张三", "password": "Guiyang2026"},
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "invalid-id-number"
    assert problem["detail"] and problem["detail_zh"]
    assert _accounts(db) == before


def test_an_enterprise_registers_with_its_credit_code(client: TestClient) -> None:
    code = make_credit_code("520115", "A1B2C3D4")
    response = client.post(
        "/api/auth/register/legal",
        json={"credit_code": code, "name": "贵阳筑云科技有限公司", "password": "Enterprise1"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["kind"] == "legal"


def test_a_bad_credit_code_is_refused(client: TestClient, db: Database) -> None:
    before = _accounts(db)
    code = make_credit_code("520115", "Q1W2E3R4")
    bad = code[:17] + ("0" if code[17] != "0" else "1")
    response = client.post(
        "/api/auth/register/legal",
        json={"credit_code": bad, "name": "某公司", "password": "Enterprise1"},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid-credit-code"
    assert _accounts(db) == before


def test_a_weak_password_is_refused(client: TestClient, db: Database) -> None:
    from datetime import date

    before = _accounts(db)
    response = client.post(
        "/api/auth/register/person",
        json={
            "id_number": make_resident_id("520111", date(1970, 3, 3), 55),
            "name": "赵六",
            "password": "onlyletters",
        },
    )
    assert response.status_code == 422
    assert "密码" in response.json()["detail_zh"]
    assert _accounts(db) == before


def test_registering_twice_is_a_conflict(client: TestClient) -> None:
    from datetime import date

    body = {
        "id_number": make_resident_id("520113", date(2001, 12, 31), 88),
        "name": "钱七",
        "password": "Guiyang2026",
    }
    assert client.post("/api/auth/register/person", json=body).status_code == 201
    again = client.post("/api/auth/register/person", json=body)
    assert again.status_code == 409
    assert again.json()["detail_zh"]


def test_a_malformed_body_is_a_422_problem(client: TestClient) -> None:
    response = client.post("/api/auth/register/person", json={"id_number": "123"})
    assert response.status_code == 422
    problem = response.json()
    assert problem["type"].startswith("urn:zhuyun:problem:")
    assert {tuple(e["location"]) for e in problem["errors"]} >= {("body", "id_number")}
