"""No silent cap: every public dataset is listed, counted, faceted and reachable by paging,
however many there are — shown here with batch and list sizes far below the demo's count
of open datasets instead of with 10,000 real ones."""

from __future__ import annotations

import weakref

import ckanapi
import pytest

from zhuyun.catalog import service as catalog
from zhuyun.catalog.service import feed as catalog_feed
from zhuyun.catalog.vocab import OpenType, Sensitivity, ShareType
from zhuyun.core.db import Database
from zhuyun.core.ledger import SYSTEM
from zhuyun.demo.builder import DemoResult
from zhuyun.opendata import dataset_index, service
from zhuyun.opendata.service import SearchQuery


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """The index loads two versions per query, from scratch; a list holds three names."""
    monkeypatch.setattr(catalog_feed, "BATCH", 2)
    monkeypatch.setattr(dataset_index, "_caches", weakref.WeakKeyDictionary())
    monkeypatch.setattr(service, "MAX_DATASETS", 3)


def public_names(db: Database) -> list[str]:
    with db.session() as session:
        versions, total = catalog.current_versions(
            session, open_types=list(service.PUBLIC_OPEN_TYPES), limit=100_000
        )
    assert len(versions) == total
    return [service.dataset_name(v.code) for v in versions]


def test_every_public_dataset_is_listed_counted_and_paged_past_every_batch_size(
    db: Database, small_batches: None
) -> None:
    expected = public_names(db)
    assert len(expected) > 3 * 2  # more than a batch, more than a list
    with db.session() as session:
        assert service.package_names(session, 0, None) == expected
        found = service.package_search(session, SearchQuery(rows=0, facet_fields=["groups"]), "")
        assert found["count"] == len(expected)
        paged = [
            package["name"]
            for start in range(0, len(expected) + 3, 3)
            for package in service.package_search(session, SearchQuery(rows=3, start=start), "")[
                "results"
            ]
        ]
        assert paged == expected
        organizations = service.organizations(session)
        assert sum(o["package_count"] for o in organizations) == len(expected)
        for name in (expected[0], expected[-1]):
            assert service.dataset_name(service.find_dataset(session, name).code) == name


def test_ckan_clients_page_through_package_list_to_the_last_dataset(
    live_server: str, demo_city: DemoResult, db: Database, small_batches: None
) -> None:
    expected = public_names(db)
    portal = ckanapi.RemoteCKAN(live_server, user_agent="zhuyun-tests/1.0")
    assert len(portal.action.package_list()) == 3  # one call lists at most MAX_DATASETS
    listed: list[str] = []
    while page := portal.action.package_list(limit=3, offset=len(listed)):
        listed.extend(page)
    assert listed == expected
    assert portal.action.package_search(rows=0)["count"] == len(expected)


def test_a_newly_published_dataset_is_found_at_once(db: Database) -> None:
    """The index follows the catalog: publishing (or retiring) changes which versions are
    current, and the next call sees it."""
    with db.session() as session:
        before = service.package_search(session, SearchQuery(rows=0), "")["count"]
        assert service.package_search(session, SearchQuery(q="基准索引测试"), "")["count"] == 0
        unit_id = service.organizations(session)[0]["id"]
        draft = catalog.ResourceDraft(
            provider_unit_id=int(unit_id),
            name="基准索引测试数据集",
            summary="用于检验开放数据索引随目录更新。",
            share_type=ShareType.UNCONDITIONAL,
            open_type=OpenType.OPEN,
            items=[catalog.ItemDraft(field="name", name="名称", sensitivity=Sensitivity.PUBLIC)],
        )
        resource = catalog.create_draft(session, SYSTEM, draft)
        catalog.publish(session, SYSTEM, resource.id)
        assert service.package_search(session, SearchQuery(rows=0), "")["count"] == before + 1
        hits = service.package_search(session, SearchQuery(q="基准索引测试"), "")["results"]
        assert [h["title"] for h in hits] == ["基准索引测试数据集"]
        session.rollback()  # the shared demo city stays as it was
        assert service.package_search(session, SearchQuery(rows=0), "")["count"] == before
