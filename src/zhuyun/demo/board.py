"""The demo city's supply-demand board (社群通): needs of its communities and of the demo
citizen, offers of its collaborating organisations near them, and a few matches — proposed,
confirmed by both sides, declined — each step ledgered as in real use. An organisation's
volunteer account (`org.volunteer`, staff of a 志愿服务队 or other social organisation)
signs in to answer for its organisation's offers. Deterministic by seed."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhuyun.core.db import utcnow
from zhuyun.core.ledger import SYSTEM
from zhuyun.governance.models import BoardPost, Grid
from zhuyun.governance.service import board
from zhuyun.identity import service as identity
from zhuyun.identity.models import OrgUnit
from zhuyun.identity.permissions import SYSTEM_PRINCIPAL, Principal, Role
from zhuyun.identity.service import StaffDraft

NEEDS = {
    "elderly": ("独居老人助餐送餐", "社区有独居老人行动不便，需要志愿者每周送餐、陪伴聊天。"),
    "children": ("留守儿童课后辅导", "社区留守儿童放学后无人看护，需要课业辅导和陪伴。"),
    "health": ("老年人义诊与慢病随访", "希望医疗机构进社区开展义诊，为高血压老人随访。"),
    "legal": ("邻里纠纷法律咨询", "居民之间因房屋漏水产生纠纷，需要律师提供法律咨询。"),
    "environment": ("背街小巷环境清理", "小区背街小巷垃圾堆积，需要志愿者参与集中清理。"),
    "donation": ("困难家庭冬衣捐赠", "社区困难家庭冬季缺少棉衣棉被，征集衣物捐赠。"),
    "employment": ("失业人员技能培训", "辖区部分失业居民希望参加家政、电工等技能培训。"),
}
OFFERS = {
    "elderly": ("助老志愿服务", "可组织志愿者上门送餐、代购、陪护，每周两次。"),
    "children": ("四点半课堂", "教师志愿者每周三次为社区儿童提供课后辅导。"),
    "health": ("医生进社区义诊", "每月一次社区义诊，测血压血糖、慢病随访。"),
    "legal": ("律师社区坐班", "律师每周半天在社区提供免费法律咨询。"),
    "environment": ("环保志愿清洁行动", "组织志愿者周末开展社区环境清理。"),
    "donation": ("爱心衣物捐赠", "可提供冬衣、棉被等物资，按需配送。"),
    "employment": ("免费技能培训班", "开设家政、电工、面点等免费培训课程。"),
}
VOLUNTEER = "org.volunteer"


def build_board(
    session: Session, seed: int, citizen: Principal | None, password: Callable[[random.Random], str]
) -> list[tuple[str, str, str, str, str]]:
    """Posts and matches; returns the organisation volunteer's account as (role, username,
    password, unit name, display name)."""
    rng = random.Random(seed * 7331)
    organisations, _ = identity.list_units(session, kind="organisation", limit=100_000)
    if not organisations:
        return []
    social = [o for o in organisations if o.category == "社会组织"] or list(organisations)
    volunteer_unit = social[0]
    secret = password(rng)
    identity.create_staff(
        session,
        SYSTEM,
        StaffDraft(
            username=VOLUNTEER,
            display_name=f"{volunteer_unit.name}志愿者",
            unit_id=volunteer_unit.id,
            password=secret,
            roles=((Role.CASE_HANDLER, volunteer_unit.id),),
        ),
    )
    worker = identity.find_account(session, "grid.worker")
    community = identity.get_unit(session, worker.unit_id) if worker and worker.unit_id else None
    grids = session.execute(
        select(Grid.community_code, Grid.district_code, Grid.centroid_lng, Grid.centroid_lat)
    ).all()
    categories = sorted(NEEDS)
    needs: list[BoardPost] = []
    for n, category in enumerate(categories):
        grid = next((g for g in grids if community and g[0] == community.division_code), None)
        grid = grid if n < 3 and grid else rng.choice(grids)
        unit = identity.find_unit_by_code(session, grid[0])
        title, text = NEEDS[category]
        principal = citizen if citizen is not None and n == len(categories) - 1 else None
        needs.append(_post(session, principal, unit, "need", category, title, text, grid, rng))
    offers: list[BoardPost] = []
    for n, need in enumerate(needs):
        unit = volunteer_unit if n == 0 else rng.choice(organisations)
        title, text = OFFERS[need.category]
        near = (None, need.district_code, need.lng + rng.uniform(-0.004, 0.004), need.lat)
        offers.append(_post(session, None, unit, "offer", need.category, title, text, near, rng))
    for n, (need, offer) in enumerate(zip(needs, offers, strict=True)):
        if n == len(needs) - 1 and citizen is not None:  # the citizen asks; the offer's side
            board.propose(session, citizen, need.id, offer.id)  # has yet to confirm
        elif n % 3 == 1:  # matched: the platform acts for both sides
            board.propose(session, SYSTEM_PRINCIPAL, need.id, offer.id)
        # the rest stay open for a visitor to match (the volunteer's offer, n == 0, among them)
    return [
        (
            Role.CASE_HANDLER.value,
            VOLUNTEER,
            secret,
            volunteer_unit.name,
            f"{volunteer_unit.name}志愿者",
        )
    ]


def _post(
    session: Session,
    principal: Principal | None,
    unit: OrgUnit | None,
    kind: str,
    category: str,
    title: str,
    text: str,
    place: tuple[object, object, float, float],
    rng: random.Random,
) -> BoardPost:
    start = utcnow() - timedelta(days=rng.randrange(0, 5))
    draft = board.PostDraft(
        kind=kind,
        category=category,
        title=title,
        text=text,
        starts_at=start,
        ends_at=start + timedelta(days=rng.randrange(20, 60)),
        lng=place[2],
        lat=place[3],
        radius_m=5_000,
        capacity=2 if kind == "offer" else 1,
        contact_phone=f"1{rng.choice((35, 58, 86))}{rng.randrange(10**7, 10**8)}",
    )
    if principal is not None:
        return board.create_post(session, principal, draft)[0]
    return board.create_post(
        session, SYSTEM_PRINCIPAL, draft, unit_id=unit.id if unit is not None else None
    )[0]
