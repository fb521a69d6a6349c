"""过程挖掘 (/supervision/mining): pick a log (the ledger's own or an imported one), see its
directly-follows graph and variants, and check it against a normative model. Thin: the
service does the work."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from zhuyun.core.errors import Problem
from zhuyun.identity.deps import Allowed, SessionDep
from zhuyun.identity.permissions import Permission, Principal
from zhuyun.supervision import service
from zhuyun.supervision.eventlog import LedgerSlice
from zhuyun.web.rendering import NavItem, PostedForm, register_nav, render

router = APIRouter(include_in_schema=False)
register_nav(NavItem("过程挖掘", "/supervision/mining", "ledger", Permission.SUPERVISION_READ, 905))

Reader = Annotated[Principal, Allowed(Permission.SUPERVISION_READ)]
MAX_EDGES_DRAWN = 80
VARIANTS_SHOWN = 30


def _page(
    request: Request,
    session: SessionDep,
    log: str,
    activity: str,
    model_text: str = "",
    conformance: dict[str, Any] | None = None,
    error: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    logs, _ = service.list_logs(session, 0, 100)
    choice = log if log == service.LEDGER or log.isdigit() else service.LEDGER
    where = LedgerSlice(activity=activity or None)
    events = service.log_for(session, choice, where)
    dfg = service.dfg_of(events)
    found = service.variants_of(events)
    edges = dfg.edges[:MAX_EDGES_DRAWN]
    drawn = {e.source for e in edges} | {e.target for e in edges}
    graph = {
        "nodes": [{"name": a, "count": n} for a, n in dfg.activities.items()
                  if a in drawn or len(dfg.edges) == 0],
        "edges": [{"source": e.source, "target": e.target, "count": e.count,
                   "median_seconds": e.median_seconds} for e in edges],
        "start": dfg.start_activities,
        "end": dfg.end_activities,
    }  # fmt: skip
    return render(
        request,
        "supervision_mining.html",
        page_title="过程挖掘",
        status_code=status_code,
        logs=logs,
        choice=choice,
        activity=activity,
        events=events,
        dfg=dfg,
        graph=graph,
        edges_hidden=max(0, len(dfg.edges) - MAX_EDGES_DRAWN),
        variants=found[:VARIANTS_SHOWN],
        variant_count=len(found),
        model_text=model_text,
        conformance=conformance,
        error=error,
    )


@router.get("/supervision/mining", response_class=HTMLResponse)
def mining(
    request: Request,
    _: Reader,
    session: SessionDep,
    log: Annotated[str, Query(max_length=12)] = service.LEDGER,
    activity: Annotated[str, Query(max_length=100)] = "",
) -> HTMLResponse:
    return _page(request, session, log, activity)


@router.post("/supervision/mining", response_class=HTMLResponse)
def mining_conformance(
    request: Request, _: Reader, session: SessionDep, form: PostedForm
) -> HTMLResponse:
    log = str(form.get("log") or service.LEDGER)[:12]
    activity = str(form.get("activity") or "")[:100]
    text = str(form.get("model") or "")[:500_000]
    try:
        model = service.parse_model(json.loads(text))
    except json.JSONDecodeError as error:
        return _page(request, session, log, activity, text, error=f"模型不是合法的 JSON：{error}",
                     status_code=422)  # fmt: skip
    except Problem as problem:
        return _page(request, session, log, activity, text, error=problem.message_zh,
                     status_code=422)  # fmt: skip
    choice = log if log == service.LEDGER or log.isdigit() else service.LEDGER
    events = service.log_for(session, choice, LedgerSlice(activity=activity or None))
    result = service.conformance(events, model)
    ranked = sorted(result.variants, key=lambda v: (v[2].fitness, -v[1]))[:VARIANTS_SHOWN]
    conformance = {**result.summary(), "variants": ranked}
    return _page(request, session, log, activity, text, conformance=conformance)


# The 数据铁笼 pages (power list, warnings, big screen, public case page) have their own module.
from zhuyun.supervision.cage_pages import router as _cage_router  # noqa: E402

router.include_router(_cage_router)
