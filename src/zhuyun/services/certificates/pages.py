"""Certificate pages: the public verification page and form, and the holder's own list.
Thin: the service answers, the templates show."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from zhuyun.core.errors import NotFound, Problem, Unprocessable
from zhuyun.identity.deps import Allowed, Caller, MaybeCaller, SessionDep
from zhuyun.identity.permissions import Permission, Principal
from zhuyun.services.certificates import service
from zhuyun.web.rendering import NavItem, pager, redirect, register_nav, render

router = APIRouter(include_in_schema=False)
register_nav(NavItem("我的证照", "/certificates/mine", "check", Permission.SELF, 405))
register_nav(
    NavItem("本单位证照", "/certificates/issued", "check", Permission.CERTIFICATES_ISSUE, 406)
)
Issuer = Annotated[Principal, Allowed(Permission.CERTIFICATES_ISSUE)]
Revoker = Annotated[Principal, Allowed(Permission.CERTIFICATES_REVOKE)]

ROWS = 20
MAX_UPLOAD_BYTES = 64 * 1024
STATUS_LABELS = {
    "valid": "真实有效",
    "revoked": "已注销",
    "expired": "已过期",
    "key-revoked": "签名密钥已吊销",
    "forged": "伪造或被篡改",
    "not-found": "查无此证",
}


def _result_page(request: Request, result: service.Verification, number: str) -> HTMLResponse:
    face = service.public_view(result.certificate) if result.certificate is not None else None
    return render(
        request,
        "certificates_verify.html",
        page_title="电子证照核验",
        number=number,
        result=result,
        status_label=STATUS_LABELS[result.status],
        face=face,
    )


def _verified(session: Session, number: str) -> service.Verification:
    try:
        return service.verify_number(session, number)
    except NotFound:
        return service.Verification(
            "not-found",
            "No certificate has this number: it was not issued here.",
            "查无此编号的电子证照：本平台未签发过该证照。",
        )


@router.get("/certificates/verify", response_class=HTMLResponse)
def verify_form(
    request: Request,
    session: SessionDep,
    _caller: MaybeCaller,
    number: Annotated[str, Query(max_length=40)] = "",
) -> HTMLResponse:
    if number.strip():
        return _result_page(request, _verified(session, number.strip()), number.strip())
    return render(request, "certificates_verify.html", page_title="电子证照核验", result=None)


@router.get(
    "/certificates/verify/{number}",
    response_class=HTMLResponse,
    name="certificate_verify_page",
)
def verify_page(
    request: Request,
    session: SessionDep,
    _caller: MaybeCaller,
    number: Annotated[str, PathParam(max_length=40)],
) -> HTMLResponse:
    return _result_page(request, _verified(session, number), number)


@router.post("/certificates/verify", response_class=HTMLResponse)
async def verify_upload(
    request: Request,
    session: SessionDep,
    _caller: MaybeCaller,
    file: Annotated[UploadFile, File(description="下载所得的证照 JSON")],
) -> HTMLResponse:
    raw = await file.read(MAX_UPLOAD_BYTES + 1)
    try:
        if len(raw) > MAX_UPLOAD_BYTES:
            raise Unprocessable(
                "The file is larger than 64 KB: it is not a certificate JSON.",
                "文件超过 64 KB，不是电子证照 JSON 文件。",
                code="certificate-upload-too-large",
            )
        try:
            signed = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise Unprocessable(
                "The file is not JSON: upload the certificate JSON as downloaded.",
                "文件不是 JSON：请上传下载所得的电子证照 JSON 文件。",
                code="certificate-upload-not-json",
            ) from None
        if not isinstance(signed, dict):
            signed = {}
        result = service.verify_document(session, signed)
    except Problem as problem:
        return render(
            request,
            "certificates_verify.html",
            page_title="电子证照核验",
            result=None,
            flash={"kind": "error", "text": problem.message_zh},
            status_code=problem.status,
        )
    number = result.certificate.number if result.certificate is not None else ""
    return _result_page(request, result, number)


@router.get("/certificates/mine", response_class=HTMLResponse)
def mine(
    request: Request,
    principal: Caller,
    session: SessionDep,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> HTMLResponse:
    rows, total = service.holder_certificates(session, principal, offset, ROWS)
    return render(
        request,
        "certificates_mine.html",
        page_title="我的电子证照",
        certificates=rows,
        total=total,
        pager=pager("/certificates/mine", {}, offset, ROWS, total),
    )


@router.get("/certificates/issued", response_class=HTMLResponse)
def issued(
    request: Request,
    principal: Issuer,
    session: SessionDep,
    q: Annotated[str, Query(max_length=100)] = "",
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> HTMLResponse:
    rows, total = service.issued_by_unit(session, principal, offset, ROWS, q)
    return render(
        request,
        "certificates_issued.html",
        page_title="本单位签发的电子证照",
        certificates=rows,
        total=total,
        q=q,
        may_revoke=principal.can(Permission.CERTIFICATES_REVOKE),
        pager=pager("/certificates/issued", {"q": q}, offset, ROWS, total),
    )


@router.post("/certificates/{number}/revoke")
def revoke(
    principal: Revoker,
    session: SessionDep,
    number: Annotated[str, PathParam(max_length=40)],
    reason: Annotated[str, Form(max_length=500)] = "",
) -> RedirectResponse:
    service.revoke_certificate(session, principal, number, reason)
    return redirect(f"/certificates/issued?q={number}")
