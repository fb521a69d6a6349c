"""The open catalog as DCAT-AP 3.0.0: `/opendata/catalog.{ttl,jsonld,rdf}` and the well-known
`/.well-known/dcat`, which answers in the serialisation the `Accept` header prefers (Turtle
when it does not say). Public, like the rest of the portal."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response

from zhuyun.catalog.dcat import RDF_MEDIA_TYPES, serialize
from zhuyun.core.errors import Problem
from zhuyun.identity.deps import SessionDep
from zhuyun.opendata import dcat
from zhuyun.opendata.visitors import Visitor

router = APIRouter(tags=["open data 开放数据 (DCAT-AP)"])

#: rdflib format → the file suffix of its download.
SUFFIXES = {"turtle": "ttl", "json-ld": "jsonld", "xml": "rdf"}
DEFAULT_FORMAT = "turtle"
#: What an Accept header may name, beyond the media types themselves.
ALIASES = {
    "application/json": "json-ld",
    "application/x-turtle": "turtle",
    "text/*": "turtle",
    "*/*": DEFAULT_FORMAT,
}
ACCEPTABLE = {media: rdf_format for rdf_format, media in RDF_MEDIA_TYPES.items()} | ALIASES


def preferred_format(accept: str) -> str | None:
    """The serialisation `accept` prefers (by q-value, then the more specific media type, then
    its order), the default when it names none; None when it accepts none of them."""
    if not accept.strip():
        return DEFAULT_FORMAT
    best: tuple[float, int, int] | None = None
    chosen = None
    for position, part in enumerate(accept.split(",")):
        media, *params = (piece.strip().lower() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        rdf_format = ACCEPTABLE.get(media)
        if rdf_format is None or quality <= 0:
            continue
        rank = (quality, 0 if "*" in media else 1, -position)
        if best is None or rank > best:
            best, chosen = rank, rdf_format
    return chosen


def _answer(request: Request, session: SessionDep, rdf_format: str) -> Response:
    graph = dcat.open_catalog(session, str(request.base_url).rstrip("/"))
    media_type = RDF_MEDIA_TYPES[rdf_format]
    return Response(
        serialize(graph, rdf_format),
        # JSON-LD is UTF-8 by definition and has no charset parameter.
        media_type=media_type if rdf_format == "json-ld" else f"{media_type}; charset=utf-8",
        headers={
            "Content-Disposition": (
                f'inline; filename="zhuyun-opendata-catalog.{SUFFIXES[rdf_format]}"'
            ),
            "Vary": "Accept",
        },
    )


@router.get(
    "/opendata/catalog.ttl",
    response_class=Response,
    responses={200: {"content": {"text/turtle": {}}}},
    summary="The open catalog as DCAT-AP 3 (Turtle) / 开放目录 DCAT-AP（Turtle）",
)
def catalog_turtle(request: Request, session: SessionDep, visitor: Visitor) -> Response:
    return _answer(request, session, "turtle")


@router.get(
    "/opendata/catalog.jsonld",
    response_class=Response,
    responses={200: {"content": {"application/ld+json": {}}}},
    summary="The open catalog as DCAT-AP 3 (JSON-LD) / 开放目录 DCAT-AP（JSON-LD）",
)
def catalog_jsonld(request: Request, session: SessionDep, visitor: Visitor) -> Response:
    return _answer(request, session, "json-ld")


@router.get(
    "/opendata/catalog.rdf",
    response_class=Response,
    responses={200: {"content": {"application/rdf+xml": {}}}},
    summary="The open catalog as DCAT-AP 3 (RDF/XML) / 开放目录 DCAT-AP（RDF/XML）",
)
def catalog_rdfxml(request: Request, session: SessionDep, visitor: Visitor) -> Response:
    return _answer(request, session, "xml")


@router.get(
    "/.well-known/dcat",
    response_class=Response,
    responses={
        200: {"content": {media: {} for media in RDF_MEDIA_TYPES.values()}},
        406: {"description": "Accept names no RDF serialisation offered"},
    },
    summary="The open catalog as DCAT-AP 3, by content negotiation / 开放目录（内容协商）",
)
def well_known_dcat(
    request: Request,
    session: SessionDep,
    visitor: Visitor,
    accept: Annotated[str, Header(max_length=1000)] = "",
) -> Response:
    rdf_format = preferred_format(accept)
    if rdf_format is None:
        offered = ", ".join(RDF_MEDIA_TYPES.values())
        raise Problem(
            f"The catalog is offered as {offered}; the Accept header names none of them.",
            f"目录仅提供以下格式：{offered}；Accept 请求头未包含其中任何一种。",
            status=406,
            code="not-acceptable",
        )
    return _answer(request, session, rdf_format)
