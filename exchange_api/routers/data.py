"""The data API (R13–R16): read a resource as the decision point allows — columns, filters, cursor
pages, a snapshot, and a format — download it in bulk, or follow its changes by subscription.

Metadata of every read travels in headers (``X-Snapshot-Id``, ``X-Access-Basis``, ``X-Grant-Id``,
``X-Row-Count``, ``X-Next-Cursor``, ``X-Data-Masking``) so that CSV, Arrow and Parquet carry it
too.
"""

import contextlib
import functools
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.background import BackgroundTask

from exchange.errors import InvalidInput
from exchange.runtime import Platform
from exchange.snapshots import NotInMemory, SnapshotCache
from exchange_api.data_formats import (
    MEDIA_TYPES,
    DataFormat,
    arrow_stream,
    csv_bytes,
    json_document,
    parquet_bytes,
    spooled_file,
)
from exchange_api.deps import AppPlatform, CurrentPrincipal, DbSession
from exchange_api.errors import ERROR_RESPONSES
from exchange_api.lean_route import LeanRoute
from exchange_api.query_models import openapi_parameters, query_of
from exchange_api.schemas.data import VerifyAnswer, VerifyCall
from policies import data_reads
from policies.data_reads import Filter, ReadRequest, ReadResult, StreamedRead
from policies.live import LiveAccessPolicy
from policies.masking import describe
from policies.pdp import DataAccessPolicy
from policies.read_records import ReadRecord, ReadRecorder
from policies.verification import VerifyRequest, verify
from policies.vocab import SharingMode

router = APIRouter(prefix="/api/v1/data", tags=["data"], responses=ERROR_RESPONSES)
RESOURCE = "/{classification}/{sequence}"


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
    return _spool_under(platform.settings.data_dir)


@functools.cache
def _spool_under(data_dir: Path) -> Path:
    # Joined once: pathlib's join costs a fiftieth of a small read.
    return data_dir / "spool"


def _headers(result: ReadResult | StreamedRead, rows: int) -> dict[str, str]:
    decision = result.decision
    headers = {
        "X-Snapshot-Id": str(result.snapshot_id),
        "X-Access-Basis": decision.basis,
        "X-Row-Count": str(rows),
    }
    if decision.grant_id is not None:
        headers["X-Grant-Id"] = str(decision.grant_id)
    if isinstance(result, ReadResult) and result.next_cursor:
        headers["X-Next-Cursor"] = result.next_cursor
    if decision.masked:
        headers["X-Data-Masking"] = describe(decision.masked, decision.items)
    headers.update(quality_headers(result))
    return headers


def quality_headers(result: ReadResult | StreamedRead) -> dict[str, str]:
    """What quality says of the data served (headers carry ASCII only, so in English)."""
    served = result.served
    if served is None:
        return {}
    headers = {}
    if served.quarantine_reason and result.snapshot_id == served.snapshot_id and served.fallback:
        headers["X-Quality-Status"] = "quarantined"
        headers["X-Quality-Note"] = (
            f"snapshot {served.current_snapshot_id} is quarantined ({served.quarantine_reason}); "
            f"serving snapshot {served.snapshot_id}, the last that passed its checks"
        )
    elif served.quarantine_reason and result.snapshot_id == served.current_snapshot_id:
        headers["X-Quality-Status"] = "quarantined"
        headers["X-Quality-Note"] = f"this snapshot is quarantined: {served.quarantine_reason}"
    elif served.open_issues:
        headers["X-Quality-Status"] = "under-verification"
    if served.open_issues:
        headers["X-Quality-Open-Issues"] = str(served.open_issues)
    return headers


def _document_meta(result: ReadResult | StreamedRead, rows: int) -> dict[str, Any]:
    """What a JSON answer says of its rows beside them."""
    decision = result.decision
    if isinstance(result, StreamedRead):
        code, items, next_cursor = result.unfinished_record.facts.code, decision.items, None
    else:
        code, items, next_cursor = (
            result.record.facts.code,
            result.data.column_names,
            result.next_cursor,
        )
    return {
        "resource": code,
        "snapshot_id": result.snapshot_id,
        "basis": decision.basis,
        "grant_id": decision.grant_id,
        "items": list(items),
        "row_filter": decision.row_filter,
        "masking": {i: r.text for i, r in decision.masked.items()},
        "row_count": rows,
        "next_cursor": next_cursor,
        "quality": quality_headers(result).get("X-Quality-Status", "ok"),
    }


def _respond(
    result: ReadResult,
    fmt: DataFormat,
    spool: Path,
    *,
    filename: str | None = None,
) -> Response:
    headers = _headers(result, result.data.num_rows)
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
        body = json_document(result.data, _document_meta(result, result.data.num_rows), spool)
    return Response(body, media_type=MEDIA_TYPES[fmt], headers=headers)


def _respond_from_file(
    streamed: StreamedRead, fmt: DataFormat, spool: Path, filename: str
) -> tuple[ReadRecord, Response]:
    """A read too large to hold, written to a file first: its rows are counted there, so the
    record carries the count before anything is sent; the file goes once it has been sent."""
    path, rows = spooled_file(
        streamed.batches, fmt, spool, lambda rows: _document_meta(streamed, rows)
    )
    headers = _headers(streamed, rows)
    headers["Content-Disposition"] = f'attachment; filename="{filename}.{fmt.value}"'
    response = FileResponse(
        path,
        media_type=MEDIA_TYPES[fmt],
        headers=headers,
        background=BackgroundTask(path.unlink, missing_ok=True),
    )
    return streamed.record(rows), response


Read = Callable[[DataAccessPolicy, SnapshotCache, datetime, bool], ReadResult | StreamedRead]


async def _answer(
    request: Request,
    read: Read,
    fmt: DataFormat,
    *,
    may_be_quick: bool = False,
    filename: str | None = None,
) -> Response:
    """Decide, read and encode; commit the read's record (grouped with the records of concurrent
    reads); only then answer.

    A quick read (a few rows by key from a snapshot in memory) runs on the event loop; anything
    slower runs in a worker thread. Measured under load, handing every small read to a thread
    cost more CPU in GIL hand-offs than the read itself.
    """
    state = request.app.state
    platform: Platform = state.platform
    live: LiveAccessPolicy = state.access_policy
    snapshots: SnapshotCache = state.snapshots
    recorder: ReadRecorder = state.read_recorder
    now = platform.clock.now()

    def prepare(quick_only: bool) -> tuple[ReadRecord, Response]:
        result = read(live.start(), snapshots, now, quick_only)
        name = filename and f"{filename}-{result.snapshot_id}"
        if isinstance(result, StreamedRead):
            assert name, "only a download is too large to hold"
            return _respond_from_file(result, fmt, _spool(platform), name)
        return result.record, _respond(result, fmt, _spool(platform), filename=name)

    answered: tuple[ReadRecord, Response] | None = None
    if may_be_quick and fmt is not DataFormat.ARROW:  # Arrow streams from a thread anyway
        with contextlib.suppress(NotInMemory):
            answered = prepare(quick_only=True)
    if answered is None:
        answered = await run_in_threadpool(prepare, False)
    record, response = answered
    try:
        await recorder.record(record)
    except BaseException:
        if isinstance(response, FileResponse):  # never sent: its file goes now
            Path(response.path).unlink(missing_ok=True)
        raise
    return response


class RowsQuery(BaseModel):
    """The query of a read (API query mode), validated at once: see :mod:`query_models`."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    purpose: str = Field(
        min_length=2,
        description="What the data is for (R15); recorded with the read.",
        examples=["核验企业法定代表人"],
    )
    columns: str | None = Field(
        None, description="Data items to return, comma-separated; all you may read by default."
    )
    filter: list[str] = Field(
        default_factory=list,
        description="Repeatable: `item:eq:value`, `item:in:a|b`, `item:range:low..high`.",
        examples=[["district:eq:南山区"]],
    )
    limit: int | None = Field(None, ge=1, description="Rows per page.")
    cursor: str | None = Field(None, description="X-Next-Cursor of the previous page.")
    snapshot_id: int | None = Field(None, description="A past snapshot; the current by default.")
    grant_id: int | None = Field(
        None, description="Read under this grant; by default the newest that applies."
    )
    format: DataFormat = DataFormat.JSON


async def read_rows(
    request: Request, classification: str, sequence: str, actor: CurrentPrincipal
) -> Response:
    """Items not granted are refused with 403 naming them; every read is recorded with its
    purpose, grant and row count."""
    query = query_of(RowsQuery, request)
    settings = request.app.state.platform.settings
    page = min(query.limit or settings.page_rows, settings.max_page_rows)
    read = _request(
        classification,
        sequence,
        SharingMode.API_QUERY,
        query.purpose,
        query.columns,
        query.filter,
        query.grant_id,
        snapshot_id=query.snapshot_id,
        limit=page,
        cursor=query.cursor,
    )
    return await _answer(
        request,
        lambda pdp, snapshots, now, quick_only: data_reads.read(
            pdp=pdp, snapshots=snapshots, actor=actor, request=read, at=now, quick_only=quick_only
        ),
        query.format,
        may_be_quick=True,
    )


# The hottest route: answered by LeanRoute, which calls it without FastAPI's dependency machinery.
router.add_api_route(
    RESOURCE + "/rows",
    read_rows,
    methods=["GET"],
    summary="Read a resource (API query mode)",
    response_class=Response,
    responses={200: {"content": {m: {} for m in MEDIA_TYPES.values()}}},
    openapi_extra={"parameters": openapi_parameters(RowsQuery)},
    route_class_override=LeanRoute,
)


@router.get(
    RESOURCE + "/download",
    summary="Download a resource as one file (bulk download mode)",
    response_class=Response,
)
async def download(
    request: Request,
    classification: str,
    sequence: str,
    purpose: Purpose,
    actor: CurrentPrincipal,
    columns: Columns = None,
    filters: Filters = [],  # noqa: B006
    snapshot_id: int | None = None,
    grant_id: GrantId = None,
    format: DataFormat = DataFormat.PARQUET,
) -> Response:
    read = _request(
        classification,
        sequence,
        SharingMode.BULK_DOWNLOAD,
        purpose,
        columns,
        filters,
        grant_id,
        snapshot_id=snapshot_id,
    )
    return await _answer(
        request,
        lambda pdp, snapshots, now, _: data_reads.read_all(
            pdp=pdp, snapshots=snapshots, actor=actor, request=read, at=now
        ),
        format,
        filename=f"{classification}-{sequence}",
    )


@router.get(
    RESOURCE + "/changes",
    summary="Rows added and removed since a snapshot (subscription mode)",
    response_class=Response,
)
async def changes(
    request: Request,
    classification: str,
    sequence: str,
    since_snapshot: Annotated[int, Query(description="The X-Snapshot-Id you last received.")],
    purpose: Purpose,
    actor: CurrentPrincipal,
    columns: Columns = None,
    grant_id: GrantId = None,
    format: DataFormat = DataFormat.JSON,
) -> Response:
    read = _request(
        classification, sequence, SharingMode.SUBSCRIPTION, purpose, columns, [], grant_id
    )
    return await _answer(
        request,
        lambda pdp, snapshots, now, _: data_reads.changes_since(
            pdp=pdp,
            snapshots=snapshots,
            actor=actor,
            request=read,
            since_snapshot_id=since_snapshot,
            at=now,
        ),
        format,
    )


@router.post(RESOURCE + "/verify", summary="Verify records against a resource (核验)")
def verify_records(
    request: Request,
    classification: str,
    sequence: str,
    call: VerifyCall,
    actor: CurrentPrincipal,
    session: DbSession,
    platform: AppPlatform,
) -> VerifyAnswer:
    """Each record gives the resource's key and the values it claims; each claimed item is
    answered ``match``, ``mismatch`` or ``not_found`` — never with a stored value. Counts
    against the grant's daily quota of records; audited with its purpose and counts."""
    verified = verify(
        session,
        pdp=request.app.state.access_policy.start(),
        snapshots=request.app.state.snapshots,
        actor=actor,
        request=VerifyRequest(
            code=f"{classification}/{sequence}",
            purpose=call.purpose,
            records=call.records,
            normalise=frozenset(call.normalise),
            grant_id=call.grant_id,
        ),
        at=platform.clock.now(),
        settings=platform.settings,
    )
    return VerifyAnswer(
        resource=f"{classification}/{sequence}",
        snapshot_id=verified.snapshot_id,
        basis=verified.decision.basis,
        grant_id=verified.decision.grant_id,
        keys=list(verified.keys),
        items=list(verified.items),
        counts=verified.counts,
        results=verified.results,
    )
