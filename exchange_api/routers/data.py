"""The data API (R13–R16): read a resource as the decision point allows — columns, filters, cursor
pages, a snapshot, and a format — download it in bulk, or follow its changes by subscription.

Metadata of every read travels in headers (``X-Snapshot-Id``, ``X-Access-Basis``, ``X-Grant-Id``,
``X-Row-Count``, ``X-Next-Cursor``) so that CSV, Arrow and Parquet carry it too.
"""

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse

from exchange.errors import InvalidInput
from exchange.runtime import Platform
from exchange.snapshots import SnapshotCache
from exchange_api.data_formats import (
    MEDIA_TYPES,
    DataFormat,
    arrow_stream,
    csv_bytes,
    json_document,
    parquet_bytes,
)
from exchange_api.deps import AppPlatform, CurrentPrincipal, DbSession
from exchange_api.errors import ERROR_RESPONSES
from policies import data_reads
from policies.data_reads import Filter, ReadRequest, ReadResult
from policies.live import LiveAccessPolicy
from policies.pdp import DataAccessPolicy
from policies.vocab import SharingMode

router = APIRouter(prefix="/api/v1/data", tags=["data"], responses=ERROR_RESPONSES)
RESOURCE = "/{classification}/{sequence}"


def get_pdp(request: Request) -> DataAccessPolicy:
    live: LiveAccessPolicy = request.app.state.access_policy
    return live.start()


def get_snapshots(request: Request) -> SnapshotCache:
    cache: SnapshotCache = request.app.state.snapshots
    return cache


Pdp = Annotated[DataAccessPolicy, Depends(get_pdp)]
Snapshots = Annotated[SnapshotCache, Depends(get_snapshots)]
Purpose = Annotated[
    str,
    Query(
        min_length=2,
        description="What the data is for (R15); recorded with the read.",
        examples=["核验企业法定代表人"],
    ),
]
Columns = Annotated[
    str | None,
    Query(description="Data items to return, comma-separated; all you may read by default."),
]
Filters = Annotated[
    list[str],
    Query(
        alias="filter",
        description="Repeatable: `item:eq:value`, `item:in:a|b`, `item:range:low..high`.",
        examples=["district:eq:南山区"],
    ),
]
GrantId = Annotated[
    int | None, Query(description="Read under this grant; by default the newest that applies.")
]


def _request(
    classification: str,
    sequence: str,
    mode: SharingMode,
    purpose: str,
    columns: str | None,
    filters: list[str],
    grant_id: int | None,
    **more: Any,
) -> ReadRequest:
    items = None
    if columns is not None:
        items = tuple(dict.fromkeys(c.strip() for c in columns.split(",") if c.strip()))
        if not items:
            raise InvalidInput("name at least one column", detail={"field": "columns"})
    return ReadRequest(
        code=f"{classification}/{sequence}",
        mode=mode,
        purpose=purpose.strip(),
        items=items,
        filters=tuple(Filter.parse(f) for f in filters),
        grant_id=grant_id,
        **more,
    )


def _spool(platform: Platform) -> Path:
    return platform.settings.data_dir / "spool"


def _headers(result: ReadResult) -> dict[str, str]:
    headers = {
        "X-Snapshot-Id": str(result.snapshot_id),
        "X-Access-Basis": result.decision.basis,
        "X-Row-Count": str(result.data.num_rows),
    }
    if result.decision.grant_id is not None:
        headers["X-Grant-Id"] = str(result.decision.grant_id)
    if result.next_cursor:
        headers["X-Next-Cursor"] = result.next_cursor
    return headers


def _respond(
    result: ReadResult,
    code: str,
    fmt: DataFormat,
    spool: Path,
    *,
    filename: str | None = None,
) -> Response:
    headers = _headers(result)
    if filename:
        headers["Content-Disposition"] = f'attachment; filename="{filename}.{fmt.value}"'
    if fmt is DataFormat.ARROW:
        return StreamingResponse(
            arrow_stream(result.data), media_type=MEDIA_TYPES[fmt], headers=headers
        )
    if fmt is DataFormat.PARQUET:
        body = parquet_bytes(result.data)
    elif fmt is DataFormat.CSV:
        body = csv_bytes(result.data)
    else:
        body = json_document(
            result.data,
            {
                "resource": code,
                "snapshot_id": result.snapshot_id,
                "basis": result.decision.basis,
                "grant_id": result.decision.grant_id,
                "items": list(result.data.column_names),
                "row_filter": result.decision.row_filter,
                "row_count": result.data.num_rows,
                "next_cursor": result.next_cursor,
            },
            spool,
        )
    return Response(body, media_type=MEDIA_TYPES[fmt], headers=headers)


@router.get(
    RESOURCE + "/rows",
    summary="Read a resource (API query mode)",
    response_class=Response,
    responses={200: {"content": {m: {} for m in MEDIA_TYPES.values()}}},
)
def read_rows(
    classification: str,
    sequence: str,
    purpose: Purpose,
    viewer: CurrentPrincipal,
    session: DbSession,
    platform: AppPlatform,
    pdp: Pdp,
    snapshots: Snapshots,
    columns: Columns = None,
    filters: Filters = [],  # noqa: B006 (FastAPI copies defaults)
    limit: Annotated[int | None, Query(ge=1, description="Rows per page.")] = None,
    cursor: Annotated[str | None, Query(description="X-Next-Cursor of the previous page.")] = None,
    snapshot_id: Annotated[
        int | None, Query(description="A past snapshot; the current by default.")
    ] = None,
    grant_id: GrantId = None,
    format: DataFormat = DataFormat.JSON,
) -> Response:
    """Items not granted are refused with 403 naming them; every read is recorded with its
    purpose, grant and row count."""
    page = min(limit or platform.settings.page_rows, platform.settings.max_page_rows)
    request = _request(
        classification,
        sequence,
        SharingMode.API_QUERY,
        purpose,
        columns,
        filters,
        grant_id,
        snapshot_id=snapshot_id,
        limit=page,
        cursor=cursor,
    )
    result = data_reads.read(
        session,
        pdp=pdp,
        snapshots=snapshots,
        actor=viewer,
        request=request,
        at=platform.clock.now(),
    )
    return _respond(result, request.code, format, _spool(platform))


@router.get(
    RESOURCE + "/download",
    summary="Download a resource as one file (bulk download mode)",
    response_class=Response,
)
def download(
    classification: str,
    sequence: str,
    purpose: Purpose,
    viewer: CurrentPrincipal,
    session: DbSession,
    platform: AppPlatform,
    pdp: Pdp,
    snapshots: Snapshots,
    columns: Columns = None,
    filters: Filters = [],  # noqa: B006
    snapshot_id: int | None = None,
    grant_id: GrantId = None,
    format: DataFormat = DataFormat.PARQUET,
) -> Response:
    request = _request(
        classification,
        sequence,
        SharingMode.BULK_DOWNLOAD,
        purpose,
        columns,
        filters,
        grant_id,
        snapshot_id=snapshot_id,
    )
    result = data_reads.read(
        session,
        pdp=pdp,
        snapshots=snapshots,
        actor=viewer,
        request=request,
        at=platform.clock.now(),
    )
    name = f"{classification}-{sequence}-{result.snapshot_id}"
    return _respond(result, request.code, format, _spool(platform), filename=name)


@router.get(
    RESOURCE + "/changes",
    summary="Rows added and removed since a snapshot (subscription mode)",
    response_class=Response,
)
def changes(
    classification: str,
    sequence: str,
    since_snapshot: Annotated[int, Query(description="The X-Snapshot-Id you last received.")],
    purpose: Purpose,
    viewer: CurrentPrincipal,
    session: DbSession,
    platform: AppPlatform,
    pdp: Pdp,
    snapshots: Snapshots,
    columns: Columns = None,
    grant_id: GrantId = None,
    format: DataFormat = DataFormat.JSON,
) -> Response:
    request = _request(
        classification, sequence, SharingMode.SUBSCRIPTION, purpose, columns, [], grant_id
    )
    result = data_reads.changes_since(
        session,
        pdp=pdp,
        snapshots=snapshots,
        actor=viewer,
        request=request,
        since_snapshot_id=since_snapshot,
        at=platform.clock.now(),
    )
    return _respond(result, request.code, format, _spool(platform))
