"""Utilisation reports (R33): a provider's monthly report is collected like any department's data
(a catalog entry and a file drop, ingested into the unified store); from it idle and
over-provisioned resources are found with the change to make and its yearly saving; a report
missing after the 5th is a provider finding."""

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
from fastapi.testclient import TestClient
from sqlalchemy import select

from catalog.models import Resource
from cloud import utilisation
from collection.ingest import ingest
from collection.models import Source
from exchange.clock import FrozenClock
from tests.catalog_fixtures import CatalogWorld
from tests.conftest import local
from tests.scenarios.cloud import CloudWorld, act, cloud_world, in_trial


def _report(cloud: CloudWorld, month: str, rows: list[dict[str, object]]) -> Path:
    folder = cloud.catalog.platform.settings.resolved_drop_root / cloud.company.code / "utilisation"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{month}.csv"
    pa_csv.write_csv(pa.Table.from_pylist(rows), path)
    return path


def _use(resource: str, cpu_avg: float, cpu_peak: float, memory_peak: float) -> dict[str, object]:
    return {"month": "2026-10", "resource_id": resource, "cpu_avg": cpu_avg, "cpu_peak": cpu_peak,
            "memory_avg": memory_peak / 2, "memory_peak": memory_peak, "storage_used": 40.0,
            "bandwidth_peak": 10.0}  # fmt: skip


def test_r33_idle_and_over_provisioned_resources_from_an_ingested_report(
    world: CatalogWorld, clock: FrozenClock, client: TestClient
) -> None:
    platform = world.platform
    cloud = cloud_world(world)
    idle_app, busy_app, fine_app = in_trial(cloud), in_trial(cloud), in_trial(cloud)
    _report(cloud, "2026-10", [
        _use(f"i-{idle_app:04d}", 2.0, 9.0, 30.0),  # idle
        _use(f"i-{busy_app:04d}", 20.0, 14.0, 20.0),  # 8 vCPU and 32 GB, far too many
        _use(f"i-{fine_app:04d}", 45.0, 80.0, 75.0),
        _use("i-unknown", 1.0, 1.0, 1.0),  # not a resource of any work order: ignored
    ])  # fmt: skip
    code = act(cloud, "admin", utilisation.connect_reports, settings=platform.settings,
               provider_id=cloud.provider_id)  # fmt: skip
    with platform.database.transaction() as session:
        source_id = session.scalars(
            select(Source.id)
            .join(Resource, Resource.id == Source.resource_id)
            .where(Resource.code == code)
        ).one()
    run = ingest(platform, source_id=source_id, run_key="2026-10")
    assert run.rows_written == 4

    with platform.database.transaction() as session:
        found = {f.application_id: f for f in utilisation.rightsizing(
            session, actor=cloud.actor("cloud_reviewer"), settings=platform.settings,
            month="2026-10")}  # fmt: skip
        assert set(found) == {idle_app, busy_app}
        assert (found[idle_app].verdict, found[idle_app].suggestion) == ("idle", "release")
        # 8 vCPU × 3.00 + 32 GB × 1.00 + 500 GB × 0.05 yuan a day, for a year.
        assert found[idle_app].yearly_saving_yuan == 81.0 * 365
        assert found[busy_app].verdict == "over_provisioned"
        assert found[busy_app].suggestion == "云主机 vCPU 8 → 2; 云主机内存 32 → 10"
        assert found[busy_app].yearly_saving_yuan == (6 * 3.0 + 22 * 1.0) * 365
        # A unit sees its own systems only.
        assert utilisation.rightsizing(session, actor=cloud.actor("other_officer"),
                                       settings=platform.settings, month="2026-10") == []  # fmt: skip
        assert len(utilisation.rightsizing(session, actor=cloud.actor("officer"),
                                           settings=platform.settings, month="2026-10")) == 2  # fmt: skip
        # The report of October is due by 5 November; the rival provider sent none.
        assert utilisation.late_reports(session, settings=platform.settings,
                                        now=local(2026, 11, 5, 18, 0)) == []  # fmt: skip
        assert utilisation.late_reports(session, settings=platform.settings,
                                        now=local(2026, 11, 6, 9, 0)) == [(cloud.rival_id, "2026-10")]  # fmt: skip

    reviewer = cloud.bearer("cloud_reviewer")
    answer = client.get("/api/v1/cloud/rightsizing", params={"month": "2026-10"}, headers=reviewer)
    assert {f["verdict"] for f in answer.json()} == {"idle", "over_provisioned"}
    probe = client.get("/api/v1/cloud/rightsizing", params={"month": "2026-10' or '1'='1"},
                       headers=reviewer)  # fmt: skip
    assert probe.status_code == 400
