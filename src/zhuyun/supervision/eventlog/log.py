"""The in-memory event log: columns, not objects.

A log holds its events grouped by case, each case's events in time order (ties keep the
order they were read in). Activities, resources and cases are small integer codes into
name lists, timestamps are int64 microseconds since the Unix epoch (UTC): discovery and
replay work on numpy arrays, never on one Python object per event.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

IntArray = npt.NDArray[np.int64]
CodeArray = npt.NDArray[np.int32]


class EventLogError(ValueError):
    """A log that cannot be read as it is: says where and what, in English and Chinese."""

    def __init__(self, message_en: str, message_zh: str) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_zh = message_zh


def to_micros(moment: datetime) -> int:
    """A moment as microseconds since the epoch; a naive time is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - EPOCH) // _MICROSECOND


def from_micros(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=int(micros))


@dataclass(frozen=True)
class EventObject:
    """An object an event concerns (OCEL 2.0): its id, type and the qualifier of the link."""

    id: str
    type: str
    qualifier: str


@dataclass
class EventLog:
    """Events grouped by case (`case_starts[i]:case_starts[i+1]` are case i's events)."""

    case_names: list[str]
    case_starts: IntArray
    activities: CodeArray
    activity_names: list[str]
    timestamps: IntArray
    resources: CodeArray  # -1: no resource
    resource_names: list[str]
    event_attrs: list[dict[str, Any]] | None = None
    case_attrs: list[dict[str, Any]] | None = None
    event_objects: list[tuple[EventObject, ...]] | None = None
    name: str = ""
    attrs: dict[str, Any] = field(default_factory=dict)

    @property
    def n_cases(self) -> int:
        return len(self.case_names)

    @property
    def n_events(self) -> int:
        return len(self.activities)

    def case_of_events(self) -> CodeArray:
        """The case index of every event."""
        lengths = np.diff(self.case_starts)
        return np.repeat(np.arange(self.n_cases, dtype=np.int32), lengths)

    def trace(self, case: int) -> list[str]:
        """Case `case`'s activities in order."""
        start, end = int(self.case_starts[case]), int(self.case_starts[case + 1])
        names = self.activity_names
        return [names[a] for a in self.activities[start:end].tolist()]

    def traces(self) -> Iterator[tuple[str, list[str]]]:
        for case in range(self.n_cases):
            yield self.case_names[case], self.trace(case)

    @classmethod
    def from_columns(
        cls,
        case_codes: Sequence[int] | CodeArray,
        case_names: list[str],
        activity_codes: Sequence[int] | CodeArray,
        activity_names: list[str],
        timestamps: Sequence[int] | IntArray,
        resource_codes: Sequence[int] | CodeArray,
        resource_names: list[str],
        *,
        event_attrs: list[dict[str, Any]] | None = None,
        case_attrs: list[dict[str, Any]] | None = None,
        event_objects: list[tuple[EventObject, ...]] | None = None,
        name: str = "",
        attrs: dict[str, Any] | None = None,
    ) -> EventLog:
        """A log from flat event columns in any order: cases keep the order of their codes
        (code 0 first), each case's events are sorted by time, ties in their given order."""
        cases = np.asarray(case_codes, dtype=np.int32)
        times = np.asarray(timestamps, dtype=np.int64)
        order = np.lexsort((np.arange(len(cases)), times, cases))
        counts = (
            np.bincount(cases, minlength=len(case_names))
            if len(cases)
            else np.zeros(len(case_names), dtype=np.int64)
        )
        starts = np.zeros(len(case_names) + 1, dtype=np.int64)
        np.cumsum(counts, out=starts[1:])
        take = order.tolist() if (event_attrs or event_objects) else []
        return cls(
            case_names=case_names,
            case_starts=starts,
            activities=np.asarray(activity_codes, dtype=np.int32)[order],
            activity_names=activity_names,
            timestamps=times[order],
            resources=np.asarray(resource_codes, dtype=np.int32)[order],
            resource_names=resource_names,
            event_attrs=[event_attrs[i] for i in take] if event_attrs else None,
            case_attrs=case_attrs,
            event_objects=[event_objects[i] for i in take] if event_objects else None,
            name=name,
            attrs=dict(attrs or {}),
        )


class Codes:
    """Names to dense integer codes, in first-seen order."""

    __slots__ = ("index", "names")

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.names: list[str] = []

    def code(self, name: str) -> int:
        found = self.index.get(name)
        if found is None:
            found = self.index[name] = len(self.names)
            self.names.append(name)
        return found

    def __len__(self) -> int:
        return len(self.names)


class LogBuilder:
    """Collects events one by one (readers use it), then builds the columnar log."""

    def __init__(self, *, keep_attrs: bool = True) -> None:
        self.cases = Codes()
        self.activities = Codes()
        self.resources = Codes()
        self.case_codes: list[int] = []
        self.activity_codes: list[int] = []
        self.timestamps: list[int] = []
        self.resource_codes: list[int] = []
        self.keep_attrs = keep_attrs
        self.event_attrs: list[dict[str, Any]] = []
        self.case_attrs: dict[int, dict[str, Any]] = {}

    def add_event(
        self,
        case: int,
        activity: str,
        micros: int,
        resource: str | None,
        attrs: dict[str, Any] | None = None,
    ) -> None:
        self.case_codes.append(case)
        self.activity_codes.append(self.activities.code(activity))
        self.timestamps.append(micros)
        self.resource_codes.append(-1 if resource is None else self.resources.code(resource))
        if self.keep_attrs:
            self.event_attrs.append(attrs or {})

    def build(self, name: str = "", attrs: dict[str, Any] | None = None) -> EventLog:
        case_attrs = None
        if self.keep_attrs and self.case_attrs:
            case_attrs = [self.case_attrs.get(i, {}) for i in range(len(self.cases))]
        has_event_attrs = self.keep_attrs and any(self.event_attrs)
        return EventLog.from_columns(
            self.case_codes,
            self.cases.names,
            self.activity_codes,
            self.activities.names,
            self.timestamps,
            self.resource_codes,
            self.resources.names,
            event_attrs=self.event_attrs if has_event_attrs else None,
            case_attrs=case_attrs,
            name=name,
            attrs=attrs,
        )
