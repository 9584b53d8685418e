"""Proposals and the annual plan (R24), and who sees which project.

Units propose next year's projects by 31 July (a setting); the bureau compiles the plan with the
development-and-reform and finance offices and approves it. An application for a project outside
the approved plan is refused unless the government approved it as urgent (cited on the project).
"""

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange import audit
from exchange.actions import ACTIONS, relation_of
from exchange.errors import Conflict, Hidden, InvalidInput, NotFound
from exchange.identity.visibility import Records, sees_all
from exchange.principal import Principal
from exchange.settings import Settings
from projects.models import AnnualPlan, ExpertOpinion, Project
from projects.vocab import PlanState, ProjectState


def proposal_deadline(settings: Settings, plan_year: int) -> date:
    """The last day to propose a project of ``plan_year``: in the year before it (R24)."""
    month, day = (int(part) for part in settings.project_proposal_deadline.split("-"))
    return date(plan_year - 1, month, day)


def propose(
    session: Session,
    *,
    actor: Principal,
    now: datetime,
    settings: Settings,
    name: str,
    plan_year: int,
    urgent_approval: str | None = None,
    upgrades_project_id: int | None = None,
) -> Project:
    """A unit puts a project forward for ``plan_year``'s plan; after the proposal deadline only an
    urgent project approved by the government may still come in."""
    if actor.department_id is None:
        raise InvalidInput("a project is proposed by a department's staff")
    ACTIONS.require(actor, "provider", "project", "propose")
    if not name.strip():
        raise InvalidInput("a project has a name", detail={"field": "name"})
    today = now.astimezone(settings.zone).date()
    urgent = (urgent_approval or "").strip() or None
    if today > proposal_deadline(settings, plan_year) and urgent is None:
        raise InvalidInput(
            "proposals for {year} closed on {day}: a later project needs the government's "
            "approval as urgent, cited",
            detail={"field": "plan_year"},
            year=plan_year,
            day=proposal_deadline(settings, plan_year).isoformat(),
        )
    if upgrades_project_id is not None:
        require_may_upgrade(session, actor, upgrades_project_id)
    project = Project(
        department_id=actor.department_id, name=name.strip(), plan_year=plan_year,
        urgent_approval=urgent, upgrades_project_id=upgrades_project_id,
        state=ProjectState.PROPOSED, proposed_at=now, investment={}, funding={}, persons={},
    )  # fmt: skip
    session.add(project)
    session.flush()
    audit.record(session, at=now, actor=actor, action="project.propose", object_type="project",
                 object_id=project.id, detail={"name": project.name, "plan_year": plan_year,
                                               "urgent_approval": urgent})  # fmt: skip
    return project


def require_may_upgrade(session: Session, actor: Principal, project_id: int) -> None:
    """R28: a project that failed its evaluation blocks related upgrades until rectified."""
    earlier = session.get(Project, project_id)
    if earlier is None or earlier.department_id != actor.department_id:
        raise NotFound("no project {project_id} of your department", project_id=project_id)
    if earlier.evaluation_passed is False and earlier.rectified_at is None:
        raise Conflict(
            "project {name} failed its performance evaluation: no upgrade of it may be applied "
            "for until it is rectified (R28)",
            detail={"project": project_id},
            name=earlier.name,
        )


def plan_view(session: Session, year: int) -> AnnualPlan:
    """The year's plan as it stands, without writing one that is not there yet."""
    return session.get(AnnualPlan, year) or AnnualPlan(year=year, state=PlanState.COMPILING)


def plan_of(session: Session, year: int) -> AnnualPlan:
    plan = session.get(AnnualPlan, year)
    if plan is None:
        plan = AnnualPlan(year=year, state=PlanState.COMPILING)
        session.add(plan)
        session.flush()
    return plan


def include_in_plan(
    session: Session, *, actor: Principal, now: datetime, project_id: int, included: bool
) -> Project:
    """The bureau puts a proposal in the year's plan, or leaves it out, while it is compiled."""
    ACTIONS.require(actor, "other", "project_plan", "compile")
    project = get_project(session, project_id, actor)
    plan = plan_of(session, project.plan_year)
    if plan.state == PlanState.APPROVED:
        raise Conflict("the {year} plan is approved; it no longer changes", year=plan.year)
    project.in_plan = included
    audit.record(session, at=now, actor=actor, action="project.plan", object_type="project",
                 object_id=project.id, detail={"year": plan.year, "in_plan": included})  # fmt: skip
    return project


def endorse_plan(session: Session, *, actor: Principal, now: datetime, year: int) -> AnnualPlan:
    """The development-and-reform or the finance office endorses the compiled plan (R24)."""
    for_reform = ACTIONS.allows(actor, "other", "project_plan", "endorse_for_reform")
    for_finance = ACTIONS.allows(actor, "other", "project_plan", "endorse_for_finance")
    if not (for_reform or for_finance):
        ACTIONS.require(actor, "other", "project_plan", "endorse_for_reform")
    plan = plan_of(session, year)
    if plan.state == PlanState.APPROVED:
        raise Conflict("the {year} plan is approved; it no longer changes", year=year)
    if for_reform:
        plan.reform_endorsed_by, plan.reform_endorsed_at = actor.username, now
    if for_finance:
        plan.finance_endorsed_by, plan.finance_endorsed_at = actor.username, now
    audit.record(session, at=now, actor=actor, action="project.plan.endorse",
                 object_type="project_plan", object_id=year, detail={})  # fmt: skip
    return plan


def approve_plan(session: Session, *, actor: Principal, now: datetime, year: int) -> AnnualPlan:
    """The bureau approves the plan the two offices have endorsed."""
    ACTIONS.require(actor, "other", "project_plan", "compile")
    plan = plan_of(session, year)
    if plan.state == PlanState.APPROVED:
        raise Conflict("the {year} plan is already approved", year=year)
    if plan.reform_endorsed_at is None or plan.finance_endorsed_at is None:
        raise Conflict(
            "the {year} plan needs the endorsement of the development-and-reform and the "
            "finance offices first (R24)",
            detail={"reform": plan.reform_endorsed_by, "finance": plan.finance_endorsed_by},
            year=year,
        )  # fmt: skip
    plan.state, plan.approved_at, plan.approved_by = PlanState.APPROVED, now, actor.username
    count = len(session.scalars(
        select(Project.id).where(Project.plan_year == year, Project.in_plan.is_(True))
    ).all())  # fmt: skip
    audit.record(session, at=now, actor=actor, action="project.plan.approve",
                 object_type="project_plan", object_id=year, detail={"projects": count})  # fmt: skip
    return plan


def require_in_plan(session: Session, project: Project) -> None:
    """R24: neither approved nor funded outside the approved plan, unless urgent."""
    if project.urgent_approval:
        return
    plan = session.get(AnnualPlan, project.plan_year)
    if plan is None or plan.state != PlanState.APPROVED or not project.in_plan:
        raise Conflict(
            "project {name} is not in the approved {year} plan: it can be applied for only with "
            "the government's approval as urgent (R24)",
            detail={"rule": "R24", "in_plan": project.in_plan,
                    "plan_approved": plan is not None and plan.state == PlanState.APPROVED},
            name=project.name, year=project.plan_year,
        )  # fmt: skip


def may_see(session: Session, actor: Principal, project: Project) -> bool:
    """Its unit, the offices that oversee projects, and the experts assigned to it."""
    if sees_all(actor, Records.PROJECT) or actor.department_id == project.department_id:
        return True
    return (
        actor.user_id is not None
        and session.scalar(
            select(ExpertOpinion.id).where(
                ExpertOpinion.project_id == project.id, ExpertOpinion.user_id == actor.user_id
            )
        )
        is not None
    )


def get_project(session: Session, project_id: int, actor: Principal) -> Project:
    project = session.get(Project, project_id)
    if project is None or not may_see(session, actor, project):
        raise Hidden("no project {project_id}", project_id=project_id)
    return project


def acting_on(session: Session, actor: Principal, project_id: int, action: str) -> Project:
    """The project, if ``actor`` may take ``action`` on it (a unit's action on its own only)."""
    project = get_project(session, project_id, actor)
    relation = relation_of(actor, provider_id=project.department_id)
    ACTIONS.require(actor, relation, "project", action)
    return project


def visible(session: Session, actor: Principal) -> list[Project]:
    query = select(Project).order_by(Project.id.desc()).limit(1000)
    if not sees_all(actor, Records.PROJECT):
        assigned = select(ExpertOpinion.project_id).where(ExpertOpinion.user_id == actor.user_id)
        query = query.where(
            (Project.department_id == actor.department_id) | Project.id.in_(assigned)
        )
    return list(session.scalars(query))
