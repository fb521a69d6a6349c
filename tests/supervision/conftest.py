"""The real WABO receipt log (see ../shared/data/eventlogs/README.md), read once."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from tests.helpers import shared_data
from zhuyun.supervision.eventlog import EventLog, read_xes

EVENTLOGS = shared_data("eventlogs")
WABO_XES = EVENTLOGS / "wabo_receipt.xes.gz"
WABO_CSV = EVENTLOGS / "wabo_receipt.csv"


@pytest.fixture(scope="session")
def wabo() -> EventLog:
    return read_xes(WABO_XES)


@pytest.fixture(scope="session")
def pm4py_module() -> Any:
    pm4py = pytest.importorskip("pm4py")
    warnings.filterwarnings("ignore", module="pm4py")
    return pm4py


@pytest.fixture(scope="session")
def wabo_frame(pm4py_module: Any) -> Any:
    return pm4py_module.read_xes(str(WABO_XES), show_progress_bar=False)
