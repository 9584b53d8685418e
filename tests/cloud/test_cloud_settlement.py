"""The yearly settlement (R33): each line's days held in the year × quantity × contracted price,
equal to a hand computation across a change of quantity and an exit; exported as CSV and XLSX."""

import io
from datetime import timedelta

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from cloud import changes, settlement
from cloud.models import WorkOrder
from exchange.clock import FrozenClock
from tests.catalog_fixtures import CatalogWorld
from tests.conftest import local
from tests.scenarios.cloud import act, cloud_world, in_trial


def test_r33_the_settlement_equals_a_hand_computation(
    world: CatalogWorld, clock: FrozenClock, client: TestClient
) -> None:
    cloud = cloud_world(world)
    clock.set(local(2026, 3, 10, 16, 0))  # opened on 10 March
    application = in_trial(cloud)  # 8 vCPU, 32 GB memory, 500 GB disk
    clock.set(local(2026, 7, 1, 9, 0))  # 16 vCPU from 1 July
    change = act(cloud, "officer", changes.request_change, application_id=application,
                 description="扩容", lines=[{"service_code": "ecs-vcpu", "quantity": 16}])  # fmt: skip
    act(cloud, "cloud_reviewer", changes.decide, change_id=change.id, approve=True, reply="同意")
    with world.platform.database.transaction() as session:
        order_id = session.query(WorkOrder.id).filter(WorkOrder.change_id == change.id).scalar()
    act(cloud, "provider_staff", changes.carry_out, order_id=order_id, resource_ids={"ecs": "i-2"})
    clock.set(local(2026, 11, 20, 9, 0))  # leaves: reclaimed on 21 November
    leaving = act(cloud, "officer", changes.request_exit, application_id=application,
                  description="下线", data_migrated=True)  # fmt: skip
    act(cloud, "cloud_reviewer", changes.decide, change_id=leaving.id, approve=True, reply="同意")
    with world.platform.database.transaction() as session:
        reclaim = session.query(WorkOrder.id).filter(WorkOrder.change_id == leaving.id).scalar()
    clock.advance(timedelta(days=1))
    act(cloud, "provider_staff", changes.certify_wipe, order_id=reclaim, certificate="销毁证明")

    # By hand, in fen per unit and day: vCPU 300, memory 100, disk 5.
    march_to_june, july_to_reclaim, whole_stay = 113, 143, 256  # 10 Mar-30 Jun; 1 Jul-20 Nov
    expected = (8 * march_to_june * 300 + 16 * july_to_reclaim * 300
                + 32 * whole_stay * 100 + 500 * whole_stay * 5)  # fmt: skip
    with world.platform.database.transaction() as session:
        [statement] = settlement.settle(session, actor=cloud.actor("cloud_reviewer"), year=2026,
                                        zone=world.platform.settings.zone)  # fmt: skip
        assert statement.total_fen == expected
        assert [(line.quantity, line.days) for line in statement.lines] == [
            (8, 113), (32, 256), (500, 256), (16, 143),
        ]  # fmt: skip
        assert settlement.settle(session, actor=cloud.actor("cloud_reviewer"), year=2027,
                                 zone=world.platform.settings.zone) == []  # fmt: skip

    reviewer = cloud.bearer("cloud_reviewer")
    as_json = client.get("/api/v1/cloud/settlements/2026", headers=reviewer).json()
    assert as_json[0]["total_fen"] == expected
    as_csv = client.get("/api/v1/cloud/settlements/2026", params={"format": "csv"},
                        headers={**reviewer, "Accept-Language": "zh"})  # fmt: skip
    assert "计费天数" in as_csv.content.decode("utf-8-sig")
    as_xlsx = client.get(
        "/api/v1/cloud/settlements/2026", params={"format": "xlsx"}, headers=reviewer
    )
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
    assert sheet is not None
    assert sheet.cell(row=sheet.max_row, column=8).value == expected / 100
    assert (
        client.get("/api/v1/cloud/settlements/2026", headers=cloud.bearer("officer")).status_code
        == 403
    )
