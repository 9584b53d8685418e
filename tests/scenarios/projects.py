"""Projects: the unit's officer, the bureau's reviewer and experts, a project brought to a stage."""

from typing import Any

from exchange.identity.models import User
from exchange.identity.roles import Role
from exchange.identity.service import principal_for
from exchange.principal import Principal
from projects import acceptance, applications, register, reviews
from projects.applications import DocumentStore
from tests.catalog_fixtures import CatalogWorld
from tests.factories import make_user


def people(world: CatalogWorld) -> dict[str, Principal]:
    """An officer of the provider (the unit), the bureau's reviewer, and two experts: one of the
    unit itself, one of another department."""
    made = {}
    with world.platform.database.transaction() as session:
        for name, department, role in (
            ("officer", world.provider, Role.PROJECT_OFFICER),
            ("other_officer", world.consumer_department, Role.PROJECT_OFFICER),
            ("reviewer", world.bureau, Role.PROJECT_REVIEWER),
            ("finance", world.bureau, Role.FINANCE_OFFICE),
            ("own_expert", world.provider, Role.EXPERT),
            ("expert", world.consumer_department, Role.EXPERT),
        ):
            user = make_user(session, world.platform, department, role)
            made[name] = principal_for(session.get_one(User, user.id))
        for name in ("own_expert", "expert"):
            reviews.register_expert(session, actor=world.actor("admin"),
                                    now=world.platform.clock.now(),
                                    username=made[name].username, fields=["政务云"])  # fmt: skip
    return made


def offices(world: CatalogWorld) -> tuple[Principal, Principal]:
    """The development-and-reform and the finance office, made once per world."""
    made = world.__dict__.setdefault("offices", {})
    if not made:
        with world.platform.database.transaction() as session:
            for role in (Role.REFORM_OFFICE, Role.FINANCE_OFFICE):
                user = make_user(session, world.platform, world.bureau, role)
                made[role] = principal_for(session.get_one(User, user.id))
    return made[Role.REFORM_OFFICE], made[Role.FINANCE_OFFICE]


def endorsed_and_approved(world: CatalogWorld, year: int) -> None:
    """Both offices endorse the year's plan, then the bureau approves it (R24)."""
    platform = world.platform
    with platform.database.transaction() as session:
        for office in offices(world):
            register.endorse_plan(session, actor=office, now=platform.clock.now(), year=year)
        register.approve_plan(session, actor=world.actor("admin"), now=platform.clock.now(),
                              year=year)  # fmt: skip


def store(world: CatalogWorld) -> DocumentStore:
    return DocumentStore(world.platform.settings.data_dir / "project-documents")


def proposed(world: CatalogWorld, who: Principal, *, plan_year: int = 2027, in_plan: bool = True,
             urgent_approval: str | None = None) -> int:  # fmt: skip
    platform = world.platform
    with platform.database.transaction() as session:
        project = register.propose(session, actor=who, now=platform.clock.now(),
                                   settings=platform.settings, name="企业登记系统升级",
                                   plan_year=plan_year, urgent_approval=urgent_approval)  # fmt: skip
        if in_plan:
            register.include_in_plan(session, actor=world.actor("admin"), now=platform.clock.now(),
                                     project_id=project.id, included=True)  # fmt: skip
        project_id = project.id
    if in_plan:
        endorsed_and_approved(world, plan_year)
    return project_id


def materials(world: CatalogWorld, who: Principal, project_id: int, code: str, *,
              plan: bool = True, investment: int = 800_000) -> None:  # fmt: skip
    """A complete application, promising ``code`` with its items as published, save the plan."""
    platform = world.platform
    with platform.database.transaction() as session:
        now = platform.clock.now()
        applications.fill_form(
            session, actor=who, now=now, project_id=project_id,
            investment={"software": investment}, funding={"fiscal": investment},
            construction_months=12,
            persons={"legal_representative": "王局长", "project_lead": "李工", "contact": "张三"},
        )  # fmt: skip
        applications.attach_document(session, actor=who, now=now, project_id=project_id,
                                     kind="letter", filename="申请函.pdf", content=b"%PDF letter",
                                     store=store(world))  # fmt: skip
        if plan:
            applications.attach_document(session, actor=who, now=now, project_id=project_id,
                                         kind="plan", filename="建设方案.pdf",
                                         content=b"%PDF plan", store=store(world))  # fmt: skip
        applications.set_sharing_list(session, actor=who, now=now, project_id=project_id, lines=[
            {"direction": "produce", "name": "企业登记信息", "resource_code": code,
             "items": [{"name": "uscc", "share_type": "unconditional"},
                       {"name": "enterprise_name", "share_type": "unconditional"},
                       {"name": "phone", "share_type": "conditional"}]},
        ])  # fmt: skip
        applications.sign_commitment(session, actor=who, now=now, project_id=project_id,
                                     signed_by="王局长")  # fmt: skip


def approved(
    world: CatalogWorld,
    cast: dict[str, Principal],
    code: str,
    *,
    investment: int = 800_000,
    lines: list[dict[str, Any]] | None = None,
    plan_year: int = 2027,
) -> int:
    """A project in the plan, applied for with complete materials (its sharing list ``lines``,
    if given) and approved."""
    platform = world.platform
    project_id = proposed(world, cast["officer"], plan_year=plan_year)
    materials(world, cast["officer"], project_id, code, investment=investment)
    with platform.database.transaction() as session:
        if lines is not None:
            applications.set_sharing_list(session, actor=cast["officer"], now=platform.clock.now(),
                                          project_id=project_id, lines=lines)  # fmt: skip
    with platform.database.transaction() as session:
        env = platform.workflow_environment(session)
        applications.submit(session, actor=cast["officer"], env=env, project_id=project_id)
        reviews.decide(session, actor=cast["reviewer"], env=env, project_id=project_id,
                       approve=True, reply="同意立项")  # fmt: skip
    return project_id


def self_accepted(world: CatalogWorld, who: Principal, project_id: int) -> None:
    """A small project files its acceptance report and accepts itself."""
    with world.platform.database.transaction() as session:
        applications.attach_document(session, actor=who, now=world.platform.clock.now(),
                                     project_id=project_id, kind="acceptance_report",
                                     filename="验收报告.pdf", content=b"%PDF report",
                                     store=store(world))  # fmt: skip
    with world.platform.database.transaction() as session:
        acceptance.self_accept(session, actor=who, env=world.platform.workflow_environment(session),
                               project_id=project_id)  # fmt: skip


def accept(world: CatalogWorld, who: Principal, project_id: int) -> None:
    with world.platform.database.transaction() as session:
        acceptance.accept(session, actor=who, env=world.platform.workflow_environment(session),
                          project_id=project_id)  # fmt: skip
