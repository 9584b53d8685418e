"""Every role, in the providing department and in another one, against every catalog action:
register, edit, submit, publish, return, retire, declare a key change, govern (R1, R4, R7, R8);
publishing completes the open catalog updates (R7), so approval covers that action too.

The expected outcome is written out here from RULES.md, independently of exchange/actions.csv, so a
change to the rule table that breaks a rule fails this test. Each case runs the real service in a
transaction of its own; a refusal is a PermissionDenied (or, for another department's draft, a
missing entry), never a half-done change.
"""

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session

from catalog import entries, governance, lifecycle, tasks
from exchange.errors import DomainError, NotFound, PermissionDenied
from exchange.identity.roles import Role
from exchange.identity.service import principal_for
from exchange.principal import Principal
from tests.catalog_fixtures import CatalogWorld, enterprise_register, publish_entry, submitted_entry
from tests.factories import make_user

OK = "ok"
DEPARTMENTS = ("provider", "other")


def expected(action: str, department: str, role: Role) -> str:
    """What RULES.md says, action by action."""
    if action == "govern":  # R4, R8: the bureau records statutes and authoritative sources
        return OK if role == Role.BUREAU_ADMIN else "denied"
    if action == "register":  # R1: every department registers its own resources
        return OK if role == Role.CATALOG_REGISTRAR else "denied"
    if department == "other":
        return "denied"  # only the providing department acts on its entries (R1)
    allowed = {
        "edit": {Role.CATALOG_REGISTRAR},
        "submit": {Role.CATALOG_REGISTRAR},
        "return": {Role.CATALOG_REVIEWER},  # R1: the reviewer sends it back with a reason
        "approve": {Role.CATALOG_REVIEWER},  # R1: reviewed before publication
        "retire": {Role.CATALOG_REVIEWER, Role.DATA_RESOURCE_ADMIN},
        "declare": {Role.CATALOG_REGISTRAR, Role.CATALOG_REVIEWER, Role.DATA_RESOURCE_ADMIN},  # R7
    }[action]
    return OK if role in allowed else "denied"


def _attempt(world: CatalogWorld, actor: Principal, action: str) -> str:
    """Set up what the action needs (as the department's own staff), then let ``actor`` try."""
    platform = world.platform
    code = ""
    if action in ("submit", "edit"):
        with platform.database.transaction() as session:
            code = entries.create_entry(
                session, actor=world.actor("registrar"), now=platform.clock.now(),
                draft=enterprise_register(),
            ).resource.code  # fmt: skip
    elif action in ("approve", "return"):
        code = submitted_entry(world, enterprise_register())
    elif action in ("retire", "declare"):
        code = publish_entry(world, enterprise_register())
    steps: dict[str, Callable[[Session, Any], object]] = {
        "register": lambda s, env: entries.create_entry(
            s, actor=actor, now=env.now, draft=enterprise_register()
        ),
        "edit": lambda s, env: entries.update_draft(
            s, actor=actor, now=env.now, code=code, draft=enterprise_register(abstract="更新摘要")
        ),
        "submit": lambda s, env: lifecycle.submit(s, actor=actor, env=env, code=code),
        "return": lambda s, env: lifecycle.return_for_changes(
            s, actor=actor, env=env, code=code, comment="请补充字段说明"
        ),
        "approve": lambda s, env: lifecycle.approve(s, actor=actor, env=env, code=code),
        "retire": lambda s, env: lifecycle.retire(
            s, actor=actor, env=env, code=code, reason="系统停用"
        ),
        "declare": lambda s, env: tasks.open_update_task(
            s, actor=actor, env=env, code=code, description="新增字段"
        ),
        "govern": lambda s, env: governance.set_authoritative_source(
            s, actor=actor, now=env.now, element="uscc", label="统一社会信用代码",
            department_code=world.provider.code,
        ),
    }  # fmt: skip
    try:
        with platform.database.transaction() as session:
            steps[action](session, platform.workflow_environment(session))
    except (PermissionDenied, NotFound):
        return "denied"
    except DomainError as error:
        return f"error: {error.code}: {error.message}"
    return OK


@pytest.mark.parametrize(
    "action", ["register", "edit", "submit", "approve", "return", "retire", "declare", "govern"]
)
def test_r1_every_role_in_every_department_against_every_catalog_action(
    world: CatalogWorld, action: str
) -> None:
    departments = {"provider": world.provider, "other": world.consumer_department}
    wrong = []
    for department in DEPARTMENTS:
        for role in Role:
            with world.platform.database.transaction() as session:
                person = principal_for(
                    make_user(session, world.platform, departments[department], role)
                )
            found = _attempt(world, person, action)
            if found != expected(action, department, role):
                wrong.append((department, role.value, found))
    assert wrong == []
