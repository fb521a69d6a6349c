"""The home dashboard's figures, the ledger's readable form and the working-day calendar's
views, shared by pages and the API."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhuyun.core import holidays, ledger
from zhuyun.core.calendar import WorkingCalendar, china_today
from zhuyun.core.db import utcnow
from zhuyun.core.divisions import GUIYANG, guiyang_division
from zhuyun.core.ledger import Actor, LedgerEntry, Subject
from zhuyun.identity import service as identity
from zhuyun.identity.models import OrgUnit
from zhuyun.identity.permissions import ACCOUNT_KIND_LABELS_ZH, ROLE_LABELS_ZH, AccountKind, Role
from zhuyun.identity.service.units import UNIT_KIND_LABELS_ZH, UnitKind
from zhuyun.web.models import KeyFigure
from zhuyun.web.rendering import local_time

ACTIVITY_LABELS_ZH: dict[str, str] = {
    "auth.login": "登录",
    "auth.logout": "退出登录",
    "auth.login_failed": "登录失败",
    "auth.login_refused": "拒绝登录",
    "auth.account_locked": "账号锁定",
    "auth.csrf_failed": "表单令牌校验失败",
    "auth.token_refused": "令牌被拒绝",
    "auth.session_refused": "会话失效",
    "auth.forbidden": "越权访问被拒绝",
    "unit.created": "新建单位",
    "unit.updated": "修改单位",
    "account.created": "新建账号",
    "account.registered": "注册账号",
    "account.role_granted": "授予角色",
    "account.role_revoked": "收回角色",
    "account.activated": "启用账号",
    "account.deactivated": "停用账号",
    "account.unlocked": "解锁账号",
    "account.password_changed": "修改密码",
    "token.issued": "签发令牌",
    "token.revoked": "吊销令牌",
    "opendata.key_created": "申请开发者密钥",
    "opendata.key_revoked": "吊销开发者密钥",
    "figures.updated": "更新关键指标",
    "ledger.verified": "校验台账",
    "demo.built": "生成演示城市",
    "calendar.day_set": "设置放假/调休日",
    "calendar.day_removed": "删除放假/调休日",
    "calendar.year_confirmed": "确认年度放假安排",
    "calendar.year_unconfirmed": "撤销年度确认",
    "catalog.drafted": "新建资源草稿",
    "catalog.updated": "修改资源",
    "catalog.published": "发布资源",
    "catalog.retired": "撤销资源",
    "catalog.marked_stale": "资源待更新",
    "catalog.stale_cleared": "解除待更新",
    "catalog.forbidden": "越权编目被拒绝",
    "source.registered": "登记数据源",
    "source.checked": "检测数据源",
    "resource.bound": "资源挂接数据源",
    "exchange.query": "共享数据调用",
    "exchange.exported": "共享数据导出",
    "exchange.refused": "共享调用被拒绝",
    "exchange.failed": "数据源调用失败",
    "exchange.node_registered": "前置机登记",
    "exchange.node_approved": "前置机批准",
    "exchange.node_rotated": "前置机密钥轮换",
    "exchange.node_revoked": "前置机吊销",
    "exchange.node_refused": "前置机登记被拒绝",
    "node.answered": "前置机应答平台请求",  # the node's own message log
    "node.refused": "前置机拒绝请求",
    "application.submitted": "提交共享申请",
    "application.approved": "批准共享申请",
    "application.rejected": "驳回共享申请",
    "application.withdrawn": "撤回共享申请",
    "application.escalated": "超期上报大数据局",
    "grant.revoked": "撤销共享授权",
    "objection.raised": "提出数据疑义",
    "objection.resolved": "答复数据疑义",
    "grids.imported": "导入网格",
    "workorder.collected": "工单受理",
    "workorder.registered": "工单立案",
    "workorder.rejected": "工单不予立案",
    "workorder.dispatched": "工单派遣",
    "workorder.accepted": "工单签收",
    "workorder.returned": "工单退回",
    "workorder.reported": "工单处置反馈",
    "workorder.verified": "工单核查通过",
    "workorder.rework": "工单核查不通过返工",
    "workorder.closed": "工单结案",
    "workorder.rated": "工单评价",
    "workorder.reopened": "工单差评重办",
    "workorder.merged": "重复工单合并",
    "workorder.escalated": "工单逾期督办",
    "workorder.recategorised": "工单类别更正",
    "workorder.assist_assigned": "协办任务派发",
    "workorder.assist_done": "协办任务完成",
    "workorder.duty_rule_set": "责任清单设置",
    "workorder.duty_matrix_seeded": "责任清单初始化",
    "open311.key_created": "创建Open311密钥",
    "open311.key_revoked": "吊销Open311密钥",
    "opendata.quality_checked": "开放数据质量检测",
    "supervision.log_imported": "导入事件日志",
    "supervision.ledger_exported": "导出权力运行日志",
    "workorder.photo_added": "上传工单照片",
    "board.match_proposed": "社群通对接提议",
    "board.match_side_confirmed": "社群通一方确认对接",
    "board.match_confirmed": "社群通对接达成",
    "board.match_declined": "社群通对接婉拒",
    "board.post_withdrawn": "社群通撤回供需",
    "exchange.subscribed": "订阅资源变更",
    "exchange.unsubscribed": "取消订阅",
    "exchange.subscription_suspended": "订阅暂停（无权）",
    "exchange.subscription_resumed": "订阅恢复",
    "exchange.changes_tracked": "声明变更追踪方式",
    "exchange.changes_read": "读取订阅变更",
    "exchange.changes_delivered": "推送订阅变更",
    "exchange.published_up": "向上级平台发布资源",
    "exchange.withdrawn_up": "撤回向上级发布",
    "exchange.peer_resource_imported": "导入下级平台资源",
    "services.item_published": "发布政务服务事项",
    "services.item_updated": "修订政务服务事项",
    "services.item_withdrawn": "停用政务服务事项",
    "services.workflow_saved": "声明办理流程",
    "services.consent_given": "申请人授权调取材料",
    "services.submitted": "提交办件申请",
    "services.material_not_fetched": "材料未能自动调取",
    "services.material_uploaded": "上传申请材料",
    "services.materials_complete": "材料齐全",
    "services.fee_paid": "缴纳办件费用",
    "services.result_issued": "出具办理结果",
    "services.notified": "发送办件通知",
    "services.case_refused": "拒绝查看办件",
    "services.rated": "办件评价（好差评）",
    "services.rectification_opened": "差评整改立项",
    "services.rectified": "差评整改完成",
    "certificate.issued": "签发电子证照",
    "certificate.revoked": "注销电子证照",
    "certificate.key_created": "生成单位签章密钥",
    "certificate.key_revoked": "吊销单位签章密钥",
    "supervision.power_saved": "保存权力事项",
    "supervision.rule_added": "新增监察规则",
    "supervision.rule_changed": "调整监察规则",
    "supervision.rule_tuned": "误报校准规则",
    "supervision.warning_raised": "产生预警",
    "supervision.log_supervised": "对外部日志运行规则",
    "blocks.job_created": "定义融合作业",
    "blocks.run_queued": "融合作业排队",
    "blocks.run_resumed": "融合作业续跑",
    "blocks.run_completed": "融合作业完成",
    "blocks.run_failed": "融合作业失败",
    "blocks.profile_viewed": "查看块数据档案",
}

FIGURE_LABELS_ZH: dict[str, tuple[str, str]] = {
    "population": ("户籍人口", "人"),
    "households": ("户数", "户"),
    "enterprises": ("市场主体", "户"),
}


def set_key_figures(
    session: Session, actor: Actor, source: str, figures: Mapping[tuple[str, str], int]
) -> None:
    """Replace the named figures (name, division code) → value; recorded in the ledger."""
    now = utcnow()
    existing = {
        (f.name, f.division_code): f
        for f in session.scalars(
            select(KeyFigure).where(KeyFigure.name.in_({name for name, _ in figures}))
        )
    }
    for key, value in figures.items():
        figure = existing.get(key)
        if figure is None:
            session.add(
                KeyFigure(name=key[0], division_code=key[1], value=value, source=source, as_of=now)
            )
        else:
            figure.value, figure.source, figure.as_of = value, source, now
    session.flush()
    record_names = sorted({name for name, _ in figures})
    ledger.record(
        session,
        actor,
        "figures.updated",
        Subject("figures", source),
        {"names": record_names, "rows": len(figures)},
    )


def _figures(session: Session) -> dict[tuple[str, str], int]:
    return {(f.name, f.division_code): f.value for f in session.scalars(select(KeyFigure))}


@dataclass(frozen=True)
class LedgerRow:
    seq: int
    occurred_at: str
    activity: str
    activity_label: str
    actor_name: str
    role_label: str
    unit_name: str
    case_id: str
    attrs_text: str


def ledger_rows(session: Session, entries: Sequence[LedgerEntry]) -> list[LedgerRow]:
    unit_ids = {e.unit_id for e in entries if e.unit_id is not None}
    names = (
        dict(
            session.execute(select(OrgUnit.id, OrgUnit.name).where(OrgUnit.id.in_(unit_ids))).all()
        )
        if unit_ids
        else {}
    )
    rows = []
    for e in entries:
        role_label = (
            ROLE_LABELS_ZH.get(Role(e.role), e.role) if e.role in set(Role) else (e.role or "")
        )
        rows.append(
            LedgerRow(
                seq=e.seq,
                occurred_at=local_time(e.occurred_at),
                activity=e.activity,
                activity_label=ACTIVITY_LABELS_ZH.get(e.activity, e.activity),
                actor_name=e.actor_name,
                role_label=role_label,
                unit_name=names.get(e.unit_id, "") if e.unit_id else "",
                case_id=e.case_id,
                attrs_text=json.dumps(e.attrs, ensure_ascii=False)[:300] if e.attrs else "",
            )
        )
    return rows


@dataclass(frozen=True)
class Dashboard:
    city_name: str
    figures: list[dict[str, Any]]
    charts: dict[str, list[dict[str, Any]]]
    recent: list[LedgerRow]


def dashboard(session: Session) -> Dashboard:
    """The city's key figures, read from the platform database only."""
    figures = _figures(session)
    units = identity.count_units_by_kind(session)
    accounts = identity.count_accounts_by_kind(session)
    _, ledger_total = ledger.list_entries(session, ledger.LedgerQuery(), 0, 1)
    cards: list[dict[str, Any]] = []
    for name, (label, unit) in FIGURE_LABELS_ZH.items():
        if (name, GUIYANG) in figures:
            cards.append(
                {
                    "label": label,
                    "value": f"{figures[(name, GUIYANG)]:,}",
                    "unit": unit,
                    "hint": "来自部门数据（演示城市）",
                }
            )
    for kind, label in (
        (UnitKind.DEPARTMENT, "政务部门"),
        (UnitKind.ORGANISATION, "协同单位"),
        (UnitKind.STREET, "街道（乡镇）"),
        (UnitKind.COMMUNITY, "社区（村）"),
    ):
        cards.append(
            {
                "label": label,
                "value": f"{units.get(kind.value, 0):,}",
                "unit": "个",
                "hint": "组织机构",
            }
        )
    cards.append(
        {
            "label": "注册账号",
            "value": f"{sum(accounts.values()):,}",
            "unit": "个",
            "hint": "一个号，全平台通用",
        }
    )
    cards.append(
        {"label": "台账记录", "value": f"{ledger_total:,}", "unit": "条", "hint": "哈希链封存"}
    )
    population: list[dict[str, Any]] = [
        {"name": _division_name(code), "value": value}
        for (name, code), value in sorted(figures.items(), key=lambda item: -item[1])
        if name == "population" and code != GUIYANG
    ]
    charts = {
        "population_by_district": population,
        "units_by_kind": [
            {"name": UNIT_KIND_LABELS_ZH[UnitKind(k)], "value": v} for k, v in sorted(units.items())
        ],
        "ledger_by_day": [
            {"day": day, "count": n}
            for day, n in ledger.count_by_day(session, utcnow() - timedelta(days=30))
        ],
        "accounts_by_kind": [
            {"name": ACCOUNT_KIND_LABELS_ZH[AccountKind(k)], "value": v}
            for k, v in sorted(accounts.items())
        ],
    }
    recent, _ = ledger.list_entries(session, ledger.LedgerQuery(), 0, 10)
    return Dashboard(
        city_name="贵阳市", figures=cards, charts=charts, recent=ledger_rows(session, recent)
    )


def _division_name(code: str) -> str:
    try:
        return guiyang_division(code).name
    except KeyError:
        return code


def verify_ledger(session: Session, actor: Actor) -> ledger.VerifyReport:
    """Verify the chain; a passing run leaves a checkpoint; either way it is recorded."""
    report = ledger.verify(session)
    if report.ok:
        ledger.checkpoint(session)
    ledger.record(
        session,
        actor,
        "ledger.verified",
        Subject("ledger", "chain"),
        {"ok": report.ok, "checked": report.checked, "broken_seq": report.broken_seq},
    )
    return report


# ---------------------------------------------------------------- the working-day calendar

YEAR_STATUS_LABELS_ZH = {
    "package": "已确认（国务院安排，内置）",
    "admin": "已确认",
    "pending": "待确认（按周末推算）",
}
DAY_KIND_LABELS_ZH = {kind.value: label for kind, label in holidays.DAY_KIND_LABELS_ZH.items()}
_CELL_LABELS_ZH = {
    "workday": "工作日",
    "weekend": "休息日",
    "holiday": "放假",
    "makeup": "调休上班",
}


def today() -> date:
    """Today where the city is (deadlines and the default year follow Beijing time)."""
    return china_today()


def year_status_label(status: holidays.YearStatus) -> str:
    if status.known_to_package:
        return YEAR_STATUS_LABELS_ZH["package"]
    return YEAR_STATUS_LABELS_ZH["admin" if status.admin_confirmed else "pending"]


def calendar_years(session: Session, around: date | None = None) -> list[int]:
    """The years worth showing: last year to next year, and every year an admin touched."""
    this = (around or today()).year
    years = {this - 1, this, this + 1, *holidays.years_with_entries(session)}
    return sorted(y for y in years if holidays.FIRST_YEAR <= y <= holidays.LAST_YEAR)


@dataclass(frozen=True)
class DayCell:
    day: date
    kind: str  # workday | weekend | holiday | makeup
    label: str
    name: str | None
    admin: bool
    today: bool

    @property
    def title(self) -> str:
        """The tooltip: the date, what it is, the holiday, and who decided it."""
        parts = [f"{self.day.isoformat()} {self.label}"]
        if self.name:
            parts.append(self.name)
        if self.admin:
            parts.append("管理员录入")
        return " · ".join(parts)


@dataclass(frozen=True)
class MonthGrid:
    month: int
    title: str
    leading_blanks: int  # days before the 1st in a Monday-first week
    days: list[DayCell]
    working_days: int
    notes: list[str]  # "春节 2月5日–11日 放假", "2月13日（六）调休上班"


_WEEKDAYS_ZH = "一二三四五六日"


def _month_notes(cells: Sequence[DayCell]) -> list[str]:
    """The month's holidays as runs of days and its make-up working days, in date order."""
    notes: list[tuple[date, str]] = []
    run: list[DayCell] = []

    def close() -> None:
        if run:
            first, last = run[0].day, run[-1].day
            span = f"{first.month}月{first.day}日" + (f"–{last.day}日" if last != first else "")
            notes.append((first, f"{run[0].name} {span} 放假"))
            run.clear()

    for cell in cells:
        if cell.kind == "holiday" and cell.name:
            if run and (run[-1].name != cell.name or (cell.day - run[-1].day).days != 1):
                close()
            run.append(cell)
            continue
        close()
        if cell.kind == "makeup":
            served = f"（{cell.name}）" if cell.name else ""
            weekday = _WEEKDAYS_ZH[cell.day.weekday()]
            notes.append(
                (cell.day, f"{cell.day.month}月{cell.day.day}日（{weekday}）调休上班{served}")
            )
    close()
    return [text for _, text in sorted(notes, key=lambda n: n[0])]


def month_grids(calendar: WorkingCalendar, year: int, on: date | None = None) -> list[MonthGrid]:
    """Twelve month grids (Monday first, as Chinese calendars are printed)."""
    now = on or today()
    months = []
    for month in range(1, 13):
        first = date(year, month, 1)
        following = date(year + (month == 12), month % 12 + 1, 1)
        cells = []
        day = first
        while day < following:
            info = calendar.describe(day)
            cells.append(
                DayCell(
                    day=day,
                    kind=info.kind,
                    label=_CELL_LABELS_ZH[info.kind],
                    name=info.name,
                    admin=info.source == "admin",
                    today=day == now,
                )
            )
            day += timedelta(days=1)
        months.append(
            MonthGrid(
                month=month,
                title=f"{month}月",
                leading_blanks=first.weekday(),
                days=cells,
                working_days=sum(c.kind in ("workday", "makeup") for c in cells),
                notes=_month_notes(cells),
            )
        )
    return months


def year_totals(months: Sequence[MonthGrid]) -> dict[str, int]:
    """Working days, days off, holidays and make-up workdays of the year."""
    cells = [c for m in months for c in m.days]
    return {
        "working": sum(c.kind in ("workday", "makeup") for c in cells),
        "off": sum(c.kind in ("weekend", "holiday") for c in cells),
        "holidays": sum(c.kind == "holiday" for c in cells),
        "makeup": sum(c.kind == "makeup" for c in cells),
    }
