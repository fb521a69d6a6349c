"""The developers' corner of the open-data portal: how to call the API (curl, Python's
`ckanapi`, JavaScript), examples built from a real dataset of the catalog with a link that
opens each answer live, the OpenAPI document, the rate limits; and, signed in, one's own
developer keys (create — shown once —, list, revoke)."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response

from zhuyun.core.errors import Problem
from zhuyun.core.settings import Settings
from zhuyun.identity.deps import Caller, MaybeCaller, SessionDep, SettingsDep
from zhuyun.identity.permissions import Principal
from zhuyun.opendata import keys, service
from zhuyun.web.rendering import local_time, pager, redirect, render

router = APIRouter(include_in_schema=False)

PAGE = "/opendata/developer"
KEY_ROWS = 50
IdPath = Annotated[int, PathParam(ge=1, le=2_147_483_647)]
FLASHES = {"key-revoked": {"kind": "success", "text": "密钥已吊销，使用它的程序将立即无法调用。"}}


@dataclass(frozen=True)
class Example:
    """One call of the Action API, written three ways, with its live answer's address."""

    title: str
    note: str
    action: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def path(self) -> str:
        query = "?" + urlencode(self.params) if self.params else ""
        return f"/api/3/action/{self.action}{query}"

    def curl(self, base: str) -> str:
        lines = [f"curl -s --get {shlex.quote(f'{base}/api/3/action/{self.action}')}"]
        lines += [f"  --data-urlencode {shlex.quote(f'{k}={v}')}" for k, v in self.params.items()]
        return " \\\n".join(lines)

    def python(self, base: str) -> str:
        def literal(value: str) -> str:
            return value if value.isdigit() else repr(value)

        named = [f"{k}={literal(v)}" for k, v in self.params.items() if k.isidentifier()]
        dotted = {k: v for k, v in self.params.items() if not k.isidentifier()}  # facet.field
        if dotted:
            pairs = ", ".join(f"{k!r}: {literal(v)}" for k, v in dotted.items())
            named.append(f"**{{{pairs}}}")
        args = ", ".join(named)
        return (
            "from ckanapi import RemoteCKAN\n\n"
            f'portal = RemoteCKAN("{base}", user_agent="my-app/1.0")\n'
            f"result = portal.action.{self.action}({args})"
        )

    def javascript(self, base: str) -> str:
        url = f"{base}/api/3/action/{self.action}"
        if not self.params:
            fetch = f'const response = await fetch("{url}");'
        else:
            params = json.dumps(self.params, ensure_ascii=False)
            fetch = (
                f"const params = new URLSearchParams({params});\n"
                f"const response = await fetch(`{url}?${{params}}`);"
            )
        return fetch + "\nconst { success, result } = await response.json();"


def _sample(session: SessionDep, base: str) -> dict[str, Any] | None:
    """A real open dataset to build the examples from (a business licence one if there is)."""
    for q in ("营业执照", ""):
        found = service.package_search(session, service.SearchQuery(q=q, rows=1), base)
        if found["results"]:
            sample: dict[str, Any] = found["results"][0]
            return sample
    return None


def examples(sample: dict[str, Any] | None) -> list[Example]:
    name = sample["name"] if sample else "zy-105001-000001"
    word = sample["tags"][0]["name"] if sample and sample["tags"] else "营业执照"
    organization = sample["organization"]["name"] if sample else ""
    found = [
        Example("检索数据集", f"按关键词“{word}”检索，返回前 5 条。", "package_search",
                {"q": word, "rows": "5"}),
        Example("查看数据集", f"数据集 {name} 的完整元数据与数据项。", "package_show",
                {"id": name}),
        Example("数据集清单", "全部开放数据集的名称（分页：limit、offset）。", "package_list",
                {"limit": "20"}),
    ]  # fmt: skip
    if organization:
        found.append(
            Example("按部门筛选", "某部门开放的数据集（fq 过滤与分面统计）。", "package_search",
                    {"fq": f"organization:{organization}", "facet.field": '["tags"]', "rows": "5"})
        )  # fmt: skip
    found.append(Example("平台状态", "接口版本与站点信息。", "status_show"))
    return found


def key_usage(base: str) -> dict[str, str]:
    """How to send a developer key, three ways."""
    url = f"{base}/api/3/action/package_search"
    return {
        "curl": f'curl -s {shlex.quote(url + "?rows=5")} \\\n  -H "X-CKAN-API-Key: $ZHUYUN_KEY"',
        "python": (
            "import os\nfrom ckanapi import RemoteCKAN\n\n"
            f'portal = RemoteCKAN("{base}", apikey=os.environ["ZHUYUN_KEY"])\n'
            "result = portal.action.package_search(rows=5)"
        ),
        "javascript": (
            f'const response = await fetch("{url}?rows=5", {{\n'
            '  headers: { "X-CKAN-API-Key": key },\n'
            "});"
        ),
    }


def _key_rows(session: SessionDep, principal: Principal, offset: int) -> tuple[list[Any], int]:
    rows, total = keys.list_keys(session, principal.account_id, offset, KEY_ROWS)
    return [
        {
            "id": k.id,
            "name": k.name,
            "purpose": k.purpose,
            "prefix": f"{keys.KEY_PREFIX}_{k.prefix}_…",
            "rate": k.rate_per_minute,
            "created_at": local_time(k.created_at),
            "last_used_at": local_time(k.last_used_at) or None,
            "revoked": k.revoked_at is not None,
            "revoked_at": local_time(k.revoked_at) or None,
        }
        for k in rows
    ], total


def _page(
    request: Request,
    session: SessionDep,
    settings: Settings,
    principal: Principal | None,
    *,
    offset: int = 0,
    new_key: str | None = None,
    form: dict[str, Any] | None = None,
    flash: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    base = str(request.base_url).rstrip("/")
    sample = _sample(session, base)
    my_keys: list[Any] = []
    key_pager = None
    if principal is not None:
        my_keys, total = _key_rows(session, principal, offset)
        key_pager = pager(PAGE, {}, offset, KEY_ROWS, total) if total > KEY_ROWS else None
    return render(
        request,
        "developer.html",
        page_title="开发者中心",
        flash=flash,
        status_code=status_code,
        base_url=base,
        sample=sample,
        examples=[
            {
                "title": e.title,
                "note": e.note,
                "action": e.action,
                "try_url": e.path,
                "curl": e.curl(base),
                "python": e.python(base),
                "javascript": e.javascript(base),
            }
            for e in examples(sample)
        ],
        key_usage=key_usage(base),
        rates={
            "anonymous": settings.opendata_anonymous_rate,
            "key": settings.opendata_key_rate,
            "key_max": settings.opendata_key_max_rate,
        },
        my_keys=my_keys,
        key_pager=key_pager,
        new_key=new_key,
        form=form or {"name": "", "purpose": "", "rate": ""},
        sign_in_url="/login?" + urlencode({"next": PAGE}),
    )


@router.get(PAGE, response_class=HTMLResponse)
def developer(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: MaybeCaller,
    msg: Annotated[str | None, Query(max_length=40)] = None,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> HTMLResponse:
    return _page(request, session, settings, principal, offset=offset, flash=FLASHES.get(msg or ""))


@router.post(f"{PAGE}/keys", response_class=HTMLResponse)
def create_key(
    request: Request,
    principal: Caller,
    session: SessionDep,
    settings: SettingsDep,
    name: Annotated[str, Form(max_length=100)] = "",
    purpose: Annotated[str, Form(max_length=500)] = "",
    rate_per_minute: Annotated[str, Form(max_length=10)] = "",
) -> HTMLResponse:
    form = {"name": name, "purpose": purpose, "rate": rate_per_minute}
    try:
        rate = int(rate_per_minute) if rate_per_minute.strip() else None
    except ValueError:
        return _page(
            request, session, settings, principal, form=form, status_code=422,
            flash={"kind": "error", "text": "调用频率须为整数（每分钟次数）。"},
        )  # fmt: skip
    try:
        raw, _key = keys.create_key(session, settings, principal, name, purpose, rate)
    except Problem as problem:
        return _page(
            request, session, settings, principal, form=form, status_code=problem.status,
            flash={"kind": "error", "text": problem.message_zh},
        )  # fmt: skip
    return _page(request, session, settings, principal, new_key=raw)


@router.post(f"{PAGE}/keys/{{key_id}}/revoke")
def revoke_key(key_id: IdPath, principal: Caller, session: SessionDep) -> Response:
    keys.revoke_key(session, principal, key_id)
    return redirect(f"{PAGE}?msg=key-revoked")
