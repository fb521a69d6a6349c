"""Batched intake (a day of 12345 calls taken a few hundred at a time): the same orders,
events and ledger entries as one at a time, duplicates inside a batch merged, idempotency
keys exactly once within a batch and across replays, and a bad draft refuses the batch."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from tests.governance.workorders_support import activities, other_point
from zhuyun.core import ledger
from zhuyun.core.db import Database
from zhuyun.core.errors import Unprocessable
from zhuyun.core.ledger import SYSTEM
from zhuyun.demo.builder import DemoResult
from zhuyun.governance.models import WorkOrder, WorkOrderEvent
from zhuyun.governance.service import intake

TEXTS = (
    "路口红绿灯不亮了，车辆通行混乱",
    "小区楼下夜间施工噪音太大，影响休息",
    "老板拖欠工资三个月不发",
    "河道里漂满了垃圾，味道很大",
)


def _count(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(WorkOrder)) or 0


def test_a_batch_merges_its_own_repeats_and_takes_each_key_once(
    db: Database, demo_city: DemoResult
) -> None:
    run = uuid.uuid4().hex[:8]
    drafts, keys = [], []
    for n in range(12):
        _, lng, lat = other_point(db, "", 40 + n)
        drafts.append(intake.Draft("hotline", TEXTS[n % 4], lng=lng, lat=lat))
        keys.append(("batch-test", f"{run}-{n}"))
    drafts.append(intake.Draft("hotline", drafts[0].text, lng=drafts[0].lng, lat=drafts[0].lat))
    keys.append(("batch-test", f"{run}-repeat"))  # the same problem, same place: merged
    drafts.append(drafts[1])
    keys.append(keys[1])  # the same key twice in one batch: one order
    before = _count(db)
    with db.session() as session:
        taken = intake.submit_many(session, SYSTEM, drafts, reporter_id=None, idempotency=keys)
        numbers = [t.order.number for t in taken]
        statuses = [t.order.status for t in taken]
        replayed = [t.replayed for t in taken]
        ids = [t.order.id for t in taken]
    assert _count(db) == before + 13
    assert replayed == [False] * 13 + [True] and ids[13] == ids[1]
    assert statuses[12] == "merged"
    assert all(n.startswith("GY") and len(n) == 17 for n in numbers)
    with db.session() as session:
        repeat = session.get(WorkOrder, ids[12])
        first = session.get(WorkOrder, ids[0])
        assert repeat is not None and first is not None
        assert repeat.duplicate_of_id == first.id and first.merged_count == 1
        events = session.scalars(
            select(WorkOrderEvent.activity)
            .where(WorkOrderEvent.order_id == first.id)
            .order_by(WorkOrderEvent.id)
        ).all()
    assert events[0] == "collected" and events[-1] == "merged_in"
    assert activities(db, ids[12]) == ["workorder.collected", "workorder.merged"]
    dispatched = [i for i, s in zip(ids, statuses, strict=True) if s == "dispatched"]
    assert dispatched
    for order_id in dispatched:
        assert activities(db, order_id)[:3] == [
            "workorder.collected",
            "workorder.registered",
            "workorder.dispatched",
        ]
    # the whole batch again: every key answers its order, nothing new
    with db.session() as session:
        again = intake.submit_many(session, SYSTEM, drafts, reporter_id=None, idempotency=keys)
        assert [t.order.id for t in again] == ids and all(t.replayed for t in again)
    assert _count(db) == before + 13
    with db.session() as session:
        assert ledger.verify(session).ok


def test_one_bad_draft_refuses_the_batch_and_stores_nothing(
    db: Database, demo_city: DemoResult
) -> None:
    _, lng, lat = other_point(db, "", 60)
    drafts = [
        intake.Draft("hotline", TEXTS[0], lng=lng, lat=lat),
        intake.Draft("hotline", TEXTS[1], lng=116.40, lat=39.90),  # Beijing
    ]
    before = _count(db)
    with db.session() as session, pytest.raises(Unprocessable) as refused:
        intake.submit_many(session, SYSTEM, drafts, reporter_id=None)
    assert refused.value.code == "outside-city"
    assert _count(db) == before
