"""Every role, in the responsible department and in another one, against every action on a quality
issue (R19): the responsible department's data resource administrator acknowledges and answers;
the bureau's data stewards return, verify and close.

The expected outcome is written out here from RULES.md, independently of exchange/actions.csv. Each
case takes a fresh issue to the state the action needs (as the platform would), then lets the
person try; a refusal leaves the issue as it was.
"""

from typing import Any

import pytest

from exchange.errors import NotFound, PermissionDenied
from exchange.identity.roles import Role
from exchange.identity.service import principal_for
from exchange.principal import Principal
from quality import issues
from quality.models import QualityIssue
from quality.vocab import AnswerKind, IssueOrigin
from tests.catalog_fixtures import CatalogWorld, enterprise_register, publish_entry
from tests.factories import make_user

SYSTEM = Principal.system("test")
OK = "ok"
# The steps that bring an issue to the state each action starts from.
BEFORE = {
    "acknowledge": [],
    "answer": ["acknowledge"],
    "return": ["acknowledge", "answer"],
    "verify": ["acknowledge", "answer"],
    "close": ["acknowledge", "answer", "verify"],
}


def expected(action: str, department: str, role: Role) -> str:
    if action in ("acknowledge", "answer"):  # R19: the responsible department answers
        return OK if department == "responsible" and role == Role.DATA_RESOURCE_ADMIN else "denied"
    return OK if role == Role.DATA_STEWARD else "denied"  # the bureau's stewards judge


def _take(session: Any, env: Any, actor: Principal, issue_id: int, action: str) -> None:
    common = {"actor": actor, "env": env, "issue_id": issue_id}
    if action == "acknowledge":
        issues.acknowledge(session, **common)
    elif action == "answer":
        issues.answer(session, **common, kind=AnswerKind.DISPUTED, text="核对无误，系比对口径不同")
    elif action == "return":
        issues.return_answer(session, **common, reason="请附证明材料")
    elif action == "verify":
        issues.verify(session, **common)
    else:
        issues.close(session, **common)


def _attempt(world: CatalogWorld, code: str, actor: Principal, action: str) -> str:
    platform = world.platform
    with platform.database.transaction() as session:
        env = platform.workflow_environment(session)
        issue = issues.open_issue(
            session, actor=SYSTEM, env=env, code=code,
            issue=QualityIssue(
                origin=IssueOrigin.VALIDATION, resource_id=world.__dict__["resource_id"],
                department_id=world.provider.id, snapshot_id=1, title="test", row_count=1,
                rows=[{"check": "not_null(enterprise_name)", "value": None}],
            ),
        )  # fmt: skip
        issue_id = issue.id
        for step in BEFORE[action]:
            _take(session, env, SYSTEM, issue_id, step)
    try:
        with platform.database.transaction() as session:
            _take(session, platform.workflow_environment(session), actor, issue_id, action)
    except (PermissionDenied, NotFound):
        return "denied"
    return OK


@pytest.mark.parametrize("action", list(BEFORE))
def test_r19_every_role_in_every_department_against_every_quality_issue_action(
    world: CatalogWorld, action: str
) -> None:
    code = publish_entry(world, enterprise_register())
    with world.platform.database.transaction() as session:
        from catalog.entries import get_resource

        world.__dict__["resource_id"] = get_resource(session, code).id
    departments = {"responsible": world.provider, "other": world.consumer_department}
    wrong = []
    for department in ("responsible", "other"):
        for role in Role:
            with world.platform.database.transaction() as session:
                person = principal_for(
                    make_user(session, world.platform, departments[department], role)
                )
            found = _attempt(world, code, person, action)
            if found != expected(action, department, role):
                wrong.append((department, role.value, found))
    assert wrong == []
