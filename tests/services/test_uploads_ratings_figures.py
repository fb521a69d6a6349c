"""Uploads checked by content and size; a department down during auto-fill; 好差评 with
rectification; the public ratings; the dashboard's figures."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from tests.services.conftest import (
    PDF,
    PNG,
    PROOF,
    STARTUP,
    UNEMPLOYMENT,
    act,
    submit,
    upload_missing,
)
from zhuyun.core.db import Database
from zhuyun.exchange.models import Binding, Source
from zhuyun.services.service import uploads

STARTUP_FORM = {
    "name": "贵阳上传科技有限公司",
    "entity_type": "有限责任公司",
    "registered_capital": "1万元",
    "address": "贵阳市花溪区溪北路1号",
    "business_scope": "咨询",
}


def _missing(case: dict) -> int:  # type: ignore[type-arg]
    return next(m["material_id"] for m in case["materials"] if m["status"] == "missing")


def test_a_file_that_is_not_what_it_claims_or_too_large_is_refused_and_not_stored(
    client: TestClient, citizen: dict[str, str], monkeypatch: object
) -> None:
    case = submit(client, citizen, STARTUP, STARTUP_FORM).json()
    url = f"/api/services/cases/{case['number']}/materials/{_missing(case)}"
    fake = client.post(
        url, files={"file": ("licence.pdf", PNG, "application/pdf")}, headers=citizen
    )
    assert fake.status_code == 415 and "不符" in fake.json()["detail_zh"]
    script = client.post(
        url, files={"file": ("a.png", b"<script>alert(1)</script>", "image/png")}, headers=citizen
    )
    assert script.status_code == 415
    monkeypatch.setattr(uploads, "MAX_UPLOAD_BYTES", 64)  # type: ignore[attr-defined]
    large = client.post(
        url, files={"file": ("big.pdf", PDF + b"0" * 100, "application/pdf")}, headers=citizen
    )
    assert large.status_code == 413
    still = client.get(f"/api/services/cases/{case['number']}", headers=citizen).json()
    assert all(m["status"] != "uploaded" for m in still["materials"])
    good = client.post(
        url, files={"file": ("../../章程.pdf", PDF, "application/pdf")}, headers=citizen
    )
    assert good.status_code == 200
    assert (
        good.json()["file_name"] == "章程.pdf" and good.json()["content_type"] == "application/pdf"
    )


def test_a_material_the_platform_fetched_needs_no_upload(
    client: TestClient, citizen: dict[str, str], other_citizen: dict[str, str]
) -> None:
    case = submit(client, citizen, STARTUP, STARTUP_FORM).json()
    fetched = next(m for m in case["materials"] if m["status"] == "fetched")
    url = f"/api/services/cases/{case['number']}/materials/{fetched['material_id']}"
    again = client.post(url, files={"file": ("id.png", PNG, "image/png")}, headers=citizen)
    assert again.status_code == 409 and again.json()["code"] == "material-spared"
    theirs = client.post(
        f"/api/services/cases/{case['number']}/materials/{_missing(case)}",
        files={"file": ("x.png", PNG, "image/png")},
        headers=other_citizen,
    )
    assert theirs.status_code == 404


def test_a_department_down_during_autofill_leaves_the_material_pending_then_fetches_it(
    client: TestClient, citizen: dict[str, str], rsj: dict[str, str], db: Database
) -> None:
    with db.session() as session:
        source_id = session.scalar(
            select(Binding.source_id).where(Binding.table_name == "social_insurance")
        )
        location = session.scalar(select(Source.location).where(Source.id == source_id))
        session.execute(
            update(Source).where(Source.id == source_id).values(location="/nonexistent/rsj.sqlite")
        )
    try:
        response = submit(
            client, citizen, UNEMPLOYMENT, {"bank_account": "6217", "reason": "合同到期"}
        )
        assert response.status_code == 201, response.text
        case = response.json()
        pending = next(m for m in case["materials"] if m["name"] == "参保缴费记录")
        assert pending["status"] == "pending" and "稍后重新获取" in pending["message"]
    finally:
        with db.session() as session:
            session.execute(update(Source).where(Source.id == source_id).values(location=location))
    case = upload_missing(
        client,
        citizen,
        {**case, "materials": [m for m in case["materials"] if m["status"] == "missing"]},
    )
    assert case["status"] == "processing", "a pending material does not hold the case up"
    refetched = client.post(f"/api/services/cases/{case['number']}/refetch", headers=rsj)
    assert refetched.status_code == 200, refetched.text
    arrived = next(m for m in refetched.json()["materials"] if m["name"] == "参保缴费记录")
    assert arrived["status"] in ("fetched", "missing") and arrived["query_seq"]


def _closed_case(client: TestClient, citizen: dict[str, str], rsj: dict[str, str]) -> str:
    case = upload_missing(client, citizen, submit(client, citizen, PROOF).json())
    for action in ("accept", "approve", "issue", "deliver"):
        assert act(client, rsj, case["number"], action).status_code == 200
    number: str = case["number"]
    return number


def test_a_poor_rating_opens_a_rectification_answered_with_a_callback(
    client: TestClient, citizen: dict[str, str], rsj: dict[str, str]
) -> None:
    number = _closed_case(client, citizen, rsj)
    no_reason = client.post(
        f"/api/services/cases/{number}/rating", json={"score": 1}, headers=citizen
    )
    assert no_reason.status_code == 422 and no_reason.json()["code"] == "comment-required"
    rated = client.post(
        f"/api/services/cases/{number}/rating",
        json={"score": 1, "comment": "打印的证明没有盖章"},
        headers=citizen,
    )
    assert rated.status_code == 201
    twice = client.post(f"/api/services/cases/{number}/rating", json={"score": 5}, headers=citizen)
    assert twice.status_code == 409
    tasks = client.get(
        "/api/services/rectifications", params={"status": "open", "limit": 200}, headers=rsj
    ).json()
    task = next(t for t in tasks["data"] if t["case_number"] == number)
    assert task["score"] == 1 and task["due_on"]
    done = client.post(
        f"/api/services/rectifications/{task['id']}",
        json={"measures": "证明模板加盖电子印章", "callback": "已电话回访申请人，表示满意"},
        headers=rsj,
    )
    assert done.status_code == 200 and done.json()["status"] == "done"


def test_an_open_case_cannot_be_rated(client: TestClient, citizen: dict[str, str]) -> None:
    number = submit(client, citizen, PROOF).json()["number"]
    response = client.post(
        f"/api/services/cases/{number}/rating", json={"score": 5}, headers=citizen
    )
    assert response.status_code == 409


def test_unit_ratings_are_public_without_who_gave_them(
    client: TestClient, citizen: dict[str, str], rsj: dict[str, str]
) -> None:
    number = _closed_case(client, citizen, rsj)
    client.post(
        f"/api/services/cases/{number}/rating",
        json={"score": 5, "comment": "很快"},
        headers=citizen,
    )
    summaries = client.get("/api/services/ratings").json()
    rsj_unit = client.get(f"/api/services/cases/{number}", headers=citizen).json()["unit_id"]
    mine = next(s for s in summaries["data"] if s["unit_id"] == rsj_unit)
    assert mine["count"] >= 2 and mine["distribution"]["5"] >= 1
    comments = client.get(f"/api/services/ratings/{rsj_unit}/comments").json()
    assert comments["count"] == mine["count"]
    assert "applicant" not in comments["data"][0] and "case" not in str(comments["data"][0])


def test_figures_for_the_city_and_a_unit(
    client: TestClient, rsj: dict[str, str], handler_of: object, demo_city: object
) -> None:
    from tests.helpers import api_token
    from zhuyun.identity.permissions import Role

    supervisor = api_token(client, demo_city, Role.SUPERVISOR)  # type: ignore[arg-type]
    city = client.get("/api/services/stats", headers=supervisor).json()
    assert city["unit_id"] is None and city["items"] >= 10
    assert 0 < city["full_online_rate"] < 1 and 0 < city["immediate_rate"] < 1
    assert 0 < city["item_reduction_rate"] < 1
    assert city["materials_spared"] <= city["materials_required"]
    assert city["cases"] >= city["closed_cases"] >= 1
    assert city["average_promised_days"] is not None
    assert sum(city["rating_distribution"].values()) == city["rating_count"] >= 1
    own = client.get("/api/services/stats", headers=rsj).json()
    assert own["unit_id"] is not None and own["items"] < city["items"]
    other = client.get("/api/services/stats", params={"unit_id": 1}, headers=rsj)
    assert other.status_code == 403
