"""Quality issues (R19): open → acknowledged → answered within 5 working days (a setting) →
verified by a steward → closed.

The responsible department answers *corrected*, *confirmed* (with evidence) or *disputed* (with
its reasons). A corrected issue closes only when its check passes on a newer snapshot: the
answer alone proves nothing. A steward may return an answer, which restarts the clock.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session

from exchange import audit
from exchange.actions import ACTIONS, Relation
from exchange.data_status import status_to_change
from exchange.deadlines.service import find_open_deadline
from exchange.errors import Conflict, InvalidInput, not_found
from exchange.i18n import Message
from exchange.identity.roles import Role
from exchange.identity.visibility import Records, sees_all
from exchange.principal import Principal
from exchange.workdays import WorkingDayCalendar
from exchange.workdays.deadline import working_days_left
from exchange.workflow import (
    DeadlineEffect,
    DeadlineStep,
    Transition,
    Workflow,
    WorkflowEnvironment,
    take_action,
)
from quality.models import FEEDBACK, QualityIssue
from quality.vocab import AnswerKind, IssueOrigin, IssueState

S = IssueState
_start = DeadlineStep(DeadlineEffect.START, FEEDBACK, "quality_feedback_days")


def _roles(action: str) -> frozenset[Role]:
    return ACTIONS.roles_for("quality_issue", action)


QUALITY_ISSUE = Workflow(
    name="quality_issue",
    subject_type="quality_issue",
    transitions=(
        Transition("open", frozenset({"new"}), S.OPEN, _roles("open"), (_start,)),
        Transition("acknowledge", frozenset({S.OPEN}), S.ACKNOWLEDGED, _roles("acknowledge")),
        Transition(
            "answer",
            frozenset({S.OPEN, S.ACKNOWLEDGED}),
            S.ANSWERED,
            _roles("answer"),
            (DeadlineStep(DeadlineEffect.STOP, FEEDBACK),),
        ),
        Transition("return", frozenset({S.ANSWERED}), S.ACKNOWLEDGED, _roles("return"), (_start,)),
        Transition("verify", frozenset({S.ANSWERED}), S.VERIFIED, _roles("verify")),
        Transition("close", frozenset({S.VERIFIED}), S.CLOSED, _roles("close")),
    ),
)
UNRESOLVED = (S.OPEN, S.ACKNOWLEDGED, S.ANSWERED, S.VERIFIED)


def open_issue(
    session: Session, *, actor: Principal, env: WorkflowEnvironment, issue: QualityIssue, code: str
) -> QualityIssue:
    issue.state, issue.opened_at = "new", env.now
    session.add(issue)
    session.flush()
    take_action(
        session,
        QUALITY_ISSUE,
        issue,
        "open",
        actor=actor,
        env=env,
        detail={"resource": code, "rows": issue.row_count, "origin": issue.origin},
    )
    refresh_open_count(session, code, env.now)
    return issue


def unresolved_issue(
    session: Session, *, resource_id: int, origin: IssueOrigin, department_id: int | None = None
) -> QualityIssue | None:
    """The unresolved issue of one kind for a resource (and department), if there is one."""
    query = select(QualityIssue).where(
        QualityIssue.resource_id == resource_id,
        QualityIssue.origin == origin,
        QualityIssue.state.in_([str(s) for s in UNRESOLVED]),
    )
    if department_id is not None:
        query = query.where(QualityIssue.department_id == department_id)
    return session.scalar(query)


def report_findings(
    session: Session,
    *,
    actor: Principal,
    env: WorkflowEnvironment,
    found: QualityIssue,
    existing: QualityIssue | None,
    code: str,
) -> QualityIssue:
    """Open ``found`` as a new issue or, while the same issue is unresolved, give that one what
    was found now: one issue per check and department, never one per run (or per row)."""
    if existing is None:
        return open_issue(session, actor=actor, env=env, issue=found, code=code)
    existing.rows, existing.row_count = found.rows, found.row_count
    existing.title, existing.title_message = found.title, found.title_message
    return existing


def heading(issue: QualityIssue) -> Message:
    """The issue's title, in each reader's language."""
    return issue.title_message or Message("{title}", title=issue.title)


def get_issue(
    session: Session, issue_id: int, actor: Principal, *, lock: bool = False
) -> QualityIssue:
    """An issue, for its department, the bureau's stewards, coordinating office and auditors."""
    issue = session.get(QualityIssue, issue_id, with_for_update=lock)
    if issue is None or not (
        actor.department_id == issue.department_id or sees_all(actor, Records.QUALITY_ISSUE)
    ):
        raise not_found(issue, "no quality issue {issue_id}", issue_id=issue_id)
    return issue


def _acting_on(session: Session, actor: Principal, issue_id: int, action: str) -> QualityIssue:
    issue = get_issue(session, issue_id, actor, lock=True)
    # The responsible department stands where the provider does in the action table.
    relation: Relation = "provider" if actor.department_id == issue.department_id else "other"
    ACTIONS.require(
        actor,
        relation,
        "quality_issue",
        action,
        explain=Message("you may not {action} this quality issue", action=action),
    )
    return issue


def acknowledge(
    session: Session, *, actor: Principal, env: WorkflowEnvironment, issue_id: int
) -> QualityIssue:
    issue = _acting_on(session, actor, issue_id, "acknowledge")
    take_action(session, QUALITY_ISSUE, issue, "acknowledge", actor=actor, env=env)
    return issue


def answer(
    session: Session,
    *,
    actor: Principal,
    env: WorkflowEnvironment,
    issue_id: int,
    kind: AnswerKind,
    text: str,
    evidence: str | None = None,
) -> QualityIssue:
    """Answer the whole issue at once: every finding alike."""
    check_answer(kind, text, evidence)
    issue = _acting_on(session, actor, issue_id, "answer")
    return record_answer(
        session, issue, actor=actor, env=env, kind=kind, text=text, evidence=evidence
    )


def record_answer(
    session: Session,
    issue: QualityIssue,
    *,
    actor: Principal,
    env: WorkflowEnvironment,
    kind: AnswerKind,
    text: str,
    evidence: str | None,
) -> QualityIssue:
    take_action(
        session, QUALITY_ISSUE, issue, "answer", actor=actor, env=env, comment=text,
        detail={"kind": kind, "evidence": evidence},
    )  # fmt: skip
    issue.answer_kind, issue.answer, issue.evidence = kind, text.strip(), evidence
    issue.answered_at = env.now
    return issue


def check_answer(
    kind: AnswerKind, text: str, evidence: str | None, *, position: int | None = None
) -> None:
    """An answer says what was done or found; confirming the data needs evidence."""

    def refused(problem: Message, field: str) -> InvalidInput:
        if position is None:
            return InvalidInput(problem, detail={"field": field})
        return InvalidInput(
            Message("answer {position}: {problem}", position=position, problem=problem),
            detail={"field": field, "position": position},
        )

    if kind == AnswerKind.MIXED:
        raise refused(
            Message(
                "an issue becomes mixed when its findings are answered differently; answer "
                "corrected, confirmed or disputed"
            ),
            "kind",
        )
    if not text.strip():
        raise refused(Message("say what was done or found"), "text")
    if kind == AnswerKind.CONFIRMED and not (evidence or "").strip():
        raise refused(
            Message(
                "confirming the data is correct needs evidence (a document number, a link, a "
                "record)"
            ),
            "evidence",
        )


def require_may_answer(session: Session, actor: Principal, issue_id: int) -> QualityIssue:
    """The issue, locked, if ``actor`` may answer it for the responsible department."""
    return _acting_on(session, actor, issue_id, "answer")


def record_finding_answers(
    session: Session, issue: QualityIssue, *, actor: Principal, env: WorkflowEnvironment, count: int
) -> None:
    audit.record(
        session,
        at=env.now,
        actor=actor,
        action="quality.issue.answer_findings",
        object_type="quality_issue",
        object_id=issue.id,
        detail={"findings": count},
    )


def return_answer(
    session: Session, *, actor: Principal, env: WorkflowEnvironment, issue_id: int, reason: str
) -> QualityIssue:
    if not reason.strip():
        raise InvalidInput(
            "say why the answer does not settle the issue", detail={"field": "reason"}
        )
    issue = _acting_on(session, actor, issue_id, "return")
    take_action(session, QUALITY_ISSUE, issue, "return", actor=actor, env=env, comment=reason)
    return issue


def verify(
    session: Session,
    *,
    actor: Principal,
    env: WorkflowEnvironment,
    issue_id: int,
    note: str | None = None,
) -> QualityIssue:
    issue = _acting_on(session, actor, issue_id, "verify")
    take_action(session, QUALITY_ISSUE, issue, "verify", actor=actor, env=env, comment=note)
    return issue


# How to tell whether an issue's check still fails on a newer snapshot, by origin; registered by
# the modules that run the checks, so this one does not import them.
StillFailing = Callable[[Session, QualityIssue], str | None]
STILL_FAILING: dict[str, StillFailing] = {}


def close(
    session: Session,
    *,
    actor: Principal,
    env: WorkflowEnvironment,
    issue_id: int,
    note: str | None = None,
) -> QualityIssue:
    issue = _acting_on(session, actor, issue_id, "close")
    if issue.answer_kind == AnswerKind.CORRECTED:
        problem = STILL_FAILING[issue.origin](session, issue)
        if problem is not None:
            raise Conflict(
                "the issue was answered as corrected, but {problem}; it closes when the check passes on a newer snapshot",
                detail={"issue": issue.id, "origin": issue.origin},
                error_code="check_still_fails",
                problem=problem,
            )
    take_action(session, QUALITY_ISSUE, issue, "close", actor=actor, env=env, comment=note)
    issue.closed_at = env.now
    session.flush()
    code = _resource_code(session, issue)
    refresh_open_count(session, code, env.now)
    return issue


def _resource_code(session: Session, issue: QualityIssue) -> str:
    from catalog.models import Resource

    return session.get_one(Resource, issue.resource_id).code


def refresh_open_count(session: Session, code: str, now: datetime) -> None:
    """Keep the resource's *under verification* mark in step with its unresolved issues."""
    from catalog.models import Resource

    session.flush()
    count = session.scalar(
        select(func.count())
        .select_from(QualityIssue)
        .join(Resource, Resource.id == QualityIssue.resource_id)
        .where(Resource.code == code, QualityIssue.state.in_([str(s) for s in UNRESOLVED]))
    )
    status_to_change(session, code, now).open_issues = int(count or 0)


def answer_due(
    session: Session, issue: QualityIssue, *, now: datetime, calendar: WorkingDayCalendar
) -> dict[str, Any] | None:
    """When the responsible department's answer is due, and the working days left (R19)."""
    deadline = find_open_deadline(
        session, kind=FEEDBACK, subject_type=QUALITY_ISSUE.subject_type, subject_id=issue.id
    )
    if deadline is None:
        return None
    return {
        "due_date": deadline.due_date,
        "due_at": deadline.due_at,
        "working_days_left": working_days_left(now, deadline.due_date, calendar),
        "overdue": deadline.due_at <= now,
        "paused": deadline.status == "paused",
    }


def issue_view(issue: QualityIssue, language: str = "en") -> dict[str, Any]:
    """An issue for the API: its title in ``language``, its department by code and name."""
    from exchange.identity.models import Department

    session = object_session(issue)
    department = session.get(Department, issue.department_id) if session else None
    return {
        "id": issue.id,
        "origin": issue.origin,
        "title": heading(issue).in_language(language),
        "state": issue.state,
        "department": None
        if department is None
        else {"code": department.code, "name": department.name},
        "department_id": issue.department_id,
        "resource_id": issue.resource_id,
        "snapshot_id": issue.snapshot_id,
        "row_count": issue.row_count,
        "opened_at": issue.opened_at,
        "answer_kind": issue.answer_kind,
        "answer": issue.answer,
        "evidence": issue.evidence,
        "answered_at": issue.answered_at,
        "closed_at": issue.closed_at,
        "validation_run_id": issue.validation_run_id,
        "comparison_run_id": issue.comparison_run_id,
    }
