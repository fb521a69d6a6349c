"""Event logs: the columnar log, XES and CSV readers, XES and OCEL 2.0 writers, and the
ledger read as an event log (the power-operation log)."""

from zhuyun.supervision.eventlog.csvlog import CsvColumns, read_csv
from zhuyun.supervision.eventlog.ledger_log import LedgerSlice, from_ledger
from zhuyun.supervision.eventlog.log import EventLog, EventLogError, EventObject, LogBuilder
from zhuyun.supervision.eventlog.ocel import ocel_json, write_ocel_json, write_ocel_sqlite
from zhuyun.supervision.eventlog.xes import read_xes, write_xes

__all__ = [
    "CsvColumns",
    "EventLog",
    "EventLogError",
    "EventObject",
    "LedgerSlice",
    "LogBuilder",
    "from_ledger",
    "ocel_json",
    "read_csv",
    "read_xes",
    "write_ocel_json",
    "write_ocel_sqlite",
    "write_xes",
]
