"""The certificate library (电子证照库) in the catalog and the exchange.

The library is the platform's own view `certificate_library`: registered as a source of the
unit that runs it (the big-data bureau in the demo city) and bound to a published 有条件共享
resource, so departments read a holder's valid certificates through the governed gateway —
with a grant, a purpose, masking and a ledger entry — like any department's data.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from zhuyun.catalog import service as catalog
from zhuyun.catalog.vocab import BaseLibrary, DataType, Sensitivity, ShareType, UpdateCycle
from zhuyun.core.masking import MaskKind
from zhuyun.exchange.connectors import SourceKind
from zhuyun.exchange.service import sources
from zhuyun.identity.permissions import Principal
from zhuyun.services.certificates.service import LIBRARY_RESOURCE_NAME, LIBRARY_TABLE

S, D, T = DataType.STRING, DataType.DATE, DataType.DATETIME
_ITEMS: tuple[tuple[str, str, DataType, Sensitivity, MaskKind | None], ...] = (
    ("number", "证照编号", S, Sensitivity.INTERNAL, None),
    ("kind", "证照类型代码", S, Sensitivity.PUBLIC, None),
    ("kind_name", "证照类型名称", S, Sensitivity.PUBLIC, None),
    ("holder_id", "持证主体代码（身份号码或统一社会信用代码）", S, Sensitivity.SENSITIVE,
     MaskKind.ID_NUMBER),
    ("holder_type", "持证主体类型", S, Sensitivity.INTERNAL, None),
    ("holder_name", "持证主体名称", S, Sensitivity.SENSITIVE, MaskKind.NAME),
    ("issuer_name", "发证机关", S, Sensitivity.PUBLIC, None),
    ("fields_json", "照面信息（JSON）", S, Sensitivity.SENSITIVE, MaskKind.FULL),
    ("valid_from", "有效期起", D, Sensitivity.INTERNAL, None),
    ("valid_until", "有效期至", D, Sensitivity.INTERNAL, None),
    ("issued_at", "签发时间", T, Sensitivity.INTERNAL, None),
)  # fmt: skip
CONDITIONS = (
    "限办理政务服务事项的部门调取申请人本人的电子证照，须写明用途并经申请人授权，"
    "按最小必要原则使用，不得转供他人。"
)


def _draft(provider_unit_id: int) -> catalog.ResourceDraft:
    return catalog.ResourceDraft(
        provider_unit_id=provider_unit_id,
        name=LIBRARY_RESOURCE_NAME,
        summary="全市各发证单位签发的有效电子证照（未注销、未过期），供办理政务服务时免交纸质证照。",
        class_code="1",
        item_code="05",
        catalogue_code="006",
        share_type=ShareType.CONDITIONAL,
        share_conditions=CONDITIONS,
        update_cycle=UpdateCycle.REALTIME,
        base_library=BaseLibrary.LICENCE,
        themes=["公共服务"],
        items=[
            catalog.ItemDraft(
                field=field, name=name, data_type=kind, sensitivity=grade, mask_kind=masked
            )
            for field, name, kind, grade, masked in _ITEMS
        ],
    )


def register_library(
    session: Session,
    principal: Principal,
    secret_key: str,
    provider_unit_id: int,
    database_url: str,
    *,
    source_hosts: tuple[str, ...] = sources.LOOPBACK_HOSTS,
) -> int:
    """Publish the library resource for `provider_unit_id`, register the platform database
    (`database_url`; a password in it is sealed as the source's secret) as that unit's
    source and bind the two. Returns the resource id."""
    url = make_url(database_url)
    kind = SourceKind.SQLITE if url.get_backend_name() == "sqlite" else SourceKind.POSTGRESQL
    folders: tuple[Path, ...] = ()
    if kind == SourceKind.SQLITE and url.database:
        path = Path(url.database).resolve()
        url = url.set(database=str(path))
        folders = (path.parent,)
    source = sources.register_source(
        session,
        principal,
        secret_key,
        provider_unit_id,
        sources.SourceDraft(
            name="电子证照库",
            kind=kind,
            location=url.set(password=None).render_as_string(hide_password=False),
            secret=url.password,
        ),
        source_hosts=source_hosts,
        source_dirs=folders,
    )
    actor = principal.as_actor()
    resource = catalog.create_draft(session, actor, _draft(provider_unit_id))
    catalog.publish(session, actor, resource.id)
    sources.bind_resource(
        session,
        principal,
        secret_key,
        resource.id,
        sources.BindingDraft(source.id, LIBRARY_TABLE, "number", "holder_id", None),
    )
    return resource.id
