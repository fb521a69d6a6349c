"""Photos of work orders: the grid worker's report form uploads them, the unit adds its own;
each is a checked image re-encoded without EXIF, stored under the data dir, shown on the
timeline, and served only to those who may see the order."""

from __future__ import annotations

import io

from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select

from tests.governance.workorders_support import (
    activities,
    handler_of_unit,
    operator,
    other_point,
    submit,
    worker_point,
)
from tests.helpers import api_token, csrf, sign_in
from zhuyun.core.db import Database
from zhuyun.demo.builder import DemoResult
from zhuyun.governance.models import WorkOrder, WorkOrderPhoto
from zhuyun.identity.permissions import Role


def _jpeg_with_exif(width: int = 64, height: int = 48) -> bytes:
    image = Image.new("RGB", (width, height), (200, 40, 40))
    exif = Image.Exif()
    exif[0x010F] = "ZhuyunCam"  # Make
    exif[0x010E] = "家住云岩区某小区3栋"  # ImageDescription: what must not leak
    exif[0x0112] = 6  # Orientation: rotated 90° clockwise
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def _count(db: Database, model: type) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_patrol_report_with_a_photo_shows_it_upright_and_without_exif(
    client: TestClient, db: Database, demo_city: DemoResult, app: FastAPI
) -> None:
    original = _jpeg_with_exif()
    assert Image.open(io.BytesIO(original)).getexif()[0x010E]
    worker = demo_city.account(Role.GRID_WORKER)
    sign_in(client, worker.username, worker.password)
    _, lng, lat = other_point(db, worker_point(db, demo_city)[0], 21)
    response = client.post(
        "/governance/report",
        data={"text": "人行道井盖缺失，有安全隐患", "lng": str(lng), "lat": str(lat),
              "csrf_token": csrf(client), "idempotency_key": "photo-report-1"},
        files=[("photo", ("IMG_0001.JPG", original, "image/jpeg"))],
        follow_redirects=False,
    )  # fmt: skip
    assert response.status_code == 303, response.text[:500]
    order_id = int(response.headers["location"].rsplit("/", 1)[1])
    page = client.get(f"/governance/workorders/{order_id}")
    assert 'alt="工单照片 1"' in page.text
    detail = client.get(f"/api/governance/workorders/{order_id}").json()
    collected = detail["timeline"][0]
    assert collected["activity"] == "collected" and len(collected["photos"]) == 1
    photo = collected["photos"][0]
    assert (photo["width"], photo["height"]) == (48, 64)  # turned upright by its orientation
    served = client.get(photo["url"])
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    clean = Image.open(io.BytesIO(served.content))
    assert clean.size == (48, 64) and len(clean.getexif()) == 0
    assert b"ZhuyunCam" not in served.content and "某小区".encode() not in served.content
    with db.session() as session:
        row = session.scalars(
            select(WorkOrderPhoto).where(WorkOrderPhoto.order_id == order_id)
        ).one()
    stored = app.state.settings.data_dir / "governance" / "photos" / row.sha256[:2]
    assert (stored / f"{row.sha256}.jpg").read_bytes() == served.content
    assert "workorder.photo_added" in activities(db, order_id)
    # someone who may not see the order sees neither it nor its photo
    client.cookies.clear()
    stranger = api_token(client, demo_city, Role.ENTERPRISE)
    hidden = client.get(photo["url"], headers=stranger)
    assert hidden.status_code == 404 and hidden.json()["code"] == "workorder-not-found"
    assert client.get(photo["url"]).status_code == 401
    assert client.get(photo["url"], headers=operator(client, demo_city)).status_code == 200


def test_a_bad_photo_refuses_the_report_and_stores_nothing(
    client: TestClient, db: Database, demo_city: DemoResult
) -> None:
    worker = demo_city.account(Role.GRID_WORKER)
    sign_in(client, worker.username, worker.password)
    _, lng, lat = worker_point(db, demo_city)
    huge = io.BytesIO()
    Image.new("1", (8_000, 6_000)).save(huge, format="PNG")
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, format="GIF")
    before = (_count(db, WorkOrder), _count(db, WorkOrderPhoto))
    cases = [
        (("evil.jpg", b"<?php system($_GET['c']); ?>", "image/jpeg"), "不是可读取的"),
        (("anim.gif", gif.getvalue(), "image/gif"), "不是 JPEG、PNG 或 WebP"),
        (("big.png", huge.getvalue(), "image/png"), "像素过多"),
        (("cut.jpg", _jpeg_with_exif()[:300], "image/jpeg"), "不是可读取的"),
    ]
    for upload, message in cases:
        response = client.post(
            "/governance/report",
            data={
                "text": "路灯不亮了",
                "lng": str(lng),
                "lat": str(lat),
                "csrf_token": csrf(client),
            },
            files=[("photo", upload)],
        )
        assert response.status_code == 422, upload[0]
        assert message in response.text and "路灯不亮了" in response.text
    too_many = client.post(
        "/governance/report",
        data={"text": "路灯不亮了", "lng": str(lng), "lat": str(lat), "csrf_token": csrf(client)},
        files=[("photo", (f"{i}.jpg", _jpeg_with_exif(), "image/jpeg")) for i in range(7)],
    )
    assert too_many.status_code == 422 and "最多上传 6 张" in too_many.text
    assert (_count(db, WorkOrder), _count(db, WorkOrderPhoto)) == before


def test_the_assigned_unit_adds_photos_and_others_may_not(
    client: TestClient, db: Database, demo_city: DemoResult
) -> None:
    _, lng, lat = other_point(db, worker_point(db, demo_city)[0], 22)
    order = submit(
        client,
        operator(client, demo_city),
        text="小区门口垃圾堆满了没人清运",
        lng=lng,
        lat=lat,
    )
    assert order["unit_id"], order
    unit = handler_of_unit(client, db, order["unit_id"])
    png = io.BytesIO()
    Image.new("RGBA", (30, 20), (0, 128, 0, 255)).save(png, format="PNG")
    added = client.post(
        f"/api/governance/workorders/{order['id']}/photos",
        files=[("files", ("after.png", png.getvalue(), "image/png"))],
        headers=unit,
    )
    assert added.status_code == 200, added.text
    last = added.json()["timeline"][-1]
    assert last["activity"] == "photo_added" and last["photos"][0]["media_type"] == "image/png"
    citizen = api_token(client, demo_city, Role.CITIZEN)
    refused = client.post(
        f"/api/governance/workorders/{order['id']}/photos",
        files=[("files", ("x.png", png.getvalue(), "image/png"))],
        headers=citizen,
    )
    assert refused.status_code == 404  # a citizen who did not report it does not see it
    bad = client.post(
        f"/api/governance/workorders/{order['id']}/photos",
        files=[("files", ("x.png", b"not an image", "image/png"))],
        headers=unit,
    )
    assert bad.status_code == 422 and bad.json()["code"] == "photo-type"
