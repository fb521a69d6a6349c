"""Open311 GeoReport v2: services from the categories, service requests from work orders,
and the api_keys that third-party apps post with.

Keys are governance's own (`o311_<prefix>_<secret>`, stored as HMAC-SHA256 under the
platform's secret key, shown once): governance may not import the open-data module, whose
developer keys work the same way. An order posted with a key is reported by the key's owner.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhuyun.core import api_keys
from zhuyun.core.db import utcnow
from zhuyun.core.errors import NotFound, Unprocessable
from zhuyun.core.ledger import Subject, record
from zhuyun.governance.models import Open311Key, WorkOrder
from zhuyun.governance.service.categories import BY_CODE, CATEGORIES, URGENCY_LABELS_ZH
from zhuyun.identity.permissions import Principal, Role

KEY_PREFIX = "o311"
MAX_KEYS = 20
OPEN = "open"
CLOSED = "closed"
_PHONE = re.compile(r"(?<!\d)(1\d{2})\d{4}(\d{4})(?!\d)")


def create_key(
    session: Session, secret_key: str, owner: Principal, name: str
) -> tuple[str, Open311Key]:
    name = name.strip()
    if not name:
        raise Unprocessable("A key needs a name.", "密钥须有名称（应用名称）。", code="invalid-key")
    active = session.scalars(
        select(Open311Key.id).where(
            Open311Key.account_id == owner.account_id, Open311Key.revoked_at.is_(None)
        )
    ).all()
    if len(active) >= MAX_KEYS:
        raise Unprocessable(
            f"At most {MAX_KEYS} active keys.",
            f"最多持有 {MAX_KEYS} 个有效密钥。",
            code="too-many-keys",
        )
    minted = api_keys.mint_key(KEY_PREFIX, secret_key)
    raw, prefix = minted.raw, minted.prefix
    key = Open311Key(
        account_id=owner.account_id,
        name=name[:100],
        prefix=prefix,
        key_hash=minted.digest,
        created_at=utcnow(),
    )
    session.add(key)
    session.flush()
    record(
        session,
        owner.as_actor(),
        "open311.key_created",
        Subject("open311_key", key.id),
        {"key_id": key.id, "owner_id": owner.account_id, "prefix": prefix, "name": key.name},
    )
    return raw, key


def list_keys(session: Session, owner: Principal) -> Sequence[Open311Key]:
    return session.scalars(
        select(Open311Key)
        .where(Open311Key.account_id == owner.account_id)
        .order_by(Open311Key.id.desc())
        .limit(100)
    ).all()


def revoke_key(session: Session, principal: Principal, key_id: int) -> Open311Key:
    key = session.get(Open311Key, key_id)
    if key is None or (
        key.account_id != principal.account_id and not principal.has_role(Role.PLATFORM_ADMIN)
    ):
        raise NotFound(
            f"Key {key_id} does not exist.", f"密钥 {key_id} 不存在。", code="key-not-found"
        )
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        record(
            session,
            principal.as_actor(),
            "open311.key_revoked",
            Subject("open311_key", key.id),
            {"key_id": key.id, "prefix": key.prefix},
        )
    return key


def resolve_key(session: Session, secret_key: str, raw: str) -> Open311Key | None:
    if not api_keys.looks_like_key(KEY_PREFIX, raw):
        return None
    digest = api_keys.key_digest(secret_key, raw)
    key = session.scalar(select(Open311Key).where(Open311Key.key_hash == digest))
    return key if key is not None and key.revoked_at is None else None


# --- GeoReport v2 shapes ------------------------------------------------------------------


def service_list() -> list[dict[str, Any]]:
    return [
        {
            "service_code": c.code,
            "service_name": c.name,
            "description": c.description,
            "metadata": True,
            "type": "realtime",
            "keywords": c.description.replace("、", ","),
            "group": "城市治理",
        }
        for c in CATEGORIES
    ]


def _urgency_attribute() -> dict[str, Any]:
    return {
        "variable": True,
        "code": "urgency",
        "datatype": "singlevaluelist",
        "required": False,
        "datatype_description": None,
        "order": 1,
        "description": "紧急程度 / urgency",
        "values": [{"key": k, "name": v} for k, v in URGENCY_LABELS_ZH.items()],
    }


SUPPLY = {"water": "供水", "power": "供电", "gas": "燃气"}


def service_definition(code: str) -> dict[str, Any]:
    if code not in BY_CODE:
        raise KeyError(code)
    attributes = [_urgency_attribute()]
    if code == "utilities":
        attributes.append(
            {
                "variable": True,
                "code": "supply",
                "datatype": "singlevaluelist",
                "required": True,
                "datatype_description": None,
                "order": 2,
                "description": "哪一类供应 / which supply",
                "values": [{"key": k, "name": v} for k, v in SUPPLY.items()],
            }
        )
    return {"service_code": code, "attributes": attributes}


def check_attributes(code: str, given: dict[str, str]) -> dict[str, str]:
    """The attributes of a POST checked against the definition: an error message or none."""
    definition = service_definition(code)
    known = {a["code"]: a for a in definition["attributes"]}
    checked: dict[str, str] = {}
    for name, value in given.items():
        attr = known.get(name)
        if attr is None:
            raise ValueError(f"attribute[{name}] is not an attribute of service {code}")
        keys = {v["key"] for v in attr["values"]}
        if value not in keys:
            raise ValueError(f"attribute[{name}] must be one of {', '.join(sorted(keys))}")
        checked[name] = value
    for attr in known.values():
        if attr["required"] and attr["code"] not in checked:
            raise ValueError(f"attribute[{attr['code']}] is required for service {code}")
    return checked


def _w3c(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds").replace("+00:00", "Z") if value else None


def status_of(order: WorkOrder) -> str:
    return CLOSED if order.status in ("closed", "evaluated", "rejected", "merged") else OPEN


def public_description(text: str) -> str:
    """The order's text as the public sees it: mobile numbers masked."""
    return _PHONE.sub(r"\1****\2", text)


def request_view(order: WorkOrder, unit_name: str | None, notes: str | None) -> dict[str, Any]:
    """A service request as GeoReport v2 shows it: nothing about the reporter."""
    category = BY_CODE.get(order.category)
    return {
        "service_request_id": order.number,
        "status": status_of(order),
        "status_notes": notes,
        "service_name": category.name if category else order.category,
        "service_code": order.category,
        "description": public_description(order.text),
        "agency_responsible": unit_name,
        "service_notice": None,
        "requested_datetime": _w3c(order.created_at),
        "updated_datetime": _w3c(order.updated_at),
        "expected_datetime": _w3c(order.due_at),
        "address": order.address,
        "address_id": None,
        "zipcode": None,
        "lat": order.lat,
        "long": order.lng,
        "media_url": None,
    }


def find_by_number(session: Session, number: str) -> WorkOrder | None:
    return session.scalar(select(WorkOrder).where(WorkOrder.number == number))


def find_by_token(session: Session, token: str) -> WorkOrder | None:
    return session.scalar(select(WorkOrder).where(WorkOrder.token == token))


def search(
    session: Session,
    numbers: list[str] | None,
    codes: list[str] | None,
    start: datetime | None,
    end: datetime | None,
    statuses: list[str] | None,
    limit: int,
) -> Sequence[WorkOrder]:
    query = select(WorkOrder)
    if numbers:
        query = query.where(WorkOrder.number.in_(numbers))
    else:
        if codes:
            query = query.where(WorkOrder.category.in_(codes))
        if start:
            query = query.where(WorkOrder.created_at >= start)
        if end:
            query = query.where(WorkOrder.created_at <= end)
        if statuses and set(statuses) != {OPEN, CLOSED}:
            finished = ("closed", "evaluated", "rejected", "merged")
            query = query.where(
                WorkOrder.status.in_(finished)
                if CLOSED in statuses
                else WorkOrder.status.not_in(finished)
            )
    return session.scalars(query.order_by(WorkOrder.id.desc()).limit(limit)).all()
