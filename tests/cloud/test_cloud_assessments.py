"""The cloud assessments (R33): units on systems on the cloud, MLPS on time and their sharing
scorecard; providers on work orders done within their limits, the units' ratings and the
incidents the bureau recorded; a leaving provider gives its units 3 months."""

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient

from cloud import providers, trial, work_orders
from cloud.vocab import Satisfaction
from exchange.clock import FrozenClock
from exchange.errors import InvalidInput
from supervision import cloud_assessments
from tests.catalog_fixtures import CatalogWorld
from tests.conftest import local
from tests.scenarios.cloud import act, cloud_world, in_production, ordered


def test_r33_units_and_providers_are_assessed_from_the_records(
    world: CatalogWorld, clock: FrozenClock, client: TestClient
) -> None:
    platform = world.platform
    cloud = cloud_world(world)
    clock.set(local(2026, 1, 5, 9, 0))
    on_time = in_production(cloud)  # opened at once: within the 24 hours
    late = in_production(cloud)
    act(cloud, "officer", trial.file_mlps, application_id=on_time, report="等保测评报告，符合")
    _, slow_order = ordered(cloud)
    clock.advance(timedelta(hours=30))  # the provider opens after 30 hours: late
    act(cloud, "provider_staff", work_orders.open_resources, order_id=slow_order,
        resource_ids={"ecs": "i-slow"})  # fmt: skip
    with platform.database.transaction() as session:
        for order_id, rating in ((slow_order, Satisfaction.DISSATISFIED),):
            work_orders.rate(session, actor=cloud.actor("officer"), now=clock.now(),
                             order_id=order_id, satisfaction=rating)  # fmt: skip
        providers.record_incident(session, actor=cloud.actor("cloud_reviewer"), now=clock.now(),
                                  provider_id=cloud.provider_id, occurred_on=date(2026, 1, 6),
                                  description="云主机宕机 2 小时")  # fmt: skip
    clock.set(local(2026, 8, 1, 9, 0))  # the MLPS assessment of the second fell due in July
    with platform.database.transaction() as session:
        units, companies = cloud_assessments.assess(session, period="2026",
                                                    settings=platform.settings, now=clock.now())  # fmt: skip
    [unit] = units
    assert unit.department == world.provider.name
    assert (unit.systems_on_cloud, unit.cloud_share) == (3, 1.0)
    assert unit.mlps_on_time == 0.5  # one filed in time, one fell due unfiled
    assert unit.resource_efficiency == 1.0  # no report flags any of its resources
    provider = next(p for p in companies if p.provider == cloud.company.name)
    assert (provider.work_orders_on_time, provider.work_orders_counted) == (round(2 / 3, 4), 3)
    assert (provider.satisfaction, provider.ratings, provider.incidents) == (1.0, 1, 1)
    assert late  # the unfiled one

    answer = client.get("/api/v1/supervision/cloud-assessments", params={"period": "2026"},
                        headers=cloud.bearer("cloud_reviewer"))  # fmt: skip
    assert answer.json()["units"][0]["mlps_on_time"] == 0.5
    as_csv = client.get("/api/v1/supervision/cloud-assessments",
                        params={"period": "2026", "format": "csv"},
                        headers={**cloud.bearer("cloud_reviewer"), "Accept-Language": "zh"})  # fmt: skip
    assert "工单按时完成率" in as_csv.content.decode("utf-8-sig")
    # A distant year is assessed (nothing to find), not a server error.
    ancient = client.get("/api/v1/supervision/cloud-assessments", params={"period": "0645"},
                         headers=cloud.bearer("cloud_reviewer"))  # fmt: skip
    assert ancient.status_code == 200
    assert (
        client.get(
            "/api/v1/cloud/settlements/0", headers=cloud.bearer("cloud_reviewer")
        ).status_code
        == 422
    )


def test_r32_a_leaving_provider_gives_three_months_of_transition(
    world: CatalogWorld, clock: FrozenClock
) -> None:
    cloud = cloud_world(world)
    clock.set(local(2026, 11, 30, 9, 0))
    transition = world.platform.settings.deadline_span("cloud_provider_transition")
    with world.platform.database.transaction() as session:
        with pytest.raises(InvalidInput, match="2027-02-28"):
            providers.announce_leaving(session, actor=cloud.actor("admin"), now=clock.now(),
                                       provider_id=cloud.provider_id, leaving_on=date(2027, 2, 1),
                                       transition=transition)  # fmt: skip
        leaving = providers.announce_leaving(session, actor=cloud.actor("admin"), now=clock.now(),
                                             provider_id=cloud.provider_id,
                                             leaving_on=date(2027, 3, 1), transition=transition)  # fmt: skip
        assert leaving.leaving_on == date(2027, 3, 1)
