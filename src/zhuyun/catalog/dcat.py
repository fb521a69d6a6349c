"""The published catalog as DCAT (W3C Data Catalog Vocabulary), in Turtle or JSON-LD.

Each resource is a `dcat:Dataset` with its title, description, publisher, identifier (the
resource code), keywords, update frequency (EU frequency vocabulary), access rights (EU
access-right vocabulary) and version; its info items are the columns (`csvw:column`, an
ordered list) of its distribution's table schema. What is specific to the Chinese catalog —
share type and conditions, legal basis, classification, sensitivity — uses the `zy:`
vocabulary.

Who sees what is decided by the caller (`api.py`): the public gets open and conditionally
open resources without their internal sharing metadata or secret items; staff who may read
the catalog get every published resource with everything. Large catalogs are paged
(`hydra:PartialCollectionView`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import CSVW, DCAT, DCTERMS, FOAF, OWL, RDF, XSD

from zhuyun.catalog.classification import Classification
from zhuyun.catalog.models import ResourceVersion
from zhuyun.catalog.vocab import (
    BASE_LIBRARY_LABELS_ZH,
    FORMAT_LABELS_ZH,
    SHARE_METHOD_LABELS_ZH,
    BaseLibrary,
    DataType,
    OpenType,
    ResourceFormat,
    Sensitivity,
    ShareMethod,
    UpdateCycle,
)

ZY = Namespace("urn:zhuyun:catalog#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
FREQUENCY = Namespace("http://publications.europa.eu/resource/authority/frequency/")
ACCESS_RIGHT = Namespace("http://publications.europa.eu/resource/authority/access-right/")

FREQUENCIES = {
    UpdateCycle.REALTIME: FREQUENCY.CONT,
    UpdateCycle.DAILY: FREQUENCY.DAILY,
    UpdateCycle.WEEKLY: FREQUENCY.WEEKLY,
    UpdateCycle.MONTHLY: FREQUENCY.MONTHLY,
    UpdateCycle.QUARTERLY: FREQUENCY.QUARTERLY,
    UpdateCycle.YEARLY: FREQUENCY.ANNUAL,
    UpdateCycle.IRREGULAR: FREQUENCY.IRREG,
}
ACCESS_RIGHTS = {
    OpenType.OPEN: ACCESS_RIGHT.PUBLIC,
    OpenType.CONDITIONAL: ACCESS_RIGHT.RESTRICTED,
    OpenType.CLOSED: ACCESS_RIGHT.NON_PUBLIC,
}
XSD_TYPES = {
    DataType.STRING: XSD.string,
    DataType.INTEGER: XSD.integer,
    DataType.DECIMAL: XSD.decimal,
    DataType.BOOLEAN: XSD.boolean,
    DataType.DATE: XSD.date,
    DataType.DATETIME: XSD.dateTime,
    DataType.BINARY: XSD.base64Binary,
}
DESCRIPTION_ZH = "按《政务信息资源目录编制指南（试行）》编制的政务信息资源目录。"
#: What the public may see: resources open without or with conditions.
PUBLIC_OPEN_TYPES = (OpenType.OPEN, OpenType.CONDITIONAL)

CONTEXT = {
    "dcat": str(DCAT),
    "dct": str(DCTERMS),
    "foaf": str(FOAF),
    "owl": str(OWL),
    "csvw": str(CSVW),
    "xsd": str(XSD),
    "hydra": str(HYDRA),
    "zy": str(ZY),
}


@dataclass(frozen=True)
class Audience:
    """For whom the graph is drawn: `staff` see sharing metadata and every item."""

    staff: bool


@dataclass(frozen=True)
class PageLinks:
    """Where this page of the catalog sits among all of it."""

    this: str
    total: int
    next: str | None = None
    prev: str | None = None


def _zh(text: str) -> Literal:
    return Literal(text, lang="zh")


def _add_items(
    graph: Graph, distribution: BNode, snapshot: Mapping[str, object], staff: bool
) -> None:
    schema, columns = BNode(), BNode()
    graph.add((distribution, CSVW.tableSchema, schema))
    graph.add((schema, CSVW.column, columns))
    ordered = Collection(graph, columns)  # columns keep their order, as CSVW lists them
    items = snapshot.get("items", [])
    assert isinstance(items, list)
    for item in items:
        if not staff and item["sensitivity"] == Sensitivity.SECRET.value:
            continue
        column = BNode()
        ordered.append(column)
        graph.add((column, CSVW.name, Literal(item["field"])))
        graph.add((column, CSVW.title, _zh(item["name"])))
        graph.add((column, CSVW.datatype, XSD_TYPES[DataType(item["data_type"])]))
        graph.add((column, ZY.sensitivity, Literal(item["sensitivity"])))
        if item.get("description"):
            graph.add((column, DCTERMS.description, _zh(item["description"])))
        if staff:
            graph.add((column, ZY.shareType, Literal(item["share_type"])))
            if item.get("mask_kind"):
                graph.add((column, ZY.maskKind, Literal(item["mask_kind"])))


def _add_dataset(
    graph: Graph,
    base: str,
    version: ResourceVersion,
    issued: datetime | None,
    staff: bool,
) -> URIRef:
    s = version.snapshot
    dataset = URIRef(f"{base}/catalog/{version.resource_id}")
    publisher = URIRef(f"{base}/units/{s['provider_unit_id']}")
    graph.add((dataset, RDF.type, DCAT.Dataset))
    graph.add((dataset, DCTERMS.title, _zh(s["name"])))
    if s.get("summary"):
        graph.add((dataset, DCTERMS.description, _zh(s["summary"])))
    graph.add((dataset, DCTERMS.identifier, Literal(s["code"])))
    graph.add((dataset, DCTERMS.publisher, publisher))
    graph.add((publisher, RDF.type, FOAF.Organization))
    graph.add((publisher, FOAF.name, _zh(s["provider_name"])))
    graph.add((publisher, DCTERMS.identifier, Literal(s["provider_code"])))
    graph.add((dataset, DCAT.landingPage, dataset))
    labels = Classification(s["class_code"], s["item_code"], s["catalogue_code"]).labels
    library = s.get("base_library")
    keywords = [*labels, *s.get("themes", [])]
    if library:
        keywords.append(BASE_LIBRARY_LABELS_ZH[BaseLibrary(library)] + "库")
    for keyword in dict.fromkeys(k for k in keywords if k):
        graph.add((dataset, DCAT.keyword, _zh(keyword)))
    graph.add((dataset, DCTERMS.accrualPeriodicity, FREQUENCIES[UpdateCycle(s["update_cycle"])]))
    graph.add((dataset, DCTERMS.accessRights, ACCESS_RIGHTS[OpenType(s["open_type"])]))
    graph.add((dataset, DCTERMS.modified, Literal(version.published_at, datatype=XSD.dateTime)))
    if issued is not None:
        graph.add((dataset, DCTERMS.issued, Literal(issued, datatype=XSD.dateTime)))
    graph.add((dataset, OWL.versionInfo, Literal(str(version.version))))
    graph.add((dataset, ZY.classificationCode, Literal(s["code"].split("/")[0])))
    graph.add((dataset, ZY.openType, Literal(s["open_type"])))
    if s.get("open_conditions"):
        graph.add((dataset, ZY.openConditions, _zh(s["open_conditions"])))
    if staff:
        graph.add((dataset, ZY.shareType, Literal(s["share_type"])))
        for predicate, key in (
            (ZY.shareConditions, "share_conditions"),
            (ZY.legalBasis, "legal_basis"),
        ):
            if s.get(key):
                graph.add((dataset, predicate, _zh(s[key])))
    distribution = BNode()
    graph.add((dataset, DCAT.distribution, distribution))
    graph.add((distribution, RDF.type, DCAT.Distribution))
    graph.add((distribution, DCAT.accessURL, dataset))
    graph.add((distribution, DCTERMS.format, _zh(FORMAT_LABELS_ZH[ResourceFormat(s["format"])])))
    method = SHARE_METHOD_LABELS_ZH[ShareMethod(s["share_method"])]
    graph.add((distribution, DCTERMS.title, _zh(f"{s['name']}（{method}）")))
    _add_items(graph, distribution, s, staff)
    return dataset


def catalog_graph(
    base: str,
    title: str,
    versions: Sequence[ResourceVersion],
    issued: Mapping[int, datetime],
    audience: Audience,
    page: PageLinks,
) -> Graph:
    """One page of the catalog as an RDF graph."""
    graph = Graph()
    for prefix, namespace in CONTEXT.items():
        graph.bind(prefix, namespace)
    catalog = URIRef(f"{base}/catalog")
    graph.add((catalog, RDF.type, DCAT.Catalog))
    graph.add((catalog, DCTERMS.title, _zh(title)))
    graph.add(
        (
            catalog,
            DCTERMS.description,
            _zh("按《政务信息资源目录编制指南（试行）》编制的政务信息资源目录。"),
        )
    )
    for version in versions:
        dataset = _add_dataset(
            graph, base, version, issued.get(version.resource_id), audience.staff
        )
        graph.add((catalog, DCAT.dataset, dataset))
    view = URIRef(page.this)
    graph.add((catalog, HYDRA.totalItems, Literal(page.total)))
    graph.add((catalog, HYDRA.view, view))
    graph.add((view, RDF.type, HYDRA.PartialCollectionView))
    if page.next:
        graph.add((view, HYDRA.next, URIRef(page.next)))
    if page.prev:
        graph.add((view, HYDRA.previous, URIRef(page.prev)))
    return graph


#: The serialisations the DCAT exports offer: rdflib's format name → media type.
RDF_MEDIA_TYPES = {
    "turtle": "text/turtle",
    "json-ld": "application/ld+json",
    "xml": "application/rdf+xml",
}


def serialize(graph: Graph, rdf_format: str, context: Mapping[str, str] | None = None) -> str:
    """The graph in one of `RDF_MEDIA_TYPES`; JSON-LD is compacted with `context` (by default
    the prefixes bound in the graph)."""
    if rdf_format not in RDF_MEDIA_TYPES:
        raise ValueError(f"not an RDF serialisation offered: {rdf_format}")
    if rdf_format == "json-ld":
        prefixes = context or {prefix: str(ns) for prefix, ns in graph.namespaces() if prefix}
        return graph.serialize(format="json-ld", context=dict(prefixes), indent=2)
    return graph.serialize(format=rdf_format)


def to_turtle(graph: Graph) -> str:
    return serialize(graph, "turtle")


def to_jsonld(graph: Graph) -> str:
    return serialize(graph, "json-ld", CONTEXT)
