"""The power list: the demo city's, the workbook a unit downloads, fills in and uploads (every
problem named by sheet, row and column, nothing half-saved), the JSON API with paging, and
who may list powers for which unit."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from tests.helpers import api_token, token_for
from zhuyun.demo.builder import DemoResult
from zhuyun.identity.permissions import Role

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _upload(client: TestClient, headers: dict[str, str], data: bytes):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/supervision/powers.xlsx", headers=headers, files={"file": ("powers.xlsx", data, XLSX)}
    )


def _fill(template: bytes, unit: str, code: str, *, bad: bool = False) -> bytes:
    book = load_workbook(io.BytesIO(template))
    book["权力事项"].append(
        [
            code,
            unit,
            "对无照经营的查处",
            "处罚" if not bad else "罚款",
            "《无证无照经营查处办法》第十三条",
            "张三",
            30,
        ]
    )
    steps = book["办理流程"]
    steps.append([code, "register", "立案", "power.register", "执法人员", 5, "是"])
    steps.append([code, "decide", "决定", "power.decide", "负责人", "三天" if bad else 5, "是"])
    book["裁量基准"].append([code, "无证无照经营查处办法第十三条", "", 0, 5000 if not bad else -1])
    book["风险点"].append([code, "权力寻租点", "decide", "罚款随意", "集体讨论"])
    book["关联事项"].append([code, "服务事项", f"ITEM-{code}"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_demo_city_lists_powers_of_several_units_with_paging(
    client: TestClient, demo_city: DemoResult
) -> None:
    headers = api_token(client, demo_city, Role.CASE_HANDLER)
    page = client.get("/api/supervision/powers", params={"limit": 2}, headers=headers).json()
    assert page["count"] >= 4 and len(page["data"]) == 2 and page["limit"] == 2
    all_powers = client.get("/api/supervision/powers", params={"limit": 200}, headers=headers)
    by_code = {p["code"]: p for p in all_powers.json()["data"]}
    penalty = by_code["SCJG-CF-0001"]
    assert penalty["power_type"] == "处罚" and penalty["unit_name"] == "贵阳市市场监督管理局"
    assert [s["code"] for s in penalty["steps"]][:3] == ["register", "investigate", "review"]
    assert {b["article"] for b in penalty["discretion"]} >= {"食品安全法第一百二十六条第一款"}
    assert {r["kind"] for r in penalty["risks"]} == {"权力寻租点", "群众关注点"}
    assert by_code["SCJG-JC-0001"]["links"] == [
        {"kind": "governance_category", "code": "food_safety"}
    ]
    units = {p["unit_name"] for p in by_code.values()}
    assert {"贵阳市市场监督管理局", "贵阳市综合行政执法局"} <= units
    penalties = client.get(
        "/api/supervision/powers", params={"power_type": "许可"}, headers=headers
    ).json()
    assert {p["code"] for p in penalties["data"]} == {"SCJG-XK-0001"}


def test_a_unit_downloads_the_template_fills_it_in_and_gets_its_powers_back(
    client: TestClient, demo_city: DemoResult
) -> None:
    admin = token_for(client, demo_city, "scjg.data")
    template = client.get("/api/supervision/powers.xlsx", params={"template": True}, headers=admin)
    assert template.status_code == 200 and template.headers["content-type"] == XLSX
    sheets = load_workbook(io.BytesIO(template.content)).sheetnames
    assert sheets == ["填表说明", "权力事项", "办理流程", "裁量基准", "风险点", "关联事项"]
    created = _upload(client, admin, _fill(template.content, "scjg", "SCJG-CF-9001"))
    assert created.status_code == 201, created.text
    assert created.json() == {"saved": 1, "codes": ["SCJG-CF-9001"]}
    power = client.get("/api/supervision/powers/SCJG-CF-9001", headers=admin).json()
    assert [s["activity"] for s in power["steps"]] == ["power.register", "power.decide"]
    assert power["discretion"][0]["max_amount"] == 5000
    assert power["links"] == [{"kind": "service_item", "code": "ITEM-SCJG-CF-9001"}]
    # the unit's export holds what it filled in, and reads back the same
    mine = {"unit_id": power["unit_id"]}
    export = client.get("/api/supervision/powers.xlsx", params=mine, headers=admin).content
    rows = list(load_workbook(io.BytesIO(export))["办理流程"].iter_rows(values_only=True))
    assert ("SCJG-CF-9001", "decide", "决定", "power.decide", "负责人", 5, "是") in rows
    again = _upload(client, admin, export)
    assert again.status_code == 201 and "SCJG-CF-9001" in again.json()["codes"]


def test_a_workbook_with_problems_is_refused_whole_with_every_cell_named(
    client: TestClient, demo_city: DemoResult
) -> None:
    admin = token_for(client, demo_city, "scjg.data")
    template = client.get(
        "/api/supervision/powers.xlsx", params={"template": True}, headers=admin
    ).content
    book = load_workbook(io.BytesIO(_fill(template, "scjg", "SCJG-OK-9002")))
    out = io.BytesIO()
    book.save(out)
    good_then_bad = _fill(out.getvalue(), "scjg", "SCJG-CF-9003", bad=True)
    refused = _upload(client, admin, good_then_bad)
    assert refused.status_code == 422
    problem = refused.json()
    assert "nothing was saved" in problem["detail"] and "未保存任何内容" in problem["detail_zh"]
    cells = {(e["sheet"], e["row"], e["column"]) for e in problem["errors"]}
    assert cells == {
        ("权力事项", 3, "权力类型"),
        ("办理流程", 5, "时限（工作日）"),
        ("裁量基准", 3, "罚款上限（元）"),
    }
    by_cell = {(e["sheet"], e["row"]): e for e in problem["errors"]}
    assert "“罚款”无效" in by_cell[("权力事项", 3)]["message_zh"]
    assert "row 3" in by_cell[("权力事项", 3)]["message"]
    missing = client.get("/api/supervision/powers/SCJG-OK-9002", headers=admin)
    assert missing.status_code == 404  # the good power of the same workbook was not saved


def test_not_a_workbook_and_a_sheet_without_its_columns_are_clear_errors(
    client: TestClient, demo_city: DemoResult
) -> None:
    admin = token_for(client, demo_city, "scjg.data")
    junk = _upload(client, admin, b"PK\x03\x04 not really a zip")
    assert junk.status_code == 422 and "XLSX" in junk.json()["detail_zh"]
    from openpyxl import Workbook

    book = Workbook()
    assert book.active is not None
    book.active.title = "权力事项"
    book.active.append(["权力编码", "权力名称"])
    out = io.BytesIO()
    book.save(out)
    headless = _upload(client, admin, out.getvalue())
    assert headless.status_code == 422
    columns = {e["column"] for e in headless.json()["errors"]}
    assert {"单位编码", "权力类型", "法律依据"} <= columns


def test_a_unit_lists_powers_only_for_itself(client: TestClient, demo_city: DemoResult) -> None:
    template = client.get(
        "/api/supervision/powers.xlsx",
        params={"template": True},
        headers=token_for(client, demo_city, "scjg.data"),
    ).content
    police = token_for(client, demo_city, "gongan.data")
    refused = _upload(client, police, _fill(template, "scjg", "SCJG-CF-9004"))
    assert refused.status_code == 422
    assert "无权为单位" in refused.json()["detail_zh"]
    handler = api_token(client, demo_city, Role.CASE_HANDLER)
    forbidden = _upload(client, handler, _fill(template, "rsj", "RSJ-CF-9005"))
    assert forbidden.status_code == 403  # a case handler does not keep the power list
    assert client.get("/api/supervision/powers").status_code == 401


def test_a_power_saved_as_json_is_checked_too(client: TestClient, demo_city: DemoResult) -> None:
    admin = token_for(client, demo_city, "scjg.data")
    body = {
        "code": "SCJG-QR-9006",
        "unit_code": "scjg",
        "name": "食品经营许可变更",
        "power_type": "许可",
        "legal_basis": "《食品经营许可和备案管理办法》",
        "responsible": "李四",
        "steps": [
            {"code": "accept", "name": "受理", "activity": "power.accept", "role": "窗口"},
            {"code": "accept", "name": "再受理", "activity": "power.accept2", "role": "窗口"},
        ],
        "risks": [{"kind": "群众关注点", "step": "issue", "description": "时限"}],
    }
    refused = client.post("/api/supervision/powers", json=body, headers=admin)
    assert refused.status_code == 422
    fields = {e["field"] for e in refused.json()["errors"]}
    assert fields == {"SCJG-QR-9006.steps.accept", "SCJG-QR-9006.risks.issue"}
    body["steps"] = body["steps"][:1]
    body["risks"] = []
    saved = client.post("/api/supervision/powers", json=body, headers=admin)
    assert saved.status_code == 201 and saved.json()["unit_name"] == "贵阳市市场监督管理局"
