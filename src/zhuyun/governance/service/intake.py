"""Taking in work orders from every channel: locate, classify, deduplicate, register,
dispatch — in the caller's transaction, each step ledgered.

Channels: `hotline` (12345: an operator types the call; caller name and phone), `patrol` (a
grid worker's report with location, category and photos), `app` (a signed-in citizen) and
`open311` (a third-party app with an api_key). Every submission may carry an idempotency
key: one order per (submitter, key); a replay answers the same order.

Location: a WGS-84 point goes to its grid (outside the city: 422); an address alone goes to
its community's grid by name (approximate, see grids); at least one is needed.
Duplicates: an open order of the same category within `DUPLICATE_METRES` (or, without
coordinates, the same grid and similar text) reported in the last `DUPLICATE_WINDOW` is the
original; the new report is merged into it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhuyun.core.db import utcnow
from zhuyun.core.errors import NotFound, Unprocessable
from zhuyun.core.ledger import Actor, Subject, record
from zhuyun.governance.models import WorkOrder
from zhuyun.governance.service import sla
from zhuyun.governance.service.addresses import AddressProblem, parse_address
from zhuyun.governance.service.categories import BY_CODE, Urgency
from zhuyun.governance.service.classify import classifier
from zhuyun.governance.service.dispatch import responsible
from zhuyun.governance.service.geometry import metres_between
from zhuyun.governance.service.locate import grid_of, grid_of_address
from zhuyun.governance.service.workflow import FINISHED, add_event, register

CHANNELS = ("hotline", "patrol", "app", "open311")
CHANNEL_LABELS_ZH = {
    "hotline": "12345热线",
    "patrol": "网格巡查",
    "app": "市民APP",
    "open311": "Open311",
}
MAX_TEXT = 2_000
AUTO_REGISTER_CONFIDENCE = 0.35  # below it, the command centre registers by hand
DUPLICATE_METRES = 150.0
DUPLICATE_WINDOW = timedelta(hours=72)
DUPLICATE_TEXT_SIMILARITY = 0.35


@dataclass
class Draft:
    channel: str
    text: str
    lng: float | None = None
    lat: float | None = None
    address: str | None = None
    category: str | None = None  # given by the reporter (patrol, Open311 service_code)
    urgency: str | None = None
    caller_name: str | None = None
    caller_phone: str | None = None
    service_code: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    photos: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Intake:
    order: WorkOrder
    replayed: bool


def _check_text(text: str) -> str:
    cleaned = (text or "").strip()
    if not cleaned:
        raise Unprocessable("The description is empty.", "问题描述不能为空。", code="empty-text")
    if len(cleaned) > MAX_TEXT:
        raise Unprocessable(
            f"The description has {len(cleaned)} characters; at most {MAX_TEXT}.",
            f"问题描述共 {len(cleaned)} 字，最多 {MAX_TEXT} 字。",
            code="text-too-long",
        )
    return cleaned


@dataclass(frozen=True)
class Place:
    grid_code: str | None
    street_code: str | None
    district_code: str | None


def locate(session: Session, lng: float | None, lat: float | None, address: str | None) -> Place:
    if (lng is None) != (lat is None):
        raise Unprocessable(
            "Give both longitude and latitude.",
            "经度和纬度须同时提供。",
            code="invalid-coordinates",
        )
    if lng is not None and lat is not None:
        grid = grid_of(session, lng, lat)  # outside the city: 422
        if grid is not None:
            return Place(grid.code, grid.street_code, grid.district_code)
        if not address:
            return Place(None, None, None)
    if address:
        try:
            found = grid_of_address(session, address)
            return Place(found.grid.code, found.grid.street_code, found.grid.district_code)
        except Unprocessable:
            if lng is not None:  # the point was in the city: an unclear address does not undo it
                return Place(None, None, None)
            raise
        except NotFound:
            try:
                parsed = parse_address(address)
            except AddressProblem:  # pragma: no cover - grid_of_address parsed it already
                return Place(None, None, None)
            return Place(None, parsed.street.code, parsed.district.code)
    raise Unprocessable(
        "Give the location: lng and lat, or an address.",
        "请提供位置：经纬度或地址。",
        code="location-required",
    )


def _metres(a: WorkOrder, lng: float, lat: float) -> float:
    assert a.lng is not None and a.lat is not None
    return metres_between(a.lng, a.lat, lng, lat)


_PUNCT = re.compile(r"[\s，。！？、,.!?：:；;]+")


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of the texts' character bigrams."""

    def grams(t: str) -> set[str]:
        t = _PUNCT.sub("", t)
        return {t[i : i + 2] for i in range(len(t) - 1)}

    x, y = grams(a), grams(b)
    return len(x & y) / len(x | y) if x and y else 0.0


def find_original(
    session: Session,
    category: str,
    place: Place,
    lng: float | None,
    lat: float | None,
    text: str,
    now: datetime,
) -> WorkOrder | None:
    if place.grid_code is None and place.street_code is None:
        return None
    query = select(WorkOrder).where(
        WorkOrder.category == category,
        WorkOrder.created_at >= now - DUPLICATE_WINDOW,
        WorkOrder.status.not_in(FINISHED),
        WorkOrder.duplicate_of_id.is_(None),
    )
    if place.grid_code is not None:
        query = query.where(WorkOrder.grid_code == place.grid_code)
    else:
        query = query.where(WorkOrder.street_code == place.street_code)
    for candidate in session.scalars(query.order_by(WorkOrder.id.desc()).limit(20)):
        if lng is not None and lat is not None and candidate.lng is not None:
            if _metres(candidate, lng, lat) <= DUPLICATE_METRES:
                return candidate
        elif similarity(candidate.text, text) >= DUPLICATE_TEXT_SIMILARITY:
            return candidate
    return None


def _replay(session: Session, scope: str, key: str) -> WorkOrder | None:
    return session.scalar(
        select(WorkOrder).where(
            WorkOrder.idempotency_scope == scope, WorkOrder.idempotency_key == key
        )
    )


def submit(
    session: Session,
    actor: Actor,
    draft: Draft,
    *,
    reporter_id: int | None,
    idempotency: tuple[str, str] | None = None,
) -> Intake:
    """Take in one order; see the module's docstring."""
    if idempotency is not None:
        key = idempotency[1].strip()
        if not key or len(key) > 100:
            raise Unprocessable(
                "An idempotency key has 1 to 100 characters.",
                "幂等键须为 1–100 个字符。",
                code="invalid-idempotency-key",
            )
        idempotency = (idempotency[0], key)
        existing = _replay(session, *idempotency)
        if existing is not None:
            return Intake(existing, replayed=True)
    return submit_many(session, actor, [draft], reporter_id=reporter_id, idempotency=[idempotency])[
        0
    ]


def submit_many(
    session: Session,
    actor: Actor,
    drafts: Sequence[Draft],
    *,
    reporter_id: int | None,
    idempotency: Sequence[tuple[str, str] | None] | None = None,
) -> list[Intake]:
    """Take in many orders at once: one classification call for all their texts."""
    texts = [_check_text(d.text) for d in drafts]
    for d in drafts:
        if d.channel not in CHANNELS:
            raise Unprocessable(f"Unknown channel {d.channel!r}.", "未知渠道。", code="bad-channel")
        if d.category is not None and d.category not in BY_CODE:
            raise Unprocessable(
                f"Unknown category {d.category!r}.",
                f"未知事项类别 {d.category}。",
                code="unknown-category",
            )
        if d.urgency is not None and d.urgency not in set(Urgency):
            raise Unprocessable(
                f"Unknown urgency {d.urgency!r}.",
                "紧急程度须为 normal、urgent 或 critical。",
                code="invalid-urgency",
            )
    places = [locate(session, d.lng, d.lat, d.address) for d in drafts]
    predictions = classifier(session).predict(texts)
    batch = _Batch()
    results: list[Intake] = []
    for index, (draft, text, place, predicted) in enumerate(
        zip(drafts, texts, places, predictions, strict=True)
    ):
        key = idempotency[index] if idempotency else None
        results.append(
            _take(session, actor, draft, text, place, predicted, reporter_id, key, batch)
        )
    return results


@dataclass
class _Batch:
    """What a batch of intakes looks up once: deadlines by day, duty rules by place."""

    deadlines: dict[tuple[str, int], datetime] = field(default_factory=dict)
    rules: dict[tuple[str, str | None, str | None], tuple[int, int | None] | None] = field(
        default_factory=dict
    )

    def rule(self, session: Session, order: WorkOrder) -> tuple[int, int | None] | None:
        key = (order.category, order.street_code, order.district_code)
        if key not in self.rules:
            found = responsible(session, *key)
            self.rules[key] = (found.unit_id, found.assist_unit_id) if found else None
        return self.rules[key]


def _take(
    session: Session,
    actor: Actor,
    draft: Draft,
    text: str,
    place: Place,
    predicted: Any,
    reporter_id: int | None,
    key: tuple[str, str] | None,
    batch: _Batch,
) -> Intake:
    now = utcnow()
    category = draft.category or predicted.category
    order = WorkOrder(
        number="",
        token=secrets.token_hex(8),
        channel=draft.channel,
        reporter_id=reporter_id,
        caller_name=(draft.caller_name or "").strip()[:100] or None,
        caller_phone=(draft.caller_phone or "").strip()[:30] or None,
        text=text,
        category=category,
        category_source="reporter" if draft.category else "classifier",
        confidence=None if draft.category else predicted.confidence,
        urgency=draft.urgency or predicted.urgency,
        lng=draft.lng,
        lat=draft.lat,
        address=(draft.address or "").strip()[:300] or None,
        grid_code=place.grid_code,
        street_code=place.street_code,
        district_code=place.district_code,
        status="collected",
        service_code=draft.service_code,
        attributes=draft.attributes,
        photos=draft.photos,
        idempotency_scope=key[0] if key else None,
        idempotency_key=key[1] if key else None,
        created_at=now,
        updated_at=now,
    )
    original = find_original(session, category, place, draft.lng, draft.lat, text, now)
    if key is None:
        session.add(order)
        session.flush()
    else:
        try:
            with session.begin_nested():
                session.add(order)
                session.flush()
        except IntegrityError:
            existing = _replay(session, *key)
            if existing is None:
                raise
            return Intake(existing, replayed=True)
    order.number = f"GY{now:%Y%m%d}{order.id:07d}"
    add_event(
        session,
        order,
        actor,
        "collected",
        "collected",
        f"{CHANNEL_LABELS_ZH[order.channel]}受理",
        status_from="",
        at=now,
    )
    record(
        session,
        actor,
        "workorder.collected",
        Subject("workorder", order.id),
        {
            "number": order.number,
            "channel": order.channel,
            "category": order.category,
            "category_source": order.category_source,
            "urgency": order.urgency,
            "grid_code": order.grid_code,
            "district_code": order.district_code,
        },
    )
    if original is not None:
        order.duplicate_of_id = original.id
        original.merged_count += 1
        add_event(
            session, original, actor, "merged_in", original.status, f"合并重复工单 {order.number}"
        )
        add_event(
            session, order, actor, "merged", "merged", f"与工单 {original.number} 重复，已合并"
        )
        order.status = "merged"
        order.closed_at = now
        record(
            session,
            actor,
            "workorder.merged",
            Subject("workorder", order.id),
            {"number": order.number, "duplicate_of": original.number, "original_id": original.id},
        )
        return Intake(order, replayed=False)
    confident = draft.category is not None or (order.confidence or 0) >= AUTO_REGISTER_CONFIDENCE
    if confident and (place.district_code or place.street_code):
        rule = batch.rule(session, order)
        if rule is not None and rule[1] is None:
            _register_and_dispatch(session, actor, order, rule[0], now, batch)
        else:
            register(session, actor, order, deadlines=batch.deadlines)
    return Intake(order, replayed=False)


def _register_and_dispatch(
    session: Session, actor: Actor, order: WorkOrder, unit_id: int, now: datetime, batch: _Batch
) -> None:
    """立案 and 派遣 of a new order in one write: the same two timeline events and ledger
    entries as `workflow.register` + `workflow.dispatch`, without updating the row between."""
    order.registered_at = now
    order.due_at = sla.due_at(session, order.category, order.urgency, now, batch.deadlines)
    label = f"时限 {sla.sla_label(order.category, order.urgency)}"
    add_event(session, order, actor, "registered", "registered", label, at=now)
    add_event(session, order, actor, "dispatched", "dispatched", status_from="registered", at=now)
    order.status = "dispatched"
    order.unit_id = unit_id
    base = {"number": order.number, "category": order.category, "unit_id": unit_id}
    record(
        session,
        actor,
        "workorder.registered",
        Subject("workorder", order.id),
        {**base, "from": "collected", "to": "registered", "note": label,
         "due_at": order.due_at.isoformat()},
    )  # fmt: skip
    record(
        session,
        actor,
        "workorder.dispatched",
        Subject("workorder", order.id),
        {**base, "from": "registered", "to": "dispatched", "assigned_unit_id": unit_id},
    )
