"""Photos of work orders: a grid worker's patrol report, a unit's report back.

An upload is accepted only if Pillow reads it as a JPEG, PNG or WebP image of sensible size
(whatever its name or claimed type says), at most `MAX_BYTES` and `MAX_PIXELS`; it is then
turned upright by its EXIF orientation and re-encoded *without* any metadata — EXIF (GPS
position, camera, owner), XMP, comments — so a photo never leaks more than it shows. The
clean bytes are stored on disk under `<data_dir>/governance/photos/` by their SHA-256 (the
same photo twice is one file); a row ties each to its order and to the timeline event it
came with. Photos are served only to those who may see the order (see `workorder_api`).
"""

from __future__ import annotations

import hashlib
import io
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhuyun.core.db import utcnow
from zhuyun.core.errors import NotFound, Unprocessable
from zhuyun.core.ledger import Actor, Subject, record
from zhuyun.governance.models import WorkOrder, WorkOrderEvent, WorkOrderPhoto
from zhuyun.governance.service.workflow import add_event

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 48-megapixel phone photo is refused; 12 MP passes
MAX_PHOTOS = 6
FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
LONGEST_SIDE = 2_560  # larger photos are scaled down: enough to see a pothole


@dataclass(frozen=True)
class CleanPhoto:
    data: bytes
    media_type: str
    extension: str
    width: int
    height: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def _refuse(en: str, zh: str, code: str = "invalid-photo") -> Unprocessable:
    return Unprocessable(en, zh, code=code)


def clean(data: bytes, name: str = "") -> CleanPhoto:
    """The photo re-encoded without metadata, or a 422 that says what is wrong with it."""
    label = name[:80] or "photo"
    if not data:
        raise _refuse(f"{label} is empty.", f"照片 {label} 是空文件。")
    if len(data) > MAX_BYTES:
        raise _refuse(
            f"{label} has {len(data):,} bytes; at most {MAX_BYTES:,}.",
            f"照片 {label} 大小 {len(data) / 1048576:.1f} MB，最大 {MAX_BYTES // 1048576} MB。",
            code="photo-too-large",
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in FORMATS:
                raise _refuse(
                    f"{label} is {image.format or 'not an image'}; JPEG, PNG or WebP only.",
                    f"照片 {label} 不是 JPEG、PNG 或 WebP 图片。",
                    code="photo-type",
                )
            if image.width * image.height > MAX_PIXELS:
                raise _refuse(
                    f"{label} has {image.width}×{image.height} pixels; too many.",
                    f"照片 {label} 像素过多（{image.width}×{image.height}）。",
                    code="photo-too-large",
                )
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise _refuse(
            f"{label} is not a readable JPEG, PNG or WebP image.",
            f"照片 {label} 不是可读取的 JPEG、PNG 或 WebP 图片。",
            code="photo-type",
        ) from None
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise _refuse(
            f"{label} decompresses to too many pixels.",
            f"照片 {label} 像素过多。",
            code="photo-too-large",
        ) from None
    media_type, extension = FORMATS[image.format]
    fmt = image.format
    upright = ImageOps.exif_transpose(image)
    upright.thumbnail((LONGEST_SIDE, LONGEST_SIDE))
    if fmt == "JPEG" and upright.mode not in ("RGB", "L"):
        upright = upright.convert("RGB")
    bare = Image.new(upright.mode, upright.size)  # a fresh image: no info, no metadata
    bare.paste(upright)
    if upright.mode == "P":
        bare.putpalette(upright.getpalette() or [])
    out = io.BytesIO()
    bare.save(out, format=fmt, **({"quality": 85} if fmt in ("JPEG", "WEBP") else {}))
    return CleanPhoto(out.getvalue(), media_type, extension, bare.width, bare.height)


def clean_all(uploads: Sequence[tuple[str, bytes]]) -> list[CleanPhoto]:
    """Check every upload before anything is stored: one bad photo refuses them all."""
    if len(uploads) > MAX_PHOTOS:
        raise _refuse(
            f"At most {MAX_PHOTOS} photos at once.",
            f"一次最多上传 {MAX_PHOTOS} 张照片。",
            code="too-many-photos",
        )
    return [clean(data, name) for name, data in uploads]


def _root(data_dir: Path) -> Path:
    return data_dir / "governance" / "photos"


def path_of(data_dir: Path, photo: WorkOrderPhoto) -> Path:
    extension = next(e for t, e in FORMATS.values() if t == photo.media_type)
    return _root(data_dir) / photo.sha256[:2] / f"{photo.sha256}.{extension}"


def _store(data_dir: Path, photo: CleanPhoto) -> None:
    target = _root(data_dir) / photo.sha256[:2] / f"{photo.sha256}.{photo.extension}"
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".{os.getpid()}.part")
    partial.write_bytes(photo.data)
    partial.replace(target)


def attach(
    session: Session,
    data_dir: Path,
    actor: Actor,
    order: WorkOrder,
    photos: Sequence[CleanPhoto],
    *,
    new_event: bool = True,
) -> list[WorkOrderPhoto]:
    """Store the photos and tie them to the order: to a new 上传照片 timeline event, or (for a
    new report) to its first event, 受理. One ledger entry."""
    if not photos:
        return []
    if new_event:
        add_event(session, order, actor, "photo_added", order.status, f"上传照片 {len(photos)} 张")
        session.flush()
    newest = WorkOrderEvent.id.desc() if new_event else WorkOrderEvent.id.asc()
    event_id = session.scalar(
        select(WorkOrderEvent.id)
        .where(WorkOrderEvent.order_id == order.id)
        .order_by(newest)
        .limit(1)
    )
    rows = []
    for photo in photos:
        _store(data_dir, photo)
        row = WorkOrderPhoto(
            order_id=order.id,
            event_id=event_id,
            sha256=photo.sha256,
            media_type=photo.media_type,
            width=photo.width,
            height=photo.height,
            size_bytes=len(photo.data),
            uploaded_by=actor.id,
            created_at=utcnow(),
        )
        session.add(row)
        rows.append(row)
    session.flush()
    record(
        session,
        actor,
        "workorder.photo_added",
        Subject("workorder", order.id),
        {
            "number": order.number,
            "photo_ids": [r.id for r in rows],
            "sha256": [p.sha256 for p in photos],
        },
    )
    return rows


def photos_of(session: Session, order: WorkOrder) -> list[WorkOrderPhoto]:
    return list(
        session.scalars(
            select(WorkOrderPhoto)
            .where(WorkOrderPhoto.order_id == order.id)
            .order_by(WorkOrderPhoto.id)
        )
    )


def get_photo(session: Session, order: WorkOrder, photo_id: int) -> WorkOrderPhoto:
    photo = session.get(WorkOrderPhoto, photo_id)
    if photo is None or photo.order_id != order.id:
        raise NotFound("No such photo.", "照片不存在。", code="photo-not-found")
    return photo
