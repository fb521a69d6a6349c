"""The electronic-certificate JSON API: issue, read, download, verify, revoke. Thin."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response
from fastapi import Path as PathParam
from sqlalchemy.orm import Session

from zhuyun.core.errors import NotFound
from zhuyun.core.paging import Page, PageDep
from zhuyun.identity.deps import Allowed, Caller, MaybeCaller, SessionDep, SettingsDep
from zhuyun.identity.permissions import Permission, Principal
from zhuyun.services.certificates import keys, pdf, service
from zhuyun.services.certificates.kinds import KINDS
from zhuyun.services.certificates.models import Certificate, CertificateKey
from zhuyun.services.certificates.schemas import (
    CertificateCreate,
    CertificateFace,
    CertificatePublic,
    FaceFieldPublic,
    KeyPublic,
    KindPublic,
    Revocation,
    SignedCertificate,
    VerificationPublic,
)

router = APIRouter(prefix="/api/certificates", tags=["certificates 电子证照"])

Issuer = Annotated[Principal, Allowed(Permission.CERTIFICATES_ISSUE)]
Revoker = Annotated[Principal, Allowed(Permission.CERTIFICATES_REVOKE)]
NUMBER_PATTERN = r"^[A-Z]{2,10}-[0-9]{4}-[0-9A-Z]{10}$"
Number = Annotated[str, PathParam(pattern=NUMBER_PATTERN, max_length=40, description="证照编号")]
KeyName = Annotated[str, PathParam(min_length=1, max_length=40, description="密钥标识")]


def certificate_public(certificate: Certificate) -> CertificatePublic:
    document = certificate.document
    return CertificatePublic(
        number=certificate.number,
        kind=certificate.kind,
        kind_name=certificate.kind_name,
        holder_type=certificate.holder_type,
        holder_id=certificate.holder_id,
        holder_name=certificate.holder_name,
        issuer_unit_id=certificate.issuer_unit_id,
        issuer_name=certificate.issuer_name,
        case_ref=certificate.case_ref,
        fields=dict(certificate.fields),
        valid_from=certificate.valid_from,
        valid_until=certificate.valid_until,
        issued_at=certificate.issued_at,
        revoked_at=certificate.revoked_at,
        revoke_reason=certificate.revoke_reason,
        key_id=document["key_id"],
        algorithm=document["algorithm"],
    )


def verification_public(result: service.Verification) -> VerificationPublic:
    face = (
        CertificateFace.model_validate(service.public_view(result.certificate))
        if result.certificate is not None
        else None
    )
    return VerificationPublic(
        status=result.status,
        valid=result.valid,
        message=result.message_en,
        message_zh=result.message_zh,
        certificate=face,
    )


def key_public(key: CertificateKey) -> KeyPublic:
    return KeyPublic(
        key_id=key.key_id,
        unit_id=key.unit_id,
        algorithm=key.algorithm,
        public_key=key.public_key,
        created_at=key.created_at,
        revoked_at=key.revoked_at,
    )


def downloadable(session: Session, principal: Principal, number: str) -> Certificate:
    """The certificate, for its holder, its issuing unit or a platform admin; anyone else is
    told it does not exist (no hint that the number is real)."""
    certificate = service.get_certificate(session, number)
    if not service.may_download(session, principal, certificate):
        raise NotFound(
            f"No certificate numbered {number}.",
            f"不存在编号为 {number} 的电子证照。",
            code="certificate-not-found",
        )
    return certificate


@router.get("/kinds", response_model=Page[KindPublic], summary="证照类型")
def list_kinds(page: PageDep, _caller: MaybeCaller) -> Page[KindPublic]:
    rows = [
        KindPublic(
            code=k.code,
            name=k.name,
            holder_type=k.holder_type.value,
            valid_years=k.valid_years,
            fields=[FaceFieldPublic(**vars(f)) for f in k.fields],
        )
        for k in KINDS
    ]
    return Page.of(rows[page.offset : page.offset + page.limit], len(rows), page)


@router.post("", status_code=201, response_model=CertificatePublic, summary="签发电子证照")
def issue(
    body: CertificateCreate, principal: Issuer, session: SessionDep, settings: SettingsDep
) -> CertificatePublic:
    certificate = service.issue_certificate(
        session,
        kind=body.kind,
        issuer_unit_id=principal.unit_id or 0,
        holder_id=body.holder_id,
        holder_name=body.holder_name,
        fields=body.fields,
        case_ref=body.case_ref,
        actor=principal,
        secret_key=settings.secret_key.get_secret_value(),
        sm2_units=settings.certificate_sm2_units,
    )
    return certificate_public(certificate)


@router.get("/issued", response_model=Page[CertificatePublic], summary="本单位签发的证照")
def issued(principal: Issuer, session: SessionDep, page: PageDep) -> Page[CertificatePublic]:
    rows, total = service.issued_by_unit(session, principal, page.offset, page.limit)
    return Page.of([certificate_public(c) for c in rows], total, page)


@router.get("/mine", response_model=Page[CertificatePublic], summary="我的电子证照")
def mine(principal: Caller, session: SessionDep, page: PageDep) -> Page[CertificatePublic]:
    rows, total = service.holder_certificates(session, principal, page.offset, page.limit)
    return Page.of([certificate_public(c) for c in rows], total, page)


@router.get("/keys", response_model=Page[KeyPublic], summary="发证单位公钥")
def list_keys(session: SessionDep, page: PageDep, _caller: MaybeCaller) -> Page[KeyPublic]:
    rows, total = keys.list_keys(session, page.offset, page.limit)
    return Page.of([key_public(k) for k in rows], total, page)


@router.get("/keys/{key_id}", response_model=KeyPublic, summary="一把公钥")
def get_key(key_id: KeyName, session: SessionDep, _caller: MaybeCaller) -> KeyPublic:
    return key_public(keys.get_key(session, key_id))


@router.post("/keys/{key_id}/revoke", response_model=KeyPublic, summary="吊销签名密钥")
def revoke_key(
    key_id: KeyName, body: Revocation, principal: Revoker, session: SessionDep
) -> KeyPublic:
    return key_public(service.revoke_key(session, principal, key_id, body.reason))


@router.get("/verify/{number}", response_model=VerificationPublic, summary="按编号核验")
def verify_number(number: Number, session: SessionDep, _caller: MaybeCaller) -> VerificationPublic:
    return verification_public(service.verify_number(session, number))


@router.post("/verify", response_model=VerificationPublic, summary="上传证照 JSON 核验")
def verify_document(
    body: SignedCertificate, session: SessionDep, _caller: MaybeCaller
) -> VerificationPublic:
    return verification_public(service.verify_document(session, body.model_dump()))


@router.get("/{number}", response_model=SignedCertificate, summary="下载证照 JSON（含签名）")
def download_json(number: Number, principal: Caller, session: SessionDep) -> SignedCertificate:
    certificate = downloadable(session, principal, number)
    return SignedCertificate.model_validate(service.certificate_json(certificate))


@router.get(
    "/{number}/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
    summary="下载证照 PDF",
)
def download_pdf(
    number: Number, request: Request, principal: Caller, session: SessionDep
) -> Response:
    certificate = downloadable(session, principal, number)
    url = str(request.url_for("certificate_verify_page", number=number))
    return Response(
        pdf.render_pdf(certificate, url),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{number}.pdf"'},
    )


@router.post("/{number}/revoke", response_model=CertificatePublic, summary="注销电子证照")
def revoke(
    number: Number, body: Revocation, principal: Revoker, session: SessionDep
) -> CertificatePublic:
    return certificate_public(service.revoke_certificate(session, principal, number, body.reason))
