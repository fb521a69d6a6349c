"""Submitting a case: once per idempotency key, materials fetched through the exchange (each
a governed query in the ledger), the form pre-filled, only the rest uploaded; bad input is a
4xx that changes nothing; nobody reads another person's case."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.services.conftest import PENSION, PROOF, STARTUP, submit, upload_missing
from zhuyun.core.db import Database
from zhuyun.core.ledger import LedgerEntry
from zhuyun.services.models import Case


def test_submission_fetches_shared_materials_and_prefills_the_form(
    client: TestClient, citizen: dict[str, str], db: Database
) -> None:
    response = submit(
        client,
        citizen,
        STARTUP,
        {
            "name": "贵阳测试科技有限公司",
            "entity_type": "有限责任公司（自然人独资）",
            "registered_capital": "10万元人民币",
            "address": "贵阳市观山湖区林城东路2号",
            "business_scope": "软件开发",
        },
    )
    assert response.status_code == 201, response.text
    case = response.json()
    by_name = {m["name"]: m for m in case["materials"]}
    identity = by_name["法定代表人身份信息"]
    assert identity["status"] == "fetched" and identity["query_seq"]
    assert identity["data"]["rows"], "the person's record came through the gateway"
    assert by_name["公司章程"]["status"] == "missing"
    assert case["materials_spared"] == 2 and case["materials_total"] == 4
    assert case["form"]["legal_rep_name"] == identity["data"]["rows"][0][0]  # pre-filled
    assert case["status"] == "materials" and case["due_on"] is None  # waits for the uploads
    with db.session() as session:
        query = session.get(LedgerEntry, identity["query_seq"])
        assert query is not None and query.activity == "exchange.query"
        assert query.attrs["purpose"].startswith("一网通办")
        steps = session.scalars(
            select(LedgerEntry.activity).where(LedgerEntry.case_id == case["number"])
        ).all()
    assert steps[:2] == ["services.consent_given", "services.submitted"]
    assert "services.material_fetched" in steps


def test_uploading_the_rest_starts_the_clock_with_a_deadline_in_working_days(
    client: TestClient, citizen: dict[str, str]
) -> None:
    case = submit(
        client,
        citizen,
        STARTUP,
        {
            "name": "贵阳时限科技有限公司",
            "entity_type": "有限责任公司",
            "registered_capital": "1万元",
            "address": "贵阳市云岩区中华北路3号",
            "business_scope": "咨询",
        },
    ).json()
    done = upload_missing(client, citizen, case)
    assert done["status"] == "processing" and done["step"] == "accept"
    assert done["due_on"] is not None and done["working_days_left"] is not None
    assert {m["status"] for m in done["materials"]} <= {"fetched", "uploaded"}


def test_the_same_idempotency_key_creates_one_case(
    client: TestClient, citizen: dict[str, str], db: Database
) -> None:
    key = uuid.uuid4().hex
    first = submit(client, citizen, PROOF, key=key)
    again = submit(client, citizen, PROOF, key=key)
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["number"] == again.json()["number"]
    with db.session() as session:
        assert (
            session.scalar(
                select(func.count()).select_from(Case).where(Case.idempotency_key == key)
            )
            == 1
        )


def test_a_submission_without_idempotency_key_or_consent_or_fields_changes_nothing(
    client: TestClient, citizen: dict[str, str], db: Database
) -> None:
    with db.session() as session:
        before = session.scalar(select(func.count()).select_from(Case))
    no_key = client.post(
        "/api/services/cases", json={"item_code": PROOF, "consent": True}, headers=citizen
    )
    assert no_key.status_code == 422
    no_consent = submit(client, citizen, PENSION, {"contribution_level": "一档"}, consent=False)
    assert no_consent.status_code == 422 and no_consent.json()["code"] == "consent-required"
    missing = submit(client, citizen, STARTUP, {"name": "只有名称"})
    assert missing.status_code == 422 and "经营范围" in missing.json()["detail_zh"]
    unknown = submit(client, citizen, PROOF, {"hack": "x"})
    assert unknown.status_code == 422 and unknown.json()["code"] == "bad-form"
    nested = submit(client, citizen, PROOF, {"status": {"$ne": 1}})  # type: ignore[dict-item]
    assert nested.status_code == 422
    no_item = submit(client, citizen, "NO-SUCH-ITEM")
    assert no_item.status_code == 404
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == before


def test_an_enterprise_item_refuses_a_natural_person(
    client: TestClient, citizen: dict[str, str]
) -> None:
    response = submit(client, citizen, "520100-SCJG-GG-0001")
    assert response.status_code == 403 and response.json()["code"] == "wrong-applicant-kind"


def test_an_enterprise_gets_its_licence_from_the_certificate_library_or_uploads_it(
    client: TestClient, enterprise: dict[str, str]
) -> None:
    case = submit(client, enterprise, "520100-SCJG-XK-0002", {"change": "住所变更"}).json()
    by_name = {m["name"]: m for m in case["materials"]}
    assert by_name["市场主体登记信息"]["status"] == "fetched"
    assert by_name["营业执照"]["kind"] == "certificate"
    assert by_name["营业执照"]["status"] in ("fetched", "missing", "pending")
    assert case["form"]["name"]  # pre-filled from the register


def test_another_citizen_cannot_read_or_touch_my_case(
    client: TestClient, citizen: dict[str, str], other_citizen: dict[str, str], db: Database
) -> None:
    number = submit(client, citizen, PROOF).json()["number"]
    read = client.get(f"/api/services/cases/{number}", headers=other_citizen)
    assert read.status_code == 404
    assert "BJ" not in read.text.replace(number, "")  # nothing of the case leaks
    pay = client.post(f"/api/services/cases/{number}/payment", headers=other_citizen)
    assert pay.status_code == 404
    mine = client.get("/api/services/cases/mine", headers=other_citizen).json()
    assert number not in [c["number"] for c in mine["data"]]
    with db.session() as session:
        refused = session.scalar(
            select(func.count())
            .select_from(LedgerEntry)
            .where(
                LedgerEntry.activity == "services.case_refused", LedgerEntry.subject_id == number
            )
        )
    assert refused == 2


def test_a_staff_member_of_an_unrelated_unit_cannot_read_the_case(
    client: TestClient, citizen: dict[str, str], handler_of: object
) -> None:
    number = submit(client, citizen, PROOF).json()["number"]
    zjj = handler_of("zjj")  # type: ignore[operator]
    assert client.get(f"/api/services/cases/{number}", headers=zjj).status_code == 404


def test_my_cases_list_pages_and_shows_only_mine(
    client: TestClient, citizen: dict[str, str], other_citizen: dict[str, str]
) -> None:
    theirs = submit(client, other_citizen, PROOF).json()["number"]
    page = client.get("/api/services/cases/mine", params={"limit": 2}, headers=citizen).json()
    assert len(page["data"]) == 2 and page["count"] >= 2
    every = client.get("/api/services/cases/mine", params={"limit": 200}, headers=citizen).json()
    assert theirs not in [c["number"] for c in every["data"]]


def test_a_case_number_that_is_not_one_is_a_422(
    client: TestClient, citizen: dict[str, str]
) -> None:
    assert client.get("/api/services/cases/../../etc", headers=citizen).status_code in (404, 422)
    assert client.get("/api/services/cases/XX1", headers=citizen).status_code == 422


def test_concurrent_submissions_with_one_key_make_one_case(
    client: TestClient, citizen: dict[str, str], db: Database
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    key = uuid.uuid4().hex
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda _: submit(client, citizen, PROOF, key=key), range(4)))
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 201]
    assert len({a.json()["number"] for a in answers}) == 1
    with db.session() as session:
        count = select(func.count()).select_from(Case).where(Case.idempotency_key == key)
        assert session.scalar(count) == 1
