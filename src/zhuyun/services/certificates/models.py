"""The certificate library's own tables."""

from __future__ import annotations
