"""OCEL 2.0 out: the JSON format and the SQLite format of the standard (ocel-standard.org).

An event log becomes object-centric as follows: every case is an object (its type is the
log's `case_object_type`, `case` by default; its attributes are the case's attributes),
every event is related to its case (qualifier `case`) and to its resource (an object of
type `resource`, qualifier `resource`), and to whatever objects the log names per event
(the ledger names the subject, the actor's account and unit). Attribute types are inferred
per event type (the first value's type; mixed types become `string`); nested values are
written as JSON text.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import numpy as np

from zhuyun.supervision.eventlog.log import EventLog, from_micros

_TYPE_OF = {bool: "boolean", int: "integer", float: "float", str: "string"}
_SQL_TYPE = {"boolean": "INTEGER", "integer": "INTEGER", "float": "REAL", "string": "TEXT",
             "time": "TIMESTAMP"}  # fmt: skip


def _kind(value: Any) -> str:
    if isinstance(value, datetime):
        return "time"
    return _TYPE_OF.get(type(value), "string")


def _plain(value: Any, kind: str) -> Any:
    if kind == "time":
        return value.isoformat() if isinstance(value, datetime) else str(value)
    if kind == "string" and not isinstance(value, str):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


@dataclass
class _Types:
    """Attribute kinds per type name, in first-seen order."""

    kinds: dict[str, dict[str, str]] = field(default_factory=dict)

    def see(self, type_name: str, attrs: dict[str, Any]) -> None:
        known = self.kinds.setdefault(type_name, {})
        for key, value in attrs.items():
            if value is None:
                continue
            kind = _kind(value)
            if known.setdefault(key, kind) != kind:
                known[key] = "string"

    def declare(self) -> list[dict[str, Any]]:
        return [
            {"name": name, "attributes": [{"name": k, "type": t} for k, t in attrs.items()]}
            for name, attrs in self.kinds.items()
        ]


@dataclass
class _Object:
    id: str
    type: str
    attrs: dict[str, Any]
    time: str
    relations: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class OcelView:
    """An event log seen as objects and events, ready for either OCEL 2.0 format."""

    event_types: _Types
    object_types: _Types
    objects: dict[str, _Object]
    log: EventLog
    times: list[str]
    case_type: str

    def event_id(self, i: int) -> str:
        attrs = self.log.event_attrs[i] if self.log.event_attrs else {}
        seq = attrs.get("ledger:seq")
        return f"ledger-{seq}" if seq is not None else f"e{i + 1}"

    def events(self) -> Iterator[tuple[str, str, str, dict[str, Any], list[tuple[str, str]]]]:
        """(id, type, time, attributes, [(object id, qualifier)]) of every event."""
        log = self.log
        names, resources = log.activity_names, log.resource_names
        acts, res = log.activities.tolist(), log.resources.tolist()
        cases = log.case_of_events().tolist()
        for i in range(log.n_events):
            links = [(log.case_names[cases[i]], "case")]
            if res[i] >= 0:
                links.append((f"resource:{resources[res[i]]}", "resource"))
            if log.event_objects:
                links.extend((o.id, o.qualifier) for o in log.event_objects[i])
            attrs = log.event_attrs[i] if log.event_attrs else {}
            yield self.event_id(i), names[acts[i]], self.times[i], attrs, _unique(links)


def _unique(links: list[tuple[str, str]]) -> list[tuple[str, str]]:
    seen: set[str] = set()
    kept = []
    for object_id, qualifier in links:
        if object_id not in seen:
            seen.add(object_id)
            kept.append((object_id, qualifier))
    return kept


def ocel_view(log: EventLog) -> OcelView:
    case_type = str(log.attrs.get("case_object_type", "case"))
    stamps = np.datetime_as_string(log.timestamps.astype("datetime64[us]"), unit="us")
    times = [f"{s}+00:00" for s in stamps.tolist()]
    objects: dict[str, _Object] = {}
    object_types, event_types = _Types(), _Types()
    starts = log.case_starts.tolist()
    for case, name in enumerate(log.case_names):
        attrs = dict(log.case_attrs[case]) if log.case_attrs else {}
        first = (
            times[starts[case]] if starts[case] < starts[case + 1] else times[0] if times else ""
        )
        objects[name] = _Object(name, case_type, attrs, first)
        object_types.see(case_type, attrs)
    object_types.kinds.setdefault(case_type, {})
    if (log.resources >= 0).any():
        object_types.kinds.setdefault("resource", {})
        for resource in sorted(set(log.resources[log.resources >= 0].tolist())):
            rid = f"resource:{log.resource_names[resource]}"
            objects[rid] = _Object(rid, "resource", {}, "")
    names = log.activity_names
    acts = log.activities.tolist()
    cases = log.case_of_events().tolist()
    for i in range(log.n_events):
        if log.event_attrs:
            event_types.see(names[acts[i]], log.event_attrs[i])
        else:
            event_types.kinds.setdefault(names[acts[i]], {})
        if log.event_objects:
            case_name = log.case_names[cases[i]]
            for o in log.event_objects[i]:
                if o.id not in objects:
                    objects[o.id] = _Object(o.id, o.type, {}, times[i])
                    object_types.kinds.setdefault(o.type, {})
                if o.qualifier == "subject" and o.id != case_name:
                    relations = objects[o.id].relations
                    if (case_name, "case") not in relations:
                        relations.append((case_name, "case"))
    return OcelView(event_types, object_types, objects, log, times, case_type)


# -- JSON ---------------------------------------------------------------------------------


def ocel_json(log: EventLog) -> dict[str, Any]:
    """The log as an OCEL 2.0 JSON document."""
    view = ocel_view(log)
    kinds = view.event_types.kinds
    events = [
        {
            "id": event_id,
            "type": type_name,
            "time": time,
            "attributes": [
                {"name": k, "value": _plain(v, kinds[type_name].get(k, "string"))}
                for k, v in attrs.items()
                if v is not None
            ],
            "relationships": [{"objectId": o, "qualifier": q} for o, q in links],
        }
        for event_id, type_name, time, attrs, links in view.events()
    ]
    okinds = view.object_types.kinds
    objects = []
    for obj in view.objects.values():
        entry: dict[str, Any] = {
            "id": obj.id,
            "type": obj.type,
            "attributes": [
                {"name": k, "time": obj.time, "value": _plain(v, okinds[obj.type].get(k, "string"))}
                for k, v in obj.attrs.items()
                if v is not None
            ],
        }
        if obj.relations:
            entry["relationships"] = [{"objectId": o, "qualifier": q} for o, q in obj.relations]
        objects.append(entry)
    return {
        "objectTypes": view.object_types.declare(),
        "eventTypes": view.event_types.declare(),
        "objects": objects,
        "events": events,
    }


def write_ocel_json(log: EventLog, target: str | Path | IO[bytes]) -> None:
    data = json.dumps(ocel_json(log), ensure_ascii=False).encode("utf-8")
    if isinstance(target, str | Path):
        Path(target).write_bytes(data)
    else:
        target.write(data)


# -- SQLite -------------------------------------------------------------------------------


def _type_maps(names: list[str]) -> dict[str, str]:
    """Each type name's table suffix: its letters and digits, made unique."""
    maps: dict[str, str] = {}
    used: set[str] = set()
    for i, name in enumerate(names):
        base = "".join(w[:1].upper() + w[1:] for w in re.split(r"[^0-9A-Za-z]+", name) if w)
        suffix = base or f"Type{i + 1}"
        while suffix.lower() in used:
            suffix = f"{base or 'Type'}{i + 1}_{len(used)}"
        used.add(suffix.lower())
        maps[name] = suffix
    return maps


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def write_ocel_sqlite(log: EventLog, path: str | Path) -> None:
    """Write the log as an OCEL 2.0 SQLite database at `path` (a new file)."""
    view = ocel_view(log)
    target = Path(path)
    if target.exists():
        target.unlink()
    db = sqlite3.connect(target)
    try:
        _fill_sqlite(db, view)
        db.commit()
    finally:
        db.close()


def _fill_sqlite(db: sqlite3.Connection, view: OcelView) -> None:
    db.executescript(
        """
        CREATE TABLE event (ocel_id TEXT PRIMARY KEY, ocel_type TEXT);
        CREATE TABLE event_map_type (ocel_type TEXT PRIMARY KEY, ocel_type_map TEXT);
        CREATE TABLE object (ocel_id TEXT PRIMARY KEY, ocel_type TEXT);
        CREATE TABLE object_map_type (ocel_type TEXT PRIMARY KEY, ocel_type_map TEXT);
        CREATE TABLE event_object (ocel_event_id TEXT, ocel_object_id TEXT, ocel_qualifier TEXT,
            PRIMARY KEY (ocel_event_id, ocel_object_id, ocel_qualifier));
        CREATE TABLE object_object (ocel_source_id TEXT, ocel_target_id TEXT,
            ocel_qualifier TEXT, PRIMARY KEY (ocel_source_id, ocel_target_id, ocel_qualifier));
        """
    )
    event_maps = _type_maps(list(view.event_types.kinds))
    object_maps = _type_maps(list(view.object_types.kinds))
    db.executemany("INSERT INTO event_map_type VALUES (?, ?)", event_maps.items())
    db.executemany("INSERT INTO object_map_type VALUES (?, ?)", object_maps.items())
    for type_name, suffix in event_maps.items():
        attrs = view.event_types.kinds[type_name]
        columns = "".join(f", {_quote(k)} {_SQL_TYPE[t]}" for k, t in attrs.items())
        db.execute(f"CREATE TABLE {_quote('event_' + suffix)} "
                   f"(ocel_id TEXT PRIMARY KEY, ocel_time TIMESTAMP{columns})")  # fmt: skip
    for type_name, suffix in object_maps.items():
        attrs = view.object_types.kinds[type_name]
        columns = "".join(f", {_quote(k)} {_SQL_TYPE[t]}" for k, t in attrs.items())
        db.execute(
            f"CREATE TABLE {_quote('object_' + suffix)} (ocel_id TEXT, ocel_time TIMESTAMP, "
            f"ocel_changed_field TEXT{columns})"
        )
    event_rows: list[tuple[str, str]] = []
    links: list[tuple[str, str, str]] = []
    per_type: dict[str, list[tuple[Any, ...]]] = {t: [] for t in event_maps}
    for event_id, type_name, time, attrs, event_links in view.events():
        event_rows.append((event_id, type_name))
        kinds = view.event_types.kinds[type_name]
        per_type[type_name].append(
            (event_id, time, *(_sql_value(attrs.get(k), t) for k, t in kinds.items()))
        )
        links.extend((event_id, o, q) for o, q in event_links)
    db.executemany("INSERT INTO event VALUES (?, ?)", event_rows)
    db.executemany("INSERT OR IGNORE INTO event_object VALUES (?, ?, ?)", links)
    for type_name, rows in per_type.items():
        width = 2 + len(view.event_types.kinds[type_name])
        marks = ", ".join("?" * width)
        db.executemany(f"INSERT INTO {_quote('event_' + event_maps[type_name])} VALUES ({marks})",
                       rows)  # fmt: skip
    db.executemany(
        "INSERT INTO object VALUES (?, ?)", [(o.id, o.type) for o in view.objects.values()]
    )
    object_rows: dict[str, list[tuple[Any, ...]]] = {t: [] for t in object_maps}
    relations: list[tuple[str, str, str]] = []
    for obj in view.objects.values():
        kinds = view.object_types.kinds[obj.type]
        time = obj.time or "1970-01-01T00:00:00+00:00"
        object_rows[obj.type].append(
            (obj.id, time, None, *(_sql_value(obj.attrs.get(k), t) for k, t in kinds.items()))
        )
        relations.extend((obj.id, target, q) for target, q in obj.relations)
    for type_name, rows in object_rows.items():
        width = 3 + len(view.object_types.kinds[type_name])
        marks = ", ".join("?" * width)
        db.executemany(
            f"INSERT INTO {_quote('object_' + object_maps[type_name])} VALUES ({marks})", rows
        )
    db.executemany("INSERT OR IGNORE INTO object_object VALUES (?, ?, ?)", relations)


def _sql_value(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "boolean":
        return int(bool(value))
    return _plain(value, kind)


__all__ = ["from_micros", "ocel_json", "write_ocel_json", "write_ocel_sqlite"]
