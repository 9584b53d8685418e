"""The audit log for auditors: search, and the chain's verification status."""

from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel, Field

from exchange.audit.checkpoint import verify_audit
from exchange.audit.query import AuditFilter, search_records
from exchange_api.deps import AppPlatform, Auditor, DbSession
from exchange_api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/api/v1/audit", tags=["audit"], responses=ERROR_RESPONSES)


class AuditRecordPublic(BaseModel):
    seq: int
    at: datetime
    actor: str
    actor_user_id: int | None
    department_code: str | None
    action: str
    object_type: str | None
    object_id: str | None
    outcome: str
    purpose: str | None
    grant_id: int | None
    request_id: int | None
    client_address: str | None
    detail: dict[str, Any]
    hash: str


class AuditPage(BaseModel):
    records: list[AuditRecordPublic]
    next_before_seq: int | None


class ChainStatus(BaseModel):
    ok: bool
    records_checked: int
    chain: int | None = Field(None, description="The chain of the first bad record.")
    position: int | None = Field(None, description="Its position in that chain.")
    message: str


@router.get("", summary="Search the audit log, newest first")
def search(
    _: Auditor,
    session: DbSession,
    action: str | None = None,
    actor: str | None = None,
    department_code: str | None = None,
    outcome: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    start: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    end: Annotated[AwareDatetime | None, Query(alias="to")] = None,
    before_seq: Annotated[
        int | None, Query(description="Cursor: next_before_seq of the last page.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AuditPage:
    criteria = AuditFilter(
        action, actor, department_code, outcome, object_type, object_id, start, end
    )
    rows = search_records(session, criteria, before_seq=before_seq, limit=limit)
    records = [
        AuditRecordPublic(
            **{
                name: getattr(row, name)
                for name in AuditRecordPublic.model_fields
                if name != "detail"
            },
            detail=orjson.loads(row.detail),
        )
        for row in rows
    ]
    next_cursor = rows[-1].seq if len(rows) == limit else None
    return AuditPage(records=records, next_before_seq=next_cursor)


@router.get("/verify", summary="Verify the whole hash chain")
def verify(_: Auditor, session: DbSession, platform: AppPlatform) -> ChainStatus:
    report = verify_audit(session.connection(), platform.settings)
    return ChainStatus(
        ok=report.ok,
        records_checked=report.records_checked,
        chain=report.chain,
        position=report.position,
        message=report.message,
    )
