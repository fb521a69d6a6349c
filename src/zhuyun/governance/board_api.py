"""JSON API of the supply-demand board (社群通): thin routes that parse, call the service and
render."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response
from fastapi import Path as PathParam
from sqlalchemy.orm import Session

from zhuyun.core.masking import mask
from zhuyun.core.paging import Page, PageDep
from zhuyun.governance.board_schemas import (
    BoardPostCreate,
    BoardPostPublic,
    CandidatePublic,
    CategoryPublic,
    MatchCreate,
    MatchDecline,
    MatchPublic,
)
from zhuyun.governance.models import BoardMatch, BoardPost
from zhuyun.governance.service import board
from zhuyun.identity import service as identity
from zhuyun.identity.deps import Allowed, SessionDep
from zhuyun.identity.permissions import Permission, Principal

router = APIRouter(prefix="/api/governance/board", tags=["governance 社群通"])

User = Annotated[Principal, Allowed(Permission.BOARD_USE)]
PostId = Annotated[int, PathParam(ge=1, le=2**31 - 1, description="供需信息 id")]
MatchId = Annotated[int, PathParam(ge=1, le=2**31 - 1, description="对接 id")]
IdempotencyKey = Annotated[
    str | None, Header(alias="Idempotency-Key", max_length=100, description="幂等键")
]


def post_public(
    session: Session,
    principal: Principal,
    post: BoardPost,
    names: dict[int, str] | None = None,
) -> BoardPostPublic:
    names = names if names is not None else identity.unit_names(session, [post.unit_id])
    clear = board.may_see_contact(session, principal, post)
    return BoardPostPublic(
        id=post.id,
        kind=post.kind,
        kind_label=board.KINDS[post.kind],
        category=post.category,
        category_name=board.CATEGORIES.get(post.category, post.category),
        title=post.title,
        text=post.text,
        poster_type=post.poster_type,
        poster_type_label=board.POSTER_TYPES.get(post.poster_type, post.poster_type),
        unit_name=names.get(post.unit_id) if post.unit_id else None,
        contact_name=post.contact_name if clear else mask("name", post.contact_name),
        contact_phone=post.contact_phone if clear else mask("phone", post.contact_phone),
        lng=post.lng,
        lat=post.lat,
        address=post.address,
        grid_code=post.grid_code,
        district_code=post.district_code,
        radius_m=post.radius_m,
        starts_at=post.starts_at,
        ends_at=post.ends_at,
        capacity=post.capacity,
        matched_count=post.matched_count,
        status=post.status,
        status_label=board.STATUS_LABELS.get(post.status, post.status),
        mine=board.owns(principal, post),
        created_at=post.created_at,
    )


def posts_public(
    session: Session, principal: Principal, posts: Sequence[BoardPost]
) -> list[BoardPostPublic]:
    names = identity.unit_names(session, [p.unit_id for p in posts])
    return [post_public(session, principal, p, names) for p in posts]


def match_public(session: Session, match: BoardMatch) -> MatchPublic:
    need, offer = board.get_post(session, match.need_id), board.get_post(session, match.offer_id)
    return MatchPublic(
        id=match.id,
        need_id=need.id,
        offer_id=offer.id,
        need_title=need.title,
        offer_title=offer.title,
        category=need.category,
        distance_m=match.distance_m,
        status=match.status,
        status_label=board.MATCH_LABELS.get(match.status, match.status),
        need_confirmed=match.need_confirmed_at is not None,
        offer_confirmed=match.offer_confirmed_at is not None,
        created_at=match.created_at,
        closed_at=match.closed_at,
    )


def draft_of(body: BoardPostCreate) -> board.PostDraft:
    return board.PostDraft(
        kind=body.kind,
        category=body.category,
        title=body.title,
        text=body.text,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        lng=body.lng,
        lat=body.lat,
        address=body.address,
        radius_m=body.radius_m,
        capacity=body.capacity,
        contact_name=body.contact_name,
        contact_phone=body.contact_phone,
    )


@router.get("/categories", response_model=list[CategoryPublic], summary="供需类别")
def categories(principal: User) -> list[CategoryPublic]:
    return [CategoryPublic(code=c, name=n) for c, n in board.CATEGORIES.items()]


@router.post(
    "/posts",
    status_code=201,
    response_model=BoardPostPublic,
    summary="Post a need or an offer / 发布需求或服务",
)
def create_post(
    body: BoardPostCreate,
    principal: User,
    session: SessionDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> BoardPostPublic:
    post, replayed = board.create_post(
        session, principal, draft_of(body), idempotency_key=idempotency_key
    )
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return post_public(session, principal, post)


@router.get("/posts", response_model=Page[BoardPostPublic], summary="Needs and offers / 供需列表")
def list_posts(
    principal: User,
    session: SessionDep,
    page: PageDep,
    kind: Annotated[str | None, Query(pattern="^(need|offer)$")] = None,
    category: Annotated[str | None, Query(max_length=20)] = None,
    district: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    status: Annotated[str | None, Query(pattern="^(open|matched|withdrawn|all)$")] = "open",
    mine: bool = False,
) -> Page[BoardPostPublic]:
    flt = board.PostFilter(kind, category, district, None if status == "all" else status, mine)
    rows, total = board.list_posts(session, principal, flt, page.offset, page.limit)
    return Page.of(posts_public(session, principal, rows), total, page)


@router.get("/posts/{post_id}", response_model=BoardPostPublic, summary="One post / 供需详情")
def get_post(post_id: PostId, principal: User, session: SessionDep) -> BoardPostPublic:
    return post_public(session, principal, board.get_post(session, post_id))


@router.post("/posts/{post_id}/withdraw", response_model=BoardPostPublic, summary="Withdraw / 撤回")
def withdraw(post_id: PostId, principal: User, session: SessionDep) -> BoardPostPublic:
    post = board.get_post(session, post_id)
    board.withdraw(session, principal, post)
    return post_public(session, principal, post)


@router.get(
    "/posts/{post_id}/candidates",
    response_model=Page[CandidatePublic],
    summary="Posts of the other kind that fit, nearest first / 匹配候选（按距离）",
)
def candidates(
    post_id: PostId, principal: User, session: SessionDep, page: PageDep
) -> Page[CandidatePublic]:
    post = board.get_post(session, post_id)
    rows, total = board.candidates(session, post, page.offset, page.limit)
    names = identity.unit_names(session, [p.unit_id for p, _ in rows])
    return Page.of(
        [
            CandidatePublic(post=post_public(session, principal, p, names), distance_m=round(d, 1))
            for p, d in rows
        ],
        total,
        page,
    )


@router.get(
    "/matches",
    response_model=Page[MatchPublic],
    summary="My matches, or one post's / 我的对接",
)
def list_matches(
    principal: User,
    session: SessionDep,
    page: PageDep,
    post: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Page[MatchPublic]:
    of = board.get_post(session, post) if post is not None else None
    rows, total = board.matches_of(session, principal, of, page.offset, page.limit)
    return Page.of([match_public(session, m) for m in rows], total, page)


@router.post(
    "/matches",
    status_code=201,
    response_model=MatchPublic,
    summary="Propose a match of a need and an offer / 发起对接",
)
def propose(body: MatchCreate, principal: User, session: SessionDep) -> MatchPublic:
    match = board.propose(session, principal, body.need_id, body.offer_id)
    return match_public(session, match)


@router.get("/matches/{match_id}", response_model=MatchPublic, summary="One match / 对接详情")
def get_match(match_id: MatchId, principal: User, session: SessionDep) -> MatchPublic:
    return match_public(session, board.get_match(session, principal, match_id))


@router.post(
    "/matches/{match_id}/confirm",
    response_model=MatchPublic,
    summary="Confirm a match (each side) / 确认对接",
)
def confirm(match_id: MatchId, principal: User, session: SessionDep) -> MatchPublic:
    match = board.confirm(session, principal, board.get_match(session, principal, match_id))
    return match_public(session, match)


@router.post(
    "/matches/{match_id}/decline", response_model=MatchPublic, summary="Decline / 谢绝对接"
)
def decline(
    match_id: MatchId, body: MatchDecline, principal: User, session: SessionDep
) -> MatchPublic:
    match = board.get_match(session, principal, match_id)
    return match_public(session, board.decline(session, principal, match, body.reason))
