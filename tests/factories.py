"""Building departments and users for tests."""

from itertools import count

from sqlalchemy.orm import Session

from exchange.identifiers import uscc_check_character
from exchange.identity.models import Department, User
from exchange.identity.roles import DepartmentKind, Role
from exchange.identity.service import create_department, create_user, issue_token
from exchange.principal import Principal
from exchange.runtime import Platform

SYSTEM = Principal.system("tests")
PASSWORD = "Correct horse battery 9"
_serials = count(100)


def department_code(serial: int) -> str:
    first17 = f"11440300{serial:08d}0"
    return first17 + uscc_check_character(first17)


def make_department(
    session: Session,
    platform: Platform,
    name: str | None = None,
    kind: DepartmentKind = DepartmentKind.GOVERNMENT,
) -> Department:
    serial = next(_serials)
    return create_department(
        session,
        actor=SYSTEM,
        now=platform.clock.now(),
        code=department_code(serial),
        name=name or f"测试局{serial}",
        kind=kind,
    )


def make_user(
    session: Session,
    platform: Platform,
    department: Department,
    *roles: Role,
    email: str | None = None,
    password: str | None = None,
) -> User:
    """A user; pass ``password=PASSWORD`` where a test logs in (argon2 is slow on purpose)."""
    serial = next(_serials)
    return create_user(
        session,
        actor=SYSTEM,
        now=platform.clock.now(),
        username=f"user{serial}",
        display_name=f"用户{serial}",
        department_code=department.code,
        roles=roles,
        email=email,
        password=password,
    )


def make_token(session: Session, platform: Platform, user: User, days: int = 30) -> str:
    issued = issue_token(
        session, actor=SYSTEM, now=platform.clock.now(), user_id=user.id, name="test", days=days
    )
    return issued.secret
