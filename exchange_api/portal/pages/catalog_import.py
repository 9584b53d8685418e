"""A department's catalog as a spreadsheet in the browser: the empty template and the
department's own entries to download, and the import with its report (R1). Downloads use the
portal's session, as every page does."""

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from catalog.transfer import (
    ImportResult,
    blank_template,
    check_may_import,
    department_workbook,
    import_catalog,
)
from exchange.errors import DomainError
from exchange.principal import Principal
from exchange.runtime import Platform
from exchange.spreadsheets import XLSX_TYPE
from exchange_api.deps import AppPlatform, DbSession
from exchange_api.errors import record_refusal
from exchange_api.portal.web import PortalUser, checked_form, language, render, say

router = APIRouter(include_in_schema=False)


@router.get("/catalog/import")
def import_page(request: Request, actor: PortalUser) -> Response:
    check_may_import(actor)
    return render(request, "catalog_import.html", problems=None, result=None)


@router.get("/catalog/import/template.xlsx")
def template(request: Request, actor: PortalUser, session: DbSession) -> Response:
    check_may_import(actor)
    return _workbook(blank_template(session, language(request)), "目录模板.xlsx")


@router.get("/catalog/import/mine.xlsx")
def own_entries(request: Request, actor: PortalUser, session: DbSession) -> Response:
    check_may_import(actor)
    content = department_workbook(session, actor=actor, language=language(request))
    return _workbook(content, "本部门目录.xlsx")


def _workbook(content: bytes, filename: str) -> Response:
    disposition = f"attachment; filename*=UTF-8''{quote(filename)}"
    return Response(content, media_type=XLSX_TYPE, headers={"Content-Disposition": disposition})


def _import(platform: Platform, actor: Principal, content: bytes, filename: str) -> ImportResult:
    with platform.database.transaction() as session:
        return import_catalog(session, actor=actor, now=platform.clock.now(), content=content,
                              filename=filename, max_rows=platform.settings.import_max_rows)  # fmt: skip


@router.post("/catalog/import")
async def import_file(request: Request, actor: PortalUser, platform: AppPlatform) -> Response:
    await checked_form(request)
    upload = (await request.form()).get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return render(
            request, "catalog_import.html", problems=None, result=None,
            error=say(request, "Choose a file"),
        )  # fmt: skip
    try:
        check_may_import(actor)  # before the file is read
        content = await upload.read()
        # Parsing takes seconds for a large file: in a worker thread, never on the event loop.
        result = await run_in_threadpool(_import, platform, actor, content, upload.filename)
    except DomainError as error:
        await run_in_threadpool(record_refusal, request, error)
        problems = error.detail if isinstance(error.detail, list) else []
        return render(
            request, "catalog_import.html", problems=problems, result=None,
            error=error.in_language(language(request)), status_code=400,
        )  # fmt: skip
    # Shown here, not redirected: importing the same file again changes nothing.
    return render(request, "catalog_import.html", problems=None, result=result)
