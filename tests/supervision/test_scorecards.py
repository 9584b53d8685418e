"""Scorecards: each figure matches a count made here from the raw records, and the export
carries the same figures as CSV and XLSX."""

import csv
import io
from datetime import datetime

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

from exchange.clock import FrozenClock
from exchange.deadlines.models import Deadline
from policies import requests
from policies.models import REVIEW, DataUsage
from tests.catalog_fixtures import CatalogWorld
from tests.conftest import local
from tests.scenarios.data import write
from tests.scenarios.people import bearer
from tests.scenarios.requests import act, file, publish

PURPOSE = {"purpose": "核验企业法定代表人"}


def test_r20_scorecard_figures_match_counts_made_from_the_raw_records(
    world: CatalogWorld, clock: FrozenClock, client: TestClient
) -> None:
    clock.set(local(2026, 11, 2, 10, 0))  # Monday
    code = publish(world)
    write(world, code, 12, run_key="first")
    on_time = file(world, code)
    act(world, "data_reviewer", requests.approve, request_id=on_time)  # decided the same day
    late = file(world, code, ["phone"])
    clock.set(local(2026, 11, 9, 10, 0))  # after three working days: late
    act(world, "data_reviewer", requests.reject, request_id=late, code="other", reason="不符合")
    consumer = bearer(world, "consumer")
    for columns, rows in (("uscc,legal_representative", 5), ("uscc,enterprise_name", 3)):
        response = client.get(f"/api/v1/data/{code}/rows",
                              params={**PURPOSE, "columns": columns, "limit": rows}, headers=consumer)  # fmt: skip
        assert response.status_code == 200
    admin = bearer(world, "admin")
    assert client.post("/api/v1/supervision/scorecards/compute", params={"period": "2026-11"},
                       headers=admin).status_code == 200  # fmt: skip
    table = client.get("/api/v1/supervision/scorecards", params={"period": "2026-11"},
                       headers=consumer).json()  # fmt: skip
    by_department = {row[1]: dict(zip(table["columns"], row, strict=True)) for row in table["rows"]}
    provider, consumer_row = (
        by_department[world.provider.name],
        by_department[world.consumer_department.name],
    )

    start, end = local(2026, 11, 1, 0, 0), local(2026, 12, 1, 0, 0)
    with world.platform.database.transaction() as session:
        usage = session.scalars(
            select(DataUsage).where(DataUsage.at >= start, DataUsage.at < end)
        ).all()
        reviews = session.scalars(select(Deadline).where(Deadline.kind == REVIEW)).all()
    provided = sum(u.rows for u in usage if u.provider_department_id == world.provider.id)
    consumed = sum(
        u.rows for u in usage if u.consumer_department_id == world.consumer_department.id
    )
    in_time = [d.stopped_at < d.due_at for d in reviews if d.stopped_at is not None]
    assert provided == consumed == 8
    assert provider["rows_provided"] == provided
    assert consumer_row["rows_consumed"] == consumed
    assert provider["requests_counted"] == len(in_time) == 2
    assert provider["requests_on_time"] == sum(in_time) / len(in_time) == 0.5
    assert provider["fresh_share"] == 0.0  # its entry has never been loaded by an ingest run
    assert provider["suspensions"] == provider["disputes_lost"] == 0
    assert 0 < provider["catalog_completeness"] <= 1
    assert consumer_row["rows_provided"] == 0

    exported = client.get("/api/v1/supervision/scorecards",
                          params={"period": "2026-11", "format": "csv"}, headers=admin)  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert {r["Department"]: int(r["Rows provided to others"]) for r in rows}[
        world.provider.name
    ] == 8
    book = load_workbook(io.BytesIO(client.get(
        "/api/v1/supervision/scorecards", params={"period": "2026", "format": "xlsx"}, headers=admin
    ).content))  # fmt: skip
    assert [c.value for c in book.active[1]][:3] == [
        "Reporting period", "Department", "Catalog completeness",
    ]  # fmt: skip
    assert isinstance(table["computed_at"], str)
    assert datetime.fromisoformat(table["computed_at"])
