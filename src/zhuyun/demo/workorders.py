"""The demo city's work orders: the duty matrix, two handler accounts (the 12345 command
centre's operator and the city's 综合行政执法局 handler) and a history of orders from every
channel driven through the workflow — registered, dispatched, returned, reworked, closed,
rated, reopened, merged — each step ledgered as in real use; then the supply-demand board
(`demo.board`). Deterministic by seed.

The steps run now (the ledger says when the demo was built); the orders' own times are then
set back over the past month so lists and indicators look like a city's history.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhuyun.core.ledger import SYSTEM
from zhuyun.demo.board import build_board
from zhuyun.governance.models import Grid, WorkOrder, WorkOrderEvent
from zhuyun.governance.service import corpus, dispatch, intake, workflow
from zhuyun.identity import service as identity
from zhuyun.identity.permissions import SYSTEM_PRINCIPAL, Principal, Role
from zhuyun.identity.service import StaffDraft

HANDLERS = (
    ("hotline.operator", "12345热线话务员", ("zwfw", "dsj")),
    ("cgj.handler", "综合行政执法局经办人", ("cgj", "dsj")),
)
ORDERS = {"test": 60, "small": 600, "city": 3_000}


def build_workorders(
    session: Session,
    scale_name: str,
    seed: int,
    citizen_username: str,
    password: Callable[[random.Random], str],
) -> list[tuple[str, str, str, str, str]]:
    """Seed the matrix, create the handlers, build the history. Returns the new accounts as
    (role, username, password, unit name, display name)."""
    rng = random.Random(seed * 31337)
    dispatch.seed_duty_matrix(session, SYSTEM)
    accounts = []
    for username, name, codes in HANDLERS:
        unit = next(u for c in codes if (u := identity.find_unit_by_code(session, c)) is not None)
        secret = password(rng)
        identity.create_staff(
            session,
            SYSTEM,
            StaffDraft(
                username=username,
                display_name=name,
                unit_id=unit.id,
                password=secret,
                roles=((Role.CASE_HANDLER, unit.id),),
            ),
        )
        accounts.append((Role.CASE_HANDLER.value, username, secret, unit.name, name))
    citizen_account = identity.find_account(session, citizen_username)
    citizen = identity.principal_for(citizen_account) if citizen_account else None
    grids = session.execute(select(Grid.code, Grid.centroid_lng, Grid.centroid_lat)).all()
    samples = list(corpus.generate(ORDERS.get(scale_name, 60), seed))
    previous: intake.Draft | None = None
    for n, sample in enumerate(samples):
        _code, lng, lat = rng.choice(grids)
        channel = rng.choice(intake.CHANNELS)
        mine = citizen is not None and n % 7 == 0
        draft = intake.Draft(
            channel="app" if mine else channel,
            text=sample.text,
            lng=lng + rng.uniform(-0.0004, 0.0004),
            lat=lat + rng.uniform(-0.0004, 0.0004),
            address=sample.address if channel == "hotline" else None,
            category=sample.category if channel in ("patrol", "open311") else None,
            caller_name=rng.choice(("张", "王", "李", "赵", "陈")) + rng.choice(("先生", "女士"))
            if channel == "hotline"
            else None,
            caller_phone=f"1{rng.choice((35, 58, 86, 89))}{rng.randrange(10**7, 10**8)}"
            if channel == "hotline"
            else None,
        )
        if previous is not None and n % 10 == 9:  # the same problem reported again nearby
            draft.lng, draft.lat = previous.lng, previous.lat
            draft.category = sample.category if previous.category is None else previous.category
        previous = draft
        actor = citizen.as_actor() if mine and citizen else SYSTEM
        order = intake.submit(
            session, actor, draft, reporter_id=citizen.account_id if mine and citizen else None
        ).order
        _progress(session, rng, order, citizen if mine else None)
    _backdate(session, rng)
    return accounts + build_board(session, seed, citizen, password)


def _progress(
    session: Session, rng: random.Random, order: WorkOrder, reporter: Principal | None
) -> None:
    """Drive an order some way along the workflow, as a city's history would have it."""
    admin = SYSTEM_PRINCIPAL
    if order.status == "collected":
        if rng.random() < 0.3:
            workflow.reject(session, admin, order, "不属于政府职责范围，已告知来电人")
        else:
            workflow.register(session, admin.as_actor(), order)
    if order.status != "dispatched":
        return
    stage = rng.random()
    if stage < 0.15:
        return
    if stage < 0.22:
        workflow.return_order(session, admin, order, "非本单位职责，请重新派遣")
        return
    workflow.accept(session, admin, order)
    if stage < 0.35:
        return
    workflow.report_back(session, admin, order, "已到现场处置完毕")
    if rng.random() < 0.15:
        workflow.verify(session, admin, order, False, "现场核查问题仍存在")
        workflow.report_back(session, admin, order, "已返工处置")
    workflow.verify(session, admin, order, True, "核查属实，已处置")
    if reporter is not None:
        stars = rng.choice((1, 3, 4, 5, 5))
        workflow.rate(session, reporter, order, stars, "处理及时" if stars > 2 else "问题没有解决")


def _backdate(session: Session, rng: random.Random) -> None:
    for order in session.scalars(select(WorkOrder)):
        shift = timedelta(days=rng.randrange(0, 30), hours=rng.randrange(0, 24))
        for name in ("created_at", "updated_at", "registered_at", "due_at", "closed_at"):
            value = getattr(order, name)
            if value is not None:
                setattr(order, name, value - shift)
        if order.closed_late is not None and order.due_at and rng.random() < 0.15:
            order.closed_at = order.due_at + timedelta(hours=rng.randrange(2, 48))
            order.closed_late = True
        for event in session.scalars(
            select(WorkOrderEvent).where(WorkOrderEvent.order_id == order.id)
        ):
            event.at = event.at - shift
