"""The open-data portal's catalog as DCAT-AP 3.0.0, the EU application profile of DCAT that
harvesters (data.europa.eu, CKAN's ckanext-dcat, GeoNetwork …) read.

It is drawn from the CKAN datasets the Action API serves (`service.package_search`), so the two
hold exactly the same datasets and neither shows anything closed, internal or sensitive. Each
dataset has one distribution per download format, described with the EU vocabularies (file
type, frequency, access right, data theme, language, licence) and IANA media types. The
shapes check `sh:class` against the types written in the graph itself, so every referenced
concept, agent, document and URL states its type here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import CSVW, DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS, XSD
from sqlalchemy.orm import Session

from zhuyun.catalog import service as catalog
from zhuyun.catalog.dcat import ACCESS_RIGHTS, FREQUENCIES, XSD_TYPES
from zhuyun.catalog.vocab import UPDATE_CYCLE_LABELS_ZH, DataType, OpenType
from zhuyun.identity import service as identity
from zhuyun.opendata import service

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
EU = "http://publications.europa.eu/resource/authority/"
DATA_THEME = Namespace(EU + "data-theme/")
FILE_TYPE = Namespace(EU + "file-type/")
LANGUAGE = Namespace(EU + "language/")
IANA = Namespace("http://www.iana.org/assignments/media-types/")
PUBLISHER_TYPE = Namespace("http://purl.org/adms/publishertype/")
LICENCE_TYPE = Namespace("http://purl.org/adms/licencetype/")
LICENCE = URIRef(EU + "licence/CC_BY_4_0")
DCAT_VERSION = URIRef(f"{DCAT}version")  # DCAT 3, not yet in rdflib's DCAT namespace

PREFIXES = {
    "rdf": RDF, "rdfs": RDFS, "xsd": XSD, "dcat": DCAT, "dct": DCTERMS, "foaf": FOAF,
    "vcard": VCARD, "skos": SKOS, "csvw": CSVW, "theme": DATA_THEME, "filetype": FILE_TYPE,
    "lang": LANGUAGE,
}  # fmt: skip


@dataclass(frozen=True)
class Download:
    """A download format of every dataset: `/opendata/datasets/{name}/download.{suffix}`."""

    suffix: str
    file_type: str  # EU file-type code
    media_type: str  # IANA


DOWNLOADS = (
    Download("csv", "CSV", "text/csv"),
    Download("json", "JSON", "application/json"),
    Download("xlsx", "XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    Download("parquet", "PARQUET", "application/vnd.apache.parquet"),
)

#: The EU data themes the open datasets fall under: code → English and Chinese label.
THEME_LABELS = {
    "ECON": ("Economy and finance", "经济和金融"),
    "ENER": ("Energy", "能源"),
    "ENVI": ("Environment", "环境"),
    "GOVE": ("Government and public sector", "政府和公共部门"),
    "HEAL": ("Health", "卫生健康"),
    "JUST": ("Justice, legal system and public safety", "司法、法律体系和公共安全"),
    "REGI": ("Regions and cities", "地区和城市"),
    "SOCI": ("Population and society", "人口和社会"),
}
#: A dataset's CKAN tags — the catalog's twelve themes and its base library — as EU themes.
THEMES = {
    "公共服务": "GOVE", "健康保障": "HEAL", "社会保障": "SOCI", "食品药品安全": "HEAL",
    "安全生产": "JUST", "价格监管": "ECON", "能源安全": "ENER", "信用体系": "ECON",
    "城乡建设": "REGI", "社区治理": "SOCI", "生态环保": "ENVI", "应急维稳": "JUST",
    "人口": "SOCI", "法人": "ECON", "自然资源和空间地理": "REGI", "社会信用": "ECON",
    "电子证照": "GOVE",
}  # fmt: skip
#: The Chinese update cycle the CKAN extras show, as the EU frequency.
FREQUENCY_BY_LABEL = {label: FREQUENCIES[cycle] for cycle, label in UPDATE_CYCLE_LABELS_ZH.items()}
TITLE_EN = "Open government data catalogue (zhuyun)"
DESCRIPTION = {
    "zh": "政府向社会开放的数据集：无条件开放的可直接下载，有条件开放的凭开发者密钥获取。",
    "en": "The datasets the government opens to the public: those open without conditions are "
    "downloaded freely, conditionally open ones with a developer key.",
}


@dataclass(frozen=True)
class Publisher:
    """Who publishes the catalog: the city government."""

    iri: str
    name: str


def _zh(text: str) -> Literal:
    return Literal(text, lang="zh")


def _en(text: str) -> Literal:
    return Literal(text, lang="en")


def _utc(moment: datetime | str) -> Literal:
    when = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return Literal(when, datatype=XSD.dateTime)


def _typed(graph: Graph, node: URIRef, *types: URIRef) -> URIRef:
    for kind in types:
        graph.add((node, RDF.type, kind))
    return node


def _concept(graph: Graph, node: URIRef, scheme: URIRef, *labels: Literal) -> URIRef:
    _typed(graph, node, SKOS.Concept)
    graph.add((node, SKOS.inScheme, scheme))
    for label in labels:
        graph.add((node, SKOS.prefLabel, label))
    return node


def _agent(graph: Graph, iri: str, name: str) -> URIRef:
    """A government unit as a `foaf:Agent` of the ADMS publisher type "local authority"."""
    agent = _typed(graph, URIRef(iri), FOAF.Agent, FOAF.Organization)
    graph.add((agent, FOAF.name, _zh(name)))
    kind = _concept(
        graph,
        PUBLISHER_TYPE.LocalAuthority,
        URIRef("http://purl.org/adms/publishertype/1.0"),
        _en("Local Authority"),
        _zh("地方政府"),
    )
    graph.add((agent, DCTERMS.type, kind))
    return agent


def _licence(graph: Graph) -> URIRef:
    _typed(graph, LICENCE, DCTERMS.LicenseDocument)
    graph.add((LICENCE, DCTERMS.title, _en("Creative Commons Attribution 4.0 International")))
    graph.add((LICENCE, DCTERMS.title, _zh(service.LICENSE["license_title"])))
    graph.add((LICENCE, RDFS.seeAlso, URIRef("https://creativecommons.org/licenses/by/4.0/")))
    kind = _concept(
        graph,
        LICENCE_TYPE.Attribution,
        URIRef("http://purl.org/adms/licencetype/1.0"),
        _en("Attribution"),
        _zh("署名"),
    )
    graph.add((LICENCE, DCTERMS.type, kind))
    return LICENCE


def _extras(package: Mapping[str, Any]) -> dict[str, str]:
    return {extra["key"]: extra["value"] for extra in package["extras"]}


def _schema(graph: Graph, page: str, fields: Sequence[Mapping[str, Any]]) -> URIRef:
    """The opened columns of the downloads, as a CSVW table schema (sensitive ones never are)."""
    schema, columns = URIRef(f"{page}#schema"), BNode()
    graph.add((schema, CSVW.column, columns))
    ordered = Collection(graph, columns)
    for field in fields:
        column = BNode()
        ordered.append(column)
        graph.add((column, CSVW.name, Literal(field["id"])))
        graph.add((column, CSVW.title, _zh(field["info"]["label"])))
        graph.add((column, CSVW.datatype, XSD_TYPES[DataType(field["type"])]))
    return schema


def _distributions(
    graph: Graph, dataset: URIRef, package: Mapping[str, Any], page: str, licence: URIRef
) -> None:
    extras = _extras(package)
    resource = package["resources"][0]
    schema = _schema(graph, page, resource["fields"])
    conditions = None
    if extras["open_type"] == OpenType.CONDITIONAL.value:
        conditions = _typed(graph, URIRef(f"{page}#conditions"), DCTERMS.RightsStatement)
        graph.add((conditions, RDFS.label, _zh(extras.get("open_conditions") or "有条件开放")))
    for download in DOWNLOADS:
        distribution = _typed(graph, URIRef(f"{page}#{download.suffix}"), DCAT.Distribution)
        graph.add((dataset, DCAT.distribution, distribution))
        graph.add((distribution, DCTERMS.title, _zh(f"{package['title']}（{download.file_type}）")))
        graph.add((distribution, DCAT.accessURL, _typed(graph, URIRef(page), RDFS.Resource)))
        if conditions is None:
            url = URIRef(f"{page}/download.{download.suffix}")
            graph.add((distribution, DCAT.downloadURL, _typed(graph, url, RDFS.Resource)))
        else:  # no free download: the data needs a developer key, on these conditions
            graph.add((distribution, DCTERMS.rights, conditions))
        file_type = _typed(graph, FILE_TYPE[download.file_type], DCTERMS.MediaTypeOrExtent)
        graph.add((distribution, DCTERMS.format, file_type))
        media_type = _typed(graph, IANA[download.media_type], DCTERMS.MediaType)
        graph.add((distribution, DCAT.mediaType, media_type))
        graph.add((distribution, DCTERMS.license, licence))
        graph.add((distribution, DCTERMS.modified, _utc(resource["last_modified"])))
        graph.add((distribution, CSVW.tableSchema, schema))


def _dataset(
    graph: Graph, base: str, package: Mapping[str, Any], issued: datetime | None, licence: URIRef
) -> URIRef:
    page = f"{base}/opendata/datasets/{package['name']}"
    extras = _extras(package)
    dataset = _typed(graph, URIRef(f"{page}#dataset"), DCAT.Dataset)
    graph.add((dataset, DCTERMS.identifier, Literal(extras["resource_code"])))
    graph.add((dataset, DCTERMS.title, _zh(package["title"])))
    graph.add((dataset, DCTERMS.description, _zh(package["notes"] or package["title"])))
    for tag in package["tags"]:
        graph.add((dataset, DCAT.keyword, _zh(tag["name"])))
        if tag["name"] in THEMES:
            graph.add((dataset, DCAT.theme, DATA_THEME[THEMES[tag["name"]]]))
    org = package["organization"]
    graph.add(
        (dataset, DCTERMS.publisher, _agent(graph, f"{base}/units/{org['id']}", org["title"]))
    )
    contact = _typed(
        graph, URIRef(f"{base}/units/{org['id']}#contact"), VCARD.Kind, VCARD.Organization
    )
    graph.add((contact, VCARD.fn, _zh(org["title"])))
    graph.add((contact, VCARD.hasURL, URIRef(f"{base}/opendata?organization={quote(org['name'])}")))
    graph.add((dataset, DCAT.contactPoint, contact))
    graph.add((dataset, DCAT.landingPage, _typed(graph, URIRef(page), FOAF.Document)))
    graph.add((dataset, DCTERMS.language, LANGUAGE.ZHO))
    if issued is not None:
        graph.add((dataset, DCTERMS.issued, _utc(issued)))
    graph.add((dataset, DCTERMS.modified, _utc(package["metadata_modified"])))
    graph.add((dataset, DCAT_VERSION, Literal(package["version"])))
    frequency = FREQUENCY_BY_LABEL.get(extras.get("update_cycle", ""))
    if frequency is not None:
        graph.add(
            (dataset, DCTERMS.accrualPeriodicity, _typed(graph, frequency, DCTERMS.Frequency))
        )
    access = _typed(graph, ACCESS_RIGHTS[OpenType(extras["open_type"])], DCTERMS.RightsStatement)
    graph.add((dataset, DCTERMS.accessRights, access))
    _distributions(graph, dataset, package, page, licence)
    return dataset


def catalog_graph(
    base: str,
    publisher: Publisher,
    packages: Sequence[Mapping[str, Any]],
    issued: Mapping[str, datetime],
) -> Graph:
    """The open catalog — `packages` as `service.package_dict` shapes them, `issued` by package
    id — as a DCAT-AP 3.0.0 graph."""
    graph = Graph(bind_namespaces="none")
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    catalog_node = _typed(graph, URIRef(f"{base}/opendata/catalog"), DCAT.Catalog)
    graph.add((catalog_node, DCTERMS.title, _zh(f"{publisher.name}政务数据开放目录")))
    graph.add((catalog_node, DCTERMS.title, _en(TITLE_EN)))
    for language, text in DESCRIPTION.items():
        graph.add((catalog_node, DCTERMS.description, Literal(text, lang=language)))
    graph.add((catalog_node, DCTERMS.publisher, _agent(graph, publisher.iri, publisher.name)))
    homepage = _typed(graph, URIRef(f"{base}/opendata"), FOAF.Document)
    graph.add((catalog_node, FOAF.homepage, homepage))
    licence = _licence(graph)
    graph.add((catalog_node, DCTERMS.license, licence))
    for code in ("ZHO", "ENG"):
        language = _typed(graph, LANGUAGE[code], DCTERMS.LinguisticSystem)
        graph.add((catalog_node, DCTERMS.language, language))
    themes = _typed(graph, URIRef(EU + "data-theme"), SKOS.ConceptScheme)
    graph.add((themes, DCTERMS.title, _en("Data theme")))
    graph.add((catalog_node, DCAT.themeTaxonomy, themes))
    for code, (english, chinese) in THEME_LABELS.items():
        _concept(graph, DATA_THEME[code], themes, _en(english), _zh(chinese))
    for package in packages:
        dataset = _dataset(graph, base, package, issued.get(str(package["id"])), licence)
        graph.add((catalog_node, DCAT.dataset, dataset))
    if packages:
        latest = max(str(p["metadata_modified"]) for p in packages)
        graph.add((catalog_node, DCTERMS.modified, _utc(latest)))
    return graph


def open_catalog(session: Session, base: str) -> Graph:
    """The portal's open catalog as DCAT-AP, for the portal at `base` (scheme and host)."""
    found = service.package_search(session, service.SearchQuery(rows=service.MAX_DATASETS), base)
    packages: list[dict[str, Any]] = found["results"]
    first = catalog.first_published(session, [int(p["id"]) for p in packages])
    cities, _ = identity.list_units(session, kind="city", limit=1)
    publisher = (
        Publisher(f"{base}/units/{cities[0].id}", cities[0].name)
        if cities
        else Publisher(f"{base}/opendata#publisher", "筑云")
    )
    issued = {str(resource_id): moment for resource_id, moment in first.items()}
    return catalog_graph(base, publisher, packages, issued)
