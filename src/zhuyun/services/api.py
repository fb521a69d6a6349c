"""The 一网通办 JSON API. Thin: parse → call the service → render."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/services", tags=["services 一网通办"])
