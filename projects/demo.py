"""Demonstration projects at different stages, through the same services as everything else:
one accepted, one approved whose sharing check is vetoed (it promised a resource it never
registered), one in expert review, one waiting for its materials, one proposal left out of the
plan."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import Resource, ResourceVersion
from catalog.vocab import ResourceStatus
from collection.freshness import freshness
from collection.vocab import Freshness
from exchange.data_status import DataStatus
from exchange.demo import demo_person
from exchange.principal import Principal
from exchange.runtime import Platform
from projects import acceptance, applications, register, reviews
from projects.applications import DocumentStore
from projects.models import Project
from projects.sharing_check import check_project

FIELD = "政务信息化"


@dataclass(frozen=True)
class DemoProject:
    department: str
    name: str
    stage: str  # accepted, vetoed, expert_review, incomplete, proposed


DEMO_PROJECTS = (
    DemoProject("scjg", "企业登记系统升级改造", "accepted"),
    DemoProject("sw", "电子税务局数据共享二期", "vetoed"),
    DemoProject("rs", "社会保险经办系统整合", "expert_review"),
    DemoProject("ga", "人口基础信息库扩容", "incomplete"),
    DemoProject("mz", "智慧养老服务平台", "proposed"),
)


def _promised(session: Session, officer: Principal, now: datetime) -> list[dict[str, Any]]:
    """A sharing list promising one of the unit's published resources as it is published: one
    whose data is collected, fresh and not quarantined if there is one."""
    assert officer.department_id is not None
    fresh = {
        state.code for state in freshness(session, now=now, provider_department_id=officer.department_id)
        if state.status == Freshness.ON_TIME
    }  # fmt: skip
    rows = session.execute(
        select(Resource.code, ResourceVersion)
        .join(ResourceVersion, ResourceVersion.id == Resource.published_version_id)
        .where(Resource.provider_department_id == officer.department_id,
               Resource.status == ResourceStatus.PUBLISHED)
        .order_by(Resource.code)
    ).all()  # fmt: skip

    def healthy(code: str) -> bool:
        status = session.get(DataStatus, code)
        return code in fresh and (status is None or status.quarantined_snapshot_id is None)

    code, version = sorted(rows, key=lambda row: not healthy(row[0]))[0]
    return [{"direction": "produce", "name": version.name, "resource_code": code,
             "items": [{"name": item.name, "share_type": item.share_type,
                        "legal_basis": item.legal_basis} for item in version.items]}]  # fmt: skip


def _apply(session: Session, officer: Principal, project_id: int, store: DocumentStore,
           now: datetime, *, stage: str) -> None:  # fmt: skip
    applications.fill_form(
        session, actor=officer, now=now, project_id=project_id,
        investment={"software": 300_000, "technical_services": 300_000},
        funding={"fiscal": 600_000}, construction_months=12,
        persons={"legal_representative": "单位负责人", "project_lead": "项目负责人",
                 "contact": "联系人"},
    )  # fmt: skip
    lines = _promised(session, officer, now)
    documents = [("letter", "申请函.pdf")]
    if stage != "incomplete":  # the incomplete one still lacks its construction plan
        documents.append(("plan", "建设方案.pdf"))
    if any(item["share_type"] == "not_shared" for line in lines for item in line["items"]):
        documents.append(("legal_basis", "不予共享的法律依据.pdf"))
    for kind, filename in documents:
        applications.attach_document(session, actor=officer, now=now, project_id=project_id,
                                     kind=kind, filename=filename, content=_pdf(filename),
                                     store=store)  # fmt: skip
    if stage == "vetoed":
        lines.append({"direction": "produce", "name": "电子发票开具信息", "items": []})
    applications.set_sharing_list(session, actor=officer, now=now, project_id=project_id,
                                  lines=lines)  # fmt: skip
    applications.sign_commitment(session, actor=officer, now=now, project_id=project_id,
                                 signed_by="单位主要负责人")  # fmt: skip


def seed_projects(platform: Platform) -> list[tuple[str, str]]:
    """Seed the demo projects once (after the demo sources are collected); returns each
    project's name and state."""
    store = DocumentStore(platform.settings.data_dir / "project-documents")
    year = platform.clock.now().astimezone(platform.settings.zone).year + 2  # proposals still open
    with platform.database.transaction() as session:
        if session.scalar(select(Project.id).limit(1)) is not None:
            return []
        bureau = demo_person(session, "dsj.bureau_admin")
        reviewer = demo_person(session, "dsj.project_reviewer")
        for spec in DEMO_PROJECTS:
            reviews.register_expert(session, actor=bureau, now=platform.clock.now(),
                                    username=f"{spec.department}.expert", fields=[FIELD])  # fmt: skip
        ids = {}
        for spec in DEMO_PROJECTS:
            officer = demo_person(session, f"{spec.department}.project_officer")
            project = register.propose(session, actor=officer, now=platform.clock.now(),
                                       settings=platform.settings, name=spec.name, plan_year=year)  # fmt: skip
            register.include_in_plan(session, actor=bureau, now=platform.clock.now(),
                                     project_id=project.id, included=spec.stage != "proposed")  # fmt: skip
            if spec.stage != "proposed":
                _apply(session, officer, project.id, store, platform.clock.now(), stage=spec.stage)
            ids[spec.name] = project.id
        for office in ("fgw.reform_office", "cz.finance_office"):
            register.endorse_plan(session, actor=demo_person(session, office),
                                  now=platform.clock.now(), year=year)  # fmt: skip
        register.approve_plan(session, actor=bureau, now=platform.clock.now(), year=year)
    for spec in DEMO_PROJECTS:
        if spec.stage != "proposed":
            _advance(platform, spec, ids[spec.name], reviewer, store)
    with platform.database.transaction() as session:
        return [
            (spec.name, session.get_one(Project, ids[spec.name]).state) for spec in DEMO_PROJECTS
        ]


def _advance(platform: Platform, spec: DemoProject, project_id: int, reviewer: Principal,
             store: DocumentStore) -> None:  # fmt: skip
    with platform.database.transaction() as session:
        env = platform.workflow_environment(session)
        officer = demo_person(session, f"{spec.department}.project_officer")
        applications.submit(session, actor=officer, env=env, project_id=project_id)
        if spec.stage == "expert_review":
            project = session.get_one(Project, project_id)
            experts = reviews.draw_experts(session, project, field=FIELD, count=2)
            reviews.refer_to_experts(session, actor=reviewer, env=env, project_id=project_id,
                                     usernames=[u.username for u in experts])  # fmt: skip
        elif spec.stage in ("accepted", "vetoed"):
            reviews.decide(session, actor=reviewer, env=env, project_id=project_id, approve=True,
                           reply="符合年度计划和共享要求，同意立项")  # fmt: skip
    if spec.stage not in ("accepted", "vetoed"):
        return
    with platform.database.transaction() as session:  # the check on its own, kept with evidence
        passed = check_project(session, actor=reviewer, now=platform.clock.now(),
                               project_id=project_id).passed  # fmt: skip
    if spec.stage == "accepted" and passed:
        with platform.database.transaction() as session:
            officer = demo_person(session, f"{spec.department}.project_officer")
            applications.attach_document(session, actor=officer, now=platform.clock.now(),
                                         project_id=project_id, kind="acceptance_report",
                                         filename="验收报告.pdf", content=_pdf("验收报告.pdf"),
                                         store=store)  # fmt: skip
            acceptance.self_accept(session, actor=officer,
                                   env=platform.workflow_environment(session),
                                   project_id=project_id)  # fmt: skip


def _pdf(title: str) -> bytes:
    """A small placeholder standing for the unit's real document."""
    return f"%PDF-1.4\n% {title}\n".encode()
