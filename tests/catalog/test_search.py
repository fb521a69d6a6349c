"""Searching the catalog in Chinese: jieba words over names, items, providers and
classification, ranked; facets that count and narrow; bad search input refused."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.helpers import api_token
from zhuyun.catalog.models import Resource, SearchTerm
from zhuyun.core.db import Database
from zhuyun.demo.builder import DemoResult
from zhuyun.identity.permissions import Role


def _search(client: TestClient, demo_city: DemoResult, **params: object) -> dict:
    headers = api_token(client, demo_city, Role.CASE_HANDLER)
    response = client.get("/api/catalog/resources", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _names(page: dict) -> list[str]:
    return [r["name"] for r in page["data"]]


def test_chinese_words_find_resources_by_name_first(
    client: TestClient, demo_city: DemoResult
) -> None:
    population = _search(client, demo_city, q="人口")
    assert _names(population)[0] == "人口基础信息"
    assert "流动人口居住登记信息" in _names(population)
    licences = _search(client, demo_city, q="驾驶证")
    assert _names(licences)[0] == "机动车驾驶证信息"
    assert _names(_search(client, demo_city, q="不动产 登记")) == ["不动产登记信息"]
    assert "最低生活保障对象信息" in _names(_search(client, demo_city, q="低保"))


def test_info_items_providers_and_classification_are_searchable(
    client: TestClient, demo_city: DemoResult
) -> None:
    by_item = _search(client, demo_city, q="公民身份号码", limit=200)
    assert by_item["count"] >= 20 and "婚姻登记信息" in _names(by_item)
    by_field = _search(client, demo_city, q="plate_no")
    assert _names(by_field) == ["机动车登记信息"]
    by_provider = _search(client, demo_city, q="市场监督管理局", limit=200)
    assert {r["provider_name"] for r in by_provider["data"]} == {"贵阳市市场监督管理局"}
    by_class = _search(client, demo_city, q="法人单位基础信息资源", limit=200)
    assert by_class["count"] >= 3 and all(r["class_code"] == "1" for r in by_class["data"])
    both = _search(client, demo_city, q="公安局 驾驶证")
    assert _names(both) == ["机动车驾驶证信息"]
    by_code = _search(client, demo_city, q="101001/")
    assert _names(by_code) == ["人口基础信息"]


def test_facets_count_every_value_and_narrow_the_results(
    client: TestClient, demo_city: DemoResult
) -> None:
    everything = _search(client, demo_city, limit=200)
    shares = {f["value"]: f for f in everything["facets"]["share_type"]}
    assert set(shares) == {"unconditional", "conditional", "none"}
    assert shares["none"]["label"] == "不予共享"
    assert sum(f["count"] for f in shares.values()) == everything["count"]
    withheld = _search(client, demo_city, share_type="none", limit=200)
    assert withheld["count"] == shares["none"]["count"]
    assert {r["share_type"] for r in withheld["data"]} == {"none"}
    # a facet's own counts ignore its own filter, so the other values stay choosable
    assert {f["value"] for f in withheld["facets"]["share_type"]} == set(shares)
    assert {f["value"] for f in withheld["facets"]["open_type"]} == {"closed"}
    population = _search(client, demo_city, base_library="population", class_code="1")
    assert population["count"] >= 3
    assert {f["label"] for f in population["facets"]["base_library"]} >= {"人口库", "法人库"}
    providers = {f["label"] for f in everything["facets"]["provider_unit_id"]}
    assert "贵阳市公安局" in providers
    police = next(
        f for f in everything["facets"]["provider_unit_id"] if f["label"] == "贵阳市公安局"
    )
    by_police = _search(client, demo_city, provider_unit_id=police["value"], q="信息")
    assert by_police["count"] >= 5
    assert {r["provider_name"] for r in by_police["data"]} == {"贵阳市公安局"}


def test_search_pages_and_refuses_a_page_size_of_a_billion(
    client: TestClient, demo_city: DemoResult
) -> None:
    first = _search(client, demo_city, limit=10)
    second = _search(client, demo_city, limit=10, offset=10)
    assert len(first["data"]) == 10 and first["count"] > 40
    assert not set(_names(first)) & set(_names(second))
    headers = api_token(client, demo_city, Role.CASE_HANDLER)
    huge = client.get("/api/catalog/resources", params={"limit": 10**9}, headers=headers)
    assert huge.status_code == 422 and huge.json()["detail_zh"]
    bad_facet = client.get("/api/catalog/resources", params={"class_code": "9"}, headers=headers)
    assert bad_facet.status_code == 422


def test_sql_looking_search_text_is_refused_and_changes_nothing(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    def counts() -> tuple[int, int]:
        with db.session() as session:
            resources = session.scalar(select(func.count()).select_from(Resource)) or 0
            terms = session.scalar(select(func.count()).select_from(SearchTerm)) or 0
        return resources, terms

    before = counts()
    headers = api_token(client, demo_city, Role.CASE_HANDLER)
    for text in (
        "'; DROP TABLE catalog_resources; --",
        "1' OR '1'='1",
        "人口%",
        'x" UNION SELECT * FROM accounts',
        "a" * 101,
    ):
        response = client.get("/api/catalog/resources", params={"q": text}, headers=headers)
        assert response.status_code == 422, text
        assert response.json()["detail_zh"], text
    words = client.get("/api/catalog/resources", params={"q": "drop table"}, headers=headers)
    assert words.status_code == 200 and words.json()["count"] == 0
    assert counts() == before


def test_a_search_of_single_characters_looks_for_them_in_names(
    client: TestClient, demo_city: DemoResult
) -> None:
    vehicles = _search(client, demo_city, q="车")
    assert set(_names(vehicles)) >= {"机动车登记信息", "机动车驾驶证信息"}
    stopword = _search(client, demo_city, q="的")
    assert all("的" in name for name in _names(stopword))
