"""Rendering pages: one Jinja2 environment over every module's templates, one page layout.

Each module keeps its templates in `<module>/templates/`; modules fill the navigation by
registering `NavItem`s, which show only to those whose permissions allow them, and may add
template globals. This module imports only `core`, so every module's pages can use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Protocol
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape
from starlette.datastructures import FormData

from zhuyun.core.csrf import CSRF_COOKIE, csrf_token_for
from zhuyun.core.errors import Problem, Unauthorized

SHANGHAI = ZoneInfo("Asia/Shanghai")
TEMPLATE_PACKAGES = (
    "zhuyun.web",
    "zhuyun.identity",
    "zhuyun.catalog",
    "zhuyun.exchange",
    "zhuyun.opendata",
    "zhuyun.governance",
    "zhuyun.supervision",
    "zhuyun.blocks",
    "zhuyun.blocks.analytics",
    "zhuyun.services.certificates",
    "zhuyun.services",
)


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    icon: str
    permission: str  # a Permission value; the principal must hold it to see the item
    order: int


_NAV: list[NavItem] = []


def register_nav(item: NavItem) -> None:
    """Modules call this once at import to appear in the left navigation."""
    if all(existing.href != item.href for existing in _NAV):
        _NAV.append(item)
        _NAV.sort(key=lambda i: i.order)


@dataclass(frozen=True)
class NavEntry:
    label: str
    href: str
    icon: str
    active: bool


class _Viewer(Protocol):
    def can(self, permission: str) -> bool: ...


def nav_for(principal: _Viewer | None, path: str) -> list[NavEntry]:
    if principal is None:
        return []
    return [
        NavEntry(
            item.label,
            item.href,
            item.icon,
            path == item.href or (item.href != "/" and path.startswith(item.href)),
        )
        for item in _NAV
        if principal.can(item.permission)
    ]


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    """Times are stored in UTC and shown in Asia/Shanghai."""
    return value.astimezone(SHANGHAI).strftime(fmt) if value else ""


def _environment() -> Environment:
    loader = ChoiceLoader([PackageLoader(pkg, "templates") for pkg in TEMPLATE_PACKAGES])
    env = Environment(loader=loader, autoescape=select_autoescape(["html"]))
    env.filters["local_time"] = local_time
    env.filters["thousands"] = lambda n: f"{n:,}"
    return env


templates = Jinja2Templates(env=_environment())


def render(
    request: Request,
    template: str,
    page_title: str,
    status_code: int = 200,
    flash: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """Render a page with the globals every template relies on; sets the CSRF cookie."""
    principal = getattr(request.state, "principal", None)
    response = templates.TemplateResponse(
        request,
        template,
        {
            "principal": principal,
            "nav": nav_for(principal, request.url.path),
            "csrf_token": csrf_token_for(request),
            "page_title": page_title,
            "flash": flash,
            **context,
        },
        status_code=status_code,
    )
    set_csrf_cookie(request, response)
    response.headers["Cache-Control"] = "no-store"
    return response


def set_csrf_cookie(request: Request, response: Response) -> None:
    new_token = getattr(request.state, "new_csrf", None)
    if new_token:
        settings = request.app.state.settings
        response.set_cookie(
            CSRF_COOKIE,
            new_token,
            httponly=True,
            samesite="strict",
            secure=settings.secure_cookies,
            path="/",
        )


async def _posted_form(request: Request) -> FormData:
    """The posted form, read before a synchronous route runs in the thread pool, so no page
    does database work on the event loop (which would stall every other request)."""
    return await request.form()


PostedForm = Annotated[FormData, Depends(_posted_form)]


def redirect(url: str) -> RedirectResponse:
    """After a successful form POST: see-other, so a reload does not resubmit."""
    return RedirectResponse(url, status_code=303)


def problem_page(request: Request, problem: Problem) -> Response | None:
    """Errors on pages: a sign-in redirect for 401s, a readable page for the rest."""
    if isinstance(problem, Unauthorized) or problem.status == 401:
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        notice = "expired" if problem.code == "session-expired" else "required"
        return redirect("/login?" + urlencode({"next": target, "notice": notice}))
    return render(
        request,
        "error.html",
        page_title=f"{problem.status} 出错了",
        status_code=problem.status,
        status=problem.status,
        message_zh=problem.message_zh,
        message_en=problem.message_en,
        sign_in=getattr(request.state, "principal", None) is None,
    )


def pager(
    path: str, params: dict[str, str | None], offset: int, limit: int, count: int
) -> dict[str, object]:
    """Links to the previous and next page of a list, keeping its filters."""
    kept = {k: v for k, v in params.items() if v}

    def link(start: int) -> str:
        return path + "?" + urlencode({**kept, "offset": start, "limit": limit})

    return {
        "offset": offset,
        "limit": limit,
        "count": count,
        "prev_url": link(max(0, offset - limit)) if offset > 0 else None,
        "next_url": link(offset + limit) if offset + limit < count else None,
    }
