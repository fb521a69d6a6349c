"""The demo city's departments register their own databases as sources, and the catalog
resources of their tables are bound to them: physically separate, logically one catalog."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from zhuyun.demo.sources import SOURCES
from zhuyun.exchange.connectors import SourceKind
from zhuyun.exchange.service import sources
from zhuyun.identity.models import OrgUnit
from zhuyun.identity.permissions import SYSTEM_PRINCIPAL


@dataclass(frozen=True)
class TableBinding:
    """The columns the gateway's policy needs for one demo table."""

    key_field: str
    subject_field: str | None
    division_field: str | None


TABLE_BINDINGS: dict[str, TableBinding] = {
    "people": TableBinding("id_number", "id_number", "domicile_division_code"),
    "households": TableBinding("household_id", "head_id_number", "division_code"),
    "enterprises": TableBinding("credit_code", "legal_rep_id_number", "division_code"),
    "business_licences": TableBinding("credit_code", None, None),
    "market_penalties": TableBinding("decision_no", None, None),
    "social_insurance": TableBinding("id_number", "id_number", None),
    "marriages": TableBinding("certificate_no", "husband_id_number", "division_code"),
    "low_income": TableBinding("id_number", "id_number", None),
    "births": TableBinding("certificate_no", "child_id_number", None),
}


def register_demo_sources(
    session: Session,
    secret_key: str,
    sources_dir: Path,
    units: Mapping[str, OrgUnit],
    bindings: Sequence[tuple[int, str, str]],
) -> int:
    """Register each department's SQLite file as its source and bind the resources that
    describe its tables. `bindings`: (resource id, department code, table name).
    Returns how many resources were bound."""
    registered: dict[str, int] = {}
    for database in SOURCES:
        unit = units.get(database.department)
        if unit is None:
            continue
        source = sources.register_source(
            session,
            SYSTEM_PRINCIPAL,
            secret_key,
            unit.id,
            sources.SourceDraft(
                name=database.title,
                kind=SourceKind.SQLITE,
                location=f"sqlite:///{(sources_dir / database.file_name).resolve()}",
            ),
            source_dirs=(sources_dir,),
        )
        registered[database.department] = source.id
    bound = 0
    for resource_id, department, table in bindings:
        if department not in registered:
            continue
        layout = TABLE_BINDINGS[table]
        sources.bind_resource(
            session,
            SYSTEM_PRINCIPAL,
            secret_key,
            resource_id,
            sources.BindingDraft(
                registered[department],
                table,
                layout.key_field,
                layout.subject_field,
                layout.division_field,
            ),
        )
        bound += 1
    return bound
