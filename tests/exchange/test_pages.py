"""The exchange's pages as the people who use them see them: a data admin's sources and the
drafting of resources from their tables, applying and deciding applications, grants and
their revocation, the query console, a resource's access log, "who read my data" and the
sharing statistics."""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.helpers import csrf, sign_in
from zhuyun.core.calendar import china_today
from zhuyun.core.db import Database
from zhuyun.core.settings import Settings
from zhuyun.demo.builder import DemoResult
from zhuyun.exchange.models import Application, Binding
from zhuyun.identity.permissions import Role

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\b(src=|type=\"application/json\"))[^>]*>", re.I)


def resource_of(db: Database, table: str) -> int:
    with db.session() as session:
        binding = session.scalar(select(Binding).where(Binding.table_name == table))
        assert binding is not None, f"the demo binds {table}"
        return binding.resource_id


@pytest.fixture
def browsers(app: FastAPI, demo_city: DemoResult) -> Iterator[Any]:
    """Signed-in browsers of demo accounts, each with its own cookies."""
    opened: list[TestClient] = []

    def open_as(username: str) -> TestClient:
        account = next(a for a in demo_city.accounts if a.username == username)
        browser = TestClient(app)
        browser.__enter__()
        opened.append(browser)
        sign_in(browser, account.username, account.password)
        return browser

    yield open_as
    for browser in opened:
        browser.__exit__(None, None, None)


def _hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, f"the form carries {name}"
    return found.group(1)


def _apply(browser: TestClient, resource_id: int, items: list[str], purpose: str) -> Any:
    """Open the apply form as a person does, then submit it (once, unless told otherwise)."""
    form = browser.get("/exchange/apply", params={"resource_id": resource_id})
    assert form.status_code == 200, form.text[:300]
    data = {
        "csrf_token": csrf(browser),
        "resource_id": str(resource_id),
        "idempotency_key": _hidden(form.text, "idempotency_key"),
        "items": items,
        "purpose": purpose,
        "basis": "《社会救助暂行办法》第十一条",
        "valid_until": (china_today() + timedelta(days=200)).isoformat(),
        "expected_daily_rows": "500",
    }
    return data, browser.post("/exchange/apply", data=data, follow_redirects=False)


def _application_id(response: Any) -> int:
    assert response.status_code == 303, response.text[:500]
    found = re.match(r"/exchange/applications/(\d+)\?msg=", response.headers["location"])
    assert found, response.headers["location"]
    return int(found.group(1))


def _approve(browser: TestClient, application_id: int, **fields: Any) -> Any:
    data = {
        "csrf_token": csrf(browser),
        "valid_until": (china_today() + timedelta(days=100)).isoformat(),
        "max_rows_per_query": "100",
        "max_rows_per_day": "10000",
        **fields,
    }
    return browser.post(
        f"/exchange/applications/{application_id}/approve", data=data, follow_redirects=False
    )


def _query(browser: TestClient, resource_id: int, items: list[str], purpose: str, **extra: str):
    data = {
        "csrf_token": csrf(browser),
        "resource_id": str(resource_id),
        "items": items,
        "purpose": purpose,
        "limit": "20",
        **extra,
    }
    return browser.post("/exchange/query", data=data)


# -- applications and grants --------------------------------------------------------------


def test_a_data_admin_applies_through_the_form_and_the_provider_approves_it_from_the_inbox(
    browsers: Any, db: Database
) -> None:
    people = resource_of(db, "people")
    purpose = f"核定低保家庭人口 {uuid.uuid4().hex[:6]}"
    consumer = browsers("dsj.data")
    form = consumer.get("/exchange/apply", params={"resource_id": people})
    assert "申请共享：人口基础信息" in form.text
    assert 'type="hidden" name="idempotency_key"' in form.text
    assert not INLINE_SCRIPT.search(form.text)
    _, submitted = _apply(consumer, people, ["id_number", "name", "sex"], purpose)
    application_id = _application_id(submitted)
    mine = consumer.get(submitted.headers["location"])
    assert "申请已提交" in mine.text and "待审核" in mine.text
    assert "撤回申请" in mine.text and "批准并授权" not in mine.text
    outbox = consumer.get("/exchange/applications", params={"box": "outbox"})
    assert f"#{application_id}" in outbox.text

    provider = browsers("gongan.data")
    inbox = provider.get("/exchange/applications")
    assert inbox.status_code == 200
    row = inbox.text[inbox.text.index(f"#{application_id}</a>") :][:3000]
    assert "人口基础信息" in row and "大数据发展管理局" in row and purpose in row
    assert "个工作日" in row and "待审核" in row
    detail = provider.get(f"/exchange/applications/{application_id}")
    assert "批准并授权" in detail.text and "驳回理由（必填）" in detail.text
    assert "撤回申请" not in detail.text
    nothing = _approve(provider, application_id)  # no item ticked
    assert nothing.status_code == 422 and "不能为空" in nothing.text
    approved = _approve(provider, application_id, items=["id_number", "name"])
    assert approved.status_code == 303
    done = provider.get(approved.headers["location"])
    assert "已批准" in done.text and "共享授权 #" in done.text
    assert "公民身份号码" in done.text and "性别" not in done.text.split("办理结果")[1]

    answer = _query(consumer, people, ["id_number", "name"], purpose)
    assert answer.status_code == 200, answer.text[:500]
    assert re.search(r"共享授权 #\d+", answer.text)


def test_a_double_submitted_application_form_creates_one_application(
    browsers: Any, db: Database
) -> None:
    households = resource_of(db, "households")
    consumer = browsers("scjg.data")
    data, first = _apply(consumer, households, ["household_id"], "核验经营场所户籍信息")
    again = consumer.post("/exchange/apply", data=data, follow_redirects=False)
    assert _application_id(first) == _application_id(again)
    assert again.headers["location"].endswith("msg=duplicate")
    assert "没有重复受理" in consumer.get(again.headers["location"]).text
    with db.session() as session:
        count = session.scalar(
            select(func.count())
            .select_from(Application)
            .where(Application.idempotency_key == data["idempotency_key"])
        )
    assert count == 1


def test_the_provider_revokes_a_grant_from_the_grants_page_and_the_next_query_is_refused(
    browsers: Any, db: Database
) -> None:
    people = resource_of(db, "people")
    purpose = f"办理就业登记 {uuid.uuid4().hex[:6]}"
    consumer, provider = browsers("scjg.data"), browsers("gongan.data")
    application_id = _application_id(_apply(consumer, people, ["name"], purpose)[1])
    assert _approve(provider, application_id, items=["name"]).status_code == 303
    assert _query(consumer, people, ["name"], purpose).status_code == 200

    grants = provider.get("/exchange/grants")
    row = grants.text[grants.text.index(f'href="/exchange/applications/{application_id}"') :]
    grant_id = int(re.findall(r'action="/exchange/grants/(\d+)/revoke"', row)[0])
    assert "撤销理由（必填）" in grants.text and "有效" in grants.text
    consumer_view = consumer.get("/exchange/grants")
    assert f"/exchange/grants/{grant_id}/revoke" not in consumer_view.text  # not theirs to revoke
    assert f"/exchange/query?resource_id={people}" in consumer_view.text

    no_reason = provider.post(
        f"/exchange/grants/{grant_id}/revoke", data={"csrf_token": csrf(provider), "reason": ""}
    )
    assert no_reason.status_code == 422 and "撤销理由" in no_reason.text
    revoked = provider.post(
        f"/exchange/grants/{grant_id}/revoke",
        data={"csrf_token": csrf(provider), "reason": "业务已办结"},
        follow_redirects=False,
    )
    assert revoked.status_code == 303
    page = provider.get(revoked.headers["location"])
    assert "授权已撤销" in page.text and "业务已办结" in page.text

    refused = _query(consumer, people, ["name"], purpose)
    assert refused.status_code == 403
    assert "调用被拒绝" in refused.text and "授权已被撤销" in refused.text


def test_a_rejection_needs_a_reason_and_the_applicant_sees_it(browsers: Any, db: Database) -> None:
    low_income = resource_of(db, "low_income")
    consumer, provider = browsers("scjg.data"), browsers("admin")
    application_id = _application_id(
        _apply(consumer, low_income, ["id_number"], "市场主体信用修复核查")[1]
    )
    url = f"/exchange/applications/{application_id}/reject"
    silent = provider.post(url, data={"csrf_token": csrf(provider), "reason": " "})
    assert silent.status_code == 422 and "驳回理由须为" in silent.text
    rejected = provider.post(
        url,
        data={"csrf_token": csrf(provider), "reason": "用途与低保数据无关，不符合最小必要原则"},
        follow_redirects=False,
    )
    assert rejected.status_code == 303
    seen = consumer.get(f"/exchange/applications/{application_id}")
    assert "已驳回" in seen.text and "不符合最小必要原则" in seen.text
    assert "撤回申请" not in seen.text

    other = _application_id(_apply(consumer, low_income, ["id_number"], "再次申请核查")[1])
    withdrawn = consumer.post(
        f"/exchange/applications/{other}/withdraw",
        data={"csrf_token": csrf(consumer)},
        follow_redirects=False,
    )
    assert withdrawn.status_code == 303
    assert "已撤回" in consumer.get(withdrawn.headers["location"]).text


def test_an_overdue_application_shows_late_and_appears_under_escalated_for_the_bureau(
    browsers: Any, db: Database
) -> None:
    births = resource_of(db, "births")
    consumer = browsers("gongan.data")
    application_id = _application_id(
        _apply(consumer, births, ["certificate_no"], "办理出生登记落户")[1]
    )
    with db.session() as session:
        application = session.get(Application, application_id)
        assert application is not None
        application.due_on = china_today() - timedelta(days=21)
    outbox = consumer.get("/exchange/applications", params={"box": "outbox"})
    row = outbox.text[outbox.text.index(f"#{application_id}</a>") :][:3000]
    assert "已超期" in row and "已上报" in row
    assert "box=escalated" not in outbox.text  # the tab is the bureau's
    bureau = browsers("admin")
    escalated = bureau.get("/exchange/applications", params={"box": "escalated"})
    assert escalated.status_code == 200 and f"#{application_id}</a>" in escalated.text
    assert "批准并授权" in bureau.get(f"/exchange/applications/{application_id}").text


# -- the query console --------------------------------------------------------------------


def test_the_query_console_shows_masked_values_and_the_refusal_message(
    browsers: Any, db: Database
) -> None:
    enterprises, people = resource_of(db, "enterprises"), resource_of(db, "people")
    handler = browsers("rsj.handler")
    console = handler.get("/exchange/query", params={"resource_id": enterprises})
    assert console.status_code == 200
    assert "市场主体登记信息" in console.text and "有条件共享" in console.text
    assert 'value="legal_rep_id_number"' in console.text  # offered: it needs a grant
    assert not INLINE_SCRIPT.search(console.text)
    refused = _query(handler, enterprises, ["credit_code", "legal_rep_id_number"], "核验参保单位")
    assert refused.status_code == 403
    assert "调用被拒绝" in refused.text and "有条件共享" in refused.text
    assert "请先提交共享申请" in refused.text and "调用结果" not in refused.text
    empty = _query(handler, enterprises, ["credit_code"], " ")
    assert empty.status_code == 422 and "请填写调用用途" in empty.text

    purpose = f"核验企业法定代表人身份 {uuid.uuid4().hex[:6]}"
    consumer, provider = browsers("scjg.data"), browsers("gongan.data")
    application_id = _application_id(
        _apply(consumer, people, ["id_number", "name", "sex"], purpose)[1]
    )
    approved = _approve(
        provider, application_id, items=["id_number", "name", "sex"], clear_items=["name"]
    )
    assert approved.status_code == 303
    console = consumer.get("/exchange/query", params={"resource_id": people})
    assert "脱敏" in console.text
    answer = _query(consumer, people, ["id_number", "name", "sex"], purpose)
    assert answer.status_code == 200, answer.text[:500]
    assert "调用结果" in answer.text and re.search(r"共享授权 #\d+", answer.text)
    assert re.search(r'台账记录 <span class="mono">#\d+', answer.text)
    masked = re.findall(r'<td class="ex-masked" title="已脱敏">([^<]*)</td>', answer.text)
    assert len(masked) == 20 and all("*" in value for value in masked)  # only id_number
    assert answer.text.count('class="ex-col-masked"') == 1 and "已脱敏" in answer.text


def test_the_console_looks_up_one_record_by_key_pages_on_and_downloads_csv(
    browsers: Any, db: Database, demo_settings: Settings
) -> None:
    enterprises = resource_of(db, "enterprises")
    with sqlite3.connect(demo_settings.sources_dir / "scjg.sqlite") as source:
        code, name = source.execute("SELECT credit_code, name FROM enterprises LIMIT 1").fetchone()
    handler = browsers("dsj.data")
    one = _query(handler, enterprises, ["name"], "核验企业名称", key_value=code)
    assert one.status_code == 200, one.text[:500]
    assert name in one.text and "1 行" in one.text
    first = _query(handler, enterprises, ["credit_code"], "核验企业名称")
    after = _hidden(first.text, "after")
    second = _query(handler, enterprises, ["credit_code"], "核验企业名称", after=after)
    codes = [re.findall(r"<td>(91[0-9A-Z]{16})</td>", page.text) for page in (first, second)]
    assert len(codes[0]) == len(codes[1]) == 20 and codes[0][-1] < codes[1][0]
    download = _query(handler, enterprises, ["credit_code", "name"], "导出企业名录", format="csv")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    lines = download.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "统一社会信用代码,企业名称" and len(lines) == 21


# -- sources ------------------------------------------------------------------------------


def test_a_data_admin_registers_a_source_never_sees_its_secret_and_drafts_a_resource(
    browsers: Any, demo_settings: Settings
) -> None:
    admin = browsers("dsj.data")
    page = admin.get("/exchange/sources")
    assert page.status_code == 200 and "登记数据源" in page.text
    assert 'type="password"' in page.text
    secret = f"Never-Shown-{uuid.uuid4().hex}"
    name = f"人口库副本 {uuid.uuid4().hex[:6]}"
    location = f"sqlite:///{(demo_settings.sources_dir / 'gongan.sqlite').resolve()}"
    fields = {"csrf_token": csrf(admin), "name": name, "kind": "sqlite", "secret": secret}
    bad = admin.post(
        "/exchange/sources", data={**fields, "kind": "postgresql",
                                   "location": "postgresql+psycopg://u:pw@db/x"},
    )  # fmt: skip
    assert bad.status_code == 422 and "请将密码填写在" in bad.text and secret not in bad.text
    registered = admin.post(
        "/exchange/sources", data={**fields, "location": location}, follow_redirects=False
    )
    assert registered.status_code == 303
    detail = admin.get(registered.headers["location"])
    assert "数据源已登记" in detail.text and "已加密保存" in detail.text
    assert secret not in detail.text and "people" in detail.text
    source_id = int(re.search(r"/exchange/sources/(\d+)", registered.headers["location"])[1])

    checked = admin.post(
        f"/exchange/sources/{source_id}/check",
        data={"csrf_token": csrf(admin), "back": "list"},
        follow_redirects=False,
    )
    listing = admin.get(checked.headers["location"])
    assert "连接正常" in listing.text and name in listing.text and secret not in listing.text

    table = admin.get(f"/exchange/sources/{source_id}", params={"table": "people"})
    assert "id_number" in table.text and ("主键" in table.text or "索引" in table.text)
    assert "生成资源草稿" in table.text
    drafted = admin.post(
        f"/exchange/sources/{source_id}/drafts",
        data={"csrf_token": csrf(admin), "table_name": "people", "name": name,
              "key_field": "id_number", "subject_field": "id_number", "division_field": ""},
        follow_redirects=False,
    )  # fmt: skip
    assert drafted.status_code == 303
    assert re.match(r"/catalog/\d+\?msg=created", drafted.headers["location"])
    resource = admin.get(drafted.headers["location"])
    assert resource.status_code == 200 and name in resource.text and "草稿" in resource.text


def test_a_case_handler_cannot_open_the_sources_page(browsers: Any) -> None:
    handler = browsers("rsj.handler")
    page = handler.get("/exchange/sources")
    assert page.status_code == 403
    assert "您没有执行此操作的权限" in page.text
    assert 'href="/exchange/sources"' not in handler.get("/").text  # nor in the navigation
    assert 'href="/exchange/query"' in handler.get("/").text


def test_a_data_admin_cannot_open_another_units_source(browsers: Any, db: Database) -> None:
    with db.session() as session:
        people = session.scalar(select(Binding).where(Binding.table_name == "people"))
        assert people is not None
        source_id = people.source_id
    page = browsers("scjg.data").get(f"/exchange/sources/{source_id}")
    assert page.status_code == 403 and "数据所属单位的数据管理员" in page.text


# -- who read what ------------------------------------------------------------------------


def test_a_citizen_sees_their_own_access_record_after_a_query_about_them(
    browsers: Any, db: Database, demo_city: DemoResult
) -> None:
    citizen = demo_city.account(Role.CITIZEN)
    people = resource_of(db, "people")
    purpose = f"核查户籍登记 {uuid.uuid4().hex[:6]}"
    police = browsers("gongan.data")
    looked = _query(police, people, ["name", "sex"], purpose, key_value=citizen.username)
    assert looked.status_code == 200 and citizen.display_name in looked.text
    assert "本单位自有数据" in looked.text

    person = browsers(citizen.username)
    home = person.get("/")
    assert 'href="/exchange/my-access"' in home.text
    mine = person.get("/exchange/my-access")
    assert mine.status_code == 200
    assert purpose in mine.text and "人口基础信息" in mine.text
    assert "公安局" in mine.text and "姓名" in mine.text


def test_a_staff_account_is_told_who_read_my_data_is_for_citizens(browsers: Any) -> None:
    page = browsers("rsj.handler").get("/exchange/my-access")
    assert page.status_code == 403
    assert "只有以身份证号注册的自然人账号" in page.text


def test_the_access_log_lists_reads_and_refusals_to_the_provider_and_auditors_only(
    browsers: Any, db: Database
) -> None:
    enterprises = resource_of(db, "enterprises")
    purpose = f"审核社保补贴企业 {uuid.uuid4().hex[:6]}"
    handler = browsers("rsj.handler")
    assert _query(handler, enterprises, ["credit_code"], purpose).status_code == 200
    refused = _query(handler, enterprises, ["legal_rep_id_number"], purpose)
    assert refused.status_code == 403
    url = f"/exchange/resources/{enterprises}/access-log"
    log = browsers("scjg.data").get(url)
    assert log.status_code == 200
    assert "访问日志：市场主体登记信息" in log.text
    assert purpose in log.text and "人社局经办人" in log.text
    assert "需先申请授权" in log.text and "无条件共享" in log.text
    assert browsers("supervisor").get(url).status_code == 200
    other = browsers("dsj.data").get(url)
    assert other.status_code == 403 and "只有资源提供单位的数据管理员" in other.text


def test_the_sharing_statistics_show_every_consumer_unit_in_a_chart_and_a_table(
    browsers: Any, db: Database
) -> None:
    enterprises = resource_of(db, "enterprises")
    handler = browsers("rsj.handler")
    assert _query(handler, enterprises, ["credit_code"], "统计前的调用").status_code == 200
    page = browsers("grid.worker").get("/exchange/statistics")
    assert page.status_code == 200
    assert "共享统计" in page.text and "调用最多的单位" in page.text
    data = re.search(
        r'<script type="application/json" id="exchange-data">(.*?)</script>', page.text, re.S
    )
    assert data, "the chart's data travels as JSON, not as script"
    units = json.loads(data.group(1))["units"]
    assert any("人力资源" in u["name"] and u["queries"] > 0 for u in units)
    assert 'data-exchange-chart="units"' in page.text and "/static/js/exchange.js" in page.text
    assert not INLINE_SCRIPT.search(page.text)
    assert 'href="/exchange/statistics"' in page.text


def test_a_resource_page_leads_a_consumer_to_apply_and_query_and_its_provider_to_the_log(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    from tests.exchange.test_gateway import resource_of
    from tests.helpers import sign_in

    people = resource_of(db, "people")
    consumer = next(a for a in demo_city.accounts if a.username == "dsj.data")
    sign_in(client, consumer.username, consumer.password)
    page = client.get(f"/catalog/{people}")
    assert f'href="/exchange/apply?resource_id={people}"' in page.text
    assert f'href="/exchange/query?resource_id={people}"' in page.text
    assert "access-log" not in page.text
    client.cookies.clear()
    provider = next(a for a in demo_city.accounts if a.username == "gongan.data")
    sign_in(client, provider.username, provider.password)
    own = client.get(f"/catalog/{people}")
    assert f'href="/exchange/resources/{people}/access-log"' in own.text
    assert "/exchange/apply?" not in own.text
