"""Every role, in the project's unit and in another department, against every project action
(R24-R28). The expected outcome is written out here from RULES.md, independently of
exchange/actions.csv: the unit's project officers propose, apply, file documents and accept small
projects themselves; the bureau's project reviewers review and hold acceptances; experts give
opinions on projects assigned to them; the bureau's administrators compile the plan."""

from collections.abc import Callable
from itertools import count
from typing import Any

import pytest

from exchange.clock import FrozenClock
from exchange.errors import NotFound, PermissionDenied
from exchange.identity.roles import Role
from exchange.identity.service import principal_for
from exchange.principal import Principal
from projects import acceptance, applications, funding, register, reviews
from projects.models import FundingFlag
from tests.catalog_fixtures import CatalogWorld
from tests.conftest import local
from tests.factories import make_user
from tests.scenarios.projects import approved, materials, people, proposed, store
from tests.scenarios.requests import publish

DEPARTMENTS = ("unit", "other")
YEARS = count(2031)  # a plan of its own for each approved project: an approved plan is closed
ACTIONS = ("propose", "apply", "file", "self_accept", "review", "accept", "give_opinion",
           "compile", "endorse", "decide_funding")  # fmt: skip


def expected(action: str, department: str, role: Role) -> bool:
    if action == "propose":  # every unit proposes its own projects
        return role == Role.PROJECT_OFFICER
    if action in ("apply", "file", "self_accept"):  # on its own project only
        return role == Role.PROJECT_OFFICER and department == "unit"
    if action == "give_opinion":  # never on the expert's own unit's project (R26)
        return role == Role.EXPERT and department == "other"
    if action == "endorse":  # R24: the two offices endorse the plan the bureau compiled
        return role in (Role.REFORM_OFFICE, Role.FINANCE_OFFICE)
    return (
        role
        == {
            "decide_funding": Role.FINANCE_OFFICE,  # R27: funds withheld on the bureau's opinion
            "review": Role.PROJECT_REVIEWER,
            "accept": Role.PROJECT_REVIEWER,
            "compile": Role.BUREAU_ADMIN,
        }[action]
    )


def _attempt(world: CatalogWorld, cast: dict[str, Principal], code: str, actor: Principal,
             action: str, expert: bool) -> bool:  # fmt: skip
    """Bring a project to where ``action`` is taken, then let ``actor`` try it."""
    platform = world.platform
    project_id = flag_id = 0
    if action == "decide_funding":
        with platform.database.transaction() as session:
            flag = FundingFlag(department_id=world.provider.id, raised_at=platform.clock.now(),
                               evidence=[{"resource": code, "problem": "retired"}])  # fmt: skip
            session.add(flag)
            session.flush()
            flag_id = flag.id
    if action in ("apply", "file", "compile"):
        project_id = proposed(world, cast["officer"], plan_year=2030, in_plan=False,
                              urgent_approval="市政府批准") if action != "compile" else \
            proposed(world, cast["officer"], plan_year=2030, in_plan=False)  # fmt: skip
        materials(world, cast["officer"], project_id, code)
    elif action in ("review", "give_opinion"):
        project_id = proposed(world, cast["officer"], plan_year=2030, in_plan=False,
                              urgent_approval="市政府批准")  # fmt: skip
        materials(world, cast["officer"], project_id, code)
        with platform.database.transaction() as session:
            env = platform.workflow_environment(session)
            applications.submit(session, actor=cast["officer"], env=env, project_id=project_id)
            if action == "give_opinion":
                expert_name = actor.username if expert else cast["expert"].username
                reviews.refer_to_experts(session, actor=cast["reviewer"], env=env,
                                         project_id=project_id, usernames=[expert_name])  # fmt: skip
    elif action in ("self_accept", "accept"):
        project_id = approved(world, cast, code, investment=600_000, plan_year=next(YEARS))
        with platform.database.transaction() as session:
            applications.attach_document(session, actor=cast["officer"], now=platform.clock.now(),
                                         project_id=project_id, kind="acceptance_report",
                                         filename="验收报告.pdf", content=b"%PDF",
                                         store=store(world))  # fmt: skip
    steps: dict[str, Callable[[Any, Any], object]] = {
        "propose": lambda s, env: register.propose(s, actor=actor, now=env.now,
                                                   settings=env.settings, name="新项目",
                                                   plan_year=2030),
        "apply": lambda s, env: applications.submit(s, actor=actor, env=env, project_id=project_id),
        "file": lambda s, env: applications.attach_document(
            s, actor=actor, now=env.now, project_id=project_id, kind="other",
            filename="附件.pdf", content=b"%PDF", store=store(world)),
        "self_accept": lambda s, env: acceptance.self_accept(s, actor=actor, env=env,
                                                             project_id=project_id),
        "review": lambda s, env: reviews.decide(s, actor=actor, env=env, project_id=project_id,
                                                approve=False, reply="不符合规划"),
        "accept": lambda s, env: acceptance.accept(s, actor=actor, env=env,
                                                   project_id=project_id),
        "give_opinion": lambda s, env: reviews.give_opinion(
            s, actor=actor, now=env.now, project_id=project_id, supports=True, opinion="可行"),
        "compile": lambda s, env: register.include_in_plan(s, actor=actor, now=env.now,
                                                           project_id=project_id, included=True),
        "endorse": lambda s, env: register.endorse_plan(s, actor=actor, now=env.now, year=2040),
        "decide_funding": lambda s, env: funding.decide(s, actor=actor, now=env.now,
                                                        flag_id=flag_id, withhold=True,
                                                        note="暂停拨付"),
    }  # fmt: skip
    try:
        with platform.database.transaction() as session:
            steps[action](session, platform.workflow_environment(session))
    except (PermissionDenied, NotFound):
        return False
    except Exception as error:  # the decision point let it through; what follows is not ours
        from projects.acceptance import Vetoed

        if isinstance(error, Vetoed):
            return True
        raise
    return True


@pytest.mark.parametrize("action", ACTIONS)
def test_r24_r28_every_role_in_every_department_against_every_project_action(
    world: CatalogWorld, clock: FrozenClock, action: str
) -> None:
    clock.set(local(2026, 7, 1, 10, 0))
    cast = people(world)
    code = publish(world)
    departments = {"unit": world.provider, "other": world.consumer_department}
    wrong = []
    for department in DEPARTMENTS:
        for role in Role:
            with world.platform.database.transaction() as session:
                actor = principal_for(
                    make_user(session, world.platform, departments[department], role)
                )
                if role == Role.EXPERT:
                    reviews.register_expert(session, actor=world.actor("admin"), now=clock.now(),
                                            username=actor.username, fields=["政务云"])  # fmt: skip
            # An expert of the unit itself is never assigned (R26): they are tried on another's.
            got = _attempt(world, cast, code, actor, action,
                           expert=role == Role.EXPERT and department == "other")  # fmt: skip
            if got != expected(action, department, role):
                wrong.append((department, role.value, got))
    assert wrong == []
