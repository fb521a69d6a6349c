"""Data quality of the open datasets: a Frictionless validation report per dataset, its
score, and the scores rolled up per provider unit.

For each published resource the portal opens (无条件开放 or 有条件开放) that is bound to a
department source, the platform itself (no consumer's grant) reads a bounded sample — the
first `SAMPLE_ROWS` rows in key order — of the dataset's *opened* items only (sensitive and
secret items are never selected, so their values never reach a report) through the
exchange's connector, and Frictionless validates it against the catalog's declared types:

- type errors: values that do not parse as the item's declared type (a non-date in a date
  column);
- missing values: empty cells per item;
- duplicates: rows identical to an earlier row, and repeated values of the binding's key
  (when the key is itself an opened item);
- schema drift: the source table today against the catalog's items — an item gone (and, when
  an uncatalogued column with a close name and a compatible type appeared, "renamed to"), or
  a column whose type no longer fits the item. A gone item also marks the resource stale in
  the catalog, through the exchange's own schema check.

Score (0–100, an integer), the sum of four parts:

    35 × validity      share of the read items whose sampled values all fit their type
    25 × completeness  share of non-empty cells among the sampled cells of the read items
    20 × uniqueness    half for no duplicate row, half for no duplicate key value (all of it
                       on duplicate rows when the key is not opened); an empty sample has
                       nothing duplicated
    20 × conformity    share of the opened items present in the source with a fitting type

An empty table scores at most 75 (nothing is complete). A dataset without a source, or
whose source did not answer, gets a report that says so and no score; unit roll-ups average
the scored datasets only. Reports hold counts and row numbers, never a cell's value.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhuyun.core.db import Database, utcnow
from zhuyun.core.ledger import SYSTEM, Subject, record
from zhuyun.exchange.connectors import ConnectorError
from zhuyun.exchange.service import sources
from zhuyun.identity.permissions import SYSTEM_PRINCIPAL
from zhuyun.opendata.models import QualityReport
from zhuyun.opendata.quality_checks import (
    DIMENSION_HINTS_ZH,
    DIMENSION_LABELS_ZH,
    SAMPLE_ROWS,
    STATUS_LABELS_ZH,
    WEIGHTS,
    Measured,
    Status,
    Target,
    measure,
    targets,
)

__all__ = [
    "DIMENSION_HINTS_ZH",
    "DIMENSION_LABELS_ZH",
    "SAMPLE_ROWS",
    "STATUS_LABELS_ZH",
    "WEIGHTS",
    "QualityReport",
    "Status",
    "UnitQuality",
    "band",
    "check_resource",
    "measure",
    "report_of",
    "reports_for",
    "run",
    "scores_for",
    "store",
    "targets",
    "unit_rollup",
]


# -- storing ------------------------------------------------------------------------------


def store(
    session: Session, target: Target, measured: Measured, secret_key: str, sample_rows: int
) -> QualityReport:
    """Keep the report as the dataset's latest, ledger it, and (through the exchange's
    schema check) mark the catalog resource stale when items are gone from its source."""
    if measured.status == Status.CHECKED and any(
        f["kind"] in ("item_missing", "item_renamed") for f in measured.findings
    ):
        # (should the source have gone away since, the report already says what was read)
        with contextlib.suppress(ConnectorError):
            sources.check_schema(session, SYSTEM_PRINCIPAL, secret_key, target.resource_id)
    report = session.scalar(
        select(QualityReport).where(QualityReport.resource_id == target.resource_id)
    )
    if report is None:
        report = QualityReport(resource_id=target.resource_id)
        session.add(report)
    report.provider_unit_id = target.provider_unit_id
    report.version = target.version
    report.status = measured.status.value
    report.score = measured.score
    report.rows_checked = measured.rows
    report.sample_limit = sample_rows
    report.dimensions = {**measured.dimensions, "total_rows": measured.total_rows}
    report.fields = measured.fields
    report.findings = measured.findings
    report.message = measured.message[:500]
    report.checked_at = utcnow()
    report.duration_ms = measured.duration_ms
    session.flush()
    record(
        session,
        SYSTEM,
        "opendata.quality_checked",
        Subject("resource", target.resource_id),
        {
            "version": target.version,
            "status": measured.status.value,
            "score": measured.score,
            "rows": measured.rows,
            "problems": sorted({f["kind"] for f in measured.findings if f["level"] == "error"}),
        },
    )
    return report


def check_resource(
    session: Session, secret_key: str, resource_id: int, sample_rows: int = SAMPLE_ROWS
) -> QualityReport:
    """Check one open dataset now, in the caller's transaction; its report, stored."""
    (target,) = targets(session, resource_id)
    return store(session, target, measure(target, secret_key, sample_rows), secret_key, sample_rows)


def run(
    database: Database,
    secret_key: str,
    resource_id: int | None = None,
    sample_rows: int = SAMPLE_ROWS,
) -> list[QualityReport]:
    """Check every open dataset (or one): each source is read outside any platform
    transaction and each report stored in a short one of its own."""
    with database.session() as session:
        planned = targets(session, resource_id)
    reports = []
    for target in planned:
        measured = measure(target, secret_key, sample_rows)
        with database.session() as session:
            reports.append(store(session, target, measured, secret_key, sample_rows))
    return reports


# -- reading ------------------------------------------------------------------------------


def report_of(session: Session, resource_id: int) -> QualityReport | None:
    return session.scalar(select(QualityReport).where(QualityReport.resource_id == resource_id))


def reports_for(session: Session, resource_ids: Collection[int]) -> dict[int, QualityReport]:
    """The latest reports of the given datasets (those never checked are absent)."""
    if not resource_ids:
        return {}
    rows = session.scalars(
        select(QualityReport).where(QualityReport.resource_id.in_(list(resource_ids)))
    )
    return {r.resource_id: r for r in rows}


def scores_for(session: Session, resource_ids: Collection[int]) -> dict[int, int | None]:
    """Just the scores (None: not scored), without loading the reports' findings."""
    if not resource_ids:
        return {}
    rows = session.execute(
        select(QualityReport.resource_id, QualityReport.score).where(
            QualityReport.resource_id.in_(list(resource_ids))
        )
    )
    return {rid: score for rid, score in rows}


@dataclass(frozen=True)
class UnitQuality:
    """A provider unit's quality roll-up: the mean (and lowest) score of its scored datasets."""

    unit_id: int
    reports: int
    scored: int
    average: float | None
    lowest: int | None


def unit_rollup(
    session: Session, resource_ids: Collection[int] | None = None
) -> dict[int, UnitQuality]:
    """Scores per provider unit, over the given datasets (None: every report)."""
    if resource_ids is not None and not resource_ids:
        return {}
    conditions = (
        [QualityReport.resource_id.in_(list(resource_ids))] if resource_ids is not None else []
    )
    rows = session.execute(
        select(
            QualityReport.provider_unit_id,
            func.count(),
            func.count(QualityReport.score),
            func.avg(QualityReport.score),
            func.min(QualityReport.score),
        )
        .where(*conditions)
        .group_by(QualityReport.provider_unit_id)
    ).all()
    return {
        unit: UnitQuality(
            unit, int(n), int(scored), round(float(avg), 1) if avg is not None else None, low
        )
        for unit, n, scored, avg, low in rows
    }


def band(score: float | None) -> tuple[str, str]:
    """A score as people read it: (Chinese grade, css modifier)."""
    if score is None:
        return "未评分", "none"
    if score >= 90:
        return "优", "excellent"
    if score >= 75:
        return "良", "good"
    if score >= 60:
        return "中", "fair"
    return "差", "poor"
