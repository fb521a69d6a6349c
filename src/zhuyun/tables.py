"""Imports every module's tables so one metadata (and one Alembic history) sees them all."""

from zhuyun.blocks import models as blocks_models
from zhuyun.catalog import models as catalog_models
from zhuyun.core import holidays, ledger
from zhuyun.core.db import Base
from zhuyun.exchange import models as exchange_models
from zhuyun.governance import models as governance_models
from zhuyun.identity import models as identity_models
from zhuyun.opendata import models as opendata_models
from zhuyun.services import models as services_models
from zhuyun.services.certificates import models as certificate_models
from zhuyun.supervision import models as supervision_models
from zhuyun.web import models as web_models

MODULES = (
    ledger,
    holidays,
    identity_models,
    web_models,
    catalog_models,
    exchange_models,
    opendata_models,
    governance_models,
    services_models,
    certificate_models,
    supervision_models,
    blocks_models,
)
metadata = Base.metadata

__all__ = ["MODULES", "metadata"]
