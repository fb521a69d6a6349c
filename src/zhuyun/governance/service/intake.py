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
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhuyun.core.db import utcnow
from zhuyun.core.errors import NotFound, Unprocessable
from zhuyun.core.ledger import Actor, Pending, Subject, record_many
from zhuyun.governance.models import AssistTask, Grid, WorkOrder, WorkOrderEvent
from zhuyun.governance.service import sla
from zhuyun.governance.service.addresses import AddressProblem, parse_address
from zhuyun.governance.service.categories import BY_CODE, Urgency
from zhuyun.governance.service.classify import classifier
from zhuyun.governance.service.dispatch import responsible, responsible_many
from zhuyun.governance.service.geometry import metres_between
from zhuyun.governance.service.locate import grid_codes_of, grid_of, grid_of_address
from zhuyun.governance.service.workflow import FINISHED

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
CANDIDATES = 20  # the newest open orders of a cell a new report is compared with


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


def submit(
    session: Session,
    actor: Actor,
    draft: Draft,
    *,
    reporter_id: int | None,
    idempotency: tuple[str, str] | None = None,
) -> Intake:
    """Take in one order; see the module's docstring."""
    return submit_many(session, actor, [draft], reporter_id=reporter_id, idempotency=[idempotency])[
        0
    ]


def _checked_key(idempotency: tuple[str, str] | None) -> tuple[str, str] | None:
    if idempotency is None:
        return None
    key = idempotency[1].strip()
    if not key or len(key) > 100:
        raise Unprocessable(
            "An idempotency key has 1 to 100 characters.",
            "幂等键须为 1–100 个字符。",
            code="invalid-idempotency-key",
        )
    return idempotency[0], key


def _check_draft(draft: Draft) -> None:
    if draft.channel not in CHANNELS:
        raise Unprocessable(f"Unknown channel {draft.channel!r}.", "未知渠道。", code="bad-channel")
    if draft.category is not None and draft.category not in BY_CODE:
        raise Unprocessable(
            f"Unknown category {draft.category!r}.",
            f"未知事项类别 {draft.category}。",
            code="unknown-category",
        )
    if draft.urgency is not None and draft.urgency not in set(Urgency):
        raise Unprocessable(
            f"Unknown urgency {draft.urgency!r}.",
            "紧急程度须为 normal、urgent 或 critical。",
            code="invalid-urgency",
        )


def _places(session: Session, drafts: Sequence[Draft]) -> list[Place]:
    """Every draft's place: the points all at once (one index lookup), the rest one by one."""
    places: list[Place | None] = [None] * len(drafts)
    pointed = [
        i for i, d in enumerate(drafts) if d.lng is not None and d.lat is not None and not d.address
    ]
    if pointed:
        codes = grid_codes_of(session, [(drafts[i].lng, drafts[i].lat) for i in pointed])  # type: ignore[misc]
        found = {c for c in codes if c}
        parents = {
            code: (street, district)
            for code, street, district in session.execute(
                select(Grid.code, Grid.street_code, Grid.district_code).where(Grid.code.in_(found))
            )
        } if found else {}  # fmt: skip
        for i, code in zip(pointed, codes, strict=True):
            street, district = parents.get(code, (None, None)) if code else (None, None)
            places[i] = Place(code, street, district)
    for i, draft in enumerate(drafts):
        if places[i] is None:
            places[i] = locate(session, draft.lng, draft.lat, draft.address)
    return [p for p in places if p is not None]


def submit_many(
    session: Session,
    actor: Actor,
    drafts: Sequence[Draft],
    *,
    reporter_id: int | None,
    idempotency: Sequence[tuple[str, str] | None] | None = None,
) -> list[Intake]:
    """Take in many orders at once (a batch of 12345 calls, or one report): checked, located
    and classified together, then written together — one multi-row insert each of orders,
    timeline events and ledger entries (`core.ledger.record_many`), duplicates found with one
    query. Exactly once: an idempotency key already taken answers its order (replayed); a key
    taken by a concurrent writer meanwhile makes the batch start again from the check."""
    keys = [_checked_key(k) for k in idempotency] if idempotency else [None] * len(drafts)
    texts = [_check_text(d.text) for d in drafts]
    for draft in drafts:
        _check_draft(draft)
    places = _places(session, drafts)
    predictions = classifier(session).predict(texts)
    for attempt in range(3):
        try:
            return _Batch(session, actor, reporter_id).take(
                drafts, texts, places, predictions, keys
            )
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass
class _Candidate:
    """An open order a new report may repeat: in the database (`id`) or new in this batch."""

    id: int | None
    order: WorkOrder | None
    number: str
    status: str
    lng: float | None
    lat: float | None
    text: str


def _cell(category: str, place: Place) -> tuple[str, str, str] | None:
    if place.grid_code is not None:
        return (category, "grid", place.grid_code)
    if place.street_code is not None:
        return (category, "street", place.street_code)
    return None


_ORDERS = cast(Table, WorkOrder.__table__)
_INSERT_EVENTS = insert(cast(Table, WorkOrderEvent.__table__))
_INSERT_ASSISTS = insert(cast(Table, AssistTask.__table__))
_ADD_MERGED = (
    update(_ORDERS)
    .where(_ORDERS.c.id == bindparam("oid"))
    .values(merged_count=_ORDERS.c.merged_count + bindparam("n"), updated_at=bindparam("now"))
)


class _Batch:
    """One batch of intakes: what it looks up once (deadlines by day, duty rules by place,
    the open orders new reports may repeat) and what it writes at once."""

    def __init__(self, session: Session, actor: Actor, reporter_id: int | None) -> None:
        self.session, self.actor, self.reporter_id = session, actor, reporter_id
        self.now = utcnow()
        self.deadlines: dict[tuple[str, int], datetime] = {}
        self.rules: dict[tuple[str, str | None, str | None], tuple[int, int | None] | None] = {}
        self.events: list[dict[str, Any]] = []
        self.entries: list[Pending] = []
        self.assists: list[tuple[WorkOrder, int]] = []
        self.merges: list[tuple[WorkOrder, _Candidate]] = []

    def rule(self, category: str, place: Place) -> tuple[int, int | None] | None:
        key = (category, place.street_code, place.district_code)
        if key not in self.rules:
            found = responsible(self.session, *key)
            self.rules[key] = (found.unit_id, found.assist_unit_id) if found else None
        return self.rules[key]

    def replays(self, keys: Sequence[tuple[str, str] | None]) -> dict[tuple[str, str], WorkOrder]:
        wanted = {k for k in keys if k is not None}
        if not wanted:
            return {}
        rows = self.session.scalars(
            select(WorkOrder).where(WorkOrder.idempotency_key.in_({k[1] for k in wanted}))
        )
        found: dict[tuple[str, str], WorkOrder] = {}
        for order in rows:
            key = (order.idempotency_scope or "", order.idempotency_key or "")
            if key in wanted:
                found[key] = order
        return found

    def open_orders(
        self, cells: set[tuple[str, str, str]]
    ) -> dict[tuple[str, str, str], list[_Candidate]]:
        """The newest `CANDIDATES` open, unmerged orders of each (category, grid or street)
        cell reported within the window: one query per kind of cell."""
        found: dict[tuple[str, str, str], list[_Candidate]] = {}
        for kind, column in (("grid", WorkOrder.grid_code), ("street", WorkOrder.street_code)):
            wanted = [(c, code) for c, k, code in cells if k == kind]
            if not wanted:
                continue
            rank = func.row_number().over(
                partition_by=(WorkOrder.category, column), order_by=WorkOrder.id.desc()
            )
            ranked = (
                select(
                    WorkOrder.id, WorkOrder.number, WorkOrder.status, WorkOrder.category,
                    column.label("place"), WorkOrder.lng, WorkOrder.lat, WorkOrder.text,
                    rank.label("rank"),
                )
                .where(
                    tuple_(WorkOrder.category, column).in_(wanted),
                    WorkOrder.created_at >= self.now - DUPLICATE_WINDOW,
                    WorkOrder.status.not_in(FINISHED),
                    WorkOrder.duplicate_of_id.is_(None),
                )
                .subquery()
            )  # fmt: skip
            rows = self.session.execute(
                select(ranked).where(ranked.c.rank <= CANDIDATES).order_by(ranked.c.id.desc())
            )
            for row in rows:
                found.setdefault((row.category, kind, row.place), []).append(
                    _Candidate(row.id, None, row.number, row.status, row.lng, row.lat, row.text)
                )
        return found

    def take(
        self,
        drafts: Sequence[Draft],
        texts: Sequence[str],
        places: Sequence[Place],
        predictions: Sequence[Any],
        keys: Sequence[tuple[str, str] | None],
    ) -> list[Intake]:
        session = self.session
        taken = self.replays(keys)
        first_of: dict[tuple[str, str], int] = {}
        fresh: list[int] = []
        for i, key in enumerate(keys):
            if key is None or (key not in taken and key not in first_of):
                fresh.append(i)
                if key is not None:
                    first_of[key] = i
        categories = {i: drafts[i].category or predictions[i].category for i in fresh}
        cells = {c for i in fresh if (c := _cell(categories[i], places[i])) is not None}
        candidates = self.open_orders(cells)
        wanted = {(categories[i], places[i].street_code, places[i].district_code) for i in fresh}
        self.rules = {
            key: (rule.unit_id, rule.assist_unit_id) if rule else None
            for key, rule in responsible_many(session, wanted).items()
        }
        orders: dict[int, WorkOrder] = {}
        originals: dict[int, _Candidate] = {}
        for i in fresh:
            order = self.new_order(drafts[i], texts[i], places[i], predictions[i], keys[i])
            orders[i] = order
            cell = _cell(order.category, places[i])
            original = self.original(candidates.get(cell, []) if cell else [], order)
            if original is not None:
                originals[i] = original
                order.status, order.closed_at = "merged", self.now
            elif cell is not None:
                candidates.setdefault(cell, []).insert(
                    0, _Candidate(None, order, "", "", order.lng, order.lat, order.text)
                )
                self.decide(order, drafts[i], places[i])
        with session.begin_nested():  # a key taken meanwhile rolls back only this batch
            session.add_all(orders.values())
            session.flush()
        for order in orders.values():
            order.number = f"GY{self.now:%Y%m%d}{order.id:07d}"
        for i, order in orders.items():
            self.write(order, originals.get(i))
        session.flush()
        self.write_all()
        results: list[Intake] = []
        for i, key in enumerate(keys):
            if i in orders:
                results.append(Intake(orders[i], replayed=False))
            elif key in taken:
                results.append(Intake(taken[key], replayed=True))  # type: ignore[index]
            else:
                results.append(Intake(orders[first_of[key]], replayed=True))  # type: ignore[index]
        return results

    def new_order(
        self,
        draft: Draft,
        text: str,
        place: Place,
        predicted: Any,
        key: tuple[str, str] | None,
    ) -> WorkOrder:
        token = secrets.token_hex(8)
        return WorkOrder(
            number=f"~{token}",  # unique until the id is known
            token=token,
            channel=draft.channel,
            reporter_id=self.reporter_id,
            caller_name=(draft.caller_name or "").strip()[:100] or None,
            caller_phone=(draft.caller_phone or "").strip()[:30] or None,
            text=text,
            category=draft.category or predicted.category,
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
            created_at=self.now,
            updated_at=self.now,
        )

    @staticmethod
    def original(candidates: Sequence[_Candidate], order: WorkOrder) -> _Candidate | None:
        """The open order this report repeats: within `DUPLICATE_METRES` when both have a
        point, otherwise with similar text."""
        for candidate in candidates[:CANDIDATES]:
            if order.lng is not None and order.lat is not None and candidate.lng is not None:
                if candidate.lat is not None and (
                    metres_between(candidate.lng, candidate.lat, order.lng, order.lat)
                    <= DUPLICATE_METRES
                ):
                    return candidate
            elif similarity(candidate.text, order.text) >= DUPLICATE_TEXT_SIMILARITY:
                return candidate
        return None

    def decide(self, order: WorkOrder, draft: Draft, place: Place) -> None:
        """立案 and 派遣 by the duty matrix when the category is sure and the place known."""
        confident = (
            draft.category is not None or (order.confidence or 0) >= AUTO_REGISTER_CONFIDENCE
        )
        if not confident or not (place.district_code or place.street_code):
            return
        order.registered_at = self.now
        order.due_at = sla.due_at(
            self.session, order.category, order.urgency, self.now, self.deadlines
        )
        order.status = "registered"
        rule = self.rule(order.category, place)
        if rule is not None:
            order.status, order.unit_id = "dispatched", rule[0]
            if rule[1] is not None:
                self.assists.append((order, rule[1]))

    def event(
        self, order_id: int, activity: str, status_from: str, status_to: str, note: str | None
    ) -> None:
        self.events.append(
            {
                "order_id": order_id, "at": self.now, "activity": activity,
                "status_from": status_from, "status_to": status_to, "actor_id": self.actor.id,
                "actor_name": self.actor.name, "unit_id": self.actor.unit_id,
                "note": note[:1000] if note else None,
            }
        )  # fmt: skip

    def entry(self, order: WorkOrder, activity: str, attrs: dict[str, Any]) -> None:
        self.entries.append(
            Pending(self.actor, f"workorder.{activity}", Subject("workorder", order.id), attrs)
        )

    def write(self, order: WorkOrder, original: _Candidate | None) -> None:
        """The order's timeline events and ledger entries, as the workflow's steps make them."""
        self.event(
            order.id, "collected", "", "collected", f"{CHANNEL_LABELS_ZH[order.channel]}受理"
        )
        self.entry(
            order,
            "collected",
            {
                "number": order.number, "channel": order.channel, "category": order.category,
                "category_source": order.category_source, "urgency": order.urgency,
                "grid_code": order.grid_code, "district_code": order.district_code,
            },
        )  # fmt: skip
        if original is not None:
            target = original.order
            original_id = target.id if target is not None else original.id
            number = target.number if target is not None else original.number
            status = target.status if target is not None else original.status
            order.duplicate_of_id = original_id
            self.merges.append((order, original))
            self.event(original_id, "merged_in", status, status, f"合并重复工单 {order.number}")  # type: ignore[arg-type]
            self.event(order.id, "merged", "collected", "merged", f"与工单 {number} 重复，已合并")
            self.entry(
                order,
                "merged",
                {"number": order.number, "duplicate_of": number, "original_id": original_id},
            )
            return
        if order.registered_at is None:
            return
        label = f"时限 {sla.sla_label(order.category, order.urgency)}"
        assert order.due_at is not None
        self.event(order.id, "registered", "collected", "registered", label)
        self.entry(
            order,
            "registered",
            {
                "number": order.number, "category": order.category, "unit_id": order.unit_id,
                "from": "collected", "to": "registered", "note": label,
                "due_at": order.due_at.isoformat(),
            },
        )  # fmt: skip
        if order.status != "dispatched":
            return
        self.event(order.id, "dispatched", "registered", "dispatched", None)
        self.entry(
            order,
            "dispatched",
            {
                "number": order.number, "category": order.category, "unit_id": order.unit_id,
                "from": "registered", "to": "dispatched", "assigned_unit_id": order.unit_id,
            },
        )  # fmt: skip
        for assisted, unit_id in self.assists:
            if assisted is order:
                self.entry(
                    order, "assist_assigned", {"number": order.number, "assist_unit_id": unit_id}
                )

    def write_all(self) -> None:
        """Everything of the batch at once: events, assist tasks, merge counts, ledger."""
        session = self.session
        connection = session.connection()  # plain multi-row inserts: no ORM objects needed
        if self.events:
            connection.execute(_INSERT_EVENTS, self.events)
        if self.assists:
            connection.execute(
                _INSERT_ASSISTS,
                [
                    {"order_id": o.id, "unit_id": u, "status": "assigned", "created_at": self.now}
                    for o, u in self.assists
                ],
            )
        counts: dict[int, int] = {}
        for _order, original in self.merges:
            if original.order is not None:
                original.order.merged_count = (original.order.merged_count or 0) + 1
            elif original.id is not None:
                counts[original.id] = counts.get(original.id, 0) + 1
        if counts:  # one executemany on the table: no ORM synchronising of loaded orders
            session.flush()
            session.connection().execute(
                _ADD_MERGED, [{"oid": i, "n": n, "now": self.now} for i, n in counts.items()]
            )
        session.flush()
        record_many(session, self.entries)
