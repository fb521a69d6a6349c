"""Pages of the exchange: a unit's sources and drafting resources from their tables; sharing
applications (inbox, outbox, escalations) and the apply form; grants; the query console; a
resource's access log; "who read my data"; the sharing statistics; the department nodes;
a unit's subscriptions.

Thin like api.py: read the form, call the exchange's services, render. A problem the person
can fix comes back as a Chinese flash message on the same page, with what they typed kept
(never a secret).
"""

from __future__ import annotations

from fastapi import APIRouter

from zhuyun.exchange.pages import applications, audit, nodes, query, sources, subscriptions
from zhuyun.identity.permissions import Permission
from zhuyun.web.rendering import NavItem, register_nav

router = APIRouter(include_in_schema=False)
for module in (sources, applications, query, audit, nodes, subscriptions):
    router.include_router(module.router)

register_nav(NavItem("数据源", "/exchange/sources", "settings", Permission.SOURCES_MANAGE, 200))
register_nav(NavItem("数据调用", "/exchange/query", "search", Permission.EXCHANGE_QUERY, 210))
register_nav(
    NavItem("共享申请", "/exchange/applications", "exchange", Permission.EXCHANGE_APPLY, 220)
)
register_nav(NavItem("共享授权", "/exchange/grants", "key", Permission.EXCHANGE_QUERY, 230))
register_nav(
    NavItem("数据订阅", "/exchange/subscriptions", "exchange", Permission.EXCHANGE_QUERY, 235)
)
register_nav(NavItem("前置机节点", "/exchange/nodes", "building", Permission.NODES_MANAGE, 240))
register_nav(NavItem("共享统计", "/exchange/statistics", "chart", Permission.DASHBOARD_READ, 250))
register_nav(NavItem("谁查看了我的数据", "/exchange/my-access", "shield", Permission.SELF, 260))
