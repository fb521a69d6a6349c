"""The electronic-certificate JSON API: issue, verify, revoke. Thin."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/certificates", tags=["certificates 电子证照"])
