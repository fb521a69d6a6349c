"""Refuse text with NUL characters before it reaches a database.

PostgreSQL cannot store U+0000 in text and raises on it, even in a WHERE clause; SQLite stores
it and truncates it in places. No field of the platform has a use for it, so one ASGI
middleware answers 400 for a NUL in the path, the query string, or a JSON or form body,
instead of every endpoint guarding every string.
"""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zhuyun.core.errors import PROBLEM_MEDIA_TYPE, BadRequest

MAX_CHECKED_BODY = 16 * 1024 * 1024
# How a NUL is written in each kind of body this guard reads.
_MARKERS_BY_TYPE = {
    b"application/json": (b"\x00", b"\\u0000"),
    b"application/problem+json": (b"\x00", b"\\u0000"),
    b"application/x-www-form-urlencoded": (b"\x00", b"%00"),
}


def _has_nul_in_target(scope: Scope) -> bool:
    raw_path = scope.get("raw_path") or scope.get("path", "").encode()
    return b"\x00" in raw_path or b"%00" in raw_path or b"%00" in scope.get("query_string", b"")


def _body_markers(scope: Scope) -> tuple[bytes, ...]:
    content_type = dict(scope.get("headers", [])).get(b"content-type", b"").lower()
    return _MARKERS_BY_TYPE.get(content_type.split(b";")[0].strip(), ())


class RejectNulCharacters:
    """ASGI middleware: a NUL anywhere in a request's text is a 400 problem, nothing else runs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _has_nul_in_target(scope):
            await self._refuse(scope, receive, send)
            return
        markers = _body_markers(scope)
        if not markers:
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        size = 0
        body = b""
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size <= MAX_CHECKED_BODY:
                body += chunk
            if not message.get("more_body", False):
                break
        if any(marker in body for marker in markers):
            await self._refuse(scope, receive, send)
            return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send) -> None:
        problem = BadRequest(
            "Text in the request must not contain NUL (U+0000) characters.",
            "请求中的文本不能包含空字符（U+0000）。",
            code="nul-character",
        )
        response = JSONResponse(
            problem.body(instance=scope.get("path")),
            status_code=problem.status,
            media_type=PROBLEM_MEDIA_TYPE,
        )
        await response(scope, receive, send)
