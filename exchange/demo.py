"""Demonstration departments and users: one user for every role, all with the same password."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange.identifiers import uscc_check_character
from exchange.identity.models import Department, User
from exchange.identity.roles import DepartmentKind, Role
from exchange.identity.service import create_department, create_user, principal_for
from exchange.principal import Principal
from exchange.runtime import Platform

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 (demonstration data only)
_REGION = "440300"  # the demonstration city's administrative division code


def demo_code(serial: int, kind: DepartmentKind = DepartmentKind.GOVERNMENT) -> str:
    """A valid unified social credit code: of a government body (登记管理部门 1, 类别 1), or of
    an enterprise (9, 1)."""
    first17 = f"{'91' if kind == DepartmentKind.ENTERPRISE else '11'}{_REGION}{serial:08d}0"
    return first17 + uscc_check_character(first17)


@dataclass(frozen=True)
class DemoDepartment:
    short: str
    name: str
    serial: int
    roles: tuple[Role, ...]
    kind: DepartmentKind = DepartmentKind.GOVERNMENT


PROVIDER_ROLES = (
    Role.CATALOG_REGISTRAR,
    Role.CATALOG_REVIEWER,
    Role.DATA_RESOURCE_ADMIN,
    Role.DATA_REVIEWER,
    Role.CONSUMER,
    Role.PROJECT_OFFICER,
    Role.EXPERT,
)

DEMO_DEPARTMENTS = (
    DemoDepartment(
        "dsj",
        "市政务服务和大数据管理局",
        1,
        (
            Role.BUREAU_ADMIN,
            Role.DATA_STEWARD,
            Role.AUDITOR,
            Role.PROJECT_REVIEWER,
            Role.CLOUD_REVIEWER,
            Role.SYSTEM_ADMIN,
            Role.SECURITY_ADMIN,
        ),
    ),
    DemoDepartment("xtb", "市数字政府建设领导小组办公室", 2, (Role.COORDINATING_OFFICE,)),
    DemoDepartment("scjg", "市市场监督管理局", 3, PROVIDER_ROLES),
    DemoDepartment("sw", "国家税务总局XX市税务局", 4, PROVIDER_ROLES),
    DemoDepartment("rs", "市人力资源和社会保障局", 5, PROVIDER_ROLES),
    DemoDepartment("ga", "市公安局", 6, PROVIDER_ROLES),
    DemoDepartment("mz", "市民政局", 7, PROVIDER_ROLES),
    DemoDepartment("fgw", "市发展和改革委员会", 8, (Role.REFORM_OFFICE,)),
    DemoDepartment("cz", "市财政局", 9, (Role.FINANCE_OFFICE,)),
    # The contracted government-cloud provider: a company, whose staff see only its work orders.
    DemoDepartment(
        "yun", "某政务云服务有限公司", 10, (Role.CLOUD_PROVIDER,), DepartmentKind.ENTERPRISE
    ),
)


@dataclass(frozen=True)
class DemoUser:
    username: str
    department: str
    role: Role


def seed_identity(session: Session, *, platform: Platform) -> list[DemoUser]:
    """Create the demo departments and one user per role; existing ones are left alone."""
    now = platform.clock.now()
    actor = Principal.system("demo")
    users = []
    for spec in DEMO_DEPARTMENTS:
        code = demo_code(spec.serial, spec.kind)
        if session.scalar(select(Department.id).where(Department.code == code)) is None:
            create_department(
                session,
                actor=actor,
                now=now,
                code=code,
                name=spec.name,
                kind=spec.kind,
            )
        for role in spec.roles:
            username = f"{spec.short}.{role.value}"
            users.append(DemoUser(username, spec.name, role))
            if session.scalar(select(User.id).where(User.username == username)) is None:
                create_user(
                    session,
                    actor=actor,
                    now=now,
                    username=username,
                    display_name=f"{spec.name} {role.value}",
                    department_code=code,
                    roles=[role],
                    email=f"{username}@demo.invalid",
                    password=DEMO_PASSWORD,
                )
    return users


def demo_person(session: Session, username: str) -> Principal:
    """A demo user as the actor of seeded work; the demo users are seeded first."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise LookupError(f"seed the demo users first: {username} is missing")
    return principal_for(user)
