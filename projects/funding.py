"""R27: a unit that shrinks its catalog below what its accepted projects promised gets no
operation and maintenance funds on the bureau's opinion. Each day the promises of accepted
projects are compared with the catalog; a shrink raises a flag to the finance office with its
evidence, and the flag lifts when the catalog is restored."""

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.entries import published_version
from catalog.models import Resource
from catalog.vocab import ResourceStatus, ShareType
from exchange import audit
from exchange.actions import ACTIONS
from exchange.errors import InvalidInput, NotFound
from exchange.i18n import Message
from exchange.identity.roles import Role
from exchange.notifications.service import notify, users_with_role
from exchange.principal import Principal
from projects.models import FundingFlag, Project, SharingLine
from projects.sharing_check import STRICTNESS
from projects.vocab import Direction, ProjectState

WATCHER = Principal.system("project-funding")


def shrinkage(session: Session, department_id: int) -> list[dict[str, Any]]:
    """What the department's accepted projects promised and its catalog no longer offers."""
    found = []
    lines = session.scalars(
        select(SharingLine)
        .join(Project, Project.id == SharingLine.project_id)
        .where(Project.department_id == department_id, Project.state == ProjectState.ACCEPTED,
               SharingLine.direction == Direction.PRODUCE)
    )  # fmt: skip
    for line in lines:
        resource = session.scalar(select(Resource).where(Resource.code == line.resource_code))
        version = None if resource is None else published_version(session, resource)
        if resource is None or resource.status != ResourceStatus.PUBLISHED or version is None:
            found.append({"resource": line.resource_code, "problem": "retired"})
            continue
        published = {item.name: item for item in version.items}
        for promised in line.items:
            item = published.get(str(promised.get("name")))
            if item is None:
                found.append({"resource": resource.code, "item": promised.get("name"),
                              "problem": "item_removed"})  # fmt: skip
            elif (
                STRICTNESS[ShareType(item.share_type)]
                > STRICTNESS[ShareType(promised["share_type"])]
                and not (item.legal_basis or "").strip()
            ):
                found.append({"resource": resource.code, "item": item.name,
                              "problem": "tightened", "now": item.share_type})  # fmt: skip
    return found


def review_funding(session: Session, *, now: datetime) -> dict[str, list[int]]:
    """Raise a flag for each unit whose catalog shrank; lift those whose catalog is restored."""
    units = set(session.scalars(
        select(Project.department_id).where(Project.state == ProjectState.ACCEPTED)
    ))  # fmt: skip
    open_flags = {f.department_id: f for f in session.scalars(
        select(FundingFlag).where(FundingFlag.lifted_at.is_(None))
    )}  # fmt: skip
    outcome: dict[str, list[int]] = defaultdict(list)
    for department_id in sorted(units | set(open_flags)):
        evidence = shrinkage(session, department_id)
        flag = open_flags.get(department_id)
        if evidence and flag is None:
            session.add(FundingFlag(department_id=department_id, raised_at=now, evidence=evidence))
            _tell(session, department_id, now, Message(
                "Operation and maintenance funds to withhold: the unit's catalog shrank below "
                "what its accepted projects promised (R27)"))  # fmt: skip
            audit.record(session, at=now, actor=WATCHER, action="project.funding.flag",
                         object_type="department", object_id=department_id,
                         detail={"evidence": evidence})  # fmt: skip
            outcome["flagged"].append(department_id)
        elif flag is not None and not evidence:
            flag.lifted_at = now
            _tell(session, department_id, now, Message(
                "Funding flag lifted: the unit's catalog offers what its projects promised again"))  # fmt: skip
            audit.record(session, at=now, actor=WATCHER, action="project.funding.lift",
                         object_type="department", object_id=department_id, detail={})  # fmt: skip
            outcome["lifted"].append(department_id)
        elif flag is not None:
            flag.evidence = evidence
    session.flush()
    return dict(outcome)


def _tell(session: Session, department_id: int, now: datetime, title: Message) -> None:
    people = users_with_role(session, Role.FINANCE_OFFICE) + users_with_role(
        session, Role.PROJECT_OFFICER, department_id
    )
    notify(session, users={u.id: u for u in people}.values(), kind="project.funding",
           title=title, body=title, now=now, link="/projects")  # fmt: skip


def open_flags(session: Session) -> list[FundingFlag]:
    return list(session.scalars(
        select(FundingFlag).where(FundingFlag.lifted_at.is_(None)).order_by(FundingFlag.id)
    ))  # fmt: skip


def decide(
    session: Session, *, actor: Principal, now: datetime, flag_id: int, withhold: bool, note: str
) -> FundingFlag:
    """The finance office decides, on the bureau's opinion, whether the unit's operation and
    maintenance funds are withheld (R27)."""
    ACTIONS.require(actor, "other", "project_funding", "decide")
    flag = session.get(FundingFlag, flag_id)
    if flag is None:
        raise NotFound("no funding flag {flag_id}", flag_id=flag_id)
    if not note.strip():
        raise InvalidInput("the decision says why", detail={"field": "note"})
    flag.withheld, flag.decision_note = withhold, note.strip()
    flag.decided_by, flag.decided_at = actor.username, now
    audit.record(session, at=now, actor=actor, action="project.funding.decide",
                 object_type="department", object_id=flag.department_id,
                 detail={"flag": flag.id, "withheld": withhold, "note": note.strip()})  # fmt: skip
    return flag
