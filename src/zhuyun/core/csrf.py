"""CSRF protection by double-submit cookie: a form carries the token its cookie holds.

The cookie is HttpOnly and SameSite=Strict; the page renderer puts the same value in every
form and in the `X-CSRF-Token` header htmx sends.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request

CSRF_COOKIE = "zhuyun_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"


def csrf_token_for(request: Request) -> str:
    """The token for this request's forms; a new one is remembered for the renderer to set."""
    existing = request.cookies.get(CSRF_COOKIE)
    if existing:
        return existing
    token = getattr(request.state, "new_csrf", None)
    if token is None:
        token = secrets.token_urlsafe(24)
        request.state.new_csrf = token
    return str(token)


async def submitted_csrf(request: Request) -> str | None:
    """The token the request carries, in the header or in a posted form."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


def tokens_match(cookie: str | None, submitted: str | None) -> bool:
    return bool(cookie and submitted and hmac.compare_digest(cookie, submitted))
