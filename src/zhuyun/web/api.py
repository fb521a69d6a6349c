"""JSON API of the shell: health, the dashboard's figures, the ledger and its verification."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import text

from zhuyun import __version__
from zhuyun.core import ledger
from zhuyun.core.paging import Page, PageDep
from zhuyun.identity.deps import Allowed, MaybeCaller, SessionDep
from zhuyun.identity.permissions import Permission, Principal
from zhuyun.web import service
from zhuyun.web.schemas import DashboardPublic, Health, LedgerEntryPublic, VerifyResult

router = APIRouter(prefix="/api", tags=["platform 平台"])


@router.get("/health", response_model=Health, summary="Liveness and database check / 健康检查")
def health(session: SessionDep, _: MaybeCaller) -> Health:
    session.execute(text("SELECT 1"))
    return Health(status="ok", version=__version__, database=session.get_bind().dialect.name)


@router.get("/dashboard", response_model=DashboardPublic, summary="Key figures / 关键指标")
def dashboard(
    principal: Annotated[Principal, Allowed(Permission.DASHBOARD_READ)], session: SessionDep
) -> DashboardPublic:
    board = service.dashboard(session)
    return DashboardPublic(city_name=board.city_name, figures=board.figures, charts=board.charts)


@router.get("/ledger", response_model=Page[LedgerEntryPublic], summary="Ledger entries / 审计台账")
def list_ledger(
    principal: Annotated[Principal, Allowed(Permission.LEDGER_READ)],
    session: SessionDep,
    page: PageDep,
    activity: Annotated[str | None, Query(max_length=100)] = None,
    case_id: Annotated[str | None, Query(max_length=128)] = None,
    actor_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    unit_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
) -> Page[LedgerEntryPublic]:
    rows, total = ledger.list_entries(
        session,
        ledger.LedgerQuery(activity=activity, case_id=case_id, actor_id=actor_id, unit_id=unit_id),
        page.offset,
        page.limit,
    )
    return Page(
        data=[LedgerEntryPublic.model_validate(r) for r in rows],
        count=total,
        offset=page.offset,
        limit=page.limit,
    )


@router.post(
    "/ledger/verify", response_model=VerifyResult, summary="Recompute the hash chain / 校验哈希链"
)
def verify_ledger(
    principal: Annotated[Principal, Allowed(Permission.LEDGER_VERIFY)], session: SessionDep
) -> VerifyResult:
    report = service.verify_ledger(session, principal.as_actor())
    return VerifyResult(
        ok=report.ok,
        checked=report.checked,
        head_seq=report.head_seq,
        head_hash=report.head_hash,
        broken_seq=report.broken_seq,
        problem_en=report.problem_en,
        problem_zh=report.problem_zh,
        algorithms=sorted(report.algorithms),
    )
