"""The supply-demand board (社群通): needs and offers matched by category and distance,
confirmed by both sides, every step in the ledger; bad posts refused; contacts kept from
strangers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.governance.workorders_support import other_point, worker_point
from tests.helpers import api_token, token_for
from zhuyun.core.db import Database
from zhuyun.core.ledger import LedgerEntry
from zhuyun.demo.builder import DemoResult
from zhuyun.governance.models import BoardPost
from zhuyun.identity.permissions import Role

POSTS = "/api/governance/board/posts"
MATCHES = "/api/governance/board/matches"
NOW = datetime.now(UTC)


def _body(kind: str, lng: float, lat: float, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": kind,
        "category": "elderly",
        "title": f"测试{kind}-{uuid.uuid4().hex[:6]}",
        "text": "独居老人需要每周送餐" if kind == "need" else "志愿者可上门送餐陪伴",
        "starts_at": NOW.isoformat(),
        "ends_at": (NOW + timedelta(days=20)).isoformat(),
        "lng": lng,
        "lat": lat,
        "contact_phone": "13812345678",
    }
    body.update(extra)
    return body


def _post(client: TestClient, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(POSTS, json=body, headers=headers)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def _ledger(db: Database, case: str) -> list[str]:
    with db.session() as session:
        return list(
            session.scalars(
                select(LedgerEntry.activity)
                .where(LedgerEntry.case_id == case)
                .order_by(LedgerEntry.seq)
            )
        )


def test_a_need_meets_the_nearest_fitting_offer_and_both_sides_confirm(
    client: TestClient, db: Database, demo_city: DemoResult
) -> None:
    citizen = api_token(client, demo_city, Role.CITIZEN)
    volunteer = token_for(client, demo_city, "org.volunteer")
    _, lng, lat = other_point(db, "", 11)
    need = _post(client, citizen, _body("need", lng, lat))
    assert need["poster_type"] == "resident" and need["grid_code"]
    near = _post(client, volunteer, _body("offer", lng + 0.003, lat, radius_m=2_000, capacity=1))
    nearer = _post(client, volunteer, _body("offer", lng + 0.001, lat, radius_m=2_000))
    assert near["poster_type"] == "organisation" and near["unit_name"]
    other_kind = _post(client, volunteer, _body("offer", lng, lat, category="legal"))
    too_far = _post(client, volunteer, _body("offer", lng + 0.03, lat, radius_m=1_000))
    later = _post(
        client,
        volunteer,
        _body(
            "offer",
            lng,
            lat,
            starts_at=(NOW + timedelta(days=40)).isoformat(),
            ends_at=(NOW + timedelta(days=50)).isoformat(),
        ),
    )
    listed = client.get(f"{POSTS}/{need['id']}/candidates", headers=citizen).json()
    ids = [c["post"]["id"] for c in listed["data"]]
    assert ids.index(nearer["id"]) < ids.index(near["id"])  # nearest first
    assert not {other_kind["id"], too_far["id"], later["id"]} & set(ids)
    distances = [c["distance_m"] for c in listed["data"]]
    assert distances == sorted(distances) and 250 < distances[ids.index(near["id"])] < 350
    # the volunteer sees the need's contact masked until the match holds
    seen = client.get(f"{POSTS}/{need['id']}", headers=volunteer).json()
    assert seen["contact_phone"] != "13812345678" and "*" in seen["contact_phone"]

    proposed = client.post(
        MATCHES, json={"need_id": need["id"], "offer_id": near["id"]}, headers=citizen
    )
    assert proposed.status_code == 201, proposed.text
    match = proposed.json()
    assert match["status"] == "proposed" and match["need_confirmed"]
    assert not match["offer_confirmed"]
    again = client.post(
        MATCHES, json={"need_id": need["id"], "offer_id": near["id"]}, headers=citizen
    )
    assert again.status_code == 409 and again.json()["code"] == "match-exists"
    own_side = client.post(f"{MATCHES}/{match['id']}/confirm", headers=citizen)
    assert own_side.status_code == 200 and own_side.json()["status"] == "proposed"
    confirmed = client.post(f"{MATCHES}/{match['id']}/confirm", headers=volunteer).json()
    assert confirmed["status"] == "confirmed" and confirmed["offer_confirmed"]
    assert client.get(f"{POSTS}/{need['id']}", headers=volunteer).json()["contact_phone"] == (
        "13812345678"
    )
    assert client.get(f"{POSTS}/{need['id']}", headers=citizen).json()["status"] == "matched"
    offer = client.get(f"{POSTS}/{near['id']}", headers=volunteer).json()
    assert offer["status"] == "matched" and offer["matched_count"] == 1
    assert _ledger(db, f"board_match:{match['id']}") == [
        "board.match_proposed",
        "board.match_side_confirmed",
        "board.match_confirmed",
    ]
    assert _ledger(db, f"board_post:{need['id']}") == ["board.need_posted"]
    mine = client.get(MATCHES, headers=volunteer).json()
    assert match["id"] in {m["id"] for m in mine["data"]}
    # the matched need no longer takes a second offer
    second = client.post(
        MATCHES, json={"need_id": need["id"], "offer_id": nearer["id"]}, headers=citizen
    )
    assert second.status_code == 409 and second.json()["code"] == "post-not-open"


def test_strangers_neither_see_nor_act_on_a_match(
    client: TestClient, db: Database, demo_city: DemoResult
) -> None:
    citizen = api_token(client, demo_city, Role.CITIZEN)
    volunteer = token_for(client, demo_city, "org.volunteer")
    stranger = api_token(client, demo_city, Role.ENTERPRISE)
    _, lng, lat = other_point(db, "", 12)
    need = _post(client, citizen, _body("need", lng, lat, category="health"))
    offer = _post(client, volunteer, _body("offer", lng, lat, category="health"))
    refused = client.post(
        MATCHES, json={"need_id": need["id"], "offer_id": offer["id"]}, headers=stranger
    )
    assert refused.status_code == 403 and refused.json()["code"] == "not-poster"
    match = client.post(
        MATCHES, json={"need_id": need["id"], "offer_id": offer["id"]}, headers=volunteer
    ).json()
    for path in (f"{MATCHES}/{match['id']}", f"{MATCHES}/{match['id']}/confirm"):
        call = client.get if path.endswith(str(match["id"])) else client.post
        hidden = call(path, headers=stranger)
        assert hidden.status_code == 404 and hidden.json()["detail_zh"]
    withdraw = client.post(f"{POSTS}/{need['id']}/withdraw", headers=stranger)
    assert withdraw.status_code == 403
    declined = client.post(
        f"{MATCHES}/{match['id']}/decline", json={"reason": "时间不合适"}, headers=citizen
    ).json()
    assert declined["status"] == "declined"
    assert _ledger(db, f"board_match:{match['id']}")[-1] == "board.match_declined"
    shown = client.get(f"{POSTS}/{offer['id']}", headers=stranger).json()
    assert "*" in shown["contact_phone"]


def test_a_replayed_post_is_one_post(
    client: TestClient, db: Database, demo_city: DemoResult
) -> None:
    citizen = api_token(client, demo_city, Role.CITIZEN)
    _, lng, lat = other_point(db, "", 13)
    body = _body("need", lng, lat)
    key = {"Idempotency-Key": f"board-{uuid.uuid4()}"}
    first = client.post(POSTS, json=body, headers={**citizen, **key})
    second = client.post(POSTS, json=body, headers={**citizen, **key})
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert second.headers["Idempotent-Replayed"] == "true"
    with db.session() as session:
        assert (
            session.scalar(
                select(func.count()).select_from(BoardPost).where(BoardPost.title == body["title"])
            )
            == 1
        )


def test_bad_posts_are_clear_errors_that_store_nothing(
    client: TestClient, db: Database, demo_city: DemoResult
) -> None:
    citizen = api_token(client, demo_city, Role.CITIZEN)
    _, lng, lat = worker_point(db, demo_city)
    with db.session() as session:
        before = session.scalar(select(func.count()).select_from(BoardPost))
    cases = [
        (_body("need", 116.40, 39.90), "outside-city"),
        (_body("need", lng, lat, category="ufo"), "unknown-category"),
        ({**_body("need", lng, lat), "kind": "barter"}, "bad-kind"),
        (_body("need", lng, lat, text="   "), "empty-text"),
        (_body("need", lng, lat, text="帮" * 3_000), "text-too-long"),
        (
            _body("need", lng, lat, ends_at=(NOW - timedelta(days=1)).isoformat()),
            "invalid-time-window",
        ),
        (_body("need", lng, lat, starts_at="1900-01-01T00:00:00"), "invalid-time-window"),
        (_body("offer", lng, lat, radius_m=60_000), "invalid-radius"),
        (_body("offer", lng, lat, capacity=0), "invalid-capacity"),
        ({**_body("need", lng, lat), "lng": None, "lat": None}, "location-required"),
        ({**_body("need", lng, lat), "lat": None}, "invalid-coordinates"),
    ]
    for body, code in cases:
        response = client.post(POSTS, json=body, headers=citizen)
        assert response.status_code == 422, (code, response.text)
        assert response.json()["code"] == code and response.json()["detail_zh"]
    assert client.post(POSTS, json=_body("need", lng, lat)).status_code == 401
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(BoardPost)) == before


def test_the_board_pages_and_lists_page(
    client: TestClient, db: Database, demo_city: DemoResult
) -> None:
    citizen = api_token(client, demo_city, Role.CITIZEN)
    listed = client.get(POSTS, params={"limit": 2, "kind": "offer"}, headers=citizen).json()
    assert listed["limit"] == 2 and len(listed["data"]) <= 2 and listed["count"] >= 3
    assert all(p["kind"] == "offer" and p["status"] == "open" for p in listed["data"])
    page = client.get(POSTS, params={"limit": 2, "offset": 2, "kind": "offer"}, headers=citizen)
    assert not {p["id"] for p in page.json()["data"]} & {p["id"] for p in listed["data"]}
    # the demo's board: organisations' offers, a confirmed match, one awaiting the other side
    with db.session() as session:
        confirmed = session.scalar(
            select(func.count())
            .select_from(LedgerEntry)
            .where(LedgerEntry.activity == "board.match_confirmed")
        )
    assert confirmed and confirmed >= 1


def test_a_volunteer_posts_from_the_form_and_proposes_from_the_post_page(
    client: TestClient, db: Database, demo_city: DemoResult
) -> None:
    from tests.helpers import csrf, sign_in

    citizen = api_token(client, demo_city, Role.CITIZEN)
    _, lng, lat = other_point(db, "", 14)
    need = _post(client, citizen, _body("need", lng, lat, category="donation"))
    volunteer = next(a for a in demo_city.accounts if a.username == "org.volunteer")
    sign_in(client, volunteer.username, volunteer.password)
    form = client.get("/governance/board/new")
    assert form.status_code == 200 and "发布供需" in form.text
    today = datetime.now(UTC).date()
    fields = {
        "kind": "offer", "category": "donation", "title": "冬衣捐赠", "text": "可捐棉衣二十件",
        "lng": str(lng + 0.002), "lat": str(lat), "starts": today.isoformat(),
        "ends": (today + timedelta(days=10)).isoformat(), "radius_m": "3000", "capacity": "2",
        "csrf_token": csrf(client),
    }  # fmt: skip
    bad = client.post("/governance/board/new", data={**fields, "lng": "116.4", "lat": "39.9"})
    assert bad.status_code == 422 and "不在本市范围内" in bad.text and "可捐棉衣二十件" in bad.text
    made = client.post("/governance/board/new", data=fields, follow_redirects=False)
    assert made.status_code == 303
    page = client.get(made.headers["location"])
    assert page.status_code == 200 and "匹配候选" in page.text
    assert f'data-post="{need["id"]}"' in page.text
    offer_id = int(made.headers["location"].rsplit("/", 1)[1])
    proposed = client.post(
        f"/governance/board/{offer_id}/act",
        data={"action": "propose", "other_id": need["id"], "csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert proposed.status_code == 303
    after = client.get(f"/governance/board/{offer_id}")
    assert "待确认" in after.text and need["title"] in after.text
    listing = client.get("/governance/board?kind=offer&mine=true")
    assert listing.status_code == 200 and "冬衣捐赠" in listing.text
