"""Rows an ingestion set aside are findings the provider must answer (R19), like any other.

A run that sets rows aside — because they could not be stored, or because there were too many to
write anything — opens the provider's quality issue for the resource (or refreshes the unresolved
one), each finding naming its source file and line. The issue closes once a later run of the
resource sets nothing aside.
"""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import Resource
from collection.conform import SetAside
from collection.models import IngestRun
from collection.vocab import RunStatus
from exchange.i18n import Message
from exchange.principal import Principal
from exchange.workflow import WorkflowEnvironment
from quality.compare import MAX_FINDINGS
from quality.issues import STILL_FAILING, report_findings, unresolved_issue
from quality.models import QualityIssue
from quality.vocab import IssueOrigin


def finding(row: SetAside) -> dict[str, Any]:
    return {
        "kind": "set_aside",
        "line": row.line,
        "file": row.file,
        "problems": row.problems,
        "value": row.data,
    }


def report_set_aside(
    session: Session,
    *,
    actor: Principal,
    env: WorkflowEnvironment,
    run: IngestRun,
    rows: list[SetAside],
) -> None:
    """Open (or refresh) the provider's issue for the rows ``run`` set aside."""
    if not rows:
        return
    resource = session.get_one(Resource, run.resource_id)
    title = Message(
        "Ingestion of {code} set aside {count} rows that could not be stored",
        code=resource.code, count=len(rows),
    )  # fmt: skip
    findings = [finding(row) for row in rows[:MAX_FINDINGS]]
    existing = unresolved_issue(session, resource_id=resource.id, origin=IssueOrigin.INGEST)
    if existing is not None:
        existing.ingest_run_id, existing.snapshot_id = run.id, run.snapshot_id
    report_findings(
        session,
        actor=actor,
        env=env,
        existing=existing,
        found=QualityIssue(
            origin=IssueOrigin.INGEST,
            ingest_run_id=run.id,
            resource_id=resource.id,
            department_id=resource.provider_department_id,
            snapshot_id=run.snapshot_id,
            title=title.english[:200],
            title_message=title,
            row_count=len(rows),
            rows=findings,
        ),
        code=resource.code,
    )


def _still_set_aside(session: Session, issue: QualityIssue) -> str | None:
    latest = session.scalar(
        select(IngestRun)
        .where(
            IngestRun.resource_id == issue.resource_id,
            IngestRun.id > (issue.ingest_run_id or 0),
            IngestRun.status.in_((RunStatus.SUCCEEDED, RunStatus.FAILED)),
            IngestRun.rows_read.is_not(None),
        )
        .order_by(IngestRun.id.desc())
        .limit(1)
    )
    if latest is None:
        return "no later run has read the source yet"
    if latest.rows_rejected:
        return f"run {latest.run_key} still set {latest.rows_rejected} rows aside"
    return None


STILL_FAILING[IssueOrigin.INGEST] = _still_set_aside
