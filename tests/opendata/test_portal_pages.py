"""The portal's public pages, read by someone who never signs in: the home with its figures
and lists, search with facets, a dataset's page with its quality report, usage and history,
and the units that open data — and nothing closed or sensitive anywhere."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from zhuyun.catalog import service as catalog
from zhuyun.catalog.vocab import OpenType
from zhuyun.core.db import Database
from zhuyun.demo.builder import DemoResult
from zhuyun.opendata import usage
from zhuyun.opendata.service import dataset_name

CLOSED = ("人口基础信息", "违法犯罪记录信息", "居民身份证签发信息")


def _datasets(html: str) -> list[str]:
    return re.findall(r'data-dataset="([^"]+)"', html)


def _name_of(db: Database, title: str) -> tuple[str, int]:
    with db.session() as session:
        version = next(v for v in catalog.current_versions(session)[0] if v.name == title)
        return dataset_name(version.code), version.resource_id


def test_the_home_shows_figures_newest_and_most_used_and_nothing_closed(
    client: TestClient, demo_city: DemoResult
) -> None:
    page = client.get("/opendata")
    assert page.status_code == 200
    text = page.text
    for heading in ("开放数据集", "无条件开放", "有条件开放", "平均质量分", "最新发布", "最常使用"):
        assert heading in text
    assert 'id="opendata-data"' in text and 'data-od-chart="trend"' in text
    for title in CLOSED:
        assert title not in text
    assert "<script>" not in text  # the CSP allows no inline script


def test_a_facet_narrows_the_results_and_its_counts_match(
    client: TestClient, demo_city: DemoResult
) -> None:
    everything = client.get("/opendata").text
    total = int(re.search(r'data-count="(\d+)"', everything).group(1))  # type: ignore[union-attr]
    conditional = client.get("/opendata", params={"open": "conditional"}).text
    count = int(re.search(r'data-count="(\d+)"', conditional).group(1))  # type: ignore[union-attr]
    assert 0 < count < total
    facet = re.search(r'data-facet="open".*?</div>', everything, re.S).group(0)  # type: ignore[union-attr]
    assert re.search(rf"有条件开放</span><span class=\"od-facet-count\">{count}<", facet)
    cards = re.findall(r'<li class="od-card".*?</li>', conditional, re.S)
    assert len(cards) == min(count, 20)
    assert all("有条件开放" in card for card in cards)
    assert "最新发布" not in conditional  # a search shows results, not the home's lists


def test_words_and_facets_combine_and_paging_keeps_them(
    client: TestClient, demo_city: DemoResult
) -> None:
    found = client.get("/opendata", params={"q": "许可", "theme": "食品药品安全"}).text
    names = _datasets(found)
    assert names
    assert "食品经营许可证信息" in found
    assert "关键词：许可" in found and "主题：食品药品安全" in found
    unit = client.get("/opendata", params={"organization": "scjg"}).text
    assert "贵阳市市场监督管理局" in unit
    first = _datasets(client.get("/opendata").text)
    second = _datasets(client.get("/opendata", params={"offset": 20}).text)
    assert len(first) == 20 and second and set(first).isdisjoint(second)
    opened = client.get("/opendata", params={"open": "open"}).text
    assert "open=open" in re.search(r'rel="next"[^>]*|href="[^"]*"[^>]*rel="next"', opened).group(0)  # type: ignore[union-attr]
    nothing = client.get("/opendata", params={"q": "不存在的数据集名称xyz"})
    assert nothing.status_code == 200 and "没有找到符合条件的数据集" in nothing.text


def test_a_dataset_page_shows_metadata_resources_quality_usage_history_and_api(
    client: TestClient, db: Database, demo_city: DemoResult
) -> None:
    name, _ = _name_of(db, "市场主体登记信息")
    page = client.get(f"/opendata/datasets/{name}")
    assert page.status_code == 200
    text = page.text
    for part in (
        "基本信息",
        "数据资源",
        "数据质量报告",
        "使用情况",
        "接口示例",
        "许可协议",
        "更新记录",
    ):
        assert part in text
    assert re.search(r'data-score="(\d+)"', text)
    assert "规范性" in text and "完整性" in text and "唯一性" in text and "结构一致性" in text
    assert f"package_show?id={name}" in text and "datastore_search?resource_id=" in text
    assert "Authorization" in text  # conditionally open: the key goes in a header
    assert "CC BY 4.0" in text and "第 1 版" in text
    assert "credit_code" in text
    assert "legal_rep_id_number" not in text  # sensitive: never opened, never named


def test_each_showing_of_a_dataset_page_counts_one_view(
    client: TestClient, db: Database, demo_city: DemoResult
) -> None:
    name, rid = _name_of(db, "营业执照电子证照信息")
    with db.session() as session:
        before = usage.totals_of(session, rid)
    for _ in range(3):
        assert client.get(f"/opendata/datasets/{name}").status_code == 200
    with db.session() as session:
        after = usage.totals_of(session, rid)
    assert after.views == before.views + 3
    assert after.downloads == before.downloads


@pytest.mark.parametrize("title", CLOSED)
def test_a_closed_dataset_has_no_page(
    client: TestClient, db: Database, demo_city: DemoResult, title: str
) -> None:
    name, _ = _name_of(db, title)
    assert client.get(f"/opendata/datasets/{name}").status_code == 404


def test_the_units_pages_show_each_units_datasets_quality_and_usage(
    client: TestClient, demo_city: DemoResult
) -> None:
    units = client.get("/opendata/organizations")
    assert units.status_code == 200
    assert "贵阳市市场监督管理局" in units.text and 'data-od-chart="units"' in units.text
    unit = client.get("/opendata/organizations/scjg")
    assert unit.status_code == 200
    assert "营业执照电子证照信息" in unit.text and "市场主体登记信息" in unit.text
    assert "平均质量分" in unit.text and re.search(r'data-score="[\d.]+"', unit.text)
    for title in CLOSED:
        assert title not in unit.text
    assert client.get("/opendata/organizations/no-such-unit").status_code == 404


def test_a_dataset_without_a_source_says_it_is_not_assessed(
    client: TestClient, db: Database, demo_city: DemoResult
) -> None:
    with db.session() as session:
        from zhuyun.exchange.service.sources import binding_for

        version = next(
            v
            for v in catalog.current_versions(session, open_types=[OpenType.OPEN])[0]
            if binding_for(session, v.resource_id) is None
        )
    page = client.get(f"/opendata/datasets/{dataset_name(version.code)}")
    assert page.status_code == 200
    assert "未接入数据源" in page.text
