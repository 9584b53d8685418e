"""Validating a snapshot: the resource's suite runs on it, the result is stored per snapshot, a
failure opens (or updates) the provider's quality issue, and a blocking failure quarantines the
snapshot so the data API keeps serving the last passing one."""

import time as timer
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.entries import get_resource, published_version
from catalog.models import Resource
from exchange import audit, fault_points
from exchange.actions import ACTIONS, relation_of
from exchange.audit import Outcome
from exchange.background_work import tracked
from exchange.data_status import status_to_change
from exchange.errors import Conflict, NotFound
from exchange.i18n import Message, joined
from exchange.principal import Principal
from exchange.runtime import Platform
from exchange.store import UnifiedStore
from quality.issues import STILL_FAILING, report_findings, unresolved_issue
from quality.models import QualityIssue, StewardExpectation, ValidationRun
from quality.suites import Check, check_message, generated_checks, naming_item, steward_check
from quality.vocab import IssueOrigin, RunTrigger

VALIDATOR = Principal.system("validation")


def suite_for(session: Session, resource: Resource) -> list[Check]:
    version = published_version(session, resource)
    if version is None:
        raise Conflict("entry {code} is not published: it has no suite yet", code=resource.code)
    items = list(version.items)
    extra = session.scalars(
        select(StewardExpectation)
        .where(
            StewardExpectation.resource_id == resource.id, StewardExpectation.removed_at.is_(None)
        )
        .order_by(StewardExpectation.id)
    )
    names = [i.name for i in items]
    return generated_checks(items) + [
        steward_check(e.kind, e.column, e.params, e.blocking, names) for e in extra
    ]


def key_columns(session: Session, resource: Resource) -> list[str]:
    version = published_version(session, resource)
    return [] if version is None else [i.name for i in version.items if i.is_key]


def name_column(session: Session, resource: Resource) -> str | None:
    version = published_version(session, resource)
    return None if version is None else naming_item(list(version.items))


def require_may_validate(actor: Principal, resource: Resource) -> None:
    relation = relation_of(actor, provider_id=resource.provider_department_id)
    if not (
        ACTIONS.allows(actor, relation, "quality", "manage")
        or ACTIONS.allows(actor, relation, "quality", "validate")
    ):
        ACTIONS.require(
            actor, relation, "quality", "validate",
            explain="checks are run by the bureau's stewards or the provider's data resource administrator",
        )  # fmt: skip


def validate_snapshot(
    platform: Platform,
    *,
    code: str,
    snapshot_id: int | None = None,
    trigger: RunTrigger = RunTrigger.ON_DEMAND,
    actor: Principal = VALIDATOR,
    store: UnifiedStore | None = None,
) -> ValidationRun:
    """Run the suite on a snapshot (the current one by default) and act on the result. Two
    transactions of its own, around reading the snapshot and running the checks.

    For an ingest, validating the same snapshot again returns the run already stored: a retried
    Airflow task never opens a second issue. Tracked as background work (exchange.background_work)."""
    with tracked(platform, "validation", code):
        return _validate(platform, code, snapshot_id, trigger, actor, store)


def _validate(
    platform: Platform,
    code: str,
    snapshot_id: int | None,
    trigger: RunTrigger,
    actor: Principal,
    store: UnifiedStore | None,
) -> ValidationRun:
    from quality.runner import run_checks

    store = store or UnifiedStore(platform.settings)
    with platform.database.transaction() as session:
        resource = get_resource(session, code)
        if actor is not VALIDATOR:
            require_may_validate(actor, resource)
        current = store.current_snapshot_id(code)
        snapshot_id = snapshot_id or current
        if snapshot_id is None:
            raise NotFound("resource {code} has no data in the store yet", code=code)
        if trigger == RunTrigger.INGEST:
            done = session.scalar(
                select(ValidationRun).where(
                    ValidationRun.resource_id == resource.id,
                    ValidationRun.snapshot_id == snapshot_id,
                    ValidationRun.trigger == RunTrigger.INGEST,
                )
            )
            if done is not None:
                return done
        checks, keys = suite_for(session, resource), key_columns(session, resource)
        name = name_column(session, resource)
        resource_id = resource.id
    started = timer.perf_counter()
    data = store.scan(code, snapshot_id=snapshot_id)
    today = platform.clock.now().astimezone(platform.settings.zone).date()
    located_by = keys + ([name] if name else [])
    results = run_checks(data, checks, today=today, key_columns=located_by)
    seconds = timer.perf_counter() - started
    failed = [r for r in results if not r.success]
    fault_points.reached("validation.checked")
    with platform.database.transaction() as session:
        env = platform.workflow_environment(session)
        run = ValidationRun(
            resource_id=resource_id,
            resource_code=code,
            snapshot_id=snapshot_id,
            trigger=trigger,
            finished_at=env.now,
            seconds=round(seconds, 3),
            rows=data.num_rows,
            checks=len(results),
            failed_checks=len(failed),
            passed=not failed,
            blocking_failed=any(r.check.blocking for r in failed),
            report={"checks": [r.as_dict() for r in results], "keys": keys, "name": name},
        )
        session.add(run)
        session.flush()
        if snapshot_id == current:  # what an older snapshot's run says changes no serving
            _serve_passing(session, run, env.now)
        if failed:
            _record_issue(session, run, env=env)
        audit.record(
            session,
            at=env.now,
            actor=actor,
            action="quality.validate",
            outcome=Outcome.ALLOWED if run.passed else Outcome.FAILED,
            object_type="resource",
            object_id=code,
            detail={
                "run": run.id,
                "snapshot": snapshot_id,
                "failed_checks": [r.check.name for r in failed],
                "quarantined": run.blocking_failed,
            },
        )
    fault_points.reached("validation.recorded")
    return run


def _serve_passing(session: Session, run: ValidationRun, now: datetime) -> None:
    """Quarantine the snapshot after a blocking failure (readers get the last passing one), or
    lift the quarantine once a newer snapshot passes."""
    status = status_to_change(session, run.resource_code, now)
    if run.blocking_failed:
        last_passing = session.scalar(
            select(ValidationRun.snapshot_id)
            .where(
                ValidationRun.resource_id == run.resource_id,
                ValidationRun.blocking_failed.is_(False),
                ValidationRun.snapshot_id != run.snapshot_id,
            )
            .order_by(ValidationRun.id.desc())
            .limit(1)
        )
        failed = [c["check"] for c in run.report["checks"] if c["blocking"] and not c["success"]]
        status.quarantined_snapshot_id = run.snapshot_id
        status.fallback_snapshot_id = last_passing
        status.quarantine_reason = "blocking checks failed: " + ", ".join(failed)
    elif status.quarantined_snapshot_id is not None:
        status.quarantined_snapshot_id = status.fallback_snapshot_id = None
        status.quarantine_reason = None


def _failing_rows(run: ValidationRun) -> list[dict[str, Any]]:
    rows = []
    for check in run.report["checks"]:
        if not check["success"]:
            for sample in check["samples"] or [{}]:
                rows.append(
                    {"check": check["check"], "description": check["description"], **sample}
                )
    return rows


def _record_issue(session: Session, run: ValidationRun, *, env: Any) -> None:
    """One issue per resource while it is unresolved: a later failing run updates its rows."""
    resource = session.get_one(Resource, run.resource_id)
    failed = sum(c["failed_rows"] for c in run.report["checks"] if not c["success"])
    failing = [c for c in run.report["checks"] if not c["success"]]
    title = Message(
        "Validation of {code} failed: {checks}",
        code=run.resource_code,
        checks=joined([check_message(c["kind"], c["columns"]) for c in failing]),
    )
    existing = unresolved_issue(session, resource_id=run.resource_id, origin=IssueOrigin.VALIDATION)
    if existing is not None:
        existing.validation_run_id = run.id  # its snapshot stays the one it was found on
    report_findings(
        session,
        actor=VALIDATOR,
        env=env,
        existing=existing,
        found=QualityIssue(
            origin=IssueOrigin.VALIDATION,
            validation_run_id=run.id,
            resource_id=run.resource_id,
            department_id=resource.provider_department_id,
            snapshot_id=run.snapshot_id,
            title=title.english[:200],
            title_message=title,
            row_count=failed,
            rows=_failing_rows(run),
        ),
        code=run.resource_code,
    )


def _validation_still_fails(session: Session, issue: QualityIssue) -> str | None:
    latest = session.scalar(
        select(ValidationRun)
        .where(ValidationRun.resource_id == issue.resource_id)
        .order_by(ValidationRun.id.desc())
        .limit(1)
    )
    if latest is None or latest.snapshot_id == issue.snapshot_id:
        return "no newer snapshot has been checked yet"
    found = {row["check"] for row in issue.rows}
    still = [
        c["check"] for c in latest.report["checks"] if c["check"] in found and not c["success"]
    ]
    if still:
        return f"snapshot {latest.snapshot_id} still fails {', '.join(still)}"
    return None


STILL_FAILING[IssueOrigin.VALIDATION] = _validation_still_fails
