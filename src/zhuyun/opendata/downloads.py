"""Downloads of an open dataset's rows — CSV (UTF-8 with a BOM, for Excel), JSON, XLSX and
Parquet — streamed from the department's database through the gateway's open policy, so a
download is governed, masked and ledgered like any other read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import StreamingResponse

from zhuyun.core.calendar import china_today
from zhuyun.core.errors import NotFound
from zhuyun.exchange.formats import FILE_EXTENSIONS, MEDIA_TYPES, OutputFormat, export_stream
from zhuyun.exchange.service import gateway
from zhuyun.identity.deps import SessionDep, SettingsDep, get_database
from zhuyun.opendata import service, usage
from zhuyun.opendata.datastore import OPEN_PURPOSE, opened_items, visitor_principal
from zhuyun.opendata.visitors import Visitor

router = APIRouter(tags=["open data 开放数据 (downloads)"])

DOWNLOAD_FORMATS = (OutputFormat.CSV, OutputFormat.JSON, OutputFormat.XLSX, OutputFormat.PARQUET)
DownloadFormat = Annotated[
    OutputFormat, PathParam(description="csv · json · xlsx · parquet", alias="fmt")
]


@router.get(
    "/opendata/datasets/{name}/download.{fmt}",
    summary="Download an open dataset / 下载开放数据（CSV、JSON、XLSX、Parquet）",
)
def download(
    request: Request,
    name: Annotated[str, PathParam(max_length=100)],
    fmt: DownloadFormat,
    session: SessionDep,
    settings: SettingsDep,
    visitor: Visitor,
) -> StreamingResponse:
    if fmt not in DOWNLOAD_FORMATS:
        raise NotFound(
            f"No {fmt.value} download: choose csv, json, xlsx or parquet.",
            f"没有 {fmt.value} 格式的下载，可选 csv、json、xlsx、parquet。",
            code="download-format",
        )
    try:
        version = service.find_dataset(session, name)
    except service.NotFound:
        raise NotFound(
            f"No open dataset {name[:100]}.", f"没有名为 {name[:100]} 的开放数据集。"
        ) from None
    items = [item.field for item in opened_items(version.snapshot)]
    secret_key = settings.secret_key.get_secret_value()
    prepared = gateway.prepare_open(
        session,
        secret_key,
        visitor_principal(visitor),
        gateway.QueryRequest(
            resource_id=version.resource_id,
            items=items,
            purpose=OPEN_PURPOSE,
            limit=gateway.MAX_EXPORT_ROWS,
            format=fmt,
            export=True,
        ),
        china_today(),
        has_key=visitor.has_key,
    )
    started = gateway.open_export(session, prepared)
    usage.record_use(session, version.resource_id, "download")
    session.commit()  # the stream outlives this request's unit of work
    batches = gateway.stream_export(get_database(request), secret_key, prepared, started)
    return StreamingResponse(
        export_stream(fmt, items, prepared.data_types, batches),
        media_type=MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": (
                f'attachment; filename="{service.dataset_name(version.code)}.'
                f'{FILE_EXTENSIONS[fmt]}"'
            ),
        },
    )
