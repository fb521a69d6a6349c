"""The catalog as DCAT: Turtle and JSON-LD that rdflib reads back; the public sees only what
is open, without the internal sharing rules or secret items; staff see all that is published."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import CSVW, DCAT, DCTERMS, RDF

from tests.helpers import api_token
from zhuyun.catalog.dcat import HYDRA, ZY
from zhuyun.demo.builder import DemoResult
from zhuyun.identity.permissions import Role


def _graph(response_text: str, fmt: str) -> Graph:
    graph = Graph()
    graph.parse(data=response_text, format=fmt)
    return graph


def _titles(graph: Graph) -> set[str]:
    return {
        str(graph.value(dataset, DCTERMS.title))
        for dataset in graph.subjects(RDF.type, DCAT.Dataset)
    }


def test_the_public_sees_open_resources_without_sharing_rules_or_secret_items(
    client: TestClient, demo_city: DemoResult
) -> None:
    response = client.get("/api/catalog/dcat.ttl")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/turtle")
    graph = _graph(response.text, "turtle")
    titles = _titles(graph)
    assert {"营业执照电子证照信息", "环境空气质量监测数据", "市场主体登记信息"} <= titles
    assert "人口基础信息" not in titles  # shared among departments, not opened
    assert "个人所得税纳税信息" not in titles  # withheld
    assert not list(graph.triples((None, ZY.shareType, None)))
    assert not list(graph.triples((None, ZY.legalBasis, None)))
    assert not list(graph.triples((None, ZY.sensitivity, Literal("secret"))))
    staff = client.get(
        "/api/catalog/resources",
        params={"limit": 200},
        headers=api_token(client, demo_city, Role.CASE_HANDLER),
    ).json()
    opened = {r["name"] for r in staff["data"] if r["open_type"] != "closed"}
    assert titles == opened


def test_a_dataset_carries_its_code_publisher_keywords_frequency_and_columns(
    client: TestClient,
) -> None:
    graph = _graph(client.get("/api/catalog/dcat.ttl").text, "turtle")
    dataset = next(
        d
        for d in graph.subjects(RDF.type, DCAT.Dataset)
        if str(graph.value(d, DCTERMS.title)) == "环境空气质量监测数据"
    )
    assert str(graph.value(dataset, DCTERMS.identifier)).startswith("211002/")
    publisher = graph.value(dataset, DCTERMS.publisher)
    assert publisher is not None
    keywords = {str(k) for k in graph.objects(dataset, DCAT.keyword)}
    assert {"生态环保", "主题信息资源"} <= keywords
    assert graph.value(dataset, DCTERMS.accrualPeriodicity) == URIRef(
        "http://publications.europa.eu/resource/authority/frequency/CONT"
    )
    distribution = graph.value(dataset, DCAT.distribution)
    schema = graph.value(distribution, CSVW.tableSchema)
    listed = Collection(graph, graph.value(schema, CSVW.column))
    columns = [str(graph.value(column, CSVW.name)) for column in listed]
    assert columns[:3] == ["station_code", "station_name", "monitored_at"]
    assert {"aqi", "pm25"} <= set(columns)
    assert graph.value(dataset, DCTERMS.issued) is not None


@pytest.mark.filterwarnings("ignore::DeprecationWarning:rdflib.*")
def test_staff_see_every_published_resource_with_its_sharing_rules_in_json_ld(
    client: TestClient, demo_city: DemoResult
) -> None:
    headers = api_token(client, demo_city, Role.CASE_HANDLER)
    response = client.get("/api/catalog/dcat.jsonld", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/ld+json")
    graph = _graph(response.text, "json-ld")
    titles = _titles(graph)
    assert {"人口基础信息", "个人所得税纳税信息"} <= titles
    listed = client.get("/api/catalog/resources", params={"limit": 1}, headers=headers).json()
    assert len(titles) == listed["count"]
    assert list(graph.triples((None, ZY.legalBasis, None)))
    assert list(graph.triples((None, ZY.shareType, Literal("none"))))
    citizen = api_token(client, demo_city, Role.CITIZEN)
    as_citizen = client.get("/api/catalog/dcat.jsonld", headers=citizen)
    public_titles = _titles(_graph(as_citizen.text, "json-ld"))
    assert "人口基础信息" not in public_titles


def test_large_catalogs_are_paged_with_hydra_links(client: TestClient) -> None:
    first = _graph(client.get("/api/catalog/dcat.ttl", params={"limit": 5}).text, "turtle")
    assert len(_titles(first)) == 5
    view = next(first.objects(None, HYDRA.view))
    next_page = first.value(view, HYDRA.next)
    assert next_page is not None and "offset=5" in str(next_page)
    total = int(next(first.objects(None, HYDRA.totalItems)))
    assert total > 5
    assert client.get("/api/catalog/dcat.ttl", params={"limit": 10**6}).status_code == 422
