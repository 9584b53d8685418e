"""Every role, in the providing, the requesting and a third department, against every share type and
action: reading data, filing a request, seeing a request by id, deciding it, revoking a grant.

The expected outcome is written out here from RULES.md, independently of exchange/actions.csv, so
a change to the rule table that breaks a rule fails this test.
"""

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from exchange.identity.roles import Role
from exchange.identity.service import get_user, principal_for
from exchange.principal import Principal
from exchange.workflow import WorkflowEnvironment
from policies import data_reads, disputes, grants, requests
from policies.data_reads import ReadRequest
from policies.models import Grant
from policies.pdp import DataAccessPolicy
from policies.requests import RequestDraft
from policies.vocab import Purpose, RejectReason, SharingMode
from tests.catalog_fixtures import CatalogWorld
from tests.factories import make_user
from tests.scenarios.requests import act, file, publish

ITEM_OF = {
    "unconditional": "enterprise_name",
    "conditional": "phone",
    "not_shared": "id_number",
}
DEPARTMENTS = ("provider", "requester", "third")
OK = "ok"
READERS_OF_OWN_DATA = {
    Role.CONSUMER,
    Role.DATA_RESOURCE_ADMIN,
    Role.DATA_REVIEWER,
    Role.DATA_STEWARD,
}
CITY_WIDE_VIEWERS = {Role.COORDINATING_OFFICE, Role.BUREAU_ADMIN, Role.AUDITOR}


def expected_read(department: str, role: Role, share_type: str) -> str:
    if department == "provider":
        return OK if role in READERS_OF_OWN_DATA else "denied"
    if role != Role.CONSUMER:
        return "denied"
    return OK if share_type == "unconditional" else "denied"


def expected_filing(department: str, role: Role, share_type: str) -> str:
    if department == "provider":
        return "invalid"  # a department reads its own data without a request
    if role != Role.CONSUMER:
        return "denied"
    return OK if share_type == "conditional" else "invalid"


def expected_viewing(department: str, role: Role) -> str:
    if department in ("provider", "requester") or role in CITY_WIDE_VIEWERS:
        return OK
    return "not_found"


def expected_deciding(department: str, role: Role) -> str:
    if expected_viewing(department, role) == "not_found":
        return "not_found"
    return OK if (department, role) == ("provider", Role.DATA_REVIEWER) else "denied"


def expected_revoking(department: str, role: Role) -> str:
    if role == Role.BUREAU_ADMIN or (department, role) == ("provider", Role.DATA_REVIEWER):
        return OK
    return "denied"


def outcome(action, *args, **kwargs) -> str:  # type: ignore[no-untyped-def]
    try:
        action(*args, **kwargs)
    except PermissionDenied:
        return "denied"
    except NotFound:
        return "not_found"
    except InvalidInput:
        return "invalid"
    except DomainError as error:  # pragma: no cover - shows the surprise in the failure
        return f"unexpected {type(error).__name__}: {error}"
    return OK


@pytest.fixture
def cast(world: CatalogWorld) -> dict[tuple[str, Role], Principal]:
    """One user per role in each of the three departments."""
    departments = {
        "provider": world.provider,
        "requester": world.consumer_department,
        "third": world.bureau,
    }
    made: dict[tuple[str, Role], Principal] = {}
    with world.platform.database.transaction() as session:
        for name, department in departments.items():
            for role in Role:
                user = make_user(session, world.platform, department, role)
                made[name, role] = principal_for(get_user(session, user.id))
    return made


def test_authorization_matrix(world: CatalogWorld, cast: dict[tuple[str, Role], Principal]) -> None:
    code = publish(world)
    pdp = DataAccessPolicy()
    with world.platform.database.transaction() as session:
        pdp.load(session)
    now = world.platform.clock.now()
    surprises = []

    def check(what: str, expected: str, got: str) -> None:
        if expected != got:
            surprises.append(f"{what}: expected {expected}, got {got}")

    for (department, role), actor in cast.items():
        for share_type, item in ITEM_OF.items():
            read = ReadRequest(code, SharingMode.API_QUERY, "核验", items=("uscc", item))
            check(
                f"{department} {role} reads {share_type}",
                expected_read(department, role, share_type),
                outcome(data_reads.authorize, pdp, actor, read, now),
            )
            check(
                f"{department} {role} requests {share_type}",
                expected_filing(department, role, share_type),
                outcome(_file, world, actor, code, item),
            )

    # One request per decider, so that each decision meets a request still open.
    for (department, role), actor in cast.items():
        request_id = file(world, code, ["phone"])
        with world.platform.database.transaction() as session:
            seen = outcome(requests.get_request, session, request_id, actor)
        check(f"{department} {role} sees request", expected_viewing(department, role), seen)
        decided = outcome(
            _in_transaction,
            world,
            requests.reject,
            actor=actor,
            request_id=request_id,
            code=RejectReason.OTHER,
            reason="矩阵测试",
        )
        check(f"{department} {role} decides request", expected_deciding(department, role), decided)

    for (department, role), actor in cast.items():
        request_id = file(world, code, ["phone"])
        act(world, "data_reviewer", requests.approve, request_id=request_id)
        with world.platform.database.transaction() as session:
            grant_id = session.scalars(select(Grant.id).where(Grant.request_id == request_id)).one()
        revoked = outcome(_in_transaction, world, _revoke, actor=actor, grant_id=grant_id)
        check(f"{department} {role} revokes grant", expected_revoking(department, role), revoked)

    assert surprises == []


def _in_transaction(world: CatalogWorld, function, **kwargs) -> object:  # type: ignore[no-untyped-def]
    with world.platform.database.transaction() as session:
        return function(session, env=world.platform.workflow_environment(session), **kwargs)


def _revoke(session: Session, *, env: WorkflowEnvironment, **kwargs: Any) -> object:
    return grants.revoke_grant(session, now=env.now, reason="矩阵测试", **kwargs)


def _file(world: CatalogWorld, actor: Principal, code: str, item: str) -> object:
    draft = RequestDraft(
        code=code,
        items=[item],
        purpose_code=Purpose.ADMINISTRATIVE_APPROVAL,
        purpose="核验企业信息",
        duty_basis="《行政许可法》第三十四条",
        mode=SharingMode.API_QUERY,
        period_from=date(2026, 12, 1),
        period_to=date(2027, 11, 30),
    )
    return _in_transaction(world, requests.file_request, actor=actor, draft=draft)


def expected_step(step: str, department: str, role: Role) -> str:
    """The rest of the request's life (R14), from RULES.md: the provider's data reviewer asks and
    approves, its data resource administrator gives the confidentiality review; the requesting
    department's consumer answers, withdraws and disputes; the coordinating office rules; the
    bureau records statutory grants (R4)."""
    if step == "rule":
        return OK if role == Role.COORDINATING_OFFICE else "denied"
    if step == "statutory":
        return OK if role == Role.BUREAU_ADMIN else "denied"
    if expected_viewing(department, role) == "not_found":
        return "not_found"
    by = {
        "ask_info": ("provider", Role.DATA_REVIEWER),
        "approve": ("provider", Role.DATA_REVIEWER),
        "confidentiality_review": ("provider", Role.DATA_RESOURCE_ADMIN),
        "answer": ("requester", Role.CONSUMER),
        "withdraw": ("requester", Role.CONSUMER),
        "dispute": ("requester", Role.CONSUMER),
    }[step]
    return OK if (department, role) == by else "denied"


STEPS = ("ask_info", "approve", "confidentiality_review", "answer", "withdraw", "dispute",
         "rule", "statutory")  # fmt: skip


@pytest.mark.parametrize("step", STEPS)
def test_r4_r14_every_role_against_every_step_of_a_request(
    world: CatalogWorld, cast: dict[tuple[str, Role], Principal], step: str
) -> None:
    code = publish(world, sensitive=step == "confidentiality_review")
    surprises = []
    for (department, role), actor in cast.items():
        request_id = file(world, code, ["phone"])
        # Bring the request to where the step is taken, as its own parties would.
        if step == "answer":
            act(world, "data_reviewer", requests.ask_info, request_id=request_id, question="用途?")
        if step == "confidentiality_review":
            act(world, "data_reviewer", requests.approve, request_id=request_id)
        if step in ("dispute", "rule"):
            act(world, "data_reviewer", requests.reject, request_id=request_id,
                code=RejectReason.OTHER, reason="不符合")  # fmt: skip
        dispute_id = 0
        if step == "rule":
            with world.platform.database.transaction() as session:
                dispute_id = disputes.open_dispute(
                    session, actor=world.actor("consumer"),
                    env=world.platform.workflow_environment(session), request_id=request_id,
                    ground="确有履职需要",
                ).id  # fmt: skip
        got = outcome(_take, world, step, actor, request_id, dispute_id, code)
        if got != expected_step(step, department, role):
            surprises.append(f"{department} {role} {step}: expected "
                             f"{expected_step(step, department, role)}, got {got}")  # fmt: skip
    assert surprises == []


def _take(
    world: CatalogWorld, step: str, actor: Principal, request_id: int, dispute_id: int, code: str
) -> object:
    on_request = {"actor": actor, "request_id": request_id}
    if step == "ask_info":
        return _in_transaction(world, requests.ask_info, **on_request, question="用途?")
    if step == "approve":
        return _in_transaction(world, requests.approve, **on_request)
    if step == "confidentiality_review":
        return _in_transaction(world, requests.confidentiality_review, **on_request,
                               cleared=True, note="已审查")  # fmt: skip
    if step == "answer":
        return _in_transaction(world, requests.answer, **on_request, text="用于审批")
    if step == "withdraw":
        return _in_transaction(world, requests.withdraw, **on_request)
    if step == "dispute":
        return _in_transaction(world, disputes.open_dispute, **on_request, ground="确有履职需要")
    if step == "rule":
        return _in_transaction(world, disputes.rule, actor=actor, dispute_id=dispute_id,
                               grant_items=None, note="维持")  # fmt: skip
    with world.platform.database.transaction() as session:
        return grants.statutory_grant(
            session, actor=actor, now=world.platform.clock.now(), code=code,
            consumer_code=world.consumer_department.code, items=["id_number"],
            citation="《社会保险法》第五十七条", purpose="参保登记核验",
        )  # fmt: skip
