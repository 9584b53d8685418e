"""The government cloud's way from application to production (R29-R31, R34): what an application
must carry, the bureau's acceptance and approval within the profile's limits, the provider's
24 hours, the trial and its extension, the test report and the MLPS assessment due after go-live;
a provider's staff reach nothing but their own work orders."""

from datetime import date

import pytest
from sqlalchemy import select

from cloud import applications, trial, work_orders
from cloud.applications import Line
from cloud.models import ACCEPTANCE, PROVISIONING, TRIAL, CloudApplication
from cloud.vocab import ApplicationState, ApprovalDocument, Satisfaction
from exchange.clock import FrozenClock
from exchange.deadlines.models import Deadline
from exchange.deadlines.service import find_open_deadline
from exchange.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from exchange.runtime import Platform
from exchange.settings import Settings
from policies import requests
from tests.catalog_fixtures import CatalogWorld, enterprise_register, publish_entry
from tests.conftest import local
from tests.scenarios.cloud import act, cloud_world, draft, filed, in_trial, ordered
from tests.scenarios.requests import request_draft


def _deadline(platform: Platform, kind: str, subject_type: str, subject_id: int) -> Deadline:
    with platform.database.transaction() as session:
        found = find_open_deadline(session, kind=kind, subject_type=subject_type,
                                   subject_id=subject_id)  # fmt: skip
        assert found is not None
        return found


def test_r29_an_application_carries_its_materials_resources_and_the_data_it_shares(
    world: CatalogWorld,
) -> None:
    cloud = cloud_world(world)
    with pytest.raises(InvalidInput, match="catalog entries"):
        filed(cloud, provides=[], uses=[])
    other = cloud_world_entry_of_consumer(world)
    with pytest.raises(InvalidInput, match="another department"):
        filed(cloud, provides=[other])
    with pytest.raises(InvalidInput, match="provider's catalog"):
        filed(cloud, lines=[Line("gpu", 1)])
    with pytest.raises(InvalidInput, match="lacks"):
        filed(cloud, security_letter_signed_by=" ")
    # A new project of 20 M yuan attaches its feasibility study, not an implementation plan.
    with pytest.raises(InvalidInput, match="feasibility study"):
        filed(cloud, investment_yuan=20_000_000,
              approval_document=ApprovalDocument.IMPLEMENTATION_PLAN)  # fmt: skip
    application_id = filed(cloud, investment_yuan=20_000_000,
                           approval_document=ApprovalDocument.FEASIBILITY_STUDY,
                           uses=[cloud.entry])  # fmt: skip
    with world.platform.database.transaction() as session:
        application = session.get_one(CloudApplication, application_id)
        assert (application.state, application.provides) == ("submitted", [cloud.entry])
    assert applications.required_document(60_000_000) == ApprovalDocument.PRELIMINARY_DESIGN
    assert applications.required_document(None) == ApprovalDocument.MIGRATION_PLAN


def cloud_world_entry_of_consumer(world: CatalogWorld) -> str:
    return publish_entry(world, enterprise_register(name="纳税人登记信息"), "other_registrar",
                         "other_reviewer")  # fmt: skip


@pytest.mark.parametrize(
    ("profile", "accepted_by", "opened_by"),
    [
        ("panjin", date(2026, 12, 10), local(2026, 12, 10, 0, 0)),  # 3wd; the trial env in 2wd
        ("binzhou", date(2026, 12, 14), local(2026, 12, 8, 9, 0)),  # 5wd; 24 hours
    ],
)
def test_r30_r34_both_profiles_set_the_same_applications_deadlines(
    world: CatalogWorld, clock: FrozenClock, profile: str, accepted_by: date, opened_by: object
) -> None:
    platform = world.platform
    platform.settings = Settings(data_dir=platform.settings.data_dir,
                                 database_url=platform.settings.database_url, jurisdiction=profile)  # fmt: skip
    clock.set(local(2026, 12, 7, 9, 0))  # a Monday
    cloud = cloud_world(world)
    application_id = filed(cloud)
    assert (
        _deadline(platform, ACCEPTANCE, "cloud_application", application_id).due_date == accepted_by
    )
    for action, reason in (("accept", ""), ("approve", "同意")):
        act(cloud, "cloud_reviewer", applications.decide, application_id=application_id,
            action=action, reason=reason)  # fmt: skip
    order = act(cloud, "cloud_reviewer", work_orders.issue, application_id=application_id)
    provisioning = _deadline(platform, PROVISIONING, "cloud_work_order", order.id)
    assert provisioning.due_at == opened_by


def test_r30_refused_with_reasons_resubmitted_and_the_24_hours_run_through_national_day(
    world: CatalogWorld, clock: FrozenClock
) -> None:
    cloud = cloud_world(world)
    application_id = filed(cloud)
    with pytest.raises(InvalidInput, match="reasons"):
        act(cloud, "cloud_reviewer", applications.decide, application_id=application_id,
            action="refuse", reason="")  # fmt: skip
    act(cloud, "cloud_reviewer", applications.decide, application_id=application_id,
        action="refuse", reason="安全责任书未盖章")  # fmt: skip
    act(cloud, "officer", applications.decide, application_id=application_id,
        action="resubmit", reason="已补充盖章")  # fmt: skip
    for action, reason in (("accept", ""), ("approve", "同意上云")):
        act(cloud, "cloud_reviewer", applications.decide, application_id=application_id,
            action=action, reason=reason)  # fmt: skip
    clock.set(local(2026, 9, 30, 17, 0))
    order = act(cloud, "cloud_reviewer", work_orders.issue, application_id=application_id)
    provisioning = _deadline(world.platform, PROVISIONING, "cloud_work_order", order.id)
    assert provisioning.due_at == local(2026, 10, 1, 17, 0)


def test_r31_trial_extension_test_report_production_and_the_mlps_due_date(
    world: CatalogWorld, clock: FrozenClock
) -> None:
    cloud = cloud_world(world)
    clock.set(local(2026, 11, 2, 10, 0))
    ordinary = in_trial(cloud)
    with pytest.raises(Conflict, match="major"):
        act(cloud, "cloud_reviewer", trial.extend_trial, application_id=ordinary, days=10,
            expert_opinion="需延长")  # fmt: skip
    major = in_trial(cloud, major=True, mlps_level=3)
    trial_due = _deadline(world.platform, TRIAL, "cloud_application", major)
    assert trial_due.due_date == date(2026, 12, 2)  # 30 days from the opening
    act(cloud, "cloud_reviewer", trial.extend_trial, application_id=major, days=20,
        expert_opinion="专家论证：需延长联调")  # fmt: skip
    with pytest.raises(InvalidInput, match="at most 30 days"):
        act(cloud, "cloud_reviewer", trial.extend_trial, application_id=major, days=11,
            expert_opinion="再延长")  # fmt: skip
    assert _deadline(world.platform, TRIAL, "cloud_application", major).due_date == date(
        2026, 12, 22
    )

    with pytest.raises(InvalidInput, match="third party"):
        act(cloud, "officer", trial.file_test, application_id=major, report="测试通过")
    act(cloud, "officer", trial.file_test, application_id=major, report="测试通过",
        third_party_report="第三方测评报告 2026-115")  # fmt: skip
    act(cloud, "cloud_reviewer", trial.review_test, application_id=major, passed=False,
        note="性能测试不达标")  # fmt: skip
    act(cloud, "officer", trial.file_test, application_id=major, report="整改后测试通过",
        third_party_report="第三方复测报告 2026-131")  # fmt: skip
    clock.set(local(2026, 8, 31, 15, 0))
    act(cloud, "cloud_reviewer", trial.review_test, application_id=major, passed=True,
        note="通过")  # fmt: skip
    with world.platform.database.transaction() as session:
        application = session.get_one(CloudApplication, major)
        assert application.state == ApplicationState.PRODUCTION
        assert application.mlps_due == date(2027, 2, 28)  # 6 months; no 31 February
        assert application.fallback_until == date(2026, 11, 30)  # migrated: old one kept 3 months


def test_r33_a_provider_reaches_nothing_but_its_own_work_orders(world: CatalogWorld) -> None:
    cloud = cloud_world(world)
    application_id, order_id = ordered(cloud)
    # Another provider: the order does not exist for it, let alone opens.
    with world.platform.database.transaction() as session:
        with pytest.raises(NotFound):
            work_orders.get_order(session, order_id, cloud.actor("rival_staff"))
        assert work_orders.visible(session, cloud.actor("rival_staff")) == []
        with pytest.raises(NotFound):
            applications.get_application(session, application_id, cloud.actor("provider_staff"))
        assert applications.visible(session, cloud.actor("provider_staff")) == []
    with pytest.raises(NotFound):
        act(cloud, "rival_staff", work_orders.open_resources, order_id=order_id,
            resource_ids={"ecs": "i-9"})  # fmt: skip
    for who, function, kwargs in (
        ("provider_staff", applications.apply, {"draft": draft(cloud)}),
        ("provider_staff", applications.decide,
         {"application_id": application_id, "action": "accept", "reason": ""}),
        ("provider_staff", requests.file_request, {"draft": request_draft(cloud.entry)}),
    ):  # fmt: skip
        with pytest.raises((PermissionDenied, NotFound)):
            act(cloud, who, function, **kwargs)
    # Its own order: it opens it, and the unit rates the work.
    act(cloud, "provider_staff", work_orders.open_resources, order_id=order_id,
        resource_ids={"ecs": "i-0001"})  # fmt: skip
    with world.platform.database.transaction() as session:
        assert [o.id for o in work_orders.visible(session, cloud.actor("provider_staff"))] == [
            order_id
        ]
        rated = work_orders.rate(session, actor=cloud.actor("officer"), now=world.platform.clock.now(),
                                 order_id=order_id, satisfaction=Satisfaction.SATISFIED)  # fmt: skip
        assert rated.satisfaction == "satisfied"
        assert (
            session.scalars(select(Deadline).where(Deadline.kind == TRIAL)).one().status
            == "running"
        )
