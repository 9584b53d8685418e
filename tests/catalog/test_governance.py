"""R4, R7, R8 and the administrators' history."""

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from catalog import entries, governance, tasks
from catalog.schemas import ItemDraft
from exchange.clock import FrozenClock
from exchange.deadlines.models import Deadline
from exchange.deadlines.sweep import sweep
from exchange.errors import InvalidInput, PermissionDenied
from exchange.notifications.models import Notification
from tests.catalog_fixtures import CatalogWorld, enterprise_register
from tests.conftest import local
from tests.scenarios.catalog import act, publish, register
from tests.scenarios.people import bearer


def declare(world: CatalogWorld, who: str, code: str) -> int:
    with world.platform.database.transaction() as session:
        task = tasks.open_update_task(
            session,
            actor=world.actor(who),
            env=world.platform.workflow_environment(session),
            code=code,
            description="业务系统升级，新增经营范围字段",
        )
        return task.id


def test_r7_key_change_opens_a_3_working_day_task_across_national_day(
    world: CatalogWorld, clock: FrozenClock
) -> None:
    code = publish(world)
    clock.set(local(2026, 9, 30, 15, 0))
    task_id = declare(world, "resource_admin", code)
    assert declare(world, "registrar", code) == task_id  # one open task at a time
    platform = world.platform
    with platform.database.transaction() as session:
        deadline = session.scalar(select(Deadline).where(Deadline.kind == "catalog_update"))
        assert deadline is not None
        assert deadline.due_date == date(
            2026, 10, 10
        )  # 1-7 Oct off; Thu 8, Fri 9, Sat 10 (make-up)
    clock.set(local(2026, 10, 11, 9, 0))
    with platform.database.transaction() as session:
        assert sweep(session, now=clock.now()).escalated == 1
        overdue = session.scalars(
            select(Notification.user_id).where(Notification.kind == "deadline.overdue")
        ).all()
    assert world.users["admin"] in overdue  # escalated to the bureau
    assert world.users["registrar"] in overdue
    # The provider publishes an updated version: the task completes.
    with platform.database.transaction() as session:
        entries.start_new_version(
            session, actor=world.actor("registrar"), now=clock.now(), code=code
        )
        draft = enterprise_register()
        draft.items.append(
            ItemDraft(
                name="business_scope",
                label="经营范围",
                data_type="string",
                length=2000,
                share_type="unconditional",
            )
        )
        entries.update_draft(
            session, actor=world.actor("registrar"), now=clock.now(), code=code, draft=draft
        )
    act(world, "registrar", "submit", code)
    act(world, "reviewer", "approve", code)
    with platform.database.transaction() as session:
        [task] = tasks.tasks_of(session, entries.get_resource(session, code))
        assert task.state == "done"
        assert session.get_one(Deadline, deadline.id).met_in_time is False


def test_r7_only_the_provider_declares(world: CatalogWorld) -> None:
    code = publish(world)
    with pytest.raises(PermissionDenied):
        declare(world, "other_registrar", code)


def test_r8_duplicate_collection_needs_a_justification_and_is_reported(world: CatalogWorld) -> None:
    platform = world.platform
    with platform.database.transaction() as session:
        governance.set_authoritative_source(
            session,
            actor=world.actor("admin"),
            now=platform.clock.now(),
            element="enterprise_name",
            label="企业名称",
            department_code=world.provider.code,
        )
    # The social security bureau registers an entry that collects enterprise names itself.
    other = enterprise_register(name="参保单位信息")
    other.items[0].element = None
    with platform.database.transaction() as session, pytest.raises(InvalidInput) as raised:
        entries.create_entry(
            session, actor=world.actor("other_registrar"), now=platform.clock.now(), draft=other
        )
    assert {p["rule"] for p in raised.value.detail} == {"R8.duplicate_collection"}
    other.items[1].duplicate_justification = "参保登记时由单位自行申报，需留存申报原值"
    with platform.database.transaction() as session:
        entries.create_entry(
            session, actor=world.actor("other_registrar"), now=platform.clock.now(), draft=other
        )
        # The provider's own entry collecting its own element is not a duplicate.
        entries.create_entry(
            session,
            actor=world.actor("registrar"),
            now=platform.clock.now(),
            draft=enterprise_register(),
        )
        [row] = governance.duplicate_collection_report(session)
    assert (row.resource_name, row.item_name, row.authoritative_department) == (
        "参保单位信息",
        "enterprise_name",
        "市市场监督管理局",
    )
    assert row.justification.startswith("参保登记")


def test_r4_statutory_sharing_is_recorded_by_the_bureau_with_its_citation(
    world: CatalogWorld,
) -> None:
    code = publish(world)
    platform = world.platform
    citation = "《社会保险法》第五十七条"
    with platform.database.transaction() as session, pytest.raises(PermissionDenied):
        governance.record_statutory_sharing(
            session,
            actor=world.actor("registrar"),
            now=platform.clock.now(),
            code=code,
            item_name="legal_representative",
            consumer_code=world.consumer_department.code,
            citation=citation,
        )
    with platform.database.transaction() as session:
        with pytest.raises(InvalidInput, match="no published item"):
            governance.record_statutory_sharing(
                session,
                actor=world.actor("admin"),
                now=platform.clock.now(),
                code=code,
                item_name="nothing",
                consumer_code=world.consumer_department.code,
                citation=citation,
            )
        governance.record_statutory_sharing(
            session,
            actor=world.actor("admin"),
            now=platform.clock.now(),
            code=code,
            item_name="legal_representative",
            consumer_code=world.consumer_department.code,
            citation=citation,
        )
        [record] = governance.statutory_sharing_of(session, entries.get_resource(session, code))
    assert (record.item_name, record.citation) == ("legal_representative", citation)


def test_the_administrator_register_is_the_role_and_keeps_its_history(
    world: CatalogWorld, clock: FrozenClock, client: TestClient
) -> None:
    """Whoever holds the data resource administrator role is in the register, from the day they
    got it; registering someone gives them the role and ends the predecessor's term."""
    platform = world.platform
    from exchange.identity.models import User
    from exchange.identity.roles import Role
    from tests.factories import make_user

    def register() -> list[tuple[str, bool]]:
        with platform.database.transaction() as session:
            return [(user.username, term.ended_at is None)
                    for term, user in governance.administrators_of(session, world.provider.code)]  # fmt: skip

    def holders() -> set[str]:
        with platform.database.transaction() as session:
            users = session.scalars(select(User).where(User.department_id == world.provider.id))
            return {u.username for u in users if Role.DATA_RESOURCE_ADMIN in u.roles}

    with platform.database.transaction() as session:
        first = session.get_one(User, world.users["resource_admin"]).username
        successor = make_user(session, platform, world.provider, Role.DATA_RESOURCE_ADMIN).username
        reviewer = session.get_one(User, world.users["reviewer"]).username
    listed = client.get(f"/api/v1/catalog/administrators/{world.provider.code}",
                        headers=bearer(world, "consumer")).json()  # fmt: skip
    assert {row["username"] for row in listed if row["ended_at"] is None} == holders()
    assert holders() == {first, successor}

    def assign(username: str) -> None:
        with platform.database.transaction() as session:
            governance.assign_administrator(session, actor=world.actor("admin"), now=clock.now(),
                                            department_code=world.provider.code, username=username)  # fmt: skip

    assign(first)  # the bureau registers one administrator: the other gives up the role
    assert holders() == {first}
    assert register() == [(first, True), (successor, False)]
    clock.advance(timedelta(days=200))
    assign(reviewer)  # staff change: a reviewer becomes the administrator and gains the role
    assert holders() == {reviewer}
    assert register() == [(first, False), (successor, False), (reviewer, True)]
    listed = client.get(f"/api/v1/catalog/administrators/{world.provider.code}",
                        headers=bearer(world, "consumer")).json()  # fmt: skip
    assert [(row["username"], row["ended_at"] is None) for row in listed] == register()


def test_register_helper_gives_distinct_codes(world: CatalogWorld) -> None:
    assert register(world) != register(world, name="企业年报信息")


def test_r8_a_draft_saved_before_the_authority_was_named_is_checked_again_at_submit_and_approval(
    world: CatalogWorld,
) -> None:
    """A rule that changed after the draft was saved still holds at each step of review."""
    platform = world.platform

    def collecting_enterprise_names(name: str) -> str:
        draft = enterprise_register(name=name)
        draft.items[0].element = None
        with platform.database.transaction() as session:
            return entries.create_entry(session, actor=world.actor("other_registrar"),
                                        now=platform.clock.now(), draft=draft).resource.code  # fmt: skip

    drafted = collecting_enterprise_names("参保单位信息")
    submitted = collecting_enterprise_names("用工单位信息")
    act(world, "other_registrar", "submit", submitted)
    with platform.database.transaction() as session:  # the bureau names the authority now
        governance.set_authoritative_source(
            session, actor=world.actor("admin"), now=platform.clock.now(),
            element="enterprise_name", label="企业名称", department_code=world.provider.code,
        )  # fmt: skip

    for who, step, code in (
        ("other_registrar", "submit", drafted),
        ("other_reviewer", "approve", submitted),
    ):
        with pytest.raises(InvalidInput) as refused:
            act(world, who, step, code)
        assert {p["rule"] for p in refused.value.detail} == {"R8.duplicate_collection"}
    with platform.database.transaction() as session:
        states = {
            code: entries.working_version(session, entries.get_resource(session, code))
            for code in (drafted, submitted)
        }
        assert {code: v.state if v else None for code, v in states.items()} == {
            drafted: "draft", submitted: "submitted",
        }  # fmt: skip
        assert entries.get_resource(session, submitted).published_version_id is None
