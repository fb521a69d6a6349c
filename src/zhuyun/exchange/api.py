"""JSON API of the exchange: thin routes that parse, call the service and render."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/exchange", tags=["exchange"])
