"""The sharing check before any acceptance (R27, one-vote veto), computed from the platform's own
records, line by line of the project's resource-sharing list:

- a produced resource is registered and published in the catalog, with every promised item, each
  shared no more narrowly than promised unless a legal basis was recorded for it;
- its data is actually provided: collected, fresh for its update cycle (the one freshness rule),
  its newest snapshot not quarantined;
- a needed resource is obtained through the platform (open data, or a grant), and the unit does
  not collect again what another department is authoritative for (R8).

Any failure is a veto, kept with its evidence and links; the acceptance cannot pass while it
stands.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.entries import published_version
from catalog.governance import duplicate_collection_report
from catalog.models import Resource
from catalog.vocab import ResourceStatus, ShareType
from collection.freshness import freshness
from collection.vocab import Freshness
from exchange import audit
from exchange.data_status import DataStatus
from exchange.i18n import Message
from exchange.identity.models import Department
from exchange.principal import Principal
from policies.grants import active_grants
from projects.applications import lines_of
from projects.models import Project, SharingCheck, SharingLine
from projects.register import get_project
from projects.vocab import Direction, Veto

STRICTNESS = {ShareType.UNCONDITIONAL: 0, ShareType.CONDITIONAL: 1, ShareType.NOT_SHARED: 2}
WHY: dict[Veto, Message] = {
    Veto.NOT_REGISTERED: Message("{line}: the promised resource is not registered in the catalog"),
    Veto.NOT_PUBLISHED: Message("{line}: {resource} is not published in the catalog"),
    Veto.ITEM_MISSING: Message("{line}: {resource} lacks the promised item {item}"),
    Veto.STRICTER: Message(
        "{line}: {resource} shares {item} as {found}, more narrowly than the promised {promised}, "
        "without a legal basis"
    ),
    Veto.NOT_PROVIDED: Message("{line}: {resource} has never been provided to the platform"),
    Veto.STALE: Message("{line}: {resource} is late for its update cycle (last loaded {at})"),
    Veto.QUARANTINED: Message("{line}: the newest data of {resource} failed validation: {reason}"),
    Veto.NOT_OBTAINED: Message("{line}: {resource} is needed but neither open nor granted"),
    Veto.COLLECTED_AGAIN: Message(
        "{line}: {resource} collects {item} again although {authority} provides it (R8)"
    ),
}


def finding(veto: Veto, line: SharingLine, link: str | None, **params: Any) -> dict[str, Any]:
    """A veto as stored: its code, what it concerns, the evidence's link, and why, as a message
    each reader gets in their language (:func:`explain`)."""
    why = Message(WHY[veto].template, line=line.name, resource=line.resource_code or "", **params)
    return {"veto": str(veto), "line": line.name, "resource": line.resource_code, "link": link,
            "why": why.as_json(), "message": why.english}  # fmt: skip


def explain(found: dict[str, Any], language: str) -> str:
    return Message.from_json(found["why"]).in_language(language)


def _produced(session: Session, line: SharingLine, now: datetime) -> list[dict[str, Any]]:
    resource = None
    if line.resource_code:
        resource = session.scalar(select(Resource).where(Resource.code == line.resource_code))
    if resource is None:
        return [finding(Veto.NOT_REGISTERED, line, None)]
    link = f"/catalog/{resource.code}"
    version = published_version(session, resource)
    if resource.status != ResourceStatus.PUBLISHED or version is None:
        return [finding(Veto.NOT_PUBLISHED, line, link)]
    found = []
    published = {item.name: item for item in version.items}
    for promised in line.items:
        name = str(promised.get("name"))
        item = published.get(name)
        if item is None:
            found.append(finding(Veto.ITEM_MISSING, line, link, item=name))
            continue
        wanted = STRICTNESS[ShareType(promised["share_type"])]
        if STRICTNESS[ShareType(item.share_type)] > wanted and not (item.legal_basis or "").strip():
            found.append(finding(Veto.STRICTER, line, link, item=name, found=item.share_type,
                                 promised=promised["share_type"]))  # fmt: skip
    state = next(
        (s for s in freshness(session, now=now, provider_department_id=resource.provider_department_id)
         if s.code == resource.code),
        None,
    )  # fmt: skip
    runs = f"/sources?resource={resource.code}"
    if state is None or state.status == Freshness.NEVER:
        found.append(finding(Veto.NOT_PROVIDED, line, runs))
    elif state.status == Freshness.LATE:
        found.append(finding(Veto.STALE, line, runs, at=f"{state.last_success_at:%Y-%m-%d %H:%M}"))
    status = session.get(DataStatus, resource.code)
    if status is not None and status.quarantined_snapshot_id is not None:
        found.append(finding(Veto.QUARANTINED, line, f"/quality?resource={resource.code}",
                             reason=status.quarantine_reason or ""))  # fmt: skip
    return found


def _needed(
    session: Session, project: Project, line: SharingLine, now: datetime
) -> list[dict[str, Any]]:
    resource = session.scalar(select(Resource).where(Resource.code == line.resource_code))
    version = None if resource is None else published_version(session, resource)
    if resource is None or version is None:
        return [finding(Veto.NOT_PUBLISHED, line, None)]
    link = f"/catalog/{resource.code}"
    found = []
    open_data = all(item.share_type == ShareType.UNCONDITIONAL for item in version.items)
    granted = active_grants(session, consumer_department_id=project.department_id,
                            resource_id=resource.id, at=now)  # fmt: skip
    if not (open_data or granted):
        found.append(finding(Veto.NOT_OBTAINED, line, link))
    unit = session.get_one(Department, project.department_id).name
    authority = session.get_one(Department, resource.provider_department_id).name
    for row in duplicate_collection_report(session):
        if (row.provider == unit and row.authoritative_department == authority
                and not (row.justification or "").strip()):  # fmt: skip
            found.append(finding(Veto.COLLECTED_AGAIN, line, f"/catalog/{row.resource_code}",
                                 item=row.item_name, authority=authority))  # fmt: skip
    return found


def run_check(session: Session, project: Project, *, now: datetime) -> SharingCheck:
    """Check the project's sharing now and keep the result."""
    findings: list[dict[str, Any]] = []
    for line in lines_of(session, project):
        if line.direction == Direction.PRODUCE:
            findings += _produced(session, line, now)
        else:
            findings += _needed(session, project, line, now)
    check = SharingCheck(project_id=project.id, checked_at=now, passed=not findings,
                         findings=findings)  # fmt: skip
    session.add(check)
    session.flush()
    return check


def check_project(
    session: Session, *, actor: Principal, now: datetime, project_id: int
) -> SharingCheck:
    """The check on its own, for whoever may see the project: kept with its evidence."""
    project = get_project(session, project_id, actor)
    check = run_check(session, project, now=now)
    audit.record(session, at=now, actor=actor, action="project.sharing_check",
                 object_type="project", object_id=project.id,
                 detail={"passed": check.passed, "vetoes": [f["veto"] for f in check.findings]})  # fmt: skip
    return check
