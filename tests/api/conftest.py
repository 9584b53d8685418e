from dataclasses import dataclass

import pytest

from exchange.identity.models import Department
from exchange.identity.roles import Role
from exchange.runtime import Platform
from tests.factories import PASSWORD, make_department, make_token, make_user


@dataclass
class Caller:
    user_id: int
    username: str
    token: str
    department: Department

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Callers:
    admin: Caller
    auditor: Caller
    registrar: Caller
    system_admin: Caller
    security_admin: Caller


@pytest.fixture
def callers(platform: Platform) -> Callers:
    with platform.database.transaction() as session:
        bureau = make_department(session, platform, name="市政务服务和大数据管理局")
        provider = make_department(session, platform, name="市市场监督管理局")
        made = {}
        for name, department, role in (
            ("admin", bureau, Role.BUREAU_ADMIN),
            ("auditor", bureau, Role.AUDITOR),
            ("registrar", provider, Role.CATALOG_REGISTRAR),
            ("system_admin", bureau, Role.SYSTEM_ADMIN),
            ("security_admin", bureau, Role.SECURITY_ADMIN),
        ):
            user = make_user(session, platform, department, role, password=PASSWORD)
            made[name] = Caller(
                user.id, user.username, make_token(session, platform, user), department
            )
    return Callers(**made)
