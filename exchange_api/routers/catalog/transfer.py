"""The catalog in and out as documents: the spreadsheet import (all or nothing) and the exports
(the template, JSON, DCAT-AP)."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, UploadFile

from catalog.transfer import check_may_import, export_catalog, import_catalog
from exchange.identity.service import get_department
from exchange.spreadsheets import CSV_TYPE, XLSX_TYPE
from exchange_api.deps import AppPlatform, CurrentPrincipal, DbSession
from exchange_api.errors import ERROR_RESPONSES, documented_as
from exchange_api.schemas.catalog import ImportReport

router = APIRouter(prefix="/api/v1/catalog", tags=["catalog"], responses=ERROR_RESPONSES)


@router.post(
    "/import",
    summary="Import entries from the spreadsheet template (.xlsx or .csv), all or nothing; "
    "importing the same file again changes nothing",
)
def import_file(
    file: UploadFile, actor: CurrentPrincipal, session: DbSession, platform: AppPlatform
) -> ImportReport:
    # A plain function: FastAPI runs it in a worker thread, so parsing never blocks other requests.
    check_may_import(actor)
    result = import_catalog(
        session,
        actor=actor,
        now=platform.clock.now(),
        content=file.file.read(),
        filename=file.filename or "upload.csv",
        max_rows=platform.settings.import_max_rows,
    )
    return ImportReport(
        created=result.created, changed=result.changed, unchanged=result.unchanged,
        warnings=result.warnings,
    )  # fmt: skip


@router.get(
    "/export",
    summary="Export entries: xlsx or csv template, json, or dcat (DCAT-AP JSON-LD)",
    responses=documented_as("application/json", "application/ld+json", XLSX_TYPE, CSV_TYPE),
)
def export(
    actor: CurrentPrincipal,
    session: DbSession,
    platform: AppPlatform,
    export_format: Annotated[str, Query(alias="format", pattern="^(xlsx|csv|json|dcat)$")] = "xlsx",
    provider: str | None = None,
    lang: Annotated[
        str, Query(pattern="^(zh|en)$", description="The template's language (xlsx, csv)")
    ] = "zh",
) -> Response:
    provider_id = get_department(session, provider).id if provider else None
    exported = export_catalog(
        session, actor=actor, export_format=export_format,
        base_url=platform.settings.public_base_url, provider_department_id=provider_id,
        language=lang,
    )  # fmt: skip
    if export_format in ("json", "dcat"):
        return Response(exported.content, media_type=exported.media_type)
    return Response(
        exported.content,
        media_type=exported.media_type,
        headers={"Content-Disposition": f'attachment; filename="catalog.{export_format}"'},
    )
