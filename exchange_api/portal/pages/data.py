"""A preview of what the caller may read of a resource, and its download as CSV: the same
decision point, the same reads and the same usage records as the data API (R15, R16)."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy import select

from catalog import entries
from catalog.models import Resource
from exchange.errors import NotFound
from exchange.runtime import Platform
from exchange.spreadsheets import XLSX_TYPE, neutralised, xlsx_document
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


async def _named(request: Request, code: str) -> tuple[str, dict[str, str]]:
    """The resource's name and its items' names, as people know them (the code and identifiers
    if it is not published)."""
    platform: Platform = request.app.state.platform

    def look_up() -> tuple[str, dict[str, str]]:
        with platform.database.transaction() as session:
            resource = session.scalars(select(Resource).where(Resource.code == code)).first()
            version = None if resource is None else entries.published_version(session, resource)
            if resource is None or version is None:
                return code, {}
            return version.name, entries.item_labels(session, resource)

    return await run_in_threadpool(look_up)


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
    name, item_labels = await _named(request, code)
    page: dict[str, Any] = {
        "code": code,
        "name": name,
        "item_labels": item_labels,
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


@router.get("/data/{classification}/{sequence}/download.{extension}")
async def download(
    request: Request, classification: str, sequence: str, extension: str, actor: PortalUser,
    purpose: str, mode: str = SharingMode.API_QUERY, columns: str = "",
) -> Response:  # fmt: skip
    if extension not in ("csv", "xlsx"):
        raise NotFound("download as .csv or .xlsx")
    code = f"{classification}/{sequence}"
    read = ReadRequest(code=code, mode=_mode(mode), purpose=purpose, items=_columns(columns))
    result = await _read(request, actor, read)
    _, item_labels = await _named(request, code)
    # People open the file in a spreadsheet: the header row names the items as the catalog does.
    # The names come from the catalog: a spreadsheet must not run one as a formula either.
    header = [neutralised(item_labels.get(c, c)) for c in result.data.column_names]
    name = f"{code.replace('/', '-')}-{result.snapshot_id}.{extension}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"',
                   "X-Snapshot-Id": str(result.snapshot_id)}  # fmt: skip
    if extension == "xlsx":
        rows = zip(*(column.to_pylist() for column in result.data.columns), strict=True)
        content = await run_in_threadpool(xlsx_document, header, rows)
        return Response(content, media_type=XLSX_TYPE, headers=disposition)
    named = result.data.rename_columns(header)
    return Response(csv_bytes(named), media_type="text/csv; charset=utf-8", headers=disposition)
