"""Event logs in and out: XES round trips, CSV mapping, and strict refusal of bad input."""

from __future__ import annotations

import gzip
import io
from typing import Any

import numpy as np
import pytest

from tests.supervision.conftest import WABO_CSV, WABO_XES
from zhuyun.supervision.eventlog import (
    CsvColumns,
    EventLog,
    EventLogError,
    read_csv,
    read_xes,
    write_xes,
)
from zhuyun.supervision.eventlog.xes import xes_text


def _as_dict(log: EventLog) -> dict[str, list[tuple[str, int, str | None]]]:
    out = {}
    for case, name in enumerate(log.case_names):
        start, end = int(log.case_starts[case]), int(log.case_starts[case + 1])
        out[name] = [
            (log.activity_names[log.activities[i]], int(log.timestamps[i]),
             log.resource_names[log.resources[i]] if log.resources[i] >= 0 else None)
            for i in range(start, end)
        ]  # fmt: skip
    return out


def test_the_wabo_log_reads_with_the_figures_its_readme_gives(wabo: EventLog) -> None:
    assert (wabo.n_cases, wabo.n_events) == (1434, 8577)
    assert len(wabo.activity_names) == 27
    assert len(wabo.resource_names) == 48
    assert wabo.case_attrs is not None and wabo.case_attrs[0]["channel"] == "Internet"


def test_the_wabo_log_survives_an_xes_round_trip(wabo: EventLog, tmp_path: Any) -> None:
    target = tmp_path / "wabo.xes.gz"
    write_xes(wabo, target, compress=True)
    again = read_xes(target)
    assert _as_dict(again) == _as_dict(wabo)
    assert again.case_names == wabo.case_names
    assert again.case_attrs == wabo.case_attrs
    assert again.event_attrs == wabo.event_attrs
    assert np.array_equal(again.timestamps, wabo.timestamps)


def test_pm4py_reads_our_xes_as_the_same_log(
    wabo: EventLog, pm4py_module: Any, tmp_path: Any
) -> None:
    target = tmp_path / "wabo.xes"
    write_xes(wabo, target)
    frame = pm4py_module.read_xes(str(target), show_progress_bar=False)
    assert len(frame) == wabo.n_events
    assert frame["case:concept:name"].nunique() == wabo.n_cases
    first = frame[frame["case:concept:name"] == "case-10011"]
    assert first["concept:name"].tolist() == wabo.trace(wabo.case_names.index("case-10011"))


def test_the_csv_copy_of_wabo_reads_as_the_same_log_as_the_xes(wabo: EventLog) -> None:
    flat = read_csv(WABO_CSV)
    assert _as_dict(flat) == _as_dict(wabo)


def test_csv_columns_can_be_mapped() -> None:
    data = (
        "id;step;when;who\n"
        "A;受理;2025-01-02T09:00:00+08:00;张三\nA;办结;2025-01-03 10:00:00+08:00;\n"
    )
    log = read_csv(data.encode(), CsvColumns("id", "step", "when", "who"), delimiter=";")
    assert log.trace(0) == ["受理", "办结"]
    assert log.resource_names == ["张三"]
    assert int(log.resources[1]) == -1


def test_events_of_a_case_are_ordered_by_time() -> None:
    data = ("case:concept:name,concept:name,time:timestamp\n"
            "c,second,2025-01-02T00:00:00Z\nc,first,2025-01-01T00:00:00Z\n")  # fmt: skip
    assert read_csv(data.encode()).trace(0) == ["first", "second"]


XES_HEAD = '<?xml version="1.0"?>\n<log xmlns="http://www.xes-standard.org/">\n'


def _xes(body: str) -> bytes:
    return (XES_HEAD + body + "</log>\n").encode()


GOOD_EVENT = (
    '<event><string key="concept:name" value="a"/>'
    '<date key="time:timestamp" value="2025-01-01T00:00:00+08:00"/></event>'
)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (f"<trace>\n{GOOD_EVENT}\n</trace>\n",
         "line 5, the trace starting at line 3: the trace has no concept:name"),
        ('<trace><string key="concept:name" value="c1"/>\n'
         '<event><string key="concept:name" value="a"/>\n'
         '<date key="time:timestamp" value="2025-13-01T00:00:00"/></event></trace>\n',
         "line 5, trace 'c1' (starting at line 3): "
         "attribute 'time:timestamp' = '2025-13-01T00:00:00' is not a valid date"),
        ('<trace><string key="concept:name" value="c1"/>\n'
         '<event><string key="concept:name" value="a"/></event></trace>\n',
         "has no time:timestamp"),
        ('<trace><string key="concept:name" value="c1"/>\n'
         '<event><date key="time:timestamp" value="2025-01-01T00:00:00Z"/></event></trace>\n',
         "has no concept:name (activity)"),
        (f'<trace><string key="concept:name" value="c1"/>{GOOD_EVENT}</trace>\n'
         f'<trace><string key="concept:name" value="c1"/>{GOOD_EVENT}</trace>\n',
         "case id 'c1' was already used by the trace at line 3"),
        ('<trace><string key="concept:name" value="c1"/>\n<event>\n', "not well-formed"),
        ('<trace><int key="n" value="x"/></trace>', "'n' = 'x' is not a valid int"),
    ],
    ids=["missing-case-id", "wrong-date", "missing-time", "missing-activity", "duplicate-case",
         "truncated", "bad-int"],
)  # fmt: skip
def test_malformed_xes_is_refused_naming_the_line_and_trace(body: str, expected: str) -> None:
    with pytest.raises(EventLogError) as refused:
        read_xes(_xes(body))
    assert expected in refused.value.message_en
    assert refused.value.message_zh


def test_xes_with_entity_declarations_is_refused() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE log [<!ENTITY a "aaaa">]><log>&a;</log>'
    with pytest.raises(EventLogError, match="DTD"):
        read_xes(bomb)


def test_an_xes_file_over_the_size_limit_is_refused() -> None:
    body = f'<trace><string key="concept:name" value="c1"/>{GOOD_EVENT * 50}</trace>'
    packed = gzip.compress(_xes(body))
    with pytest.raises(EventLogError, match="larger than the limit"):
        read_xes(io.BytesIO(packed), max_bytes=1000)


@pytest.mark.parametrize(
    ("csv_text", "expected"),
    [
        ("case:concept:name,concept:name,time:timestamp\n,a,2025-01-01T00:00:00Z\n",
         "CSV line 2: the case id (case:concept:name) is empty"),
        ("case:concept:name,concept:name,time:timestamp\nc,a,yesterday\n",
         "CSV line 2: time:timestamp = 'yesterday' is not a date and time"),
        ("case,concept:name,time:timestamp\nc,a,2025-01-01T00:00:00Z\n",
         "the header has no column 'case:concept:name'"),
        ("case:concept:name,concept:name,time:timestamp\nc,a\n", "CSV line 2: 2 fields"),
    ],
    ids=["missing-case-id", "wrong-date", "missing-column", "short-row"],
)  # fmt: skip
def test_malformed_csv_is_refused_naming_the_line(csv_text: str, expected: str) -> None:
    with pytest.raises(EventLogError) as refused:
        read_csv(csv_text.encode())
    assert expected in refused.value.message_en


def test_a_written_xes_declares_the_standard_extensions(wabo: EventLog) -> None:
    head = xes_text(wabo)[:2000]
    for prefix in ("concept", "time", "org", "lifecycle"):
        assert f'prefix="{prefix}"' in head
    assert WABO_XES.exists()
