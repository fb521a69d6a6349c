"""The power list as a spreadsheet a unit fills in (XLSX, one sheet per part), read back with
every row checked: a workbook with any problem is refused as a whole, and each problem names
its sheet, row and column in Chinese and English."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from zhuyun.supervision.powers.spec import (
    ACTIVITY_PATTERN,
    CODE_PATTERN,
    LINK_KINDS,
    MAX_AMOUNT,
    MAX_STEP_DAYS,
    POWER_TYPES,
    RISK_KINDS,
    Benchmark,
    Issue,
    PowerDraft,
    RiskPoint,
    Step,
)

MAX_ROWS_PER_SHEET = 20_000
MAX_CELL_CHARS = 2000
YES, NO = "是", "否"
_LINK_LABELS = {label: kind for kind, label in LINK_KINDS.items()}


@dataclass(frozen=True)
class Column:
    title: str  # the header a unit sees
    key: str
    required: bool = True
    width: int = 16


POWERS = "权力事项"
STEPS = "办理流程"
DISCRETION = "裁量基准"
RISKS = "风险点"
LINKS = "关联事项"
SHEETS: dict[str, tuple[Column, ...]] = {
    POWERS: (
        Column("权力编码", "code"),
        Column("单位编码", "unit_code"),
        Column("权力名称", "name", width=30),
        Column("权力类型", "power_type", width=10),
        Column("法律依据", "legal_basis", width=50),
        Column("责任人", "responsible"),
        Column("法定时限（工作日）", "time_limit_days", required=False),
    ),
    STEPS: (
        Column("权力编码", "power"),
        Column("环节编码", "code"),
        Column("环节名称", "name"),
        Column("台账活动", "activity", width=28),
        Column("办理角色", "role"),
        Column("时限（工作日）", "days", required=False),
        Column("必经环节（是/否）", "mandatory", required=False),
    ),
    DISCRETION: (
        Column("权力编码", "power"),
        Column("违法条款", "article", width=24),
        Column("情形", "description", required=False, width=40),
        Column("罚款下限（元）", "min_amount"),
        Column("罚款上限（元）", "max_amount"),
    ),
    RISKS: (
        Column("权力编码", "power"),
        Column("类型", "kind"),
        Column("所在环节", "step", required=False),
        Column("风险描述", "description", width=40),
        Column("防控措施", "measure", required=False, width=40),
    ),
    LINKS: (
        Column("权力编码", "power"),
        Column("关联类型", "kind"),
        Column("编码", "code", width=24),
    ),
}
_SHEET_EN = {
    POWERS: "powers",
    STEPS: "steps",
    DISCRETION: "discretion",
    RISKS: "risk points",
    LINKS: "links",
}
_GUIDE = (
    ("填表说明", "How to fill in"),
    (
        "每个工作表第一行是表头，请勿修改；从第二行起每行一条。",
        "Row 1 of each sheet is the header; keep it. One entry per row from row 2.",
    ),
    ("权力类型：" + "、".join(POWER_TYPES), "Power type: one of the ten listed."),
    (
        "办理流程按行的先后为规范顺序；台账活动是记录该环节的台账活动名（如 power.decide）。",
        "Steps are in their normative order; the activity is the ledger activity of the step.",
    ),
    ("风险点类型：" + "、".join(RISK_KINDS), "Risk kind: rent-seeking point or public concern."),
    (
        "关联类型：" + "、".join(LINK_KINDS.values()),
        "Link kind: a service item code or a work-order category.",
    ),
    ("导入时逐行校验，任何一处错误整份不导入。", "Any problem refuses the whole workbook."),
)


class WorkbookRefused(Exception):
    def __init__(self, issues: list[Issue]) -> None:
        super().__init__(f"{len(issues)} problems")
        self.issues = issues


# --- writing -------------------------------------------------------------------------------


def write_workbook(drafts: Iterable[PowerDraft]) -> bytes:
    """The power list as a workbook in the shape `read_workbook` reads (an empty one is the
    template a unit starts from)."""
    book = Workbook()
    guide = book.active
    assert guide is not None
    guide.title = "填表说明"
    for zh, en in _GUIDE:
        guide.append([zh, en])
    guide.column_dimensions["A"].width = 70
    guide.column_dimensions["B"].width = 70
    sheets = {name: _sheet(book, name, columns) for name, columns in SHEETS.items()}
    for d in drafts:
        sheets[POWERS].append(
            [
                d.code,
                d.unit_code,
                d.name,
                d.power_type,
                d.legal_basis,
                d.responsible,
                d.time_limit_days,
            ]
        )
        for s in d.steps:
            sheets[STEPS].append(
                [d.code, s.code, s.name, s.activity, s.role, s.days, YES if s.mandatory else NO]
            )
        for b in d.discretion:
            sheets[DISCRETION].append(
                [d.code, b.article, b.description, b.min_amount, b.max_amount]
            )
        for r in d.risks:
            sheets[RISKS].append([d.code, r.kind, r.step, r.description, r.measure])
        for kind, code in d.links:
            sheets[LINKS].append([d.code, LINK_KINDS[kind], code])
    _choices(sheets[POWERS], "D", POWER_TYPES)
    _choices(sheets[STEPS], "G", (YES, NO))
    _choices(sheets[RISKS], "B", RISK_KINDS)
    _choices(sheets[LINKS], "B", LINK_KINDS.values())
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sheet(book: Workbook, name: str, columns: tuple[Column, ...]) -> Worksheet:
    sheet = book.create_sheet(name)
    sheet.append([c.title for c in columns])
    fill = PatternFill("solid", fgColor="DDEBF7")
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True, color="C00000" if column.required else "000000")
        cell.fill = fill
        sheet.column_dimensions[cell.column_letter].width = column.width
    sheet.freeze_panes = "A2"
    return sheet


def _choices(sheet: Worksheet, letter: str, values: Iterable[str]) -> None:
    rule = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True)
    rule.add(f"{letter}2:{letter}{MAX_ROWS_PER_SHEET}")
    sheet.add_data_validation(rule)


# --- reading -------------------------------------------------------------------------------


class _Reader:
    """Collects every problem of a workbook instead of stopping at the first."""

    def __init__(self) -> None:
        self.issues: list[Issue] = []
        self.listed: set[str] = set()  # codes on the powers sheet, even on rows with problems

    def problem(self, sheet: str, row: int | None, column: str | None, en: str, zh: str) -> None:
        where = f"{sheet}!{column or ''}{row or ''}"
        place_en = (
            f"sheet {_SHEET_EN.get(sheet, sheet)}"
            + (f", row {row}" if row else "")
            + (f", column {column!r}" if column else "")
        )
        place_zh = (
            f"工作表“{sheet}”"
            + (f"第 {row} 行" if row else "")
            + (f"“{column}”列" if column else "")
        )
        self.issues.append(
            Issue(where, f"{place_en}: {en}", f"{place_zh}：{zh}", sheet, row, column)
        )

    def rows(self, book: Any, name: str) -> Iterator[tuple[int, dict[str, Any]]]:
        columns = SHEETS[name]
        if name not in book.sheetnames:
            if name == POWERS:
                self.problem(name, None, None, "the sheet is missing", "缺少该工作表")
            return
        sheet = book[name]
        header: list[str] = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number == 1:
                header = [str(v).strip() if v is not None else "" for v in values]
                missing = [c.title for c in columns if c.title not in header]
                for title in missing:
                    self.problem(name, 1, title, "the column is missing", "缺少该列")
                if missing:
                    return
                continue
            if number > MAX_ROWS_PER_SHEET + 1:
                self.problem(
                    name,
                    number,
                    None,
                    f"more than {MAX_ROWS_PER_SHEET} rows",
                    f"超过 {MAX_ROWS_PER_SHEET} 行",
                )
                return
            cells = dict(zip(header, values, strict=False))
            if all(v is None or str(v).strip() == "" for v in cells.values()):
                continue
            row: dict[str, Any] = {}
            for column in columns:
                row[column.key] = self.cell(name, number, column, cells.get(column.title))
            yield number, row

    def cell(self, sheet: str, row: int, column: Column, value: Any) -> str | None:
        text = "" if value is None else str(value).strip()
        if isinstance(value, float) and value.is_integer():
            text = str(int(value))
        if not text:
            if column.required:
                self.problem(sheet, row, column.title, "a value is required", "不能为空")
            return None
        if len(text) > MAX_CELL_CHARS:
            self.problem(
                sheet,
                row,
                column.title,
                f"longer than {MAX_CELL_CHARS} characters",
                f"超过 {MAX_CELL_CHARS} 个字符",
            )
            return None
        return text

    def number(
        self,
        sheet: str,
        row: int,
        title: str,
        text: str | None,
        *,
        whole: bool,
        low: float,
        high: float,
    ) -> float | None:
        if text is None:
            return None
        try:
            value = float(text)
        except ValueError:
            self.problem(sheet, row, title, f"{text!r} is not a number", f"“{text}”不是数字")
            return None
        if (whole and not value.is_integer()) or not low <= value <= high:
            kind_en, kind_zh = ("a whole number", "整数") if whole else ("a number", "数")
            self.problem(
                sheet,
                row,
                title,
                f"must be {kind_en} from {low:g} to {high:g}",
                f"须为 {low:g} 至 {high:g} 之间的{kind_zh}",
            )
            return None
        return value

    def pick(
        self, sheet: str, row: int, title: str, text: str | None, allowed: Iterable[str]
    ) -> str | None:
        options = list(allowed)
        if text is not None and text not in options:
            self.problem(
                sheet,
                row,
                title,
                f"{text!r} is not one of: " + ", ".join(options),
                f"“{text}”无效，应为：" + "、".join(options),
            )
            return None
        return text

    def code(self, sheet: str, row: int, title: str, text: str | None) -> str | None:
        if text is not None and not CODE_PATTERN.match(text):
            self.problem(
                sheet,
                row,
                title,
                "a code is 1–64 letters, digits, '.', '_' or '-'",
                "编码须为 1–64 位字母、数字或 . _ -",
            )
            return None
        return text


def read_workbook(data: bytes, known_units: Callable[[str], bool]) -> list[PowerDraft]:
    """The powers of a workbook, or WorkbookRefused with every problem found."""
    reader = _Reader()
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # untrusted bytes: whatever openpyxl trips on, it is not a workbook
        reader.problem(
            "-",
            None,
            None,
            f"not an XLSX workbook ({type(error).__name__})",
            "不是有效的 XLSX 工作簿",
        )
        raise WorkbookRefused(reader.issues) from None
    try:
        drafts = _read_powers(reader, book, known_units)
        _read_parts(reader, book, drafts)
    except WorkbookRefused:
        raise
    except Exception as error:  # a sheet whose XML openpyxl cannot read
        reader.problem(
            "-",
            None,
            None,
            f"the workbook cannot be read ({type(error).__name__})",
            "工作簿内容无法读取",
        )
        raise WorkbookRefused(reader.issues) from None
    finally:
        book.close()
    if reader.issues:
        raise WorkbookRefused(reader.issues)
    if not drafts:
        reader.problem(POWERS, None, None, "the workbook lists no power", "工作簿中没有权力事项")
        raise WorkbookRefused(reader.issues)
    return list(drafts.values())


def _read_powers(
    reader: _Reader, book: Any, known_units: Callable[[str], bool]
) -> dict[str, PowerDraft]:
    drafts: dict[str, PowerDraft] = {}
    titles = {c.key: c.title for c in SHEETS[POWERS]}
    for number, row in reader.rows(book, POWERS):
        code = reader.code(POWERS, number, titles["code"], row["code"])
        if code is not None:
            reader.listed.add(code)
        unit = row["unit_code"]
        if unit is not None and not known_units(unit):
            reader.problem(
                POWERS,
                number,
                titles["unit_code"],
                f"no unit has the code {unit!r}",
                f"没有编码为“{unit}”的单位",
            )
            unit = None
        power_type = reader.pick(
            POWERS, number, titles["power_type"], row["power_type"], POWER_TYPES
        )
        limit = reader.number(
            POWERS,
            number,
            titles["time_limit_days"],
            row["time_limit_days"],
            whole=True,
            low=1,
            high=MAX_STEP_DAYS,
        )
        if code is not None and code in drafts:
            reader.problem(
                POWERS,
                number,
                titles["code"],
                f"the power {code!r} is listed twice",
                f"权力编码“{code}”重复",
            )
            continue
        if None in (code, unit, power_type, row["name"], row["legal_basis"], row["responsible"]):
            continue
        drafts[str(code)] = PowerDraft(
            code=str(code),
            unit_code=str(unit),
            name=row["name"],
            power_type=str(power_type),
            legal_basis=row["legal_basis"],
            responsible=row["responsible"],
            time_limit_days=int(limit) if limit is not None else None,
        )
    return drafts


def _owner(
    reader: _Reader, sheet: str, number: int, row: dict[str, Any], drafts: dict[str, PowerDraft]
) -> PowerDraft | None:
    power = row["power"]
    if power is not None and power not in reader.listed:
        reader.problem(
            sheet,
            number,
            "权力编码",
            f"the power {power!r} is not on the sheet {_SHEET_EN[POWERS]}",
            f"权力编码“{power}”不在“{POWERS}”表中",
        )
        return None
    return drafts.get(power) if power is not None else None  # None: its row has problems


def _read_parts(reader: _Reader, book: Any, drafts: dict[str, PowerDraft]) -> None:
    t = {name: {c.key: c.title for c in cols} for name, cols in SHEETS.items()}
    for number, row in reader.rows(book, STEPS):
        owner = _owner(reader, STEPS, number, row, drafts)
        code = reader.code(STEPS, number, t[STEPS]["code"], row["code"])
        activity = row["activity"]
        if activity is not None and not ACTIVITY_PATTERN.match(activity):
            reader.problem(
                STEPS,
                number,
                t[STEPS]["activity"],
                "an activity is dotted lower-case words, e.g. power.decide",
                "台账活动须为以点分隔的小写英文，如 power.decide",
            )
            activity = None
        days = reader.number(
            STEPS, number, t[STEPS]["days"], row["days"], whole=True, low=0, high=MAX_STEP_DAYS
        )
        mandatory = reader.pick(STEPS, number, t[STEPS]["mandatory"], row["mandatory"], (YES, NO))
        if owner and code and activity and row["name"] and row["role"]:
            limit = int(days) if days is not None else None
            owner.steps.append(
                Step(code, row["name"], activity, row["role"], limit, mandatory != NO)
            )
    for number, row in reader.rows(book, DISCRETION):
        owner = _owner(reader, DISCRETION, number, row, drafts)
        low = reader.number(
            DISCRETION,
            number,
            t[DISCRETION]["min_amount"],
            row["min_amount"],
            whole=False,
            low=0,
            high=MAX_AMOUNT,
        )
        high = reader.number(
            DISCRETION,
            number,
            t[DISCRETION]["max_amount"],
            row["max_amount"],
            whole=False,
            low=0,
            high=MAX_AMOUNT,
        )
        if low is not None and high is not None and low > high:
            title = t[DISCRETION]["min_amount"]
            reader.problem(
                DISCRETION, number, title, "the lowest is above the highest", "罚款下限高于上限"
            )
            continue
        if owner and row["article"] and low is not None and high is not None:
            bench = Benchmark(row["article"], row["description"] or "", low, high)
            owner.discretion.append(bench)
    for number, row in reader.rows(book, RISKS):
        owner = _owner(reader, RISKS, number, row, drafts)
        kind = reader.pick(RISKS, number, t[RISKS]["kind"], row["kind"], RISK_KINDS)
        if owner and kind and row["description"]:
            owner.risks.append(
                RiskPoint(kind, row["step"] or "", row["description"], row["measure"] or "")
            )
    for number, row in reader.rows(book, LINKS):
        owner = _owner(reader, LINKS, number, row, drafts)
        label = reader.pick(LINKS, number, t[LINKS]["kind"], row["kind"], _LINK_LABELS)
        if owner and label and row["code"]:
            owner.links.append((_LINK_LABELS[label], row["code"]))
