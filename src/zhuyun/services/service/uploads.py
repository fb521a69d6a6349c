"""Materials the applicant uploads: checked by what the bytes are (not what the name or
the browser claims), bounded in size, stored under a name of the platform's choosing.

Files live in `<data dir>/uploads/<case number>/<sha256>`; the database keeps the original
name, type, size and digest. A file that is not what it claims, or too large, is refused
and nothing is stored.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import filetype
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhuyun.core.db import utcnow
from zhuyun.core.errors import Conflict, Forbidden, NotFound, Problem, Unprocessable
from zhuyun.core.ledger import Subject, record
from zhuyun.core.settings import Settings
from zhuyun.identity.permissions import Principal
from zhuyun.services.models import Case, CaseMaterial
from zhuyun.services.service import cases

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
ALLOWED_TYPES = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}
EXTENSIONS = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
}


class TooLarge(Problem):
    status = 413
    code = "upload-too-large"


class WrongType(Problem):
    status = 415
    code = "upload-wrong-type"


def check_file(name: str, declared_type: str | None, content: bytes) -> str:
    """The file's real type, or a refusal saying why it is not acceptable."""
    if len(content) > MAX_UPLOAD_BYTES:
        raise TooLarge(
            f"The file is larger than {MAX_UPLOAD_BYTES // 1024 // 1024} MB.",
            f"文件超过 {MAX_UPLOAD_BYTES // 1024 // 1024} MB。",
        )
    if not content:
        raise Unprocessable("The file is empty.", "文件为空。", code="upload-empty")
    kind = filetype.guess(content)
    actual = kind.mime if kind is not None else None
    if actual not in ALLOWED_TYPES:
        raise WrongType("Upload a PDF, PNG or JPEG file.", "请上传 PDF、PNG 或 JPEG 格式的文件。")
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    claimed = {EXTENSIONS.get(extension), (declared_type or "").split(";")[0].strip().lower()}
    claimed -= {None, "", "application/octet-stream"}
    if any(c != actual for c in claimed):
        raise WrongType(
            f"The file is not what it claims: its content is {ALLOWED_TYPES[actual].upper()}.",
            f"文件内容与声明的类型不符（实际为 {ALLOWED_TYPES[actual].upper()}）。",
        )
    return actual


def upload(
    session: Session,
    uploads_dir: Path,
    principal: Principal,
    case: Case,
    material_id: int,
    name: str,
    declared_type: str | None,
    content: bytes,
) -> CaseMaterial:
    """Store the applicant's file for one material of their case; ledgered."""
    if case.applicant_id != principal.account_id:
        raise Forbidden("Only the applicant uploads materials.", "只有申请人可以上传材料。")
    if case.status not in ("materials", "correction", "processing"):
        raise Conflict("The case is closed.", "办件已办结，不能再上传材料。", code="case-closed")
    material = session.scalar(
        select(CaseMaterial).where(
            CaseMaterial.case_id == case.id, CaseMaterial.material_id == material_id
        )
    )
    if material is None:
        raise NotFound(
            "The case has no such material.", "该办件没有这项材料。", code="material-not-found"
        )
    if material.status == "fetched":
        raise Conflict(
            "The platform already holds this material: no upload needed.",
            "该材料已由平台共享获取，无需上传。",
            code="material-spared",
        )
    actual = check_file(name, declared_type, content)
    digest = hashlib.sha256(content).hexdigest()
    folder = uploads_dir / case.number
    folder.mkdir(parents=True, exist_ok=True)
    (folder / digest).write_bytes(content)
    safe_name = Path(name.replace("\\", "/")).name[:200] or f"material.{ALLOWED_TYPES[actual]}"
    material.status, material.message = "uploaded", None
    material.file_name, material.content_type = safe_name, actual
    material.size, material.sha256, material.updated_at = len(content), digest, utcnow()
    record(
        session,
        principal.as_actor(),
        "services.material_uploaded",
        Subject("service_case", case.number),
        {"material": material.name, "content_type": actual, "size": len(content), "sha256": digest},
        case_id=case.number,
    )
    cases.after_upload(session, principal.as_actor(), case)
    return material


def stored_file(uploads_dir: Path, case: Case, material: CaseMaterial) -> Path:
    if material.sha256 is None:
        raise NotFound("Nothing was uploaded.", "该材料没有上传文件。", code="no-file")
    return uploads_dir / case.number / material.sha256


def uploads_dir(settings: Settings) -> Path:
    """Where applicants' files are kept: beside the platform's other data."""
    return settings.data_dir / "uploads"
