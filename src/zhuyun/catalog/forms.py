"""The draft editor's HTML form: reading it into a draft or an update, writing a resource
back into it, and telling a data admin in Chinese what is wrong with it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from zhuyun.catalog.diff import FIELD_LABELS_ZH, ITEM_LABELS_ZH
from zhuyun.catalog.schemas import ResourceDraft, ResourcePublic, ResourceUpdate

MAX_ITEM_ROWS = 500
BLANK_ROWS = 3
_TEXT_FIELDS = (
    "name", "catalogue_code", "detail_code", "provider_code", "summary", "share_conditions",
    "legal_basis", "open_conditions",
)  # fmt: skip
_CHOICE_FIELDS = ("format", "share_type", "share_method", "open_type", "update_cycle")
_ITEM_FIELDS = ("field", "name", "data_type", "share_type", "sensitivity", "mask_kind")
_ERRORS_ZH = {
    "missing": "必须填写",
    "string_too_short": "必须填写",
    "string_too_long": "内容过长",
    "string_pattern_mismatch": "格式不正确",
    "enum": "取值无效",
    "literal_error": "取值无效",
    "int_parsing": "应为数字",
    "too_long": "数量过多",
}


def _text(form: FormData, key: str) -> str:
    value = form.get(key, "")
    return value.strip() if isinstance(value, str) else ""


def _items(form: FormData) -> list[dict[str, Any]]:
    items = []
    for index in range(MAX_ITEM_ROWS + BLANK_ROWS):
        prefix = f"items-{index}-"
        if prefix + "field" not in form:
            break
        if _text(form, prefix + "remove"):
            continue
        item: dict[str, str | None] = {
            key: _text(form, prefix + key) for key in (*_ITEM_FIELDS, "description")
        }
        if not item["field"] and not item["name"]:
            continue  # a blank row
        item["share_type"] = item["share_type"] or None
        item["mask_kind"] = item["mask_kind"] or None
        items.append(item)
    return items


def form_data(form: FormData) -> dict[str, Any]:
    """Everything the form says, keyed like `ResourceDraft`; fields a published resource
    shows read-only (its classification) are absent and stay as they are."""
    data: dict[str, Any] = {
        k: _text(form, k) for k in (*_TEXT_FIELDS, *_CHOICE_FIELDS) if k in form
    }
    if "classification" in form:
        class_code, _, item_code = _text(form, "classification").partition(".")
        data["class_code"], data["item_code"] = class_code, item_code
        data["catalogue_code"] = data.get("catalogue_code") or None
    else:
        for key in ("catalogue_code", "detail_code"):
            data.pop(key, None)
    if "provider_unit_id" in form:
        data["provider_unit_id"] = _text(form, "provider_unit_id")
    data["base_library"] = _text(form, "base_library") or None
    data["themes"] = [t for t in form.getlist("themes") if isinstance(t, str) and t]
    codes = re.split(r"[\s,，、;；]+", _text(form, "related_codes"))
    data["related_codes"] = [code for code in codes if code]
    data["items"] = _items(form)
    return data


def _location_label(location: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in location]
    if parts and parts[0] == "items" and len(parts) >= 3:
        return f"第 {int(parts[1]) + 1} 个信息项的{ITEM_LABELS_ZH.get(parts[2], '字段名')}"
    return FIELD_LABELS_ZH.get(parts[0], parts[0]) if parts else "表单"


def validation_messages(exc: ValidationError) -> list[str]:
    """Pydantic's complaints about a form, in Chinese."""
    return [
        f"{_location_label(error['loc'])}：{_ERRORS_ZH.get(error['type'], '填写有误')}"
        for error in exc.errors()[:20]
    ]


def problem_messages(errors: list[dict[str, Any]]) -> list[str]:
    """A Problem's per-field errors, in Chinese."""
    return [str(e.get("message_zh") or e.get("message", "")) for e in errors if e]


def parse_draft(form: FormData) -> ResourceDraft:
    return ResourceDraft.model_validate(form_data(form))


def parse_update(form: FormData) -> ResourceUpdate:
    data = form_data(form)
    data.pop("provider_unit_id", None)
    return ResourceUpdate.model_validate(data)


def editor_values(source: Mapping[str, Any] | ResourcePublic) -> dict[str, Any]:
    """What the editor's inputs show: a resource, or a submitted form, plus blank item rows."""
    values = dict(source.model_dump() if isinstance(source, ResourcePublic) else source)
    values["classification"] = (
        f"{values.get('class_code') or '3'}.{values.get('item_code') or '07'}"
    )
    values["related_codes"] = " ".join(values.get("related_codes") or [])
    share = values.get("share_type")
    items = [
        {**item, "share_type": None if item.get("share_type") == share else item["share_type"]}
        for item in values.get("items") or []
    ]
    values["items"] = items + [{} for _ in range(BLANK_ROWS)]
    return values
