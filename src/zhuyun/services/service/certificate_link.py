"""The link to the electronic-certificate library (`services.certificates`, its own
package): looked up when used, so cases run — with written results and uploaded
certificates — where the library is not installed, and use it wherever it is.

What is used of it: `issue_certificate(...)` at the issue-result step, the certificate
kinds (`kinds.BY_CODE`) for the face fields, `library_resource_id(session)` and
`LIBRARY_PURPOSE` to read the library through the exchange gateway.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from sqlalchemy.orm import Session

#: The purpose materials are fetched under when the library is not there (never matches a
#: grant, so such a fetch is refused and the material is asked of the applicant).
NO_LIBRARY_PURPOSE = "电子证照库未启用"


def _module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"zhuyun.services.certificates.{name}")
    except ImportError:
        return None


def library_purpose() -> str:
    service = _module("service")
    return str(getattr(service, "LIBRARY_PURPOSE", NO_LIBRARY_PURPOSE))


def library_resource_id(session: Session) -> int | None:
    service = _module("service")
    if service is None or not hasattr(service, "library_resource_id"):
        return None
    found = service.library_resource_id(session)
    return int(found) if found is not None else None


def kind(code: str | None) -> Any | None:
    """The certificate kind of that code (fields, holder type, name), if the library has it."""
    kinds = _module("kinds")
    if kinds is None or code is None:
        return None
    return getattr(kinds, "BY_CODE", {}).get(code)


def issue_certificate(session: Session, **kwargs: Any) -> Any | None:
    """`services.certificates.service.issue_certificate`, or None without the library."""
    service = _module("service")
    if service is None or not hasattr(service, "issue_certificate"):
        return None
    return service.issue_certificate(session, **kwargs)
