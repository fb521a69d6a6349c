"""The current published versions as a feed for the catalog's readers that keep their own
index of them (the open-data portal): a cheap signature that moves whenever the set of
current versions changes, the keys of the current versions, and their rows in batches."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhuyun.catalog.models import ResourceVersion
from zhuyun.catalog.vocab import OpenType

BATCH = 500  # versions read per query


class VersionRow(NamedTuple):
    """What a reader needs of a published version (its snapshot never changes)."""

    id: int
    resource_id: int
    version: int
    code: str
    name: str
    provider_unit_id: int
    provider_name: str
    open_type: str
    base_library: str | None
    published_at: datetime
    snapshot: dict[str, Any]


def current_signature(session: Session) -> tuple[int, int, int]:
    """Which versions are current, in one read of the is_current index: publishing adds a
    version with a higher id, retiring or closing drops one, so any change moves it."""
    count, highest, total = session.execute(
        select(func.count(), func.max(ResourceVersion.id), func.sum(ResourceVersion.id)).where(
            ResourceVersion.is_current.is_(True)
        )
    ).one()
    return int(count), int(highest or 0), int(total or 0)


def current_keys(session: Session, open_types: Sequence[OpenType]) -> list[tuple[int, datetime]]:
    """(version id, published at) of the current versions of these open types."""
    rows = session.execute(
        select(ResourceVersion.id, ResourceVersion.published_at).where(
            ResourceVersion.is_current.is_(True),
            ResourceVersion.open_type.in_([t.value for t in open_types]),
        )
    ).all()
    return [(int(version_id), published_at) for version_id, published_at in rows]


def version_rows(session: Session, version_ids: Sequence[int]) -> Iterator[VersionRow]:
    """The rows of these versions, read `BATCH` at a time."""
    columns = [getattr(ResourceVersion, name) for name in VersionRow._fields]
    for start in range(0, len(version_ids), BATCH):
        batch = list(version_ids[start : start + BATCH])
        for row in session.execute(select(*columns).where(ResourceVersion.id.in_(batch))):
            yield VersionRow(*row)
