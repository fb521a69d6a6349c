"""The composition root for routes: the database session, the settings and the guards.

Every route declares exactly one guard — `require(permission)`, `signed_in()` or `public()` —
and `assert_every_route_guarded` refuses to start an app with a route that has none: deny by
default. Browser sessions ride on an HttpOnly cookie and need a CSRF token (double-submit
cookie) on every unsafe request; machines send `Authorization: Bearer zy_...`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from zhuyun.core.csrf import CSRF_COOKIE, submitted_csrf, tokens_match
from zhuyun.core.db import Database
from zhuyun.core.errors import Forbidden, Unauthorized
from zhuyun.core.ledger import Subject
from zhuyun.core.settings import Settings
from zhuyun.identity.permissions import Permission, Principal
from zhuyun.identity.service.auth import record_refusal, resolve_session, resolve_token
from zhuyun.identity.service.auth import session_state as _session_state

SESSION_COOKIE = "zhuyun_session"
_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
_GUARD_MARK = "__zhuyun_guard__"


def get_database(request: Request) -> Database:
    database: Database = request.app.state.db
    return database


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """One unit of work per request: committed before the response goes out."""
    with get_database(request).session() as session:
        yield session


# scope="function": the session commits when the route returns, *before* the response is
# sent — FastAPI's default would send the answer first, so a client could be told "stored"
# of a change whose commit then failed, or read its own write before it was committed.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


CsrfSubmission = Annotated[str | None, Depends(submitted_csrf)]
"""The CSRF token a request carries, read (asynchronously: it may be in the posted form)
before the synchronous dependencies run in the thread pool."""


def verify_csrf(request: Request, session: Session, submitted: str | None) -> None:
    """Refuse an unsafe cookie-borne request whose token does not match its cookie."""
    cookie = request.cookies.get(CSRF_COOKIE)
    if not tokens_match(cookie, submitted):
        record_refusal(
            session,
            "auth.csrf_failed",
            Subject("request", request.url.path[:128]),
            {"method": request.method, "had_cookie": bool(cookie), "had_token": bool(submitted)},
        )
        raise Forbidden(
            "The form is missing its security token or it has expired; "
            "reload the page and try again.",
            "表单安全令牌缺失或已失效，请刷新页面后重试。",
            code="csrf-failed",
        )


def optional_principal(
    request: Request, session: SessionDep, submitted: CsrfSubmission
) -> Principal | None:
    """Who is asking, from a bearer token or the session cookie; None when nobody is.

    Synchronous on purpose: FastAPI runs it in the thread pool, so its database work never
    blocks the event loop (on SQLite a blocked loop would hold the write lock another
    request waits for)."""
    cached = getattr(request.state, "principal_resolved", False)
    if cached:
        principal: Principal | None = request.state.principal
        return principal
    principal = None
    authorization = request.headers.get("authorization", "")
    if authorization:
        scheme, _, raw = authorization.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            raise Unauthorized(
                "Use 'Authorization: Bearer <token>'.",
                "请使用“Authorization: Bearer <令牌>”进行认证。",
                code="bad-authorization",
            )
        principal, reason = resolve_token(session, raw.strip())
        if principal is None:
            record_refusal(
                session,
                "auth.token_refused",
                Subject("token", raw.split("_")[1][:32] if raw.count("_") >= 2 else "?"),
                {"reason": reason, "path": request.url.path[:200]},
            )
            raise Unauthorized(
                "The API token is not valid (unknown, revoked or expired).",
                "API 令牌无效（不存在、已吊销或已过期）。",
                code="invalid-token",
            )
    else:
        raw_cookie = request.cookies.get(SESSION_COOKIE)
        if raw_cookie:
            principal = resolve_session(session, raw_cookie)
            if principal is None:
                state = _session_state(session, raw_cookie)
                if state != "revoked":
                    record_refusal(
                        session,
                        "auth.session_refused",
                        Subject("session", "cookie"),
                        {"reason": state, "path": request.url.path[:200]},
                    )
                request.state.session_expired = True
    if principal is not None and principal.via == "session" and request.method in _UNSAFE:
        verify_csrf(request, session, submitted)
    request.state.principal = principal
    request.state.principal_resolved = True
    return principal


def mark_guard(guard: Callable[..., Any], label: str) -> Callable[..., Any]:
    """Declare `guard` a permission guard (`label` says which): the deny-by-default check at
    start-up accepts only routes that depend on one."""
    setattr(guard, _GUARD_MARK, label)
    return guard


def _unauthorized(request: Request) -> Unauthorized:
    if getattr(request.state, "session_expired", False):
        return Unauthorized(
            "Your session has expired; sign in again.",
            "登录已过期，请重新登录。",
            code="session-expired",
        )
    return Unauthorized()


def require(permission: Permission) -> Callable[..., Any]:
    """A guard: the caller must be signed in and hold `permission`."""

    def guard(
        request: Request,
        session: SessionDep,
        principal: Annotated[Principal | None, Depends(optional_principal)],
    ) -> Principal:
        if principal is None:
            raise _unauthorized(request)
        if not principal.can(permission):
            record_refusal(
                session,
                "auth.forbidden",
                Subject("request", request.url.path[:128]),
                {"method": request.method, "permission": permission.value},
                actor=principal.as_actor(),
            )
            raise Forbidden()
        return principal

    return mark_guard(guard, permission.value)


def signed_in() -> Callable[..., Any]:
    """A guard for what every signed-in account may do (its own profile, logout)."""
    return require(Permission.SELF)


def public() -> Callable[..., Any]:
    """A guard that admits anyone: login, registration, health. Says so explicitly."""

    def guard(
        principal: Annotated[Principal | None, Depends(optional_principal)],
    ) -> Principal | None:
        return principal

    return mark_guard(guard, "public")


Caller = Annotated[Principal, Depends(signed_in())]
MaybeCaller = Annotated[Principal | None, Depends(public())]


def Allowed(permission: Permission) -> Any:
    """`principal: Annotated[Principal, Allowed(Permission.X)]` in a route signature."""
    return Depends(require(permission))


def _guards(dependant: Dependant) -> list[str]:
    found: list[str] = []
    for sub in dependant.dependencies:
        label = getattr(sub.call, _GUARD_MARK, None)
        if label:
            found.append(label)
        found.extend(_guards(sub))
    return found


def _api_routes(app: FastAPI) -> Iterator[tuple[str, APIRoute]]:
    """Every API route with its full path, also inside routers FastAPI includes lazily."""
    try:
        from fastapi.routing import iter_route_contexts  # FastAPI ≥ 0.16x
    except ImportError:
        for route in app.routes:
            if isinstance(route, APIRoute):
                yield route.path, route
        return
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            yield context.path or route.path, route


def route_guards(app: FastAPI) -> dict[str, list[str]]:
    """`METHOD path` → the guards its dependencies declare."""
    result: dict[str, list[str]] = {}
    for path, route in _api_routes(app):
        for method in sorted(route.methods or ()):
            result[f"{method} {path}"] = _guards(route.dependant)
    return result


def assert_every_route_guarded(app: FastAPI) -> None:
    unguarded = [key for key, guards in route_guards(app).items() if not guards]
    if unguarded:
        raise RuntimeError(f"routes without a permission guard (deny by default): {unguarded}")
