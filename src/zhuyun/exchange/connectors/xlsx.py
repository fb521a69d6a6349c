"""XLSX workbooks, read in place with openpyxl in read-only mode: one table per sheet.

The first row (or `header_row`) names the columns; types are guessed from a sample of rows.
Rows stream from the sheet and are filtered as they pass (see `local`); DuckDB would need
its `excel` extension, which is not installed offline, so openpyxl it is.
"""

from __future__ import annotations

import itertools
import os
import threading
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.workbook.workbook import Workbook

from zhuyun.exchange.connectors.base import ColumnInfo, SourceConfig
from zhuyun.exchange.connectors.checks import CheckedSpec, check_options
from zhuyun.exchange.connectors.errors import SourceUnavailable, UnknownTable
from zhuyun.exchange.connectors.files import key_names
from zhuyun.exchange.connectors.local import LocalConnector, Row
from zhuyun.exchange.connectors.typing_local import infer_type, normaliser
from zhuyun.exchange.connectors.watchdog import Deadline

__all__ = ["XlsxConnector"]

_OPTIONS: dict[str, type | tuple[type, ...]] = {
    "sheet": str,
    "header_row": int,
    "key": (str, list, tuple),
    "sample_rows": int,
}


@dataclass(frozen=True)
class _Sheet:
    stamp: tuple[int, int]
    columns: list[ColumnInfo]
    normalisers: list[Callable[[Any], Any]]


def _header(cells: Sequence[Any]) -> list[str]:
    """Column names from the header cells: blanks get a position name, repeats a suffix."""
    names: list[str] = []
    for position, cell in enumerate(cells, 1):
        base = str(cell).strip() if cell is not None and str(cell).strip() else f"column_{position}"
        name, n = base, 2
        while name in names:
            name, n = f"{base}_{n}", n + 1
        names.append(name)
    return names


class XlsxConnector(LocalConnector):
    """An XLSX file; each query opens the workbook read-only and streams one sheet."""

    def __init__(self, config: SourceConfig) -> None:
        options = check_options(config.options, _OPTIONS, config.kind.value)
        self.config = config
        self._label = config.label
        self._path = Path(config.location).expanduser()
        self._sheet: str | None = options.get("sheet")
        self._header_row = max(1, int(options.get("header_row", 1)))
        self._sample = max(1, int(options.get("sample_rows", 1000)))
        self._keys = key_names(options)
        self._lock = threading.Lock()
        self._sheets: dict[str, _Sheet] = {}

    def __repr__(self) -> str:
        return f"<XlsxConnector {self._label}>"

    def _stamp(self) -> tuple[int, int]:
        try:
            stat = os.stat(self._path)
        except OSError:
            raise SourceUnavailable(self._label, "the file does not exist", "文件不存在") from None
        return (stat.st_mtime_ns, stat.st_size)

    @contextmanager
    def _workbook(self) -> Iterator[Workbook]:
        self._stamp()
        try:
            workbook = openpyxl.load_workbook(self._path, read_only=True, data_only=True)
        except (OSError, zipfile.BadZipFile, KeyError, ValueError):
            raise SourceUnavailable(
                self._label,
                "the file is not a readable XLSX workbook",
                "文件不是可读取的 XLSX 工作簿",
            ) from None
        try:
            yield workbook
        finally:
            workbook.close()

    def _names(self, workbook: Workbook) -> list[str]:
        names = list(workbook.sheetnames)
        if self._sheet is None:
            return names
        return [self._sheet] if self._sheet in names else []

    def tables(self) -> list[str]:
        with self._workbook() as workbook:
            return self._names(workbook)

    def _ping(self) -> str:
        with self._workbook() as workbook:
            return f"{len(self._names(workbook))} sheet(s)"

    def _sheet_rows(self, workbook: Workbook, table: str) -> Iterator[tuple[Any, ...]]:
        if table not in self._names(workbook):
            raise UnknownTable(self._label, str(table)[:80])
        sheet = workbook[table]
        return sheet.iter_rows(min_row=self._header_row, values_only=True)

    def _describe(self, table: str) -> tuple[list[ColumnInfo], list[Callable[[Any], Any]]]:
        stamp = self._stamp()
        with self._lock:
            cached = self._sheets.get(table)
        if cached is None or cached.stamp != stamp:
            with self._workbook() as workbook:
                rows = self._sheet_rows(workbook, table)
                names = _header(next(rows, ()))
                sample = [row for row in itertools.islice(rows, self._sample) if any(row)]
            columns, normalisers = [], []
            for position, name in enumerate(names):
                values = [row[position] if position < len(row) else None for row in sample]
                data_type, seen = infer_type(values)
                columns.append(
                    ColumnInfo(
                        name=name,
                        data_type=data_type,
                        native_type=f"xlsx:{seen}",
                        nullable=name not in self._keys,
                        is_key=name in self._keys,
                    )
                )
                normalisers.append(normaliser(data_type))
            cached = _Sheet(stamp, columns, normalisers)
            with self._lock:
                self._sheets[table] = cached
        return cached.columns, cached.normalisers

    @contextmanager
    def _read(
        self, checked: CheckedSpec, names: Sequence[str], deadline: Deadline
    ) -> Iterator[Iterator[Row]]:
        width = len(names)

        def rows(sheet_rows: Iterator[tuple[Any, ...]]) -> Iterator[Row]:
            next(sheet_rows, None)  # the header
            for row in sheet_rows:
                if any(value is not None for value in row):
                    yield (tuple(row) + (None,) * width)[:width]

        with self._workbook() as workbook:
            yield rows(self._sheet_rows(workbook, checked.table))

    def close(self) -> None:
        with self._lock:
            self._sheets.clear()
