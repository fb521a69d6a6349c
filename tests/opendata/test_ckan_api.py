"""CKAN's own client drives the portal: `ckanapi`'s RemoteCKAN and its command line work
against zhuyun unchanged, and see only what the government opens."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import ckanapi
import httpx
import pytest

from zhuyun.demo.builder import DemoResult

CLIENT = "zhuyun-tests/1.0"


@pytest.fixture
def portal(live_server: str, demo_city: DemoResult) -> ckanapi.RemoteCKAN:
    return ckanapi.RemoteCKAN(live_server, user_agent=CLIENT)


def test_the_dataset_list_holds_the_open_datasets_and_nothing_closed(
    portal: ckanapi.RemoteCKAN,
) -> None:
    names = portal.action.package_list()
    assert names and all(name.startswith("zy-") for name in names)
    titles = {portal.action.package_show(id=name)["title"] for name in names}
    assert "营业执照电子证照信息" in titles  # open
    assert "人口基础信息" not in titles  # shared between departments only, never opened
    assert "违法犯罪记录信息" not in titles


def test_a_dataset_carries_ckans_fields_and_none_of_the_internal_sharing_rules(
    portal: ckanapi.RemoteCKAN,
) -> None:
    hit = portal.action.package_search(q="营业执照", rows=5)["results"][0]
    dataset = portal.action.package_show(id=hit["name"])
    for key in ("id", "name", "title", "notes", "organization", "tags", "resources", "license_id"):
        assert key in dataset
    assert dataset["organization"]["title"] == "贵阳市市场监督管理局"
    resource = dataset["resources"][0]
    assert resource["format"] == "CSV"
    # its download: the data is bound to the regulator's own database
    assert resource["url"].endswith(f"/opendata/datasets/{hit['name']}/download.csv")
    assert portal.action.resource_show(id=resource["id"])["id"] == resource["id"]
    text = json.dumps(dataset, ensure_ascii=False)
    for internal in ("share_type", "share_conditions", "legal_basis", "mask_kind", "sensitivity"):
        assert internal not in text
    market = portal.action.package_search(q="市场主体登记")["results"][0]
    fields = {f["id"] for f in market["resources"][0]["fields"]}
    assert "credit_code" in fields and "legal_rep_id_number" not in fields  # sensitive


def test_search_filters_and_facets_like_ckan(portal: ckanapi.RemoteCKAN) -> None:
    everything = portal.action.package_search(rows=1000, **{"facet.field": '["organization"]'})
    by_unit = everything["facets"]["organization"]
    assert sum(by_unit.values()) == everything["count"] == len(portal.action.package_list())
    unit, count = next(iter(by_unit.items()))
    narrowed = portal.action.package_search(fq=f"organization:{unit}", rows=1000)
    assert narrowed["count"] == count
    assert {d["organization"]["name"] for d in narrowed["results"]} == {unit}
    paged = portal.action.package_search(rows=2, start=1)
    assert len(paged["results"]) == 2


def test_organizations_groups_and_tags(portal: ckanapi.RemoteCKAN) -> None:
    organizations = portal.action.organization_list(all_fields=True)
    assert organizations and all(o["package_count"] > 0 for o in organizations)
    shown = portal.action.organization_show(id=organizations[0]["name"], include_datasets=True)
    assert len(shown["packages"]) == organizations[0]["package_count"]
    assert isinstance(portal.action.group_list(), list)
    assert isinstance(portal.action.tag_list(), list)
    assert portal.action.status_show()["ckan_version"].startswith("2.")


def test_unknown_things_and_bad_parameters_answer_in_ckans_error_shapes(
    portal: ckanapi.RemoteCKAN, live_server: str
) -> None:
    with pytest.raises(ckanapi.NotFound):
        portal.action.package_show(id="zy-999999-999999")
    with pytest.raises(ckanapi.ValidationError):
        portal.action.package_search(rows="many")
    unknown = httpx.get(f"{live_server}/api/3/action/no_such_action")
    assert unknown.status_code == 404
    assert unknown.json()["success"] is False
    assert unknown.json()["error"]["__type"] == "Not Found Error"
    bad_body = httpx.post(f"{live_server}/api/action/package_list", content=b"[1, 2]")
    assert bad_body.status_code == 409 and bad_body.json()["error"]["__type"] == "Validation Error"
    huge = httpx.get(f"{live_server}/api/3/action/package_search", params={"rows": 10**9})
    assert huge.status_code == 200 and len(huge.json()["result"]["results"]) <= 1000


def test_the_ckanapi_command_line_dumps_every_dataset(
    live_server: str, demo_city: DemoResult, tmp_path: Path
) -> None:
    out = tmp_path / "datasets.jsonl"
    scripts = Path(sys.executable).parent  # the command starts its workers by name
    done = subprocess.run(
        ["ckanapi", "dump", "datasets", "--all", "-q", "-r", live_server, "-O", str(out)],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "PATH": f"{scripts}{os.pathsep}{os.environ.get('PATH', '')}"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    dumped = [json.loads(line) for line in out.read_text("utf-8").splitlines() if line.strip()]
    names = httpx.get(f"{live_server}/api/3/action/package_list").json()["result"]
    assert sorted(d["name"] for d in dumped) == sorted(names)


def test_anyone_browses_the_portal_and_reads_a_dataset_page(
    live_server: str, demo_city: DemoResult
) -> None:
    home = httpx.get(f"{live_server}/opendata", headers={"accept": "text/html"})
    assert home.status_code == 200
    assert "开放数据" in home.text and "营业执照电子证照信息" in home.text
    assert "人口基础信息" not in home.text
    found = httpx.get(f"{live_server}/opendata", params={"q": "营业执照"})
    assert "营业执照电子证照信息" in found.text
    assert "市场监管行政处罚信息" not in found.text
    name = httpx.get(f"{live_server}/api/3/action/package_search", params={"q": "营业执照"}).json()[
        "result"
    ]["results"][0]["name"]
    page = httpx.get(f"{live_server}/opendata/datasets/{name}")
    assert page.status_code == 200
    assert "统一社会信用代码" in page.text and f"package_show?id={name}" in page.text
    missing = httpx.get(f"{live_server}/opendata/datasets/zy-000000-000000")
    assert missing.status_code == 404 and "没有名为" in missing.text
