"""Verification in the portal (核验, R3/R14): paste a table copied from a spreadsheet, or upload
one, and see per record and item whether the claims match — the same decision, quota, usage
row and audit record as ``POST /api/v1/data/{code}/verify``."""

import csv
import io
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from catalog import entries
from exchange.errors import DomainError, InvalidInput
from exchange.normalising import Normalisation
from exchange.principal import Principal
from exchange.runtime import Platform
from exchange.spreadsheets import uploaded_table
from exchange_api.deps import AppPlatform, DbSession
from exchange_api.portal.web import PortalUser, checked_form, render, shown
from policies.verification import Verified, VerifyRequest, verify

router = APIRouter(include_in_schema=False)
MAX_UPLOAD = 5 * 1024 * 1024  # a spreadsheet of 10,000 records is far smaller


def _items(session: Any, actor: Principal, code: str) -> list[Any]:
    resource = entries.visible_resource(session, code, actor)
    version = entries.published_version(session, resource)
    return list(version.items) if version else []


@router.get("/data/{classification}/{sequence}/verify")
def verify_page(
    request: Request, classification: str, sequence: str, actor: PortalUser, session: DbSession
) -> Response:
    code = f"{classification}/{sequence}"
    return render(
        request, "verify.html", code=code, items=_items(session, actor, code), verified=None,
        form={}, normalisations=list(Normalisation),
    )  # fmt: skip


def _records(rows: list[list[str]], items: list[Any]) -> list[dict[str, Any]]:
    """Rows under a header of item names or labels → records by item name."""
    if len(rows) < 2:
        raise InvalidInput(
            "give a header row of data items and at least one record", detail={"field": "table"}
        )
    by_heading = {i.name: i.name for i in items} | {i.label: i.name for i in items}
    header = [cell.strip() for cell in rows[0]]
    unknown = [cell for cell in header if cell and cell not in by_heading]
    if unknown:
        raise InvalidInput(
            "not data items of this resource: {unknown}",
            detail={"field": "table", "unknown": unknown},
            unknown=", ".join(unknown),
        )
    names = [by_heading.get(cell) for cell in header]
    return [
        {name: value for name, value in zip(names, row, strict=False) if name and value.strip()}
        for row in rows[1:]
        if any(cell.strip() for cell in row)
    ]


def _pasted(text: str) -> list[list[str]]:
    """A table copied from a spreadsheet comes tab-separated; typed by hand, comma-separated."""
    lines = text.strip().splitlines()
    delimiter = "\t" if lines and "\t" in lines[0] else ","
    return [list(row) for row in csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)]


def _verify(
    request: Request, platform: Platform, actor: Principal, call: VerifyRequest
) -> Verified:
    with platform.database.transaction() as session:
        return verify(
            session, pdp=request.app.state.access_policy.start(),
            snapshots=request.app.state.snapshots, actor=actor, request=call,
            at=platform.clock.now(), settings=platform.settings,
        )  # fmt: skip


@router.post("/data/{classification}/{sequence}/verify")
async def verify_submitted(
    request: Request,
    classification: str,
    sequence: str,
    actor: PortalUser,
    platform: AppPlatform,
) -> Response:
    code = f"{classification}/{sequence}"
    form = await checked_form(request)
    upload = (await request.form()).get("file")
    with platform.database.transaction() as session:
        items = _items(session, actor, code)
    verified, error, records = None, None, []
    try:
        if isinstance(upload, UploadFile) and upload.filename:
            content = await upload.read(MAX_UPLOAD + 1)
            if len(content) > MAX_UPLOAD:
                raise InvalidInput("the file is larger than 5 MB", detail={"field": "file"})
            rows = list(uploaded_table(content, upload.filename)[1])
        else:
            rows = _pasted(form.get("table", ""))
        records = _records(rows, items)
        call = VerifyRequest(
            code=code,
            purpose=form.get("purpose", ""),
            records=records,
            normalise=frozenset(
                Normalisation(n) for n in Normalisation if form.get(f"normalise_{n.value}")
            ),
        )
        verified = await run_in_threadpool(_verify, request, platform, actor, call)
    except DomainError as error_raised:
        error = await run_in_threadpool(shown, request, error_raised)
    return render(
        request, "verify.html", code=code, items=items, verified=verified, records=records,
        form=form, error=error, normalisations=list(Normalisation),
        status_code=200 if error is None else 400,
    )  # fmt: skip
