"""A preview of what the caller may read of a resource, and its download as CSV: the same
decision point, the same reads and the same usage records as the data API (R15, R16)."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from exchange.runtime import Platform
from exchange_api.data_formats import csv_bytes
from exchange_api.portal.web import PortalUser, render
from policies import data_reads
from policies.data_reads import ReadRequest, ReadResult
from policies.read_records import ReadRecorder
from policies.vocab import SharingMode

router = APIRouter(include_in_schema=False)
PREVIEW_ROWS = 20


async def _read(request: Request, actor: object, read: ReadRequest) -> ReadResult:
    state = request.app.state
    platform: Platform = state.platform
    now = platform.clock.now()
    result = await run_in_threadpool(
        lambda: data_reads.read(
            pdp=state.access_policy.start(), snapshots=state.snapshots, actor=actor,  # type: ignore[arg-type]
            request=read, at=now,
        )
    )  # fmt: skip
    recorder: ReadRecorder = state.read_recorder
    await recorder.record(result.record)  # the read is on record before any data is shown
    return result


def _columns(text: str) -> tuple[str, ...] | None:
    """Named columns, or None for everything the caller may read."""
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    return names or None


def _mode(text: str) -> str:
    return (
        text
        if text in (SharingMode.API_QUERY, SharingMode.BULK_DOWNLOAD)
        else SharingMode.API_QUERY
    )


@router.get("/data/{classification}/{sequence}")
async def preview(
    request: Request, classification: str, sequence: str, actor: PortalUser,
    purpose: str = "", mode: str = SharingMode.API_QUERY, columns: str = "",
) -> Response:  # fmt: skip
    code = f"{classification}/{sequence}"
    page: dict[str, Any] = {
        "code": code,
        "mode": _mode(mode),
        "wanted": columns,
        "purpose": purpose,
    }
    if not purpose.strip():
        return render(request, "data_preview.html", result=None, **page)
    read = ReadRequest(
        code=code, mode=_mode(mode), purpose=purpose, items=_columns(columns), limit=PREVIEW_ROWS
    )
    result = await _read(request, actor, read)
    return render(
        request, "data_preview.html", result=result, columns=result.data.column_names,
        rows=result.data.to_pylist(), **page,
    )  # fmt: skip


@router.get("/data/{classification}/{sequence}/download.csv")
async def download(
    request: Request, classification: str, sequence: str, actor: PortalUser, purpose: str,
    mode: str = SharingMode.API_QUERY, columns: str = "",
) -> Response:  # fmt: skip
    code = f"{classification}/{sequence}"
    read = ReadRequest(code=code, mode=_mode(mode), purpose=purpose, items=_columns(columns))
    result = await _read(request, actor, read)
    name = f"{code.replace('/', '-')}-{result.snapshot_id}.csv"
    return Response(
        csv_bytes(result.data), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"',
                 "X-Snapshot-Id": str(result.snapshot_id)},
    )  # fmt: skip
