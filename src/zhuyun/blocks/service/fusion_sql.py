"""The SQL a fusion runs, written once for both engines (DuckDB and Spark SQL accept the same
text): a profile table with one row per entity key and, per source, how many rows it holds
for the entity, their newest update time and the items of its newest row.

Every staged column is text, so both engines compare, order and return the same values; ties
in the update time are broken by the items themselves, so "the newest row" is one row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from zhuyun.blocks.definition import SourceSpec, Take

Quote = Callable[[str], str]
KEY = "entity_key"


@dataclass(frozen=True)
class FusedSource:
    """One source as the fusion reads it: its spec and the view its rows are in."""

    spec: SourceSpec
    view: str


def column_names(sources: Sequence[SourceSpec]) -> list[str]:
    """The profile table's columns, in order."""
    names = [KEY]
    for spec in sources:
        names += [f"{spec.alias}__rows", f"{spec.alias}__updated_at"]
        if spec.take == Take.LATEST:
            names += [f"{spec.alias}__{item}" for item in spec.items]
    return names


def normalised_key(column: str) -> str:
    return f"upper(trim({column}))"


def _ranked(source: FusedSource, q: Quote, changed_view: str | None) -> str:
    spec = source.spec
    key = normalised_key(q(spec.key))
    updated = q(spec.updated_at) if spec.updated_at else "CAST(NULL AS STRING)"
    items = [f"{q(item)} AS {q('i_' + item)}" for item in spec.items]
    order = ", ".join(
        [f"{updated} DESC NULLS LAST"] + [f"{q(item)} DESC NULLS LAST" for item in spec.items]
    )
    where = f"{key} IS NOT NULL AND {key} <> ''"
    if changed_view:
        where += f" AND {key} IN (SELECT {KEY} FROM {changed_view})"
    return (
        f"SELECT {key} AS {KEY}, {', '.join([*items, ''])}"
        f"count(*) OVER (PARTITION BY {key}) AS n, "
        f"max({updated}) OVER (PARTITION BY {key}) AS newest, "
        f"row_number() OVER (PARTITION BY {key} ORDER BY {order}) AS rn "
        f"FROM {source.view} WHERE {where}"
    )


def fuse_sql(sources: Sequence[FusedSource], q: Quote, changed_view: str | None = None) -> str:
    """The profile rows of every key the sources hold (or only of the changed keys)."""
    ctes = [f"r_{s.spec.alias} AS ({_ranked(s, q, changed_view)})" for s in sources]
    keys = " UNION ".join(f"SELECT {KEY} FROM r_{s.spec.alias}" for s in sources)
    columns = [f"k.{KEY} AS {KEY}"]
    joins = []
    for source in sources:
        spec, alias = source.spec, f"j_{source.spec.alias}"
        columns += [
            f"{alias}.n AS {q(spec.alias + '__rows')}",
            f"{alias}.newest AS {q(spec.alias + '__updated_at')}",
        ]
        if spec.take == Take.LATEST:
            columns += [
                f"{alias}.{q('i_' + item)} AS {q(spec.alias + '__' + item)}" for item in spec.items
            ]
        joins.append(
            f"LEFT JOIN r_{spec.alias} {alias} ON {alias}.{KEY} = k.{KEY} AND {alias}.rn = 1"
        )
    return (
        f"WITH {', '.join(ctes)}, keys AS ({keys}) "
        f"SELECT {', '.join(columns)} FROM keys k {' '.join(joins)}"
    )


def full_sql(sources: Sequence[FusedSource], q: Quote) -> str:
    return f"SELECT * FROM ({fuse_sql(sources, q)}) f ORDER BY {KEY}"


def incremental_sql(
    sources: Sequence[FusedSource], q: Quote, previous_view: str, changed_view: str
) -> str:
    """The previous profile's rows of unchanged keys, and the changed keys fused anew."""
    kept = (
        f"SELECT * FROM {previous_view} p WHERE NOT EXISTS "
        f"(SELECT 1 FROM {changed_view} c WHERE c.{KEY} = p.{KEY})"
    )
    fresh = fuse_sql(sources, q, changed_view)
    return f"SELECT * FROM ({kept} UNION ALL SELECT * FROM ({fresh}) f) u ORDER BY {KEY}"


def merged_snapshot_sql(old_view: str, delta_view: str, row_key: Sequence[str], q: Quote) -> str:
    """A source's rows after a delta: the old rows the delta does not replace, and the delta."""
    match = " AND ".join(f"d.{q(c)} = o.{q(c)}" for c in row_key)
    return (
        f"SELECT * FROM {old_view} o WHERE NOT EXISTS (SELECT 1 FROM {delta_view} d "
        f"WHERE {match}) UNION ALL SELECT * FROM {delta_view}"
    )


def delta_keys_sql(
    old_view: str, delta_view: str, spec: SourceSpec, row_key: Sequence[str], q: Quote
) -> str:
    """Keys a delta touches: its own rows' keys and those of the old rows it replaces."""
    key = q(spec.key)
    match = " AND ".join(f"d.{q(c)} = o.{q(c)}" for c in row_key)
    return (
        f"SELECT {normalised_key(key)} AS {KEY} FROM {delta_view} "
        f"UNION SELECT {normalised_key('o.' + key)} AS {KEY} FROM {old_view} o "
        f"WHERE EXISTS (SELECT 1 FROM {delta_view} d WHERE {match})"
    )


def diff_keys_sql(old_view: str, new_view: str, spec: SourceSpec, q: Quote) -> str:
    """Keys whose rows differ between two full reads of a source (added, changed, gone)."""
    columns = ", ".join(q(c) for c in spec.read_items)
    key = normalised_key(q(spec.key))
    return (
        f"SELECT {key} AS {KEY} FROM (SELECT {columns} FROM {new_view} "
        f"EXCEPT SELECT {columns} FROM {old_view}) a "
        f"UNION SELECT {key} AS {KEY} FROM (SELECT {columns} FROM {old_view} "
        f"EXCEPT SELECT {columns} FROM {new_view}) b"
    )


def union_keys_sql(views: Sequence[str]) -> str:
    parts = " UNION ".join(f"SELECT {KEY} FROM {v}" for v in views)
    return f"SELECT {KEY} FROM ({parts}) u WHERE {KEY} IS NOT NULL"
