"""Reading a profile (一人一档, 一企一档, 一格一档) for a viewer: one row of a job's current,
complete profile table, shown source by source with where each fact came from — the
resource, its provider unit, the update time — and only what the viewer's own unit may see.

The viewer's unit is asked of the gateway's policy for every source, for the job's purpose,
exactly as if it queried the resource itself: a source it has no grant for is left out (and
the refusal is in the ledger), items the policy masks for it are masked, and items that were
masked for the job's owner were stored masked and stay so.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
from sqlalchemy.orm import Session

from zhuyun.blocks.definition import SourceSpec, Take
from zhuyun.blocks.models import FusionJob, ProfileTable
from zhuyun.blocks.service.engines import parquet_glob
from zhuyun.blocks.service.fusion_sql import KEY, normalised_key
from zhuyun.blocks.service.jobs import definition_of
from zhuyun.blocks.service.runs import current_tables, get_run
from zhuyun.catalog import service as catalog
from zhuyun.core.calendar import china_today
from zhuyun.core.errors import Forbidden, NotFound, Problem, Unprocessable
from zhuyun.core.ledger import Subject, record
from zhuyun.core.masking import mask
from zhuyun.exchange.formats import OutputFormat
from zhuyun.exchange.service import gateway
from zhuyun.identity import service as identity
from zhuyun.identity.permissions import Principal

KEY_PATTERN = re.compile(r"^[0-9A-Za-z]{1,40}$")


@dataclass(frozen=True)
class Fact:
    item: str
    label: str
    value: str | None
    masked: bool


@dataclass
class SourceFacts:
    alias: str
    resource_id: int
    resource_name: str
    provider_name: str
    rows: int
    updated_at: str | None  # the newest update time of its rows, if the source keeps one
    read_at: str | None  # when the run read the source
    visible: bool
    facts: list[Fact] = field(default_factory=list)
    hidden_reason_en: str = ""
    hidden_reason_zh: str = ""


@dataclass
class Profile:
    job_id: int
    job_name: str
    entity: str
    output: str
    key: str
    run_id: int
    completed_at: datetime
    sources: list[SourceFacts]


def profile_table(session: Session, job: FusionJob, output: str | None) -> ProfileTable:
    tables = current_tables(session, job.id)
    name = output or definition_of(job).outputs[0].name
    table = tables.get(name)
    if table is None:
        raise NotFound(
            f"Job {job.id} has no complete profile table {name} yet: run it first.",
            f"作业 {job.id} 尚无已完成的档案表 {name}，请先运行作业。",
            code="blocks-no-profile",
        )
    return table


def read_row(table: ProfileTable, key: str) -> dict[str, Any] | None:
    """The profile table's row for one key (a scan pruned by the sorted key's statistics)."""
    with duckdb.connect() as connection:
        cursor = connection.execute(
            f"SELECT * FROM read_parquet(?) WHERE {KEY} = {normalised_key('?')}",
            [parquet_glob(_path(table)), key],
        )
        found = cursor.fetchone()
        if found is None:
            return None
        names = [d[0] for d in cursor.description]
    return dict(zip(names, found, strict=True))


def _path(table: ProfileTable) -> Path:
    return Path(table.path)


def _checked_key(key: str) -> str:
    if not KEY_PATTERN.match(key.strip()):
        raise Unprocessable(
            "A profile key is 1 to 40 letters and digits (ID number, credit code, grid code).",
            "档案键为 1 至 40 位字母或数字（身份证号、统一社会信用代码或网格编码）。",
            code="blocks-bad-key",
        )
    return key.strip().upper()


def _viewer_masks(
    session: Session,
    secret_key: str,
    viewer: Principal,
    spec: SourceSpec,
    purpose: str,
    row: dict[str, Any],
) -> dict[str, str]:
    """The items the policy masks for the viewer's unit; raises the policy's refusal, and
    refuses a source whose rows a unit below the city may read only in its own division when
    the profile does not show the row to be in it."""
    request = gateway.QueryRequest(
        spec.resource_id, spec.read_items, purpose, limit=1, export=True, format=OutputFormat.ARROW
    )
    prepared = gateway.prepare(session, secret_key, viewer, request, china_today())
    limit = prepared.decision.row_filter
    if limit is not None:
        value = row.get(f"{spec.alias}__{limit.field}") if spec.take == Take.LATEST else None
        if not (isinstance(value, str) and value.startswith(str(limit.value))):
            raise Forbidden(
                "Your unit reads this resource only within its own division, and this profile's "
                "record is not shown to be in it.",
                "本单位只能查看本辖区内的该类数据，该档案的记录不在或无法确认在本辖区内。",
                code="blocks-outside-division",
            )
    return dict(prepared.decision.masked)


def read_profile(
    session: Session,
    secret_key: str,
    viewer: Principal,
    job: FusionJob,
    key: str,
    output: str | None = None,
) -> Profile:
    """The profile of `key` as `viewer` may see it; the viewing is ledgered."""
    wanted = _checked_key(key)
    definition = definition_of(job)
    table = profile_table(session, job, output)
    row = read_row(table, wanted)
    if row is None:
        raise NotFound(
            f"No profile for {wanted} in job {job.id}.",
            f"作业 {job.id} 中没有 {wanted} 的档案。",
            code="blocks-profile-not-found",
        )
    run = get_run(session, table.run_id)
    progress = dict(run.progress)
    out_spec = next(o for o in definition.outputs if o.name == table.output)
    shown: list[SourceFacts] = []
    for spec in definition.output_sources(out_spec):
        shown.append(
            _source_facts(
                session,
                secret_key,
                viewer,
                definition.purpose,
                spec,
                row,
                progress.get(spec.alias, {}),
            )
        )
    record(
        session,
        viewer.as_actor(),
        "blocks.profile_viewed",
        Subject("fusion_job", job.id),
        {
            "output": table.output,
            "run_id": table.run_id,
            # the key's fingerprint, never the ID number itself
            "key_fingerprint": hashlib.sha256(wanted.encode()).hexdigest()[:16],
            "shown": [s.resource_id for s in shown if s.visible],
            "hidden": [s.resource_id for s in shown if not s.visible],
        },
    )
    return Profile(
        job.id, job.name, job.entity, table.output, wanted, table.run_id, table.completed_at, shown
    )


def _source_facts(
    session: Session,
    secret_key: str,
    viewer: Principal,
    purpose: str,
    spec: SourceSpec,
    row: dict[str, Any],
    progress: dict[str, Any],
) -> SourceFacts:
    resource = catalog.published_view(session, spec.resource_id)
    provider = identity.get_unit(session, resource.provider_unit_id).name
    rows = row.get(f"{spec.alias}__rows")
    facts = SourceFacts(
        alias=spec.alias,
        resource_id=spec.resource_id,
        resource_name=resource.name,
        provider_name=provider,
        rows=int(rows or 0),
        updated_at=row.get(f"{spec.alias}__updated_at"),
        read_at=progress.get("read_at"),
        visible=False,
    )
    try:
        masked = _viewer_masks(session, secret_key, viewer, spec, purpose, row)
    except Problem as refused:
        facts.hidden_reason_en, facts.hidden_reason_zh = refused.message_en, refused.message_zh
        return facts
    facts.visible = True
    masked_for_owner = set(progress.get("masked") or [])
    if spec.take == Take.LATEST:
        for item in spec.items:
            value = row.get(f"{spec.alias}__{item}")
            kind = masked.get(item)
            label = resource.items[item].name if item in resource.items else item
            shown = mask(kind, str(value)) if kind and value is not None else value
            facts.facts.append(Fact(item, label, shown, bool(kind) or item in masked_for_owner))
    return facts
