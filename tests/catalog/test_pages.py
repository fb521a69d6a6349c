"""The catalog's pages: browsing with facets (htmx refreshes only the results), a resource's
items colour-coded, and a data admin drafting, fixing and publishing through the editor."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.catalog.conftest import data_admin
from tests.helpers import csrf, sign_in
from zhuyun.catalog.models import Resource
from zhuyun.core.db import Database
from zhuyun.demo.builder import DemoResult
from zhuyun.identity.permissions import Role

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)


def _sign_in(client: TestClient, demo_city: DemoResult, username: str) -> None:
    account = next(a for a in demo_city.accounts if a.username == username)
    sign_in(client, account.username, account.password)


def test_the_catalog_browser_lists_resources_with_facet_chips(
    client: TestClient, demo_city: DemoResult
) -> None:
    grid = demo_city.account(Role.GRID_WORKER)
    sign_in(client, grid.username, grid.password)
    page = client.get("/catalog")
    assert page.status_code == 200
    for text in ("资源目录", "共享类型", "不予共享", "人口基础信息", "基础库", 'href="/catalog"'):
        assert text in page.text, text
    assert "新建资源" not in page.text  # a grid worker reads, does not catalogue
    assert not INLINE_SCRIPT.search(page.text)
    home = client.get("/")
    assert 'href="/catalog"' in home.text  # the navigation shows the catalog


def test_a_facet_chip_refreshes_only_the_results_with_htmx(
    client: TestClient, demo_city: DemoResult
) -> None:
    _sign_in(client, demo_city, "gongan.data")
    page = client.get("/catalog")
    chip = re.search(r'href="(/catalog\?share_type=none)"[^>]*hx-get="([^"]+)"', page.text)
    assert chip, "a chip links to the withheld resources and fetches them with htmx"
    assert 'hx-select="#results"' in page.text
    narrowed = client.get(chip.group(2), headers={"HX-Request": "true"})
    assert narrowed.status_code == 200
    assert 'id="results"' in narrowed.text
    assert "个人所得税纳税信息" in narrowed.text and "人口基础信息" not in narrowed.text
    searched = client.get("/catalog", params={"q": "驾驶证"})
    assert "机动车驾驶证信息" in searched.text
    refused = client.get("/catalog", params={"q": "1' OR '1'='1"})
    assert refused.status_code == 422 and "检索词" in refused.text


def test_a_resource_page_colours_items_by_share_type_and_sensitivity(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    with db.session() as session:
        rid = session.scalar(select(Resource.id).where(Resource.name == "社会保障卡信息"))
    _sign_in(client, demo_city, "scjg.data")
    page = client.get(f"/catalog/{rid}")
    assert page.status_code == 200
    assert "share-row-none" in page.text and "share-row-conditional" in page.text
    assert "grade-sensitive" in page.text
    assert "金融账户" in page.text and "个人信息保护法" in page.text
    assert "第 1 版" in page.text
    assert "/publish" not in page.text  # not theirs to publish
    assert not INLINE_SCRIPT.search(page.text)


def _form(client: TestClient, **fields: str) -> dict[str, str]:
    data = {
        "csrf_token": csrf(client),
        "provider_unit_id": str(client.get("/api/me").json()["unit_id"]),
        "name": "网格事件处置信息",
        "classification": "2.10",
        "catalogue_code": "090",
        "summary": "网格员上报事件的处置过程。",
        "format": "database",
        "update_cycle": "realtime",
        "share_type": "conditional",
        "share_method": "api",
        "share_conditions": "限社会治理相关部门。",
        "open_type": "closed",
        "items-0-field": "event_no",
        "items-0-name": "事件编号",
        "items-0-data_type": "string",
        "items-0-sensitivity": "internal",
        "items-1-field": "reporter_phone",
        "items-1-name": "上报人电话",
        "items-1-data_type": "string",
        "items-1-sensitivity": "sensitive",
        "items-1-mask_kind": "phone",
        "items-2-field": "",
        "items-2-name": "",
    }
    data.update(fields)
    return data


def test_a_data_admin_drafts_fixes_and_publishes_through_the_editor(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    _sign_in(client, demo_city, "dsj.data")
    editor = client.get("/catalog/new")
    assert editor.status_code == 200 and "信息项" in editor.text
    assert not INLINE_SCRIPT.search(editor.text)
    wrong = client.post(
        "/catalog/new", data=_form(client, share_type="none"), follow_redirects=False
    )
    assert wrong.status_code == 422
    assert "不予共享" in wrong.text and "依据" in wrong.text
    assert 'value="网格事件处置信息"' in wrong.text  # what was typed is kept
    made = client.post("/catalog/new", data=_form(client), follow_redirects=False)
    assert made.status_code == 303, made.text[:500]
    location = made.headers["location"]
    rid = int(re.search(r"/catalog/(\d+)", location).group(1))  # type: ignore[union-attr]
    detail = client.get(location)
    assert "草稿已创建" in detail.text and "210090/" in detail.text
    saved = client.post(
        f"/catalog/{rid}/edit",
        data=_form(client, summary="网格员上报事件的受理、派遣和处置过程。", action="publish"),
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text[:800]
    published = client.get(saved.headers["location"])
    assert "已发布" in published.text and "受理、派遣" in published.text
    with db.session() as session:
        resource = session.get(Resource, rid)
        assert resource is not None
        assert (resource.status, resource.version) == ("published", 1)
        assert [i.field for i in resource.items] == ["event_no", "reporter_phone"]
    retired = client.post(
        f"/catalog/{rid}/retire", data={"csrf_token": csrf(client)}, follow_redirects=False
    )
    assert retired.status_code == 303
    assert "已撤销" in client.get(retired.headers["location"]).text


def test_a_form_post_without_its_csrf_token_is_refused(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    _sign_in(client, demo_city, "dsj.data")
    data = _form(client)
    del data["csrf_token"]
    refused = client.post("/catalog/new", data=data, follow_redirects=False)
    assert refused.status_code == 403


def test_the_worklist_and_editor_are_for_data_admins_only(
    client: TestClient, demo_city: DemoResult
) -> None:
    _sign_in(client, demo_city, "gongan.data")
    worklist = client.get("/catalog/worklist")
    assert worklist.status_code == 200
    assert "违法犯罪记录信息" in worklist.text and "营业执照电子证照信息" not in worklist.text
    handler = demo_city.account(Role.CASE_HANDLER)
    sign_in(client, handler.username, handler.password)
    assert client.get("/catalog/worklist").status_code == 403
    assert client.get("/catalog/new").status_code == 403
    assert data_admin(demo_city, "gongan.data").unit_name == "贵阳市公安局"
