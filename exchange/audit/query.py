"""Searching the audit log, newest first, by cursor."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange.audit.models import AuditRecord


@dataclass(frozen=True)
class AuditFilter:
    action: str | None = None
    actor: str | None = None
    department_code: str | None = None
    outcome: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    without_actions: tuple[str, ...] = ()  # e.g. the sign-ins, to read the rest


def search_records(
    session: Session, criteria: AuditFilter, *, before_seq: int | None = None, limit: int = 100
) -> list[AuditRecord]:
    query = select(AuditRecord)
    for column, value in (
        (AuditRecord.action, criteria.action),
        (AuditRecord.actor, criteria.actor),
        (AuditRecord.department_code, criteria.department_code),
        (AuditRecord.outcome, criteria.outcome),
        (AuditRecord.object_type, criteria.object_type),
        (AuditRecord.object_id, criteria.object_id),
    ):
        if value is not None:
            query = query.where(column == value)
    if criteria.without_actions:
        query = query.where(AuditRecord.action.not_in(criteria.without_actions))
    if criteria.start is not None:
        query = query.where(AuditRecord.at >= criteria.start)
    if criteria.end is not None:
        query = query.where(AuditRecord.at < criteria.end)
    if before_seq is not None:
        query = query.where(AuditRecord.seq < before_seq)
    return list(session.scalars(query.order_by(AuditRecord.seq.desc()).limit(limit)))
