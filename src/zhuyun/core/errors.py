"""RFC 9457 problem details with a Chinese and an English message.

Services raise `Problem` (or one of its named kinds); the app turns it, FastAPI's validation
errors and any HTTP error into `application/problem+json`. An unexpected exception becomes a
500 problem that names no internals — and is a bug to fix.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("zhuyun.errors")

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:zhuyun:problem:"


class Problem(Exception):
    """A failure the client can understand and fix; carries both languages."""

    status: int = 400
    code: str = "bad-request"

    def __init__(
        self,
        message_en: str,
        message_zh: str,
        *,
        status: int | None = None,
        code: str | None = None,
        errors: Sequence[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_zh = message_zh
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code
        self.errors = list(errors or [])
        self.headers = headers or {}

    def body(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_TYPE_PREFIX + self.code,
            "title": HTTPStatus(self.status).phrase,
            "status": self.status,
            "detail": self.message_en,
            "detail_zh": self.message_zh,
            "code": self.code,
        }
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = self.errors
        return body


class BadRequest(Problem):
    status = 400
    code = "bad-request"


class Unauthorized(Problem):
    status = 401
    code = "unauthorized"

    def __init__(
        self,
        message_en: str = "Sign in first.",
        message_zh: str = "请先登录。",
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(message_en, message_zh, **kwargs)


class Forbidden(Problem):
    status = 403
    code = "forbidden"

    def __init__(
        self,
        message_en: str = "You do not have permission to do this.",
        message_zh: str = "您没有执行此操作的权限。",
        **kwargs: Any,
    ) -> None:
        super().__init__(message_en, message_zh, **kwargs)


class NotFound(Problem):
    status = 404
    code = "not-found"


class Conflict(Problem):
    status = 409
    code = "conflict"


class Unprocessable(Problem):
    status = 422
    code = "invalid"


class TooManyRequests(Problem):
    status = 429
    code = "too-many-requests"


HtmlRenderer = Callable[[Request, Problem], Response | None]


_DATA_FILE = re.compile(
    r"(\.(csv|json|jsonld|xlsx|parquet|ttl|rdf|xml|geojson|xes|sqlite)|/download\.[^/]*)$"
)


def _wants_html(request: Request) -> bool:
    """Pages answer errors in HTML unless the client asks for JSON only; the API never does;
    data files and well-known documents (fetched by programs: curl, harvesters) answer in
    HTML only when a browser asks for HTML."""
    path = request.url.path
    if path.startswith(("/api/", "/static/")) or path == "/api":
        return False
    accept = request.headers.get("accept", "")
    if path.startswith("/.well-known/") or _DATA_FILE.search(path):
        return "text/html" in accept
    return "text/html" in accept or "json" not in accept


def problem_response(request: Request, problem: Problem) -> Response:
    return JSONResponse(
        problem.body(instance=request.url.path),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=problem.headers,
    )


def _validation_problem(exc: RequestValidationError) -> Problem:
    errors = [
        {
            "location": [str(part) for part in error.get("loc", ())],
            "message": error.get("msg", ""),
            "type": error.get("type", ""),
        }
        for error in exc.errors()
    ]
    fields = ", ".join(".".join(e["location"][1:]) or e["location"][0] for e in errors[:5])
    return Unprocessable(
        f"The request is not valid: {fields}.",
        f"请求参数有误：{fields}。",
        code="validation-failed",
        errors=errors,
    )


def install_problem_handlers(app: FastAPI, html_renderer: HtmlRenderer | None = None) -> None:
    """Route every error through problem details; pages may render their own HTML view."""

    def respond(request: Request, problem: Problem) -> Response:
        if html_renderer is not None and _wants_html(request):
            rendered = html_renderer(request, problem)
            if rendered is not None:
                return rendered
        return problem_response(request, problem)

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> Response:
        return respond(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        return respond(request, _validation_problem(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        status = exc.status_code
        phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
        zh = {404: "找不到该资源。", 405: "不支持该请求方法。"}.get(status, "请求无法处理。")
        problem = Problem(
            str(exc.detail) if exc.detail else phrase,
            zh,
            status=status,
            code=phrase.lower().replace(" ", "-") or "error",
            headers=dict(exc.headers or {}),
        )
        return respond(request, problem)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        problem = Problem(
            "An internal error occurred; it has been logged.",
            "服务器内部错误，已记录。",
            status=500,
            code="internal-error",
        )
        return respond(request, problem)
