"""The supply-demand board (社群通): community needs and the offers of volunteers, enterprises
and collaborating organisations, matched by category and distance.

A post is a need (需求) or an offer (服务) of one category, at a place in the city (a point,
or an address read to its grid — then the grid's centroid), for a time window. Who posts is
read from the account, not claimed: a resident or volunteer (natural person), an enterprise
(legal person), a collaborating organisation or a community (staff of such a unit). An
offer says how far its poster will go (`radius_m`) and how many needs it can take
(`capacity`).

Matching: the candidates of a post are the open posts of the other kind, same category,
whose time windows overlap, where the need lies within the offer's radius — nearest first,
paged in SQL (a local equirectangular distance, accurate to well under 1% at city scale). A
match is proposed by one side (its side confirmed at once) and confirmed by the other; then
each post counts it and is `matched` when full. Declining ends a proposal. Every step is a
ledger entry. Contacts are shown to a post's owner and, once a match is confirmed, to the
other side; to everyone else they are masked.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhuyun.core.calendar import CHINA_TIME
from zhuyun.core.db import utcnow
from zhuyun.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from zhuyun.core.ledger import Actor, Subject, record
from zhuyun.governance.models import BoardMatch, BoardPost
from zhuyun.governance.service.geometry import (
    METRES_PER_DEG_LAT,
    metres_between,
    metres_per_deg_lng,
)
from zhuyun.governance.service.locate import grid_of, grid_of_address
from zhuyun.governance.service.workflow import is_command_centre
from zhuyun.identity import service as identity
from zhuyun.identity.permissions import AccountKind, Principal

KINDS = {"need": "需求", "offer": "服务"}
CATEGORIES: dict[str, str] = {
    "elderly": "助老服务",
    "disability": "助残服务",
    "children": "儿童关爱",
    "health": "医疗健康",
    "legal": "法律援助",
    "employment": "就业帮扶",
    "environment": "环境整治",
    "donation": "物资捐赠",
    "culture": "文体活动",
    "counselling": "心理疏导",
}
POSTER_TYPES = {
    "resident": "居民",
    "volunteer": "志愿者",
    "enterprise": "企业",
    "organisation": "协同单位",
    "community": "社区",
}
STATUS_LABELS = {"open": "征集中", "matched": "已对接", "withdrawn": "已撤回"}
MATCH_LABELS = {"proposed": "待确认", "confirmed": "已确认", "declined": "已谢绝"}
DEFAULT_RADIUS_M = 3_000
MAX_RADIUS_M = 50_000
MAX_WINDOW = timedelta(days=366)


@dataclass
class PostDraft:
    kind: str
    category: str
    title: str
    text: str
    starts_at: datetime
    ends_at: datetime
    lng: float | None = None
    lat: float | None = None
    address: str | None = None
    radius_m: int = DEFAULT_RADIUS_M
    capacity: int = 1
    contact_name: str | None = None
    contact_phone: str | None = None


def _bad(en: str, zh: str, code: str) -> Unprocessable:
    return Unprocessable(en, zh, code=code)


def _aware(moment: datetime) -> datetime:
    """A time without a zone is Beijing time; times outside 2000–2100 are refused."""
    if not 2000 <= moment.year <= 2100:
        raise _bad(
            "Times lie between the years 2000 and 2100.",
            "时间须在 2000–2100 年之间。",
            "invalid-time-window",
        )
    return moment.replace(tzinfo=CHINA_TIME) if moment.tzinfo is None else moment


def _check(draft: PostDraft) -> None:
    draft.starts_at, draft.ends_at = _aware(draft.starts_at), _aware(draft.ends_at)
    if draft.kind not in KINDS:
        raise _bad("kind is need or offer.", "类型须为需求（need）或服务（offer）。", "bad-kind")
    if draft.category not in CATEGORIES:
        raise _bad(
            f"Unknown category {draft.category!r}.",
            f"未知类别 {draft.category}。",
            "unknown-category",
        )
    if not draft.title.strip() or not draft.text.strip():
        raise _bad("Give a title and a description.", "请填写标题和说明。", "empty-text")
    if len(draft.title.strip()) > 100 or len(draft.text.strip()) > 2_000:
        raise _bad(
            "The title has at most 100 characters, the description 2,000.",
            "标题最多 100 字，说明最多 2,000 字。",
            "text-too-long",
        )
    if draft.ends_at <= draft.starts_at or draft.ends_at - draft.starts_at > MAX_WINDOW:
        raise _bad(
            "The time window must end after it starts, and last at most a year.",
            "时间段须结束晚于开始，且不超过一年。",
            "invalid-time-window",
        )
    if not 100 <= draft.radius_m <= MAX_RADIUS_M:
        raise _bad(
            f"The radius is 100 to {MAX_RADIUS_M} metres.",
            f"服务半径须在 100–{MAX_RADIUS_M} 米之间。",
            "invalid-radius",
        )
    if not 1 <= draft.capacity <= 1_000:
        raise _bad("The capacity is 1 to 1,000.", "可对接数量须为 1–1000。", "invalid-capacity")


def _place(session: Session, draft: PostDraft) -> tuple[float, float, str | None, str | None]:
    """The post's point and its grid: a point is located in its grid (outside the city: 422);
    an address alone goes to its community's grid, whose centroid is the point."""
    if (draft.lng is None) != (draft.lat is None):
        raise _bad(
            "Give both longitude and latitude.", "经度和纬度须同时提供。", "invalid-coordinates"
        )
    if draft.lng is not None and draft.lat is not None:
        grid = grid_of(session, draft.lng, draft.lat)
        if grid is None:
            return draft.lng, draft.lat, None, None
        return draft.lng, draft.lat, grid.code, grid.district_code
    if draft.address and draft.address.strip():
        found = grid_of_address(session, draft.address).grid
        return found.centroid_lng, found.centroid_lat, found.code, found.district_code
    raise _bad(
        "Give the location: lng and lat, or an address.",
        "请提供位置：经纬度或地址。",
        "location-required",
    )


def poster_type(session: Session, principal: Principal, kind: str) -> str:
    """Who is posting, read from the account."""
    if principal.kind == AccountKind.PERSON:
        return "volunteer" if kind == "offer" else "resident"
    if principal.kind == AccountKind.LEGAL:
        return "enterprise"
    if principal.unit_id is not None:
        unit = identity.get_unit(session, principal.unit_id)
        if unit.kind == "organisation":
            return "organisation"
    return "community"


def create_post(
    session: Session,
    principal: Principal,
    draft: PostDraft,
    *,
    idempotency_key: str | None = None,
    unit_id: int | None = None,
) -> tuple[BoardPost, bool]:
    """Post a need or an offer; with an idempotency key a replay answers the same post.
    Returns the post and whether it was a replay. `unit_id` posts for a unit (an organisation
    or a community): the platform itself may, as the demo does; staff post for their own."""
    if unit_id is not None and principal.via != "system":
        raise Forbidden(
            "Staff post for their own unit.", "只能以本单位名义发布。", code="not-own-unit"
        )
    scope = f"account:{principal.account_id}" if principal.via != "system" else "system"
    key = (idempotency_key or "").strip() or None
    if idempotency_key is not None and (key is None or len(key) > 100):
        raise _bad(
            "An idempotency key has 1 to 100 characters.",
            "幂等键须为 1–100 个字符。",
            "invalid-idempotency-key",
        )
    if key is not None:
        existing = _replay(session, scope, key)
        if existing is not None:
            return existing, True
    _check(draft)
    lng, lat, grid_code, district_code = _place(session, draft)
    now = utcnow()
    post = BoardPost(
        kind=draft.kind,
        category=draft.category,
        title=draft.title.strip(),
        text=draft.text.strip(),
        poster_type=poster_type(session, principal, draft.kind)
        if unit_id is None
        else _unit_type(session, unit_id),
        account_id=principal.account_ref,
        unit_id=unit_id if unit_id is not None else _own_unit(session, principal),
        contact_name=(draft.contact_name or "").strip()[:100] or principal.display_name,
        contact_phone=(draft.contact_phone or "").strip()[:30] or None,
        lng=lng,
        lat=lat,
        address=(draft.address or "").strip()[:300] or None,
        grid_code=grid_code,
        district_code=district_code,
        radius_m=draft.radius_m,
        starts_at=draft.starts_at,
        ends_at=draft.ends_at,
        capacity=draft.capacity if draft.kind == "offer" else 1,
        matched_count=0,
        status="open",
        idempotency_scope=scope if key else None,
        idempotency_key=key,
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(post)
            session.flush()
    except IntegrityError:
        existing = _replay(session, scope, key) if key else None
        if existing is None:
            raise
        return existing, True
    record(
        session,
        principal.as_actor(),
        f"board.{draft.kind}_posted",
        Subject("board_post", post.id),
        {
            "kind": post.kind,
            "category": post.category,
            "poster_type": post.poster_type,
            "grid_code": post.grid_code,
            "district_code": post.district_code,
            "unit_id": post.unit_id,
        },
    )
    return post, False


def _unit_type(session: Session, unit_id: int) -> str:
    return (
        "organisation"
        if identity.get_unit(session, unit_id).kind == "organisation"
        else "community"
    )


def _own_unit(session: Session, principal: Principal) -> int | None:
    """Staff post for their unit (an organisation or a community office), people for
    themselves."""
    return principal.unit_id if principal.kind == AccountKind.STAFF else None


def _replay(session: Session, scope: str, key: str) -> BoardPost | None:
    return session.scalar(
        select(BoardPost).where(
            BoardPost.idempotency_scope == scope, BoardPost.idempotency_key == key
        )
    )


# --- who owns what -------------------------------------------------------------------------


def owns(principal: Principal, post: BoardPost) -> bool:
    """The poster, or (for a unit's post) a staff member of that unit; the platform itself
    (the demo builder) acts for every side."""
    if principal.via == "system":
        return True
    if post.account_id is not None and post.account_id == principal.account_id:
        return True
    return (
        post.unit_id is not None
        and principal.kind == AccountKind.STAFF
        and principal.unit_id == post.unit_id
    )


def get_post(session: Session, post_id: int) -> BoardPost:
    post = session.get(BoardPost, post_id)
    if post is None:
        raise NotFound(
            f"Board post {post_id} does not exist.",
            f"供需信息 {post_id} 不存在。",
            code="post-not-found",
        )
    return post


def may_see_contact(session: Session, principal: Principal, post: BoardPost) -> bool:
    """The owner, the other side of a confirmed match, and the command centre."""
    if owns(principal, post) or is_command_centre(session, principal):
        return True
    other = BoardMatch.offer_id if post.kind == "need" else BoardMatch.need_id
    mine = BoardMatch.need_id if post.kind == "need" else BoardMatch.offer_id
    partners = session.scalars(
        select(BoardPost)
        .join(BoardMatch, other == BoardPost.id)
        .where(mine == post.id, BoardMatch.status == "confirmed")
    )
    return any(owns(principal, p) for p in partners)


def withdraw(session: Session, principal: Principal, post: BoardPost) -> None:
    if not owns(principal, post):
        raise Forbidden(
            "Only the poster may withdraw a post.", "只有发布者可以撤回。", code="not-poster"
        )
    if post.status != "open":
        raise Conflict(
            f"The post is {post.status}.",
            f"该信息{STATUS_LABELS.get(post.status, post.status)}，不能撤回。",
            code="wrong-status",
        )
    post.status = "withdrawn"
    post.updated_at = utcnow()
    record(
        session,
        principal.as_actor(),
        "board.post_withdrawn",
        Subject("board_post", post.id),
        {"kind": post.kind, "category": post.category},
    )


# --- lists and candidates ------------------------------------------------------------------


@dataclass(frozen=True)
class PostFilter:
    kind: str | None = None
    category: str | None = None
    district_code: str | None = None
    status: str | None = "open"
    mine: bool = False


def list_posts(
    session: Session, principal: Principal, flt: PostFilter, offset: int, limit: int
) -> tuple[Sequence[BoardPost], int]:
    query = select(BoardPost)
    if flt.kind:
        query = query.where(BoardPost.kind == flt.kind)
    if flt.category:
        query = query.where(BoardPost.category == flt.category)
    if flt.district_code:
        query = query.where(BoardPost.district_code == flt.district_code)
    if flt.status:
        query = query.where(BoardPost.status == flt.status)
    if flt.mine:
        conditions = [BoardPost.account_id == principal.account_id]
        if principal.kind == AccountKind.STAFF and principal.unit_id is not None:
            conditions.append(BoardPost.unit_id == principal.unit_id)
        query = query.where(or_(*conditions))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(BoardPost.id.desc()).offset(offset).limit(limit)).all()
    return rows, total


def _squared_metres(post: BoardPost) -> ColumnElement[float]:
    """The squared distance from `post` to each row, as SQL arithmetic (both backends)."""
    kx = metres_per_deg_lng(post.lat)
    dx = (BoardPost.lng - post.lng) * kx
    dy = (BoardPost.lat - post.lat) * METRES_PER_DEG_LAT
    return dx * dx + dy * dy


def candidates(
    session: Session, post: BoardPost, offset: int, limit: int
) -> tuple[list[tuple[BoardPost, float]], int]:
    """Open posts of the other kind that fit `post`, nearest first, with their distance."""
    other_kind = "offer" if post.kind == "need" else "need"
    squared = _squared_metres(post)
    # The offer's radius decides: for a need, each offer's own; for an offer, its radius.
    radius = BoardPost.radius_m if post.kind == "need" else post.radius_m
    query = select(BoardPost, squared).where(
        BoardPost.kind == other_kind,
        BoardPost.category == post.category,
        BoardPost.status == "open",
        BoardPost.id != post.id,
        BoardPost.starts_at < post.ends_at,
        BoardPost.ends_at > post.starts_at,
        squared <= radius * radius,
    )
    if post.account_id is not None:
        query = query.where(
            or_(BoardPost.account_id.is_(None), BoardPost.account_id != post.account_id)
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(squared, BoardPost.id).offset(offset).limit(limit))
    return [(row[0], math.sqrt(max(row[1], 0.0))) for row in rows], total


# --- matches -------------------------------------------------------------------------------


def _pair(session: Session, need_id: int, offer_id: int) -> tuple[BoardPost, BoardPost]:
    need, offer = get_post(session, need_id), get_post(session, offer_id)
    if need.kind != "need" or offer.kind != "offer":
        raise _bad(
            "A match joins a need and an offer.", "对接须是一条需求与一条服务。", "not-a-pair"
        )
    return need, offer


def _fits(need: BoardPost, offer: BoardPost) -> float:
    """The distance between the two posts, or a 422 saying why they do not fit."""
    for post in (need, offer):
        if post.status != "open":
            raise Conflict(
                f"Post {post.id} is {post.status}.",
                f"“{post.title}”{STATUS_LABELS.get(post.status, post.status)}，不能对接。",
                code="post-not-open",
            )
    if need.category != offer.category:
        raise _bad(
            "The need and the offer are of different categories.",
            "需求与服务的类别不同。",
            "category-mismatch",
        )
    if not (offer.starts_at < need.ends_at and offer.ends_at > need.starts_at):
        raise _bad(
            "The time windows do not overlap.", "需求与服务的时间段不重叠。", "no-time-overlap"
        )
    distance = metres_between(need.lng, need.lat, offer.lng, offer.lat)
    if distance > offer.radius_m:
        raise _bad(
            f"The need is {distance:,.0f} m away; the offer reaches {offer.radius_m:,} m.",
            f"需求距服务 {distance:,.0f} 米，超出服务半径 {offer.radius_m:,} 米。",
            "too-far",
        )
    return distance


def propose(session: Session, principal: Principal, need_id: int, offer_id: int) -> BoardMatch:
    """One side proposes a match (its side confirmed now); the other side confirms."""
    need, offer = _pair(session, need_id, offer_id)
    centre = is_command_centre(session, principal)
    if not (owns(principal, need) or owns(principal, offer) or centre):
        raise Forbidden(
            "Only the poster of the need or of the offer may propose a match.",
            "只有需求或服务的发布者可以发起对接。",
            code="not-poster",
        )
    existing = session.scalar(
        select(BoardMatch).where(BoardMatch.need_id == need.id, BoardMatch.offer_id == offer.id)
    )
    if existing is not None:
        raise Conflict(
            f"This need and offer have a match already ({existing.status}).",
            f"该需求与服务已有对接记录（{MATCH_LABELS.get(existing.status, existing.status)}）。",
            code="match-exists",
        )
    distance = _fits(need, offer)
    now = utcnow()
    match = BoardMatch(
        need_id=need.id,
        offer_id=offer.id,
        distance_m=round(distance, 1),
        status="proposed",
        proposed_by=principal.account_ref,
        created_at=now,
    )
    for side, post in (("need", need), ("offer", offer)):
        if owns(principal, post):
            setattr(match, f"{side}_confirmed_by", principal.account_ref)
            setattr(match, f"{side}_confirmed_at", now)
    session.add(match)
    session.flush()
    record(
        session,
        principal.as_actor(),
        "board.match_proposed",
        Subject("board_match", match.id),
        _match_attrs(need, offer, match),
    )
    if match.need_confirmed_at and match.offer_confirmed_at:  # one poster owns both sides
        _confirmed(session, principal.as_actor(), match, need, offer)
    return match


def _match_attrs(need: BoardPost, offer: BoardPost, match: BoardMatch) -> dict[str, object]:
    return {
        "need_id": need.id,
        "offer_id": offer.id,
        "category": need.category,
        "distance_m": match.distance_m,
        "need_unit_id": need.unit_id,
        "offer_unit_id": offer.unit_id,
    }


def get_match(session: Session, principal: Principal, match_id: int) -> BoardMatch:
    """A match its sides' owners and the command centre may see; to others it does not exist."""
    match = session.get(BoardMatch, match_id)
    if match is not None:
        need, offer = session.get(BoardPost, match.need_id), session.get(BoardPost, match.offer_id)
        if (
            (need is not None and owns(principal, need))
            or (offer is not None and owns(principal, offer))
            or is_command_centre(session, principal)
        ):
            return match
    raise NotFound(
        f"Match {match_id} does not exist.", f"对接记录 {match_id} 不存在。", code="match-not-found"
    )


def confirm(session: Session, principal: Principal, match: BoardMatch) -> BoardMatch:
    """The other side confirms; with both sides confirmed the match holds."""
    need, offer = _pair(session, match.need_id, match.offer_id)
    if match.status != "proposed":
        raise Conflict(
            f"The match is {match.status}.",
            f"该对接{MATCH_LABELS.get(match.status, match.status)}。",
            code="wrong-status",
        )
    sides = [s for s, p in (("need", need), ("offer", offer)) if owns(principal, p)]
    if not sides:
        raise Forbidden(
            "Only the posters of the need and the offer confirm a match.",
            "只有需求方和服务方可以确认对接。",
            code="not-poster",
        )
    _fits(need, offer)  # still open, e.g. the offer was not filled by another match meanwhile
    now = utcnow()
    sides = [s for s in sides if getattr(match, f"{s}_confirmed_at") is None]
    if not sides:  # confirmed by this side already: nothing changes
        return match
    for side in sides:
        setattr(match, f"{side}_confirmed_by", principal.account_ref)
        setattr(match, f"{side}_confirmed_at", now)
    record(
        session,
        principal.as_actor(),
        "board.match_side_confirmed",
        Subject("board_match", match.id),
        {"sides": sides, "need_id": need.id, "offer_id": offer.id},
    )
    if match.need_confirmed_at and match.offer_confirmed_at:
        _confirmed(session, principal.as_actor(), match, need, offer)
    return match


def _confirmed(
    session: Session, actor: Actor, match: BoardMatch, need: BoardPost, offer: BoardPost
) -> None:
    now = utcnow()
    match.status = "confirmed"
    match.closed_at = now
    for post in (need, offer):
        post.matched_count += 1
        post.updated_at = now
        if post.matched_count >= post.capacity:
            post.status = "matched"
    session.flush()
    record(
        session,
        actor,
        "board.match_confirmed",
        Subject("board_match", match.id),
        _match_attrs(need, offer, match),
    )


def decline(session: Session, principal: Principal, match: BoardMatch, reason: str) -> BoardMatch:
    need, offer = _pair(session, match.need_id, match.offer_id)
    if not (owns(principal, need) or owns(principal, offer)):
        raise Forbidden(
            "Only the posters of the need and the offer may decline a match.",
            "只有需求方和服务方可以谢绝对接。",
            code="not-poster",
        )
    if match.status != "proposed":
        raise Conflict(
            f"The match is {match.status}.",
            f"该对接{MATCH_LABELS.get(match.status, match.status)}。",
            code="wrong-status",
        )
    match.status = "declined"
    match.note = reason.strip()[:500] or None
    match.closed_at = utcnow()
    record(
        session,
        principal.as_actor(),
        "board.match_declined",
        Subject("board_match", match.id),
        {"need_id": need.id, "offer_id": offer.id, **({"note": match.note} if match.note else {})},
    )
    return match


def matches_of(
    session: Session,
    principal: Principal,
    post: BoardPost | None,
    offset: int,
    limit: int,
) -> tuple[Sequence[BoardMatch], int]:
    """The matches of one post (its owner, the command centre), or all the caller's own."""
    query = select(BoardMatch)
    if post is not None:
        if not (owns(principal, post) or is_command_centre(session, principal)):
            return [], 0
        column = BoardMatch.need_id if post.kind == "need" else BoardMatch.offer_id
        query = query.where(column == post.id)
    elif not is_command_centre(session, principal):
        conditions = [BoardPost.account_id == principal.account_id]
        if principal.kind == AccountKind.STAFF and principal.unit_id is not None:
            conditions.append(BoardPost.unit_id == principal.unit_id)
        own = select(BoardPost.id).where(or_(*conditions))
        query = query.where(or_(BoardMatch.need_id.in_(own), BoardMatch.offer_id.in_(own)))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(BoardMatch.id.desc()).offset(offset).limit(limit)).all()
    return rows, total
