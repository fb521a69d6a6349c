"""create_app(): one FastAPI app that mounts every module."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zhuyun import __version__
from zhuyun.blocks import api as blocks_api
from zhuyun.blocks import pages as blocks_pages
from zhuyun.blocks.analytics import api as blocks_analytics_api
from zhuyun.blocks.analytics import pages as blocks_analytics_pages
from zhuyun.blocks.resolution import api as blocks_resolution_api
from zhuyun.catalog import api as catalog_api
from zhuyun.catalog import pages as catalog_pages
from zhuyun.core.db import Database
from zhuyun.core.errors import install_problem_handlers
from zhuyun.core.nul_guard import RejectNulCharacters
from zhuyun.core.settings import Settings, get_settings
from zhuyun.exchange import api as exchange_api
from zhuyun.exchange import api_nodes as exchange_nodes_api
from zhuyun.exchange import api_peers as exchange_peers_api
from zhuyun.exchange import api_subscriptions as exchange_subscriptions_api
from zhuyun.exchange import pages as exchange_pages
from zhuyun.exchange.service import nodes as exchange_nodes
from zhuyun.exchange.service import upward as exchange_upward
from zhuyun.exchange.service.deliveries import DeliveryWorker
from zhuyun.governance import api as governance_api
from zhuyun.governance import board_api as governance_board
from zhuyun.governance import board_pages as governance_board_pages
from zhuyun.governance import command_pages as governance_command_pages
from zhuyun.governance import open311_api as governance_open311
from zhuyun.governance import pages as governance_pages
from zhuyun.governance import workorder_api as governance_workorders
from zhuyun.governance import workorder_pages as governance_workorder_pages
from zhuyun.identity import api as identity_api
from zhuyun.identity import pages as identity_pages
from zhuyun.identity.deps import assert_every_route_guarded
from zhuyun.opendata import api as opendata_api
from zhuyun.opendata import dcat_api as opendata_dcat_api
from zhuyun.opendata import developer_pages as opendata_developer_pages
from zhuyun.opendata import downloads as opendata_downloads
from zhuyun.opendata import keys_api as opendata_keys_api
from zhuyun.opendata import pages as opendata_pages
from zhuyun.services import api as services_api
from zhuyun.services import pages as services_pages
from zhuyun.services.certificates import api as certificates_api
from zhuyun.services.certificates import pages as certificates_pages
from zhuyun.supervision import api as supervision_api
from zhuyun.supervision import pages as supervision_pages
from zhuyun.supervision.rules import watcher as supervision_watcher
from zhuyun.web import api as web_api
from zhuyun.web import pages as web_pages
from zhuyun.web.rendering import problem_page

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
_SECURITY_HEADERS_RAW = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]


class SecurityHeaders:
    """Pure ASGI middleware: every HTTP response gets the security headers it does not set
    itself. (A `BaseHTTPMiddleware` did the same at the cost of a task and a memory stream
    per request.)"""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in _SECURITY_HEADERS_RAW if h[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    """The platform as one ASGI app; the caller may pass its own settings and database."""
    settings = settings or get_settings()
    db = database or Database(settings.database_url, echo=settings.sql_echo)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        interval = settings.exchange_delivery_interval
        deliveries = DeliveryWorker(db, settings).start() if interval else None
        watch_every = settings.supervision_watch_interval
        rules_watcher = supervision_watcher.start_in_process(db, watch_every)
        yield
        if rules_watcher is not None:
            rules_watcher.set()
        if deliveries is not None:
            deliveries.stop()
        if database is None:
            db.dispose()

    app = FastAPI(
        title="筑云 zhuyun",
        version=__version__,
        description="Digital-government platform on the Guiyang model / 贵阳模式大数据政务平台",
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = db
    exchange_nodes.platform_key(settings)  # node connectors of this process sign with it
    install_problem_handlers(app, html_renderer=problem_page)
    app.mount("/static", StaticFiles(packages=[("zhuyun.web", "static")]), name="static")
    for router in (
        web_api.router,
        identity_api.router,
        catalog_api.router,
        exchange_api.router,
        exchange_nodes_api.router,
        exchange_subscriptions_api.router,
        exchange_peers_api.router,
        governance_api.router,
        governance_workorders.router,
        governance_open311.router,
        governance_open311.keys_router,
        governance_board.router,
        opendata_api.router,
        opendata_dcat_api.router,
        opendata_downloads.router,
        opendata_keys_api.router,
        services_api.router,
        certificates_api.router,
        blocks_api.router,
        blocks_resolution_api.router,
        blocks_analytics_api.router,
        supervision_api.router,
        web_pages.router,
        identity_pages.router,
        catalog_pages.router,
        exchange_pages.router,
        governance_pages.router,
        governance_workorder_pages.router,
        governance_board_pages.router,
        governance_command_pages.router,
        opendata_pages.router,
        opendata_developer_pages.router,
        services_pages.router,
        certificates_pages.router,
        blocks_pages.router,
        blocks_analytics_pages.router,
        supervision_pages.router,
    ):
        app.include_router(router)
    app.mount("/open311", governance_open311.fallback)  # Open311's own 404s
    peer = exchange_upward.peer_app(db, settings)
    if peer is not None:  # a district platform answers its city's signed requests
        app.mount("/api/exchange/peer", peer)

    app.add_middleware(SecurityHeaders)
    app.add_middleware(RejectNulCharacters)
    assert_every_route_guarded(app)
    return app
