"""Changes and exit (R32, R34): reviewed and carried out within the profile's limits, a major
change tested again, and an exit that ends with the provider's wipe certificate, the unit's
confirmation and the R7 update task of what the system provided."""

from datetime import date

import pytest
from sqlalchemy import select

from catalog.models import CatalogUpdateTask
from cloud import changes
from cloud.models import (
    CHANGE_DONE,
    CHANGE_REVIEW,
    EXIT_REVIEW,
    RECLAIM,
    TRIAL,
    CloudApplication,
    WorkOrder,
)
from cloud.vocab import ApplicationState, ChangeState
from exchange.clock import FrozenClock
from exchange.deadlines.models import Deadline
from exchange.deadlines.service import find_open_deadline
from exchange.errors import Conflict, InvalidInput, NotFound
from exchange.settings import Settings
from tests.catalog_fixtures import CatalogWorld
from tests.conftest import local
from tests.scenarios.cloud import CloudWorld, act, cloud_world, in_production

MORE = [{"service_code": "ecs-vcpu", "quantity": 16}]


def _open(cloud: CloudWorld, kind: str, subject_type: str, subject_id: int) -> Deadline:
    with cloud.catalog.platform.database.transaction() as session:
        found = find_open_deadline(session, kind=kind, subject_type=subject_type,
                                   subject_id=subject_id)  # fmt: skip
        assert found is not None, kind
        return found


def _order(cloud: CloudWorld, change_id: int) -> WorkOrder:
    with cloud.catalog.platform.database.transaction() as session:
        return session.scalars(select(WorkOrder).where(WorkOrder.change_id == change_id)).one()


@pytest.mark.parametrize(("profile", "reviewed_by", "done_by"), [
    ("panjin", date(2026, 12, 14), local(2026, 12, 11, 0, 0)),  # 5wd; 3wd (to Thursday night)
    ("binzhou", date(2026, 12, 9), local(2026, 12, 8, 9, 0)),  # 2wd; 24 hours
])  # fmt: skip
def test_r32_r34_a_change_is_reviewed_and_carried_out_within_the_profiles_limits(
    world: CatalogWorld, clock: FrozenClock, profile: str, reviewed_by: date, done_by: object
) -> None:
    platform = world.platform
    platform.settings = Settings(data_dir=platform.settings.data_dir,
                                 database_url=platform.settings.database_url, jurisdiction=profile)  # fmt: skip
    cloud = cloud_world(world)
    application_id = in_production(cloud, mlps_level=2)
    clock.set(local(2026, 12, 7, 9, 0))  # a Monday
    change = act(cloud, "officer", changes.request_change, application_id=application_id,
                 description="业务量增长，扩容 CPU", lines=MORE)  # fmt: skip
    assert _open(cloud, CHANGE_REVIEW, "cloud_change", change.id).due_date == reviewed_by
    with pytest.raises(InvalidInput, match="reasons"):
        act(cloud, "cloud_reviewer", changes.decide, change_id=change.id, approve=False, reply="")
    act(cloud, "cloud_reviewer", changes.decide, change_id=change.id, approve=True, reply="同意")
    order = _order(cloud, change.id)
    assert _open(cloud, CHANGE_DONE, "cloud_work_order", order.id).due_at == done_by
    with pytest.raises(NotFound):
        act(cloud, "rival_staff", changes.carry_out, order_id=order.id, resource_ids={"ecs": "x"})
    done = act(cloud, "provider_staff", changes.carry_out, order_id=order.id,
               resource_ids={"ecs": "i-0001-resized"})  # fmt: skip
    assert done.state == ChangeState.DONE
    with platform.database.transaction() as session:
        assert (
            session.get_one(CloudApplication, application_id).state == ApplicationState.PRODUCTION
        )


def test_r32_a_major_change_sends_the_system_back_to_its_trial(world: CatalogWorld) -> None:
    cloud = cloud_world(world)
    application_id = in_production(cloud, mlps_level=2)
    change = act(cloud, "officer", changes.request_change, application_id=application_id,
                 description="架构调整：改为分布式部署", lines=MORE, major=True)  # fmt: skip
    act(
        cloud,
        "cloud_reviewer",
        changes.decide,
        change_id=change.id,
        approve=True,
        reply="同意，重新测试",
    )
    act(cloud, "provider_staff", changes.carry_out, order_id=_order(cloud, change.id).id,
        resource_ids={"ecs": "i-0002"})  # fmt: skip
    with world.platform.database.transaction() as session:
        assert session.get_one(CloudApplication, application_id).state == ApplicationState.TRIAL
    assert _open(cloud, TRIAL, "cloud_application", application_id).length == 30


def test_r32_exit_ends_with_the_wipe_certificate_and_the_r7_task_of_what_it_provided(
    world: CatalogWorld,
) -> None:
    cloud = cloud_world(world)
    application_id = in_production(cloud, mlps_level=2)
    with pytest.raises(InvalidInput, match="migrate"):
        act(cloud, "officer", changes.request_exit, application_id=application_id,
            description="系统下线", data_migrated=False)  # fmt: skip
    exit_ = act(cloud, "officer", changes.request_exit, application_id=application_id,
                description="系统下线，数据已迁出至本地机房", data_migrated=True)  # fmt: skip
    assert _open(cloud, EXIT_REVIEW, "cloud_change", exit_.id).length == 5
    act(cloud, "cloud_reviewer", changes.decide, change_id=exit_.id, approve=True, reply="同意退出")
    reclaim = _order(cloud, exit_.id)
    assert _open(cloud, RECLAIM, "cloud_work_order", reclaim.id).length == 3
    with pytest.raises(Conflict, match="wipe"):
        act(cloud, "officer", changes.confirm_exit, change_id=exit_.id)
    with pytest.raises(InvalidInput):
        act(cloud, "provider_staff", changes.certify_wipe, order_id=reclaim.id, certificate=" ")
    act(cloud, "provider_staff", changes.certify_wipe, order_id=reclaim.id,
        certificate="数据销毁证明 2026-088：三次覆写，已核验")  # fmt: skip
    act(cloud, "officer", changes.confirm_exit, change_id=exit_.id)
    with world.platform.database.transaction() as session:
        application = session.get_one(CloudApplication, application_id)
        assert application.state == ApplicationState.EXITED
        task = session.scalars(select(CatalogUpdateTask)).one()
        assert task.origin == "cloud_exit"
        assert "企业登记业务系统" in task.description
