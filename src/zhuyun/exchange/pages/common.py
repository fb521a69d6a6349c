"""What the exchange's pages share: path and form parsing, flash messages, labels, names."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any

from fastapi import Path as PathParam
from fastapi import Query
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from zhuyun.catalog import service as catalog
from zhuyun.catalog.vocab import Sensitivity, ShareType, stricter
from zhuyun.core.errors import Forbidden, Problem, Unprocessable
from zhuyun.exchange.models import Binding
from zhuyun.exchange.service.applications import STATUS_LABELS_ZH
from zhuyun.identity import service as identity
from zhuyun.identity.deps import Allowed, SettingsDep
from zhuyun.identity.permissions import Permission, Principal, Role
from zhuyun.web.rendering import (
    templates,
)

templates.env.globals["exchange_labels"] = {
    "kind": {
        "sqlite": "SQLite 数据库",
        "postgresql": "PostgreSQL 数据库",
        "mysql": "MySQL / MariaDB 数据库",
        "csv": "CSV 文件",
        "parquet": "Parquet 文件",
        "xlsx": "Excel 表格（XLSX）",
        "http_json": "HTTP JSON 接口",
    },
    "source_status": {"ok": "连接正常", "down": "无法连接", "unknown": "未检测"},
    "application_status": STATUS_LABELS_ZH,
    "activity": {
        "exchange.query": "调用",
        "exchange.exported": "导出",
        "exchange.refused": "拒绝",
        "exchange.failed": "失败",
    },
    "rule": {
        "not-published": "资源未发布",
        "unknown-item": "信息项不存在",
        "not-shared": "不予共享资源",
        "item-not-shared": "信息项不予共享",
        "grant-required": "需先申请授权",
        "grant-revoked": "授权已撤销",
        "grant-expired": "授权已过期",
        "grant-purpose": "用途不在授权范围",
        "grant-items": "信息项超出授权",
        "daily-limit": "超出每日额度",
        "no-unit": "无所属单位",
    },
}

IdPath = Annotated[int, PathParam(ge=1, le=2_147_483_647)]
OptionalId = Annotated[int | None, Query(ge=1, le=2_147_483_647)]
Message = Annotated[str | None, Query(max_length=40)]
Managing = Annotated[Principal, Allowed(Permission.SOURCES_MANAGE)]
Querying = Annotated[Principal, Allowed(Permission.EXCHANGE_QUERY)]
Applying = Annotated[Principal, Allowed(Permission.EXCHANGE_APPLY)]
Reviewing = Annotated[Principal, Allowed(Permission.EXCHANGE_REVIEW)]

MAX_ID = 2_147_483_647
CONSOLE_MAX_ROWS = 1_000
MAX_CHOICES = 300
STATS_DAYS = 30
CHART_UNITS = 12
MASKED = {Sensitivity.SENSITIVE, Sensitivity.SECRET}
FLASHES = {
    "registered": (
        "success",
        "数据源已登记。凭据已加密保存，不会再显示。请检测连通性后从数据表生成目录资源。",
    ),
    "submitted": ("success", "申请已提交，等待提供单位审核。"),
    "duplicate": ("info", "该申请已经提交过，没有重复受理。"),
    "approved": ("success", "已批准，共享授权即刻生效。"),
    "rejected": ("success", "已驳回，申请单位将看到驳回理由。"),
    "withdrawn": ("success", "申请已撤回。"),
    "revoked": ("success", "授权已撤销，该单位下一次调用即被拒绝。"),
}


def flash_for(msg: str | None) -> dict[str, str] | None:
    found = FLASHES.get(msg or "")
    return {"kind": found[0], "text": found[1]} if found else None


def error_flash(problem: Problem) -> dict[str, str]:
    prefix = "调用被拒绝：" if problem.code.startswith("policy-") else ""
    return {"kind": "error", "text": prefix + problem.message_zh}


def secret_key_of(settings: SettingsDep) -> str:
    return settings.secret_key.get_secret_value()


# -- reading forms: a bad value is a Problem, shown as a flash ---------------------------


def form_text(form: FormData, name: str, limit: int = 500) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def form_list(form: FormData, name: str) -> list[str]:
    return [v for v in form.getlist(name) if isinstance(v, str) and v][:200]


def bad_input(label_zh: str, hint_zh: str) -> Unprocessable:
    return Unprocessable(f"{label_zh}: bad value.", f"{label_zh}{hint_zh}", code="bad-form")


def form_int(form: FormData, name: str, label_zh: str, low: int, high: int) -> int:
    try:
        value = int(form_text(form, name, 20))
    except ValueError:
        raise bad_input(label_zh, "须为整数。") from None
    if not low <= value <= high:
        raise bad_input(label_zh, f"须在 {low:,} 至 {high:,} 之间。")
    return value


def form_date(form: FormData, name: str, label_zh: str) -> date:
    try:
        return date.fromisoformat(form_text(form, name, 20))
    except ValueError:
        raise bad_input(label_zh, "须为日期，格式如 2026-12-31。") from None


# -- naming things in lists ---------------------------------------------------------------


class ResourceNames:
    """Published views of the resources a page mentions, each read once."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.views: dict[int, catalog.PublishedResource | None] = {}

    def view(self, resource_id: int) -> catalog.PublishedResource | None:
        if resource_id not in self.views:
            try:
                self.views[resource_id] = catalog.published_view(self.session, resource_id)
            except Problem:
                self.views[resource_id] = None
        return self.views[resource_id]

    def name(self, resource_id: int) -> str:
        view = self.view(resource_id)
        return view.name if view else f"资源 {resource_id}"

    def items(self, resource_id: int, fields: Sequence[str]) -> list[dict[str, str]]:
        view = self.view(resource_id)
        return [
            {"field": f, "name": view.items[f].name if view and f in view.items else f}
            for f in fields
        ]


def item_choices(view: catalog.PublishedResource, own: bool) -> list[dict[str, Any]]:
    """A resource's items as checkboxes: the share type that applies to each (the stricter
    of the resource's and the item's), its grade, whether values come masked."""
    rows = []
    for item in view.items.values():
        share = stricter(view.share_type, item.share_type)
        rows.append(
            {
                "field": item.field,
                "name": item.name,
                "share_type": share.value,
                "sensitivity": item.sensitivity.value,
                "masked": item.sensitivity in MASKED and not own,
                "closed": share == ShareType.NONE and not own,
            }
        )
    return rows


def queryable_resources(session: Session) -> list[dict[str, Any]]:
    """Published resources bound to a source, grouped by provider, for the selects."""
    ids = session.scalars(
        select(Binding.resource_id).order_by(Binding.resource_id).limit(MAX_CHOICES)
    ).all()
    found = [catalog.get_resource(session, rid) for rid in ids]
    found = [r for r in found if r.version > 0 and r.status == "published"]
    names = identity.unit_names(session, (r.provider_unit_id for r in found))
    return sorted(
        (
            {"id": r.id, "name": r.name, "provider": names.get(r.provider_unit_id, "")}
            for r in found
        ),
        key=lambda r: (r["provider"], r["name"]),
    )


# -- 数据源: a unit's sources ---------------------------------------------------------------


def source_scope(principal: Principal) -> int | None:
    """Whose sources a person sees: a platform admin all (None), a data admin their unit's."""
    if principal.has_role(Role.PLATFORM_ADMIN):
        return None
    if principal.unit_id is None:
        raise Forbidden("You belong to no unit.", "您不隶属任何单位，无法管理数据源。")
    return principal.unit_id


def basis_label(basis: str) -> dict[str, Any]:
    """What an answer rested on, as the pages name it: a grant, unconditional, or own data."""
    if basis.startswith("grant:"):
        return {"label": f"共享授权 #{basis[6:]}", "grant_id": int(basis[6:])}
    labels = {"unconditional": "无条件共享", "provider": "本单位自有数据"}
    return {"label": labels.get(basis, basis), "grant_id": None}
