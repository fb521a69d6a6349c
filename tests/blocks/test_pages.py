"""The 块数据 pages as a person uses them: the jobs, a job with its run form, a run's progress
bar (polled while it goes on), a profile with the source of each fact, and a failed lookup."""

from __future__ import annotations

import re
import uuid

from fastapi.testclient import TestClient

from tests.blocks.conftest import demo_job
from tests.helpers import csrf, sign_in
from zhuyun.blocks import service
from zhuyun.core.db import Database
from zhuyun.core.settings import Settings
from zhuyun.demo.builder import DemoResult
from zhuyun.identity import service as identity


def _sign_in_bureau(client: TestClient, demo_city: DemoResult) -> None:
    account = next(a for a in demo_city.accounts if a.username == "dsj.data")
    sign_in(client, account.username, account.password)


def test_the_jobs_page_lists_the_three_kinds_of_profile(
    client: TestClient, demo_city: DemoResult
) -> None:
    _sign_in_bureau(client, demo_city)
    page = client.get("/blocks/jobs")
    assert page.status_code == 200
    for label in ("一人一档", "一企一档", "一格一档"):
        assert label in page.text


def test_running_a_job_from_its_page_leads_to_a_finished_progress_bar(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    _sign_in_bureau(client, demo_city)
    job = demo_job(db, "grid")
    page = client.get(f"/blocks/jobs/{job.id}")
    assert page.status_code == 200 and "运行作业" in page.text
    assert "网格实有人口信息" in page.text and "城市管理案件信息" in page.text
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', page.text)
    assert key is not None
    response = client.post(
        f"/blocks/jobs/{job.id}/runs",
        data={"engine": "duckdb", "mode": "incremental", "idempotency_key": key.group(1),
              "csrf_token": csrf(client)},
        follow_redirects=False,
    )  # fmt: skip
    assert response.status_code == 303, response.text
    run_page = client.get(response.headers["location"])
    assert run_page.status_code == 200
    assert "已完成" in run_page.text and "100.0%" in run_page.text
    assert 'hx-trigger="every 1s"' not in run_page.text  # finished: no more polling


def test_a_run_under_way_is_polled_by_its_progress_bar(
    client: TestClient, demo_city: DemoResult, db: Database, demo_settings: Settings
) -> None:
    _sign_in_bureau(client, demo_city)
    job = demo_job(db, "enterprise")
    with db.session() as session:
        bureau = identity.principal_for(identity.find_account(session, "dsj.data"))  # type: ignore[arg-type]
        run, _ = service.start_run(
            session, bureau, service.get_job(session, job.id), "duckdb", "full", uuid.uuid4().hex
        )
        run_id = run.id
    partial = client.get(f"/blocks/runs/{run_id}/progress")
    assert partial.status_code == 200
    assert 'hx-trigger="every 1s"' in partial.text and "排队中" in partial.text
    service.execute_run(db, demo_settings, run_id)
    done = client.get(f"/blocks/runs/{run_id}/progress")
    assert "已完成" in done.text and 'hx-trigger="every 1s"' not in done.text


def test_a_profile_page_names_the_resource_unit_and_update_time_of_every_source(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    _sign_in_bureau(client, demo_city)
    job = demo_job(db, "enterprise")
    enterprise = next(a for a in demo_city.accounts if a.role == "enterprise").username
    found = client.get(f"/blocks/jobs/{job.id}/profiles", params={"key": f" {enterprise} "},
                       follow_redirects=True)  # fmt: skip
    assert found.status_code == 200
    assert "市场主体登记信息" in found.text and "贵阳市市场监督管理局" in found.text
    assert "税务登记信息" in found.text and "更新时间" in found.text
    missing = client.get(f"/blocks/jobs/{job.id}/profiles/91520100000000000X")
    assert missing.status_code == 404 and "没有" in missing.text
