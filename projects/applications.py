"""The technical review application (R25): the form, the documents, the resource-sharing list and
the sharing commitment; the completeness check and one data, one source (R8) at submission;
completion within 5 working days, or the materials go back and wait 3 months."""

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.entries import get_resource, published_version
from catalog.models import AuthoritativeSource, DataItem, Resource, ResourceVersion
from catalog.vocab import ResourceStatus, ShareType
from exchange import audit
from exchange.deadlines.service import find_open_deadline
from exchange.errors import Conflict, InvalidInput
from exchange.i18n import Message
from exchange.identity.models import Department
from exchange.principal import Principal
from exchange.workflow import WorkflowEnvironment, take_action
from projects.models import COMPLETION, Project, ProjectDocument, SharingLine
from projects.register import acting_on, require_in_plan
from projects.vocab import Direction, DocumentKind, ProjectState
from projects.workflow import PROJECT

DEADLINES = Principal.system("project-deadlines")
INVESTMENT_PARTS = ("equipment", "software", "technical_services", "other")
FUNDING_PARTS = ("fiscal", "self_raised", "other")
PERSONS = {
    "legal_representative": Message("the legal representative"),
    "project_lead": Message("the project lead"),
    "contact": Message("the contact person"),
}
EDITABLE = {ProjectState.PROPOSED, ProjectState.INCOMPLETE, ProjectState.RETURNED}


@dataclass(frozen=True)
class Gap:
    """Something the application lacks, by field."""

    field: str
    message: Message


@dataclass(frozen=True)
class DuplicateFlag:
    """R8: an item the project means to collect that another department is authoritative for."""

    line: str
    item: str
    element: str
    authority: str
    entries: list[str]  # the catalog entries to request it from instead


def _editable(project: Project) -> None:
    if project.state not in EDITABLE:
        raise Conflict("project {name} is {state}: its application no longer changes",
                       name=project.name, state=project.state)  # fmt: skip


def fill_form(
    session: Session,
    *,
    actor: Principal,
    now: datetime,
    project_id: int,
    investment: dict[str, int],
    funding: dict[str, int],
    construction_months: int,
    persons: dict[str, str],
) -> Project:
    """The application form: investment and funding by part, in yuan; period; persons."""
    project = acting_on(session, actor, project_id, "apply")
    _editable(project)
    check_split(investment, funding)
    if construction_months < 1:
        raise InvalidInput("the construction period is at least a month",
                           detail={"field": "construction_months"})  # fmt: skip
    project.investment, project.funding = dict(investment), dict(funding)
    project.construction_months = construction_months
    project.persons = {k: v.strip() for k, v in persons.items() if k in PERSONS and v.strip()}
    audit.record(session, at=now, actor=actor, action="project.form", object_type="project",
                 object_id=project.id, detail={"investment": project.investment,
                                               "funding": project.funding})  # fmt: skip
    return project


def check_split(investment: dict[str, int], funding: dict[str, int]) -> None:
    """Investment and funding by their parts, in yuan, adding up to the same total (R25)."""
    for parts, given, field in ((INVESTMENT_PARTS, investment, "investment"),
                                (FUNDING_PARTS, funding, "funding")):  # fmt: skip
        unknown = sorted(set(given) - set(parts))
        if unknown or any(int(v) < 0 for v in given.values()):
            raise InvalidInput(
                "{field} is split into {parts}, each a sum of yuan not below zero",
                detail={"field": field, "unknown": unknown}, field=field, parts=", ".join(parts),
            )  # fmt: skip
    if sum(investment.values()) != sum(funding.values()):
        raise InvalidInput(
            "the funding ({funding} yuan) must add up to the investment ({investment} yuan)",
            detail={"field": "funding"},
            funding=sum(funding.values()), investment=sum(investment.values()),
        )  # fmt: skip


def attach_document(
    session: Session,
    *,
    actor: Principal,
    now: datetime,
    project_id: int,
    kind: str,
    filename: str,
    content: bytes,
    store: "DocumentStore",
) -> ProjectDocument:
    """A file of the project, kept as it came with its SHA-256: never altered, only added to."""
    project = acting_on(session, actor, project_id, "file")
    if kind not in set(DocumentKind):
        raise InvalidInput("a document is one of {kinds}", detail={"field": "kind"},
                           kinds=", ".join(DocumentKind))  # fmt: skip
    if not content:
        raise InvalidInput("the file {filename} is empty", detail={"field": "file"},
                           filename=filename)  # fmt: skip
    digest = hashlib.sha256(content).hexdigest()
    store.keep(digest, content)
    document = ProjectDocument(
        project_id=project.id, kind=kind, filename=filename[:255], sha256=digest,
        size=len(content), uploaded_at=now, uploaded_by=actor.username,
    )  # fmt: skip
    session.add(document)
    session.flush()
    audit.record(session, at=now, actor=actor, action="project.document", object_type="project",
                 object_id=project.id, detail={"kind": kind, "filename": filename,
                                               "sha256": digest})  # fmt: skip
    return document


class DocumentStore:
    """Where the projects' files are kept, by their SHA-256: a file once written is never
    rewritten, so a stored document cannot change under its recorded hash."""

    def __init__(self, root: Any) -> None:
        self.root = root

    def keep(self, digest: str, content: bytes) -> None:
        path = self.root / digest[:2] / digest
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        partial.write_bytes(content)
        partial.replace(path)

    def read(self, digest: str) -> bytes:
        return bytes((self.root / digest[:2] / digest).read_bytes())


def set_sharing_list(
    session: Session,
    *,
    actor: Principal,
    now: datetime,
    project_id: int,
    lines: list[dict[str, Any]],
) -> list[SharingLine]:
    """The resource-sharing list, whole: produced resources with their promised items and share
    types (not shared only with its legal basis), and needed resources picked from the catalog."""
    project = acting_on(session, actor, project_id, "apply")
    _editable(project)
    made = []
    for number, line in enumerate(lines, 1):
        direction = line.get("direction")
        where = f"lines[{number}]"
        if direction == Direction.NEED:
            resource = get_resource(session, str(line.get("resource_code") or ""))
            version = published_version(session, resource)
            if version is None:
                raise InvalidInput("{where}: {code} is not published in the catalog",
                                   detail={"field": where}, where=where, code=resource.code)  # fmt: skip
            made.append(SharingLine(project_id=project.id, direction=direction,
                                    name=version.name, resource_code=resource.code, items=[]))  # fmt: skip
        elif direction == Direction.PRODUCE:
            items = [dict(item) for item in line.get("items") or []]
            for item in items:
                if item.get("share_type") not in set(ShareType):
                    raise InvalidInput("{where}: item {item} has no share type",
                                       detail={"field": where}, where=where,
                                       item=item.get("name", "?"))  # fmt: skip
            made.append(SharingLine(project_id=project.id, direction=direction,
                                    name=str(line.get("name") or "").strip(),
                                    resource_code=line.get("resource_code"), items=items))  # fmt: skip
        else:
            raise InvalidInput("{where}: a line produces or needs a resource",
                               detail={"field": where}, where=where)  # fmt: skip
    for old in session.scalars(select(SharingLine).where(SharingLine.project_id == project.id)):
        session.delete(old)
    session.add_all(made)
    session.flush()
    audit.record(session, at=now, actor=actor, action="project.sharing_list",
                 object_type="project", object_id=project.id,
                 detail={"lines": [{"direction": m.direction, "name": m.name,
                                    "resource": m.resource_code} for m in made]})  # fmt: skip
    return made


def sign_commitment(
    session: Session, *, actor: Principal, now: datetime, project_id: int, signed_by: str
) -> Project:
    """The sharing commitment (共享交换承诺书), signed by the unit's leader: who, and when."""
    project = acting_on(session, actor, project_id, "apply")
    _editable(project)
    if not signed_by.strip():
        raise InvalidInput("the commitment names the leader who signed it",
                           detail={"field": "signed_by"})  # fmt: skip
    project.commitment_signed_by, project.commitment_signed_at = signed_by.strip(), now
    audit.record(session, at=now, actor=actor, action="project.commitment",
                 object_type="project", object_id=project.id, detail={"signed_by": signed_by})  # fmt: skip
    return project


def lines_of(session: Session, project: Project) -> list[SharingLine]:
    return list(session.scalars(
        select(SharingLine).where(SharingLine.project_id == project.id).order_by(SharingLine.id)
    ))  # fmt: skip


def gaps(session: Session, project: Project) -> list[Gap]:
    """What the application lacks (R25)."""
    kinds = set(session.scalars(
        select(ProjectDocument.kind).where(ProjectDocument.project_id == project.id)
    ))  # fmt: skip
    lines = lines_of(session, project)
    found = []
    if DocumentKind.LETTER not in kinds:
        found.append(Gap("documents.letter", Message("the application letter")))
    if DocumentKind.PLAN not in kinds:
        found.append(Gap("documents.plan", Message("the construction plan")))
    if not project.investment or project.total_investment <= 0:
        found.append(Gap("investment", Message("the investment, split by part")))
    if not project.construction_months:
        found.append(Gap("construction_months", Message("the construction period")))
    for person in PERSONS:
        if person not in project.persons:
            found.append(Gap(f"persons.{person}", PERSONS[person]))
    if not any(line.direction == Direction.PRODUCE for line in lines):
        found.append(
            Gap("sharing_list", Message("the resources the project will produce and share"))
        )
    for line in lines:
        for item in line.items:
            if item.get("share_type") == ShareType.NOT_SHARED and not (
                (item.get("legal_basis") or "").strip() and DocumentKind.LEGAL_BASIS in kinds
            ):
                found.append(Gap(f"sharing_list.{line.name}.{item.get('name')}",
                                 Message("the written legal basis of {item}, which is not shared",
                                         item=item.get("name", "?"))))  # fmt: skip
    if not project.commitment_signed_at:
        found.append(Gap("commitment", Message("the sharing commitment, signed")))
    return found


def duplicate_flags(session: Session, project: Project) -> list[DuplicateFlag]:
    """R8: items the project would collect that another department is authoritative for, with
    the published entries that provide them."""
    authorities = dict(session.execute(
        select(AuthoritativeSource.element, AuthoritativeSource.department_id)
    ).all())  # fmt: skip
    names = dict(session.execute(select(Department.id, Department.name)).all())
    flags = []
    for line in lines_of(session, project):
        if line.direction != Direction.PRODUCE:
            continue
        for item in line.items:
            element = item.get("element")
            authority = authorities.get(element) if element else None
            if authority is None or authority == project.department_id:
                continue
            entries = session.scalars(
                select(Resource.code)
                .join(ResourceVersion, ResourceVersion.id == Resource.published_version_id)
                .join(DataItem, DataItem.version_id == ResourceVersion.id)
                .where(Resource.provider_department_id == authority,
                       Resource.status == ResourceStatus.PUBLISHED, DataItem.element == element)
                .order_by(Resource.code)
            ).all()  # fmt: skip
            flags.append(DuplicateFlag(line.name, str(item.get("name")), str(element),
                                       names.get(authority, str(authority)), list(entries)))  # fmt: skip
    return flags


def submit(
    session: Session, *, actor: Principal, env: WorkflowEnvironment, project_id: int
) -> Project:
    """Submit the application: refused outside the plan (R24) and during a return's 3 months;
    incomplete materials open the 5 working days of completion, complete ones the initial review."""
    project = acting_on(session, actor, project_id, "apply")
    require_in_plan(session, project)
    today = env.now.astimezone(env.calendar.zone).date()
    if project.resubmit_after is not None and today < project.resubmit_after:
        raise Conflict(
            "project {name} was returned on {returned}: it may be submitted again from {day} (R25)",
            detail={"rule": "R25", "resubmit_after": project.resubmit_after.isoformat()},
            name=project.name, day=project.resubmit_after.isoformat(),
            returned=f"{project.returned_at:%Y-%m-%d}" if project.returned_at else "",
        )  # fmt: skip
    missing = gaps(session, project)
    flags = duplicate_flags(session, project)
    detail = {"gaps": [g.field for g in missing], "duplicates": [f.__dict__ for f in flags]}
    project.submitted_at = env.now
    action = "find_incomplete" if missing else "apply"
    take_action(session, PROJECT, project, action, actor=actor, env=env, detail=detail)
    return project


def complete(
    session: Session, *, actor: Principal, env: WorkflowEnvironment, project_id: int
) -> Project:
    """The unit says its materials are complete: on time and complete, the initial review starts;
    late or still incomplete, the materials go back for 3 months (R25)."""
    project = acting_on(session, actor, project_id, "apply")
    deadline = find_open_deadline(session, kind=COMPLETION, subject_type="project",
                                  subject_id=project.id)  # fmt: skip
    late = deadline is not None and env.now >= deadline.due_at
    missing = gaps(session, project)
    if late or missing:
        return_materials(session, project, actor=actor, env=env,
                         why="late" if late else "still incomplete")  # fmt: skip
        return project
    take_action(session, PROJECT, project, "complete", actor=actor, env=env)
    return project


def return_materials(
    session: Session, project: Project, *, actor: Principal, env: WorkflowEnvironment, why: str
) -> None:
    today = env.now.astimezone(env.calendar.zone).date()
    months = env.settings.project_resubmit_block_months
    project.returned_at, project.resubmit_after = env.now, add_months(today, months)
    take_action(session, PROJECT, project, "return", actor=actor, env=env,
                detail={"why": why, "resubmit_after": project.resubmit_after.isoformat()})  # fmt: skip


def return_overdue(session: Session, *, env: WorkflowEnvironment) -> list[int]:
    """Daily: projects whose completion time ran out go back (R25)."""
    actor = DEADLINES
    returned = []
    for project in session.scalars(select(Project).where(Project.state == ProjectState.INCOMPLETE)):
        deadline = find_open_deadline(session, kind=COMPLETION, subject_type="project",
                                      subject_id=project.id)  # fmt: skip
        if deadline is not None and env.now >= deadline.due_at:
            return_materials(session, project, actor=actor, env=env, why="late")
            returned.append(project.id)
    return returned


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day when it has fewer days."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("every month has a 28th")
