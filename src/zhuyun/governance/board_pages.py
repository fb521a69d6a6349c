"""Pages of the supply-demand board (社群通): the list of needs and offers, the form to post
one, and a post's page with its candidates (nearest first) and matches, where each side
proposes, confirms or declines. Thin: the service answers, the templates show."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse

from zhuyun.core.calendar import CHINA_TIME
from zhuyun.core.divisions import GUIYANG, children_of
from zhuyun.core.errors import Problem, Unprocessable
from zhuyun.governance.board_api import match_public, post_public, posts_public
from zhuyun.governance.service import board
from zhuyun.identity.deps import Allowed, SessionDep
from zhuyun.identity.permissions import Permission, Principal
from zhuyun.web.rendering import NavItem, pager, redirect, register_nav, render

router = APIRouter(include_in_schema=False)
register_nav(NavItem("社群通", "/governance/board", "accounts", Permission.BOARD_USE, 314))

User = Annotated[Principal, Allowed(Permission.BOARD_USE)]
PostId = Annotated[int, PathParam(ge=1, le=2**31 - 1)]
ROWS = 20


@router.get("/governance/board", response_class=HTMLResponse)
def board_page(
    request: Request,
    principal: User,
    session: SessionDep,
    kind: Annotated[str, Query(pattern="^(|need|offer)$")] = "",
    category: Annotated[str, Query(max_length=20)] = "",
    district: Annotated[str, Query(pattern=r"^(|\d{6})$")] = "",
    mine: bool = False,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> HTMLResponse:
    flt = board.PostFilter(
        kind or None, category or None, district or None, None if mine else "open", mine
    )
    rows, total = board.list_posts(session, principal, flt, offset, ROWS)
    return render(
        request,
        "board.html",
        page_title="社群通",
        posts=posts_public(session, principal, rows),
        total=total,
        kind=kind,
        category=category,
        district=district,
        mine=mine,
        categories=board.CATEGORIES,
        districts=children_of(GUIYANG),
        pager=pager(
            "/governance/board",
            {
                "kind": kind,
                "category": category,
                "district": district,
                "mine": "true" if mine else "",
            },
            offset,
            ROWS,
            total,
        ),
    )


def _form_page(
    request: Request, status_code: int = 200, message: str = "", form: dict[str, str] | None = None
) -> HTMLResponse:
    today = datetime.now(CHINA_TIME).date()
    return render(
        request,
        "board_new.html",
        page_title="发布供需",
        status_code=status_code,
        flash={"kind": "error", "text": message} if message else None,
        categories=board.CATEGORIES,
        form=form
        or {"starts": today.isoformat(), "ends": (today + timedelta(days=30)).isoformat()},
    )


@router.get("/governance/board/new", response_class=HTMLResponse)
def new_post_form(request: Request, principal: User) -> HTMLResponse:
    return _form_page(request)


def _day(value: str, end: bool) -> datetime:
    day = date.fromisoformat(value)
    return datetime.combine(day, time.max if end else time.min, CHINA_TIME)


@router.post("/governance/board/new", response_model=None)
def new_post(
    request: Request,
    principal: User,
    session: SessionDep,
    kind: Annotated[str, Form(max_length=6)] = "",
    category: Annotated[str, Form(max_length=20)] = "",
    title: Annotated[str, Form(max_length=200)] = "",
    text: Annotated[str, Form(max_length=20_000)] = "",
    lng: Annotated[str, Form(max_length=20)] = "",
    lat: Annotated[str, Form(max_length=20)] = "",
    address: Annotated[str, Form(max_length=300)] = "",
    starts: Annotated[str, Form(max_length=10)] = "",
    ends: Annotated[str, Form(max_length=10)] = "",
    radius_m: Annotated[str, Form(max_length=7)] = "3000",
    capacity: Annotated[str, Form(max_length=5)] = "1",
    contact_phone: Annotated[str, Form(max_length=30)] = "",
    idempotency_key: Annotated[str, Form(max_length=100)] = "",
) -> HTMLResponse | RedirectResponse:
    form = {
        "kind": kind, "category": category, "title": title, "text": text, "lng": lng,
        "lat": lat, "address": address, "starts": starts, "ends": ends, "radius_m": radius_m,
        "capacity": capacity, "contact_phone": contact_phone,
    }  # fmt: skip
    try:
        draft = board.PostDraft(
            kind=kind,
            category=category,
            title=title,
            text=text,
            starts_at=_day(starts, end=False),
            ends_at=_day(ends, end=True),
            lng=float(lng) if lng else None,
            lat=float(lat) if lat else None,
            address=address or None,
            radius_m=int(radius_m or 0),
            capacity=int(capacity or 0),
            contact_phone=contact_phone or None,
        )
        post, _ = board.create_post(
            session, principal, draft, idempotency_key=idempotency_key or None
        )
    except (Problem, ValueError) as problem:
        session.rollback()
        message = (
            problem.message_zh
            if isinstance(problem, Problem)
            else "日期、经纬度、半径或数量的格式不正确。"
        )
        return _form_page(request, 422, message, form)
    return redirect(f"/governance/board/{post.id}")


@router.get("/governance/board/{post_id}", response_class=HTMLResponse)
def post_page(
    request: Request,
    post_id: PostId,
    principal: User,
    session: SessionDep,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> HTMLResponse:
    post = board.get_post(session, post_id)
    shown = post_public(session, principal, post)
    owner = board.owns(principal, post)
    rows, total = board.candidates(session, post, offset, ROWS) if owner else ([], 0)
    matches, _ = board.matches_of(session, principal, post, 0, 50)
    return render(
        request,
        "board_post.html",
        page_title=post.title,
        post=shown,
        owner=owner,
        candidates=[(post_public(session, principal, p), d) for p, d in rows],
        matches=[match_public(session, m) for m in matches],
        pager=pager(f"/governance/board/{post_id}", {}, offset, ROWS, total),
    )


@router.post("/governance/board/{post_id}/act")
def act(
    post_id: PostId,
    principal: User,
    session: SessionDep,
    action: Annotated[str, Form(max_length=20)],
    other_id: Annotated[int, Form(ge=0, le=2**31 - 1)] = 0,
    match_id: Annotated[int, Form(ge=0, le=2**31 - 1)] = 0,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> RedirectResponse:
    post = board.get_post(session, post_id)
    if action == "propose":
        need_id, offer_id = (post.id, other_id) if post.kind == "need" else (other_id, post.id)
        board.propose(session, principal, need_id, offer_id)
    elif action == "confirm":
        board.confirm(session, principal, board.get_match(session, principal, match_id))
    elif action == "decline":
        board.decline(session, principal, board.get_match(session, principal, match_id), reason)
    elif action == "withdraw":
        board.withdraw(session, principal, post)
    else:
        raise Unprocessable("Unknown action.", "未知操作。", code="bad-action")
    return redirect(f"/governance/board/{post_id}")
