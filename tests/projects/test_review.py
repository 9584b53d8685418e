"""Projects from proposal to approval (R24-R26) on an injected clock across the 2026 National Day
holiday: the plan decides what may be applied for, incomplete materials get 5 working days and
then wait 3 months, reviews run on working-day deadlines that remind and escalate, and no expert
reviews their own unit's project."""

from datetime import date

import pytest
from sqlalchemy import select

from exchange.clock import FrozenClock
from exchange.deadlines.models import Deadline
from exchange.deadlines.sweep import sweep
from exchange.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from exchange.notifications.models import Notification
from exchange.principal import Principal
from projects import applications, register, reviews
from projects.models import COMPLETION, EXPERT_REVIEW, INITIAL_REVIEW, Project
from projects.vocab import ProjectState
from tests.catalog_fixtures import CatalogWorld
from tests.conftest import local
from tests.scenarios.projects import materials, people, proposed
from tests.scenarios.requests import publish


def submit(world: CatalogWorld, who: object, project_id: int) -> Project:
    with world.platform.database.transaction() as session:
        env = world.platform.workflow_environment(session)
        return applications.submit(session, actor=who, env=env, project_id=project_id)  # type: ignore[arg-type]


def applying(
    world: CatalogWorld, clock: FrozenClock, *, plan: bool = True
) -> tuple[dict[str, Principal], str, int]:
    """1 July 2026: a project in the approved 2027 plan, its materials filed (the construction
    plan too, unless ``plan`` is false)."""
    clock.set(local(2026, 7, 1, 10, 0))
    cast = people(world)
    code = publish(world)
    project_id = proposed(world, cast["officer"])
    materials(world, cast["officer"], project_id, code, plan=plan)
    return cast, code, project_id


def state(world: CatalogWorld, project_id: int) -> str:
    with world.platform.database.transaction() as session:
        return session.get_one(Project, project_id).state


def deadline(world: CatalogWorld, kind: str, project_id: int) -> Deadline:
    with world.platform.database.transaction() as session:
        return session.scalars(select(Deadline).where(
            Deadline.kind == kind, Deadline.subject_id == str(project_id)
        ).order_by(Deadline.id.desc())).first()  # type: ignore[return-value]  # fmt: skip


def test_r24_a_project_outside_the_approved_plan_is_refused_unless_urgent(
    world: CatalogWorld, clock: FrozenClock
) -> None:
    clock.set(local(2026, 7, 1, 10, 0))
    cast = people(world)
    code = publish(world)
    left_out = proposed(world, cast["officer"], in_plan=False)
    materials(world, cast["officer"], left_out, code)
    with (
        world.platform.database.transaction() as session,
        pytest.raises(
            Conflict, match="endorsement of the development-and-reform and the finance offices"
        ),
    ):
        register.approve_plan(session, actor=world.actor("admin"), now=clock.now(), year=2027)
    with pytest.raises(Conflict, match="not in the approved 2027 plan"):
        submit(world, cast["officer"], left_out)
    assert state(world, left_out) == ProjectState.PROPOSED

    clock.set(local(2026, 8, 3, 10, 0))  # after 31 July: the 2027 proposals are closed
    with world.platform.database.transaction() as session, pytest.raises(InvalidInput,
                                                                         match="closed on 2026-07-31"):  # fmt: skip
        register.propose(session, actor=cast["officer"], now=clock.now(),
                         settings=world.platform.settings, name="应急指挥系统", plan_year=2027)  # fmt: skip
    urgent = proposed(world, cast["officer"], in_plan=False,
                      urgent_approval="市政府常务会议纪要〔2026〕18号")  # fmt: skip
    materials(world, cast["officer"], urgent, code)
    assert submit(world, cast["officer"], urgent).state == ProjectState.INITIAL_REVIEW
    with pytest.raises(NotFound):  # another unit's officer does not even see it
        submit(world, cast["other_officer"], urgent)


def test_r25_incomplete_materials_get_five_working_days_across_the_holiday_then_wait_three_months(
    world: CatalogWorld, clock: FrozenClock
) -> None:
    cast, code, project_id = applying(world, clock, plan=False)  # no construction plan
    clock.set(local(2026, 9, 29, 10, 0))  # Tuesday before the National Day holiday
    assert submit(world, cast["officer"], project_id).state == ProjectState.INCOMPLETE
    # 30 September, then 8, 9, 10 (a make-up Saturday) and 12 October: 1-7 October are holidays.
    completion = deadline(world, COMPLETION, project_id)
    assert completion.due_date == date(2026, 10, 12)
    assert completion.assignee_department_id == world.provider.id

    clock.set(local(2026, 10, 13, 9, 0))  # the time ran out unanswered: the materials go back
    with world.platform.database.transaction() as session:
        returned = applications.return_overdue(
            session, env=world.platform.workflow_environment(session)
        )
    assert returned == [project_id]
    with world.platform.database.transaction() as session:
        project = session.get_one(Project, project_id)
        assert (project.state, project.resubmit_after) == (ProjectState.RETURNED, date(2027, 1, 13))
    materials(world, cast["officer"], project_id, code)  # now complete
    clock.set(local(2027, 1, 12, 16, 0))
    with pytest.raises(Conflict, match="submitted again from 2027-01-13"):
        submit(world, cast["officer"], project_id)
    clock.set(local(2027, 1, 13, 9, 0))
    assert submit(world, cast["officer"], project_id).state == ProjectState.INITIAL_REVIEW


def test_r25_still_incomplete_when_completed_goes_back_too(
    world: CatalogWorld, clock: FrozenClock
) -> None:
    clock.set(local(2026, 7, 1, 10, 0))
    cast = people(world)
    project_id = proposed(world, cast["officer"])
    materials(world, cast["officer"], project_id, publish(world), plan=False)
    submit(world, cast["officer"], project_id)
    with world.platform.database.transaction() as session:
        applications.complete(session, actor=cast["officer"],
                              env=world.platform.workflow_environment(session), project_id=project_id)  # fmt: skip
    assert state(world, project_id) == ProjectState.RETURNED


def test_r25_r8_submission_flags_items_another_department_is_authoritative_for(
    world: CatalogWorld, clock: FrozenClock
) -> None:
    from catalog import governance

    clock.set(local(2026, 7, 1, 10, 0))
    cast = people(world)
    code = publish(world)  # the market regulator's register: it is authoritative for names
    with world.platform.database.transaction() as session:
        governance.set_authoritative_source(
            session, actor=world.actor("admin"), now=clock.now(), element="enterprise_name",
            label="企业名称", department_code=world.provider.code,
        )  # fmt: skip
        unit = cast["other_officer"]
        project = register.propose(session, actor=unit, now=clock.now(),
                                   settings=world.platform.settings, name="社保经办系统",
                                   plan_year=2027)  # fmt: skip
        applications.set_sharing_list(session, actor=unit, now=clock.now(), project_id=project.id,
                                      lines=[{"direction": "produce", "name": "参保单位",
                                              "items": [{"name": "unit_name", "share_type":
                                                         "unconditional",
                                                         "element": "enterprise_name"}]}])  # fmt: skip
        [flag] = applications.duplicate_flags(session, project)
    assert (flag.item, flag.authority, flag.entries) == ("unit_name", world.provider.name, [code])


def test_r26_reviews_run_on_working_days_remind_escalate_and_no_expert_reviews_their_own_unit(
    world: CatalogWorld, clock: FrozenClock
) -> None:
    cast, _, project_id = applying(world, clock)
    clock.set(local(2026, 9, 14, 10, 0))  # Monday
    submit(world, cast["officer"], project_id)
    initial = deadline(world, INITIAL_REVIEW, project_id)
    # 15 working days from 14 September: past the holiday, to the make-up Saturday 10 October.
    assert initial.due_date == date(2026, 10, 10)
    assert initial.assignee_role == "project_reviewer"
    clock.set(initial.remind_at)
    with world.platform.database.transaction() as session:
        assert sweep(session, now=clock.now()).reminded == 1
    clock.set(local(2026, 10, 12, 9, 0))
    with world.platform.database.transaction() as session:
        assert sweep(session, now=clock.now()).escalated == 1
        escalated = session.scalars(select(Notification.user_id).where(
            Notification.kind == "deadline.overdue")).all()  # fmt: skip
    assert world.users["admin"] in escalated  # escalated to the bureau's administrators

    with world.platform.database.transaction() as session, pytest.raises(PermissionDenied,
                                                                         match="applying unit"):  # fmt: skip
        reviews.refer_to_experts(session, actor=cast["reviewer"],
                                 env=world.platform.workflow_environment(session),
                                 project_id=project_id, usernames=[cast["own_expert"].username])  # fmt: skip
    with world.platform.database.transaction() as session:
        project = session.get_one(Project, project_id)
        drawn = {
            u.username for u in reviews.draw_experts(session, project, field="政务云", count=1)
        }
        assert drawn == {cast["expert"].username}  # never the unit's own
        reviews.refer_to_experts(session, actor=cast["reviewer"],
                                 env=world.platform.workflow_environment(session),
                                 project_id=project_id, usernames=[cast["expert"].username])  # fmt: skip
    assert deadline(world, EXPERT_REVIEW, project_id).length == 21
    with world.platform.database.transaction() as session:
        env = world.platform.workflow_environment(session)
        with pytest.raises(Conflict, match="not all in"):
            reviews.decide(session, actor=cast["reviewer"], env=env, project_id=project_id,
                           approve=True, reply="同意")  # fmt: skip
    with world.platform.database.transaction() as session, pytest.raises(PermissionDenied):
        reviews.give_opinion(session, actor=cast["own_expert"], now=clock.now(),
                             project_id=project_id, supports=True, opinion="可行")  # fmt: skip
    with world.platform.database.transaction() as session:
        reviews.give_opinion(session, actor=cast["expert"], now=clock.now(),
                             project_id=project_id, supports=True, opinion="技术方案可行")  # fmt: skip
        project = reviews.decide(session, actor=cast["reviewer"],
                                 env=world.platform.workflow_environment(session),
                                 project_id=project_id, approve=True, reply="同意立项")  # fmt: skip
        assert (project.state, project.approval_number) == (ProjectState.APPROVED, "2026-0001")
