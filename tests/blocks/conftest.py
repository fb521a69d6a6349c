"""Fixtures of the block-data tests: the bureau's API token, and department tables of a
test's own (registered as a source of the big-data bureau and bound to a new resource), so a
test may take a source down or change its rows without touching the demo city's."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.helpers import token_for
from zhuyun.blocks.models import FusionJob
from zhuyun.catalog.vocab import ShareType
from zhuyun.core.db import Database
from zhuyun.core.settings import Settings
from zhuyun.demo.blocks import PURPOSE, publish_resource
from zhuyun.demo.blocks_tables import DemoTable, write_table
from zhuyun.demo.builder import DemoResult
from zhuyun.exchange.connectors import SourceKind
from zhuyun.exchange.service import sources
from zhuyun.identity import service as identity
from zhuyun.identity.permissions import SYSTEM_PRINCIPAL


@pytest.fixture
def bureau(client: TestClient, demo_city: DemoResult) -> dict[str, str]:
    """Headers of the big-data bureau's data admin (dsj.data), who owns the demo's jobs."""
    return token_for(client, demo_city, "dsj.data")


@dataclass
class OwnTable:
    resource_id: int
    path: Path
    table: str


TableFactory = Callable[[str, Sequence[str], Sequence[Sequence[Any]]], OwnTable]


@pytest.fixture
def own_table(db: Database, demo_settings: Settings) -> TableFactory:
    """Make a table of the bureau's own (first column its key), as a new bound resource."""

    def make(table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> OwnTable:
        name = f"{table}_{uuid.uuid4().hex[:8]}"
        path = demo_settings.sources_dir / f"test-{name}.sqlite"
        spec = DemoTable(
            "dsj",
            path.name,
            table,
            f"测试资源{name}",
            tuple(columns),
            columns[0],
            new_items=" ".join(columns),
            new_summary="测试用部门表。",
            new_share=ShareType.UNCONDITIONAL,
        )
        write_table(path, spec, iter([tuple(r) for r in rows]))
        secret = demo_settings.secret_key.get_secret_value()
        with db.session() as session:
            unit = identity.find_unit_by_code(session, "dsj")
            assert unit is not None
            resource_id = publish_resource(session, spec, unit)
            source = sources.register_source(
                session,
                SYSTEM_PRINCIPAL,
                secret,
                unit.id,
                sources.SourceDraft(
                    name=f"测试源{name}",
                    kind=SourceKind.SQLITE,
                    location=f"sqlite:///{path.resolve()}",
                ),
                source_dirs=(demo_settings.sources_dir,),
            )
            sources.bind_resource(
                session,
                SYSTEM_PRINCIPAL,
                secret,
                resource_id,
                sources.BindingDraft(source.id, table, columns[0], None, None),
            )
        return OwnTable(resource_id, path, table)

    return make


def declare(client: TestClient, headers: dict[str, str], job: dict[str, Any]) -> Any:
    """POST a job (as JSON text) with a fresh idempotency key."""
    job.setdefault("purpose", PURPOSE)
    return client.post(
        "/api/blocks/jobs",
        json={"definition": json.dumps(job, ensure_ascii=False)},
        headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
    )


def run(client: TestClient, headers: dict[str, str], job_id: int, **body: Any) -> dict[str, Any]:
    """Start a run (it finishes within the request under the test client) and read it back."""
    response = client.post(
        f"/api/blocks/jobs/{job_id}/runs",
        json=body,
        headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert response.status_code == 202, response.text
    final = client.get(f"/api/blocks/runs/{response.json()['id']}", headers=headers)
    assert final.status_code == 200, final.text
    return dict(final.json())


def demo_job(db: Database, entity: str) -> FusionJob:
    with db.session() as session:
        job = session.scalars(
            select(FusionJob).where(FusionJob.entity == entity).order_by(FusionJob.id)
        ).first()
        assert job is not None
        session.expunge(job)
        return job
