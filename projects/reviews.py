"""The bureau's review (R26): the initial review within 15 working days, the expert technical
review within 21 by experts of the bureau's library — none from the applying department — then
the review reply and the numbered approval notice (立项通知书)."""

import random
from datetime import date, datetime, tzinfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exchange import audit
from exchange.actions import ACTIONS
from exchange.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from exchange.identity.models import User
from exchange.identity.roles import Role
from exchange.principal import Principal
from exchange.workflow import WorkflowEnvironment, take_action
from projects.models import Expert, ExpertOpinion, Project
from projects.register import acting_on, get_project
from projects.vocab import ProjectState
from projects.workflow import PROJECT


def register_expert(
    session: Session, *, actor: Principal, now: datetime, username: str, fields: list[str]
) -> Expert:
    """Put a user holding the expert role in the library, with the fields they review."""
    ACTIONS.require(actor, "other", "project_plan", "compile")
    user = session.scalar(select(User).where(User.username == username))
    if user is None or Role.EXPERT not in user.roles:
        raise InvalidInput("{username} does not hold the expert role", username=username)
    wanted = sorted({f.strip() for f in fields if f.strip()})
    if not wanted:
        raise InvalidInput("an expert reviews at least one field", detail={"field": "fields"})
    expert = session.get(Expert, user.id) or Expert(user_id=user.id, fields=[])
    expert.fields = wanted
    session.add(expert)
    session.flush()
    audit.record(session, at=now, actor=actor, action="project.expert", object_type="user",
                 object_id=user.id, detail={"fields": wanted})  # fmt: skip
    return expert


def draw_experts(session: Session, project: Project, *, field: str, count: int) -> list[User]:
    """Experts of ``field`` drawn at random from the library, never from the applying unit."""
    candidates = list(session.scalars(
        select(User).join(Expert, Expert.user_id == User.id)
        .where(User.active.is_(True), User.department_id != project.department_id)
        .order_by(User.id)
    ))  # fmt: skip
    suited = [
        u for u in candidates
        if field in (session.get_one(Expert, u.id).fields or [])
    ]  # fmt: skip
    if len(suited) < count:
        raise Conflict(
            "the library has {found} expert(s) of {field} outside the applying unit, {count} needed",
            found=len(suited), field=field, count=count,
        )  # fmt: skip
    return random.SystemRandom().sample(suited, count)


def refer_to_experts(
    session: Session,
    *,
    actor: Principal,
    env: WorkflowEnvironment,
    project_id: int,
    usernames: list[str],
) -> Project:
    """Assign the expert review: each expert from the library, none from the applying unit."""
    project = acting_on(session, actor, project_id, "review")
    if not usernames:
        raise InvalidInput("name the experts of the review", detail={"field": "experts"})
    for username in usernames:
        user = session.scalar(select(User).where(User.username == username))
        if user is None or session.get(Expert, user.id) is None:
            raise NotFound("{username} is not in the expert library", username=username)
        if user.department_id == project.department_id:
            raise PermissionDenied(
                "{username} works for the applying unit and may not review its project (R26)",
                detail={"rule": "R26", "expert": username}, username=username,
            )  # fmt: skip
        session.add(ExpertOpinion(project_id=project.id, user_id=user.id, assigned_at=env.now))
    take_action(session, PROJECT, project, "refer_to_experts", actor=actor, env=env,
                detail={"experts": sorted(usernames)})  # fmt: skip
    return project


def give_opinion(
    session: Session,
    *,
    actor: Principal,
    now: datetime,
    project_id: int,
    supports: bool,
    opinion: str,
) -> ExpertOpinion:
    """An assigned expert files their opinion; only on projects assigned to them."""
    project = get_project(session, project_id, actor)
    ACTIONS.require(actor, "other", "project", "give_opinion")
    assigned = session.scalar(
        select(ExpertOpinion).where(
            ExpertOpinion.project_id == project.id, ExpertOpinion.user_id == actor.user_id
        )
    )
    if assigned is None:
        raise PermissionDenied("project {name} is not assigned to you", name=project.name)
    if project.state != ProjectState.EXPERT_REVIEW or assigned.filed_at is not None:
        raise Conflict("your opinion on project {name} is filed or no longer awaited",
                       name=project.name)  # fmt: skip
    if not opinion.strip():
        raise InvalidInput("an opinion says why", detail={"field": "opinion"})
    assigned.supports, assigned.opinion, assigned.filed_at = supports, opinion.strip(), now
    audit.record(session, at=now, actor=actor, action="project.opinion", object_type="project",
                 object_id=project.id, detail={"supports": supports})  # fmt: skip
    return assigned


def opinions_of(session: Session, project: Project) -> list[ExpertOpinion]:
    return list(session.scalars(
        select(ExpertOpinion).where(ExpertOpinion.project_id == project.id)
        .order_by(ExpertOpinion.id)
    ))  # fmt: skip


def decide(
    session: Session,
    *,
    actor: Principal,
    env: WorkflowEnvironment,
    project_id: int,
    approve: bool,
    reply: str,
) -> Project:
    """The review reply; an approval issues the numbered approval notice. After an expert review
    every assigned expert's opinion is in first."""
    project = acting_on(session, actor, project_id, "review")
    if not reply.strip():
        raise InvalidInput("the review reply says why", detail={"field": "reply"})
    after_experts = project.state == ProjectState.EXPERT_REVIEW
    if after_experts and any(o.filed_at is None for o in opinions_of(session, project)):
        raise Conflict("the experts' opinions on project {name} are not all in", name=project.name)
    project.review_reply = reply.strip()
    if approve:
        year = env.now.astimezone(env.calendar.zone).year
        issued = session.scalar(
            select(func.count()).where(Project.approval_number.like(f"{year}-%"))
        )
        project.approval_number, project.approved_at = f"{year}-{int(issued or 0) + 1:04d}", env.now
    action = ("approve" if approve else "reject") + ("_after_experts" if after_experts else "")
    take_action(session, PROJECT, project, action, actor=actor, env=env, comment=reply.strip(),
                detail={"approval_number": project.approval_number})  # fmt: skip
    return project


def request_completion(
    session: Session, *, actor: Principal, env: WorkflowEnvironment, project_id: int, note: str
) -> Project:
    """The initial review finds the materials incomplete: 5 working days to complete them."""
    project = acting_on(session, actor, project_id, "review")
    if not note.strip():
        raise InvalidInput("say what is missing", detail={"field": "note"})
    take_action(session, PROJECT, project, "request_completion", actor=actor, env=env,
                comment=note.strip())  # fmt: skip
    return project


def file_tender(
    session: Session,
    *,
    actor: Principal,
    env: WorkflowEnvironment,
    project_id: int,
    tender_date: date,
) -> Project:
    """Tender documents and contracts are filed within 30 days of the tender (R26); a late filing
    stays on the record."""
    project = acting_on(session, actor, project_id, "file")
    if project.state != ProjectState.APPROVED:
        raise Conflict("project {name} is {state}: tenders are filed for approved projects",
                       name=project.name, state=project.state)  # fmt: skip
    project.tender_date, project.tender_filed_at = tender_date, env.now
    late = late_filing(project, env.settings.project_tender_filing_days, env.calendar.zone)
    project.tender_filed_late = late
    audit.record(session, at=env.now, actor=actor, action="project.tender", object_type="project",
                 object_id=project.id, detail={"tender_date": tender_date.isoformat(),
                                               "late": late})  # fmt: skip
    return project


def late_filing(project: Project, days: int, zone: tzinfo) -> bool:
    """Whether the tender documents came in more than ``days`` calendar days after the tender."""
    if project.tender_date is None or project.tender_filed_at is None:
        return False
    return (project.tender_filed_at.astimezone(zone).date() - project.tender_date).days > days


def mark_not_acceptable(
    session: Session, *, actor: Principal, env: WorkflowEnvironment, project_id: int, reason: str
) -> Project:
    """R26: a project that changed its technical plan or investment without a new approval is not
    accepted and gets no progress payments; the reason is recorded."""
    project = acting_on(session, actor, project_id, "review")
    if not reason.strip():
        raise InvalidInput("say what changed without approval", detail={"field": "reason"})
    take_action(session, PROJECT, project, "mark_not_acceptable", actor=actor, env=env,
                comment=reason.strip())  # fmt: skip
    return project
