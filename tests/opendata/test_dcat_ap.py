"""The open catalog as DCAT-AP 3.0.0: each serialisation conforms to the official SHACL shapes
(pyshacl), holds exactly the datasets of CKAN's `package_list`, nothing closed and no sensitive
item; the well-known address negotiates the serialisation."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pyshacl import validate
from rdflib import Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import CSVW, DCAT, DCTERMS, RDF, RDFS

from tests.helpers import shared_data
from zhuyun.catalog import service as catalog
from zhuyun.catalog.vocab import BASE_LIBRARY_LABELS_ZH, THEMES, OpenType, Sensitivity
from zhuyun.core.db import Database
from zhuyun.demo.builder import DemoResult
from zhuyun.opendata.dcat import THEME_LABELS
from zhuyun.opendata.dcat import THEMES as EU_THEMES

# The official shapes (SEMICeu/DCAT-AP, releases/3.0.0), kept beside the repository, unedited.
SHAPES = shared_data("dcat-ap", "dcat-ap-3.0.0-SHACL.ttl")
ACCESS_RIGHT = "http://publications.europa.eu/resource/authority/access-right/"
FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/"
SERIALISATIONS = [
    ("/opendata/catalog.ttl", "text/turtle", "turtle", "ttl"),
    ("/opendata/catalog.jsonld", "application/ld+json", "json-ld", "jsonld"),
    ("/opendata/catalog.rdf", "application/rdf+xml", "xml", "rdf"),
]


@pytest.fixture(scope="module")
def shapes() -> Graph:
    if not SHAPES.exists():
        pytest.skip(f"the DCAT-AP shapes are not at {SHAPES}")
    return Graph().parse(SHAPES, format="turtle")


def _fetch(client: TestClient, path: str, fmt: str, **headers: str) -> Graph:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.text[:500]
    return Graph().parse(data=response.text, format=fmt)


def _datasets(graph: Graph) -> dict[str, URIRef]:
    """The graph's datasets by their portal (CKAN) name, read from the landing page."""
    found = {}
    for dataset in graph.subjects(RDF.type, DCAT.Dataset):
        page = graph.value(dataset, DCAT.landingPage)
        found[str(page).rsplit("/", 1)[-1]] = URIRef(dataset)
    return found


def _package_list(client: TestClient) -> list[str]:
    names: list[str] = client.get("/api/3/action/package_list").json()["result"]
    return names


@pytest.mark.parametrize(("path", "media_type", "fmt", "suffix"), SERIALISATIONS)
def test_each_serialisation_conforms_to_the_dcat_ap_3_shapes(
    client: TestClient, demo_city: DemoResult, shapes: Graph,
    path: str, media_type: str, fmt: str, suffix: str,
) -> None:  # fmt: skip
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    disposition = response.headers["content-disposition"]
    assert disposition.endswith(f'filename="zhuyun-opendata-catalog.{suffix}"')
    graph = Graph().parse(data=response.text, format=fmt)
    assert len(list(graph.subjects(RDF.type, DCAT.Catalog))) == 1
    conforms, _, results = validate(graph, shacl_graph=shapes)
    assert conforms, results


def test_the_catalog_holds_exactly_the_open_datasets_of_the_ckan_api(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    graph = _fetch(client, "/opendata/catalog.ttl", "turtle")
    datasets = _datasets(graph)
    assert sorted(datasets) == sorted(_package_list(client))
    catalog_node = next(graph.subjects(RDF.type, DCAT.Catalog))
    assert set(graph.objects(catalog_node, DCAT.dataset)) == set(datasets.values())
    with db.session() as session:
        published, _ = catalog.current_versions(session, limit=1000)
        codes = {version.code: version.open_type for version in published}
    listed = {str(graph.value(d, DCTERMS.identifier)) for d in datasets.values()}
    opened = {code for code, kind in codes.items() if kind != OpenType.CLOSED.value}
    assert listed == opened
    assert any(kind == OpenType.CLOSED.value for kind in codes.values())
    titles = {str(graph.value(d, DCTERMS.title)) for d in datasets.values()}
    assert "营业执照电子证照信息" in titles
    assert "人口基础信息" not in titles  # shared between departments only, never opened


def test_no_sensitive_or_secret_item_is_described_and_no_sharing_rule_is_shown(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    response = client.get("/opendata/catalog.ttl")
    graph = Graph().parse(data=response.text, format="turtle")
    columns: dict[str, set[str]] = {}
    for dataset in _datasets(graph).values():
        distribution = next(graph.objects(dataset, DCAT.distribution))
        schema = graph.value(distribution, CSVW.tableSchema)
        listed = Collection(graph, graph.value(schema, CSVW.column))
        code = str(graph.value(dataset, DCTERMS.identifier))
        columns[code] = {str(graph.value(column, CSVW.name)) for column in listed}
    hidden = (Sensitivity.SENSITIVE.value, Sensitivity.SECRET.value)
    withheld = 0
    with db.session() as session:
        published, _ = catalog.current_versions(session, limit=1000)
        for version in published:
            if version.code not in columns:
                continue
            items = version.snapshot["items"]
            opened = {i["field"] for i in items if i["sensitivity"] not in hidden}
            assert columns[version.code] == opened, version.code
            withheld += len(items) - len(opened)
    assert withheld > 0  # the demo opens datasets with sensitive items: they are left out
    for internal in ("shareType", "legalBasis", "share_type", "mask", "sensitiv", "urn:zhuyun"):
        assert internal not in response.text


def test_open_datasets_link_their_downloads_and_conditional_ones_state_their_conditions(
    client: TestClient, demo_city: DemoResult
) -> None:
    graph = _fetch(client, "/opendata/catalog.jsonld", "json-ld")
    seen = set()
    for name, dataset in _datasets(graph).items():
        access = str(graph.value(dataset, DCTERMS.accessRights))
        seen.add(access)
        assert str(graph.value(dataset, DCTERMS.accrualPeriodicity)).startswith(FREQUENCY)
        distributions = list(graph.objects(dataset, DCAT.distribution))
        suffixes = set()
        for distribution in distributions:
            assert str(graph.value(distribution, DCAT.accessURL)).endswith(f"/datasets/{name}")
            download = graph.value(distribution, DCAT.downloadURL)
            if access == ACCESS_RIGHT + "PUBLIC":
                assert download is not None
                suffixes.add(str(download).rsplit(".", 1)[-1])
            else:
                assert access == ACCESS_RIGHT + "RESTRICTED"
                assert download is None
                rights = graph.value(distribution, DCTERMS.rights)
                assert graph.value(rights, RDFS.label)  # the open conditions, in Chinese
        if access == ACCESS_RIGHT + "PUBLIC":
            assert suffixes == {"csv", "json", "xlsx", "parquet"}
        assert len(distributions) == 4
    assert seen == {ACCESS_RIGHT + "PUBLIC", ACCESS_RIGHT + "RESTRICTED"}


@pytest.mark.parametrize(
    ("accept", "media_type", "fmt"),
    [
        ("", "text/turtle", "turtle"),
        ("*/*", "text/turtle", "turtle"),
        ("application/ld+json", "application/ld+json", "json-ld"),
        ("application/rdf+xml", "application/rdf+xml", "xml"),
        ("text/turtle", "text/turtle", "turtle"),
        ("application/ld+json;q=0.5, text/turtle;q=0.9", "text/turtle", "turtle"),
        ("application/rdf+xml, */*;q=0.1", "application/rdf+xml", "xml"),
        # a browser: nothing it names exactly is offered, so its */* gets the default
        (
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "text/turtle",
            "turtle",
        ),
    ],
)
def test_the_well_known_address_answers_in_the_serialisation_the_client_prefers(
    client: TestClient, demo_city: DemoResult, accept: str, media_type: str, fmt: str
) -> None:
    response = client.get("/.well-known/dcat", headers={"accept": accept} if accept else {})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    assert "accept" in response.headers["vary"].lower()
    graph = Graph().parse(data=response.text, format=fmt)
    assert sorted(_datasets(graph)) == sorted(_package_list(client))


def test_the_well_known_address_refuses_an_accept_header_it_cannot_satisfy(
    client: TestClient, demo_city: DemoResult
) -> None:
    refused = client.get("/.well-known/dcat", headers={"accept": "application/pdf"})
    assert refused.status_code == 406  # a page's error, in HTML: the client named no JSON
    response = client.get(
        "/.well-known/dcat",
        headers={"accept": "application/pdf, text/turtle;q=0, application/problem+json;q=0.1"},
    )
    assert response.status_code == 406
    problem = response.json()
    assert problem["code"] == "not-acceptable"
    assert "text/turtle" in problem["detail"] and problem["detail_zh"]


def test_every_catalog_theme_and_base_library_falls_under_an_eu_data_theme() -> None:
    labels = {*THEMES, *BASE_LIBRARY_LABELS_ZH.values()}
    assert labels == set(EU_THEMES)
    assert set(EU_THEMES.values()) <= set(THEME_LABELS)
