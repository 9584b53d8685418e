"""Acceptance (R27) and post-evaluation (R28).

Initial acceptance, then final acceptance after the stable-running period (6 months, a setting);
a project of at most 1,000,000 yuan (a setting) accepts itself and files the report. Before any
acceptance the sharing check runs; a veto stops it. Within 12 months of final acceptance the unit
files its performance evaluation; a project that fails it blocks related upgrades until rectified.
"""

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange import audit
from exchange.actions import ACTIONS
from exchange.errors import Conflict, InvalidInput
from exchange.principal import Principal
from exchange.workflow import WorkflowEnvironment, take_action
from projects.applications import add_months
from projects.models import Project, ProjectDocument
from projects.register import acting_on, get_project
from projects.sharing_check import run_check
from projects.vocab import DocumentKind, ProjectState
from projects.workflow import PROJECT


class Vetoed(Conflict):
    """The sharing check failed: the acceptance cannot pass while a veto stands (R27)."""

    code = "sharing_veto"


def _checked(session: Session, project: Project, env: WorkflowEnvironment) -> None:
    check = run_check(session, project, now=env.now)
    if not check.passed:
        raise Vetoed(
            "project {name} fails the sharing check ({count} veto(es)): it cannot be accepted "
            "until they are cleared (R27)",
            detail={"rule": "R27", "check": check.id, "findings": check.findings},
            name=project.name, count=len(check.findings),
        )  # fmt: skip


def accept(
    session: Session, *, actor: Principal, env: WorkflowEnvironment, project_id: int
) -> Project:
    """The bureau's acceptance: initial, then final once the stable-running period has passed."""
    project = acting_on(session, actor, project_id, "accept")
    if project.state == ProjectState.INITIALLY_ACCEPTED:
        assert project.initially_accepted_at is not None
        months = env.settings.project_stable_running_months
        ready = add_months(
            project.initially_accepted_at.astimezone(env.calendar.zone).date(), months
        )
        if env.now.astimezone(env.calendar.zone).date() < ready:
            raise Conflict(
                "project {name} runs stably until {day} before its final acceptance",
                detail={"final_from": ready.isoformat()}, name=project.name, day=ready.isoformat(),
            )  # fmt: skip
    _checked(session, project, env)
    if project.state == ProjectState.INITIALLY_ACCEPTED:
        take_action(session, PROJECT, project, "accept_finally", actor=actor, env=env)
        _accepted(project, env)
    else:
        take_action(session, PROJECT, project, "accept_initially", actor=actor, env=env)
        project.initially_accepted_at = env.now
    return project


def self_accept(
    session: Session, *, actor: Principal, env: WorkflowEnvironment, project_id: int
) -> Project:
    """A small project accepts itself and files the report (R27); the sharing check still holds."""
    project = acting_on(session, actor, project_id, "self_accept")
    limit = env.settings.project_self_acceptance_limit_yuan
    if project.total_investment > limit:
        raise Conflict(
            "project {name} invests {total} yuan: above {limit} the bureau holds the acceptance",
            name=project.name, total=project.total_investment, limit=limit,
        )  # fmt: skip
    filed = session.scalar(select(ProjectDocument.id).where(
        ProjectDocument.project_id == project.id,
        ProjectDocument.kind == DocumentKind.ACCEPTANCE_REPORT,
    ))  # fmt: skip
    if filed is None:
        raise InvalidInput("file the acceptance report first", detail={"field": "documents"})
    _checked(session, project, env)
    take_action(session, PROJECT, project, "self_accept", actor=actor, env=env)
    _accepted(project, env)
    return project


def _accepted(project: Project, env: WorkflowEnvironment) -> None:
    project.accepted_at = env.now
    today = env.now.astimezone(env.calendar.zone).date()
    project.evaluation_due = add_months(today, env.settings.project_evaluation_months)


def record_evaluation(
    session: Session, *, actor: Principal, now: datetime, project_id: int, passed: bool, note: str
) -> Project:
    """The bureau records the performance evaluation's result (R28)."""
    project = acting_on(session, actor, project_id, "review")
    if project.state != ProjectState.ACCEPTED:
        raise Conflict("project {name} is {state}: evaluations follow the final acceptance",
                       name=project.name, state=project.state)  # fmt: skip
    if not note.strip():
        raise InvalidInput("the result says why", detail={"field": "note"})
    project.evaluation_passed, project.evaluation_filed_at = passed, now
    project.rectified_at = None
    audit.record(session, at=now, actor=actor, action="project.evaluation", object_type="project",
                 object_id=project.id, detail={"passed": passed, "note": note.strip()})  # fmt: skip
    return project


def record_rectified(
    session: Session, *, actor: Principal, now: datetime, project_id: int, note: str
) -> Project:
    """A failed project is rectified: its unit may apply for related upgrades again."""
    project = acting_on(session, actor, project_id, "review")
    if project.evaluation_passed is not False:
        raise Conflict("project {name} has not failed an evaluation", name=project.name)
    project.rectified_at = now
    audit.record(session, at=now, actor=actor, action="project.rectified", object_type="project",
                 object_id=project.id, detail={"note": note.strip()})  # fmt: skip
    return project


def spot_checks(session: Session, *, actor: Principal, today: date) -> list[Project]:
    """Projects running for a year since their final acceptance, for the bureau's spot checks."""
    ACTIONS.require(actor, "other", "project", "review")
    return [
        p for p in session.scalars(
            select(Project).where(Project.state == ProjectState.ACCEPTED).order_by(Project.id)
        )
        if p.accepted_at is not None and add_months(p.accepted_at.date(), 12) <= today
    ]  # fmt: skip


def visible_project(session: Session, actor: Principal, project_id: int) -> Project:
    return get_project(session, project_id, actor)
