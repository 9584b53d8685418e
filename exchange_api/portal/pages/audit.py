"""The auditor's page: search the audit log and see whether the hash chain verifies."""

from datetime import date, datetime, time
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from exchange.actions import ACTIONS
from exchange.audit.checkpoint import verify_audit
from exchange.audit.labels import SIGN_IN_ACTIONS, action_label
from exchange.audit.query import AuditFilter, search_records
from exchange.errors import InvalidInput
from exchange_api.deps import AppPlatform, DbSession
from exchange_api.portal.web import PortalUser, render

router = APIRouter(include_in_schema=False)
PAGE = 100


def _day(text: str, end: bool, zone: Any) -> datetime | None:
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError as error:
        raise InvalidInput("give dates as YYYY-MM-DD", detail={"field": "date"}) from error
    return datetime.combine(day, time.max if end else time.min, tzinfo=zone)


@router.get("/audit")
def audit_log(
    request: Request, actor: PortalUser, session: DbSession, platform: AppPlatform,
    action: str = "", by: Annotated[str, Query(alias="actor")] = "", outcome: str = "",
    object_id: str = "", start: str = "", end: str = "", before: int | None = None,
    verify: bool = False, hide_sign_ins: str = "",
) -> Response:  # fmt: skip
    ACTIONS.require(actor, "other", "audit", "search")
    zone = platform.settings.zone
    criteria = AuditFilter(
        action=action or None, actor=by or None, outcome=outcome or None,
        object_id=object_id or None, start=_day(start, False, zone), end=_day(end, True, zone),
        without_actions=SIGN_IN_ACTIONS if hide_sign_ins == "true" else (),
    )  # fmt: skip
    rows = search_records(session, criteria, before_seq=before, limit=PAGE)
    records = [(row, action_label(row.action), _legible(orjson.loads(row.detail))) for row in rows]
    chain = verify_audit(session.connection(), platform.settings) if verify else None
    query = {"action": action, "actor": by, "outcome": outcome, "object_id": object_id,
             "start": start, "end": end, "hide_sign_ins": "true" if hide_sign_ins == "true" else ""}  # fmt: skip
    return render(
        request, "audit.html", records=records, chain=chain, query=query,
        next_before=rows[-1].seq if len(rows) == PAGE else None,
    )  # fmt: skip


def _legible(detail: Any) -> list[tuple[str, str]]:
    """A record's details as lines of name and value, nested values written out compactly."""
    if not isinstance(detail, dict):
        return [("", _text(detail))]
    return [(str(key), _text(value)) for key, value in detail.items()]


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str | int) for v in value):
        return ", ".join(str(v) for v in value)
    return orjson.dumps(value).decode()
