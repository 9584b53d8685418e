"""R26: an approved project may not change its technical plan or investment without approval.
The unit asks, with what changes (and the new investment split, if it changes); the bureau
approves — the new split then stands — or refuses with its reason."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange import audit
from exchange.errors import Conflict, InvalidInput, NotFound
from exchange.principal import Principal
from projects.applications import check_split
from projects.models import Project, ProjectChange
from projects.register import acting_on
from projects.vocab import ProjectState

CHANGEABLE = {ProjectState.APPROVED, ProjectState.INITIALLY_ACCEPTED}


def request_change(
    session: Session,
    *,
    actor: Principal,
    now: datetime,
    project_id: int,
    description: str,
    investment: dict[str, int] | None = None,
    funding: dict[str, int] | None = None,
) -> ProjectChange:
    project = acting_on(session, actor, project_id, "apply")
    if project.state not in CHANGEABLE:
        raise Conflict("project {name} is {state}: only an approved project asks for a change",
                       name=project.name, state=project.state)  # fmt: skip
    if not description.strip():
        raise InvalidInput("say what changes", detail={"field": "description"})
    if (investment is None) != (funding is None):
        raise InvalidInput("a new investment comes with its new funding, and the other way round",
                           detail={"field": "funding"})  # fmt: skip
    if investment is not None and funding is not None:
        check_split(investment, funding)
    change = ProjectChange(project_id=project.id, description=description.strip(),
                           investment=investment, funding=funding, requested_by=actor.username,
                           requested_at=now)  # fmt: skip
    session.add(change)
    session.flush()
    audit.record(session, at=now, actor=actor, action="project.change.request",
                 object_type="project", object_id=project.id,
                 detail={"change": change.id, "investment": investment})  # fmt: skip
    return change


def decide_change(
    session: Session, *, actor: Principal, now: datetime, change_id: int, approve: bool, reply: str
) -> ProjectChange:
    change = session.get(ProjectChange, change_id)
    if change is None:
        raise NotFound("no change request {change_id}", change_id=change_id)
    project = acting_on(session, actor, change.project_id, "review")
    if change.decided_at is not None:
        raise Conflict("change request {change_id} is decided", change_id=change_id)
    if not reply.strip():
        raise InvalidInput("the review reply says why", detail={"field": "reply"})
    change.approved, change.reply = approve, reply.strip()
    change.decided_by, change.decided_at = actor.username, now
    if approve and change.investment is not None and change.funding is not None:
        project.investment, project.funding = dict(change.investment), dict(change.funding)
    audit.record(session, at=now, actor=actor, action="project.change.decide",
                 object_type="project", object_id=project.id,
                 detail={"change": change.id, "approved": approve, "reply": reply.strip()})  # fmt: skip
    return change


def changes_of(session: Session, project: Project) -> list[ProjectChange]:
    return list(session.scalars(
        select(ProjectChange).where(ProjectChange.project_id == project.id)
        .order_by(ProjectChange.id)
    ))  # fmt: skip
