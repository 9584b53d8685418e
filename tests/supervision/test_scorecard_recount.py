"""R20: a budget rests on the scorecards, so every figure of a seeded month is recounted here by
hand from the raw records — with the cases that were once wrong: a department's reads of its own
data, a request never answered, an escalated quality issue never answered, an irregular resource
never collected, and a period (this month, this year) whose end is still to come."""

import io
from datetime import datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

from catalog.models import Resource, ResourceVersion
from catalog.schemas import EntryDraft
from catalog.validation import completeness
from collection.ingest import ingest
from collection.models import IngestRun
from exchange.clock import FrozenClock
from exchange.deadlines.models import Deadline
from exchange.deadlines.sweep import sweep
from policies import requests
from policies.models import REVIEW, DataUsage
from quality import issues
from quality.models import FEEDBACK, QualityIssue
from quality.vocab import IssueOrigin
from supervision import violations
from tests.catalog_fixtures import CatalogWorld, insured_persons, publish_entry
from tests.collection_fixtures import drop_folder
from tests.conftest import local
from tests.scenarios.collection import register
from tests.scenarios.people import bearer
from tests.scenarios.requests import act, file, publish

PURPOSE = {"purpose": "核验企业法定代表人"}
REGISTER_CSV = (
    "uscc,enterprise_name,legal_representative,registered_capital,phone,id_number\n"
    + "".join(
        f"91440300MA5{i:07d},深圳市示例{i}有限公司,张{i},{1000 * (i + 1)},1380000{i:04d},"
        f"44030019900101{i:04d}\n"
        for i in range(12)
    )
)


def seed_month(world: CatalogWorld, clock: FrozenClock, client: TestClient) -> dict[str, str]:
    """November 2026 of a provider and a consumer, up to the 20th."""
    platform = world.platform
    clock.set(local(2026, 11, 2, 10, 0))  # Monday
    code = publish(world)  # daily
    irregular = publish_entry(world, insured_persons(update_cycle="irregular"))  # never collected
    folder = drop_folder(world) / "register"
    folder.mkdir()
    (folder / "register.csv").write_text(REGISTER_CSV, encoding="utf-8")
    source = register(world, code, "file", {"folder": "register"}, {})
    ingest(platform, source_id=source, run_key="first")

    approved = file(world, code)
    act(world, "data_reviewer", requests.approve, request_id=approved)  # on time
    late = file(world, code, ["phone"])
    consumer, provider_staff = bearer(world, "consumer"), bearer(world, "resource_admin")
    for headers, columns, limit in (
        (consumer, "uscc,legal_representative", 5),
        (consumer, "uscc,enterprise_name", 3),
        (provider_staff, "uscc,phone", 4),  # the provider reading its own data
    ):
        response = client.get(f"/api/v1/data/{code}/rows",
                              params={**PURPOSE, "columns": columns, "limit": limit}, headers=headers)  # fmt: skip
        assert response.status_code == 200, response.text

    clock.set(local(2026, 11, 3, 9, 0))
    with platform.database.transaction() as session:
        resource_id = session.scalars(select(Resource.id).where(Resource.code == code)).one()
        issues.open_issue(
            session, actor=world.actor("steward"), env=platform.workflow_environment(session),
            code=code,
            issue=QualityIssue(
                origin=IssueOrigin.VALIDATION, resource_id=resource_id,
                department_id=world.provider.id, snapshot_id=None, title="注册资本为空",
                row_count=1, rows=[{"check": "not_null(registered_capital)", "value": None}],
            ),
        )  # fmt: skip

    clock.set(local(2026, 11, 9, 10, 0))  # after three working days: late
    act(world, "data_reviewer", requests.reject, request_id=late, code="other", reason="不符合")
    clock.set(local(2026, 11, 10, 10, 0))
    file(world, code, ["phone"], who="consumer")  # never answered

    clock.set(local(2026, 11, 20, 10, 0))  # Friday: the month is not over
    with platform.database.transaction() as session:
        sweep(session, now=clock.now())  # the issue and the last request escalate, unanswered
    ingest(platform, source_id=source, run_key="today")  # the daily data, loaded today
    return {"daily": code, "irregular": irregular}


def recount(world: CatalogWorld, department_id: int, start: datetime, end: datetime,
            now: datetime) -> dict[str, object]:  # fmt: skip
    """The figures, counted here from the raw records without the platform's queries."""
    as_of = min(end, now)
    with world.platform.database.transaction() as session:
        usage = session.scalars(select(DataUsage)).all()
        deadlines = session.scalars(
            select(Deadline).where(Deadline.assignee_department_id == department_id)
        ).all()
        published = session.execute(
            select(Resource, ResourceVersion)
            .join(ResourceVersion, ResourceVersion.id == Resource.published_version_id)
            .where(Resource.provider_department_id == department_id)
        ).all()
        loads = session.scalars(select(IngestRun).where(IngestRun.status == "succeeded")).all()
        scores = [completeness(EntryDraft.model_validate(v)) for _, v in published]

    def by_others(side: str) -> int:
        return sum(
            u.rows for u in usage
            if getattr(u, side) == department_id
            and u.provider_department_id != u.consumer_department_id and start <= u.at < end
        )  # fmt: skip

    def on_time(kind: str) -> tuple[float | None, int]:
        met = missed = 0
        for d in deadlines:
            if d.kind != kind:
                continue
            answered_in_time = d.stopped_at is not None and d.stopped_at < d.due_at
            if answered_in_time and start <= d.stopped_at < end:  # type: ignore[operator]
                met += 1
            elif not answered_in_time and start <= d.due_at < as_of:
                missed += 1
        total = met + missed
        return (None if total == 0 else round(met / total, 4)), total

    fresh = 0
    for resource, version in published:
        finished = [r.finished_at for r in loads if r.resource_id == resource.id
                    and r.finished_at is not None and r.finished_at <= as_of]  # fmt: skip
        if not finished:
            continue  # never collected: not fresh, whatever its cycle
        cycle = {"daily": timedelta(days=1), "irregular": None}[version.update_cycle]
        if cycle is None or as_of <= max(finished) + cycle + timedelta(days=1):
            fresh += 1
    requests_share, requests_counted = on_time(REVIEW)
    issues_share, issues_counted = on_time(FEEDBACK)
    shares = [round(sum(scores) / len(scores), 4) if scores else None, None,
              round(fresh / len(published), 4) if published else None, requests_share, issues_share]  # fmt: skip
    known = [s for s in shares if s is not None]
    return {
        "catalog_completeness": shares[0], "validation_pass_rate": None, "fresh_share": shares[2],
        "requests_on_time": requests_share, "requests_counted": requests_counted,
        "quality_issues_on_time": issues_share, "quality_issues_counted": issues_counted,
        "disputes_lost": 0, "rows_provided": by_others("provider_department_id"),
        "rows_consumed": by_others("consumer_department_id"), "suspensions": 0,
        # Every read of this month is whole (tests/policies count masked reads and verifications).
        "masked_rows_provided": 0, "records_verified": 0,
        # No project yet: nothing vetoed, withheld or filed late (tests/projects count them).
        "sharing_vetoes": 0, "funds_withheld": 0, "late_filings": 0,
        "overall": round(sum(known) / len(known), 4) if known else None,
    }  # fmt: skip


def test_r20_every_scorecard_figure_recounted_from_the_raw_records(
    world: CatalogWorld, clock: FrozenClock, client: TestClient, tmp_path: Path
) -> None:
    codes = seed_month(world, clock, client)
    admin = bearer(world, "admin")
    for period, start, end in (
        ("2026-11", local(2026, 11, 1, 0, 0), local(2026, 12, 1, 0, 0)),
        ("2026", local(2026, 1, 1, 0, 0), local(2027, 1, 1, 0, 0)),
    ):
        computed = client.post("/api/v1/supervision/scorecards/compute", params={"period": period},
                               headers=admin)  # fmt: skip
        assert computed.status_code == 200
        table = client.get("/api/v1/supervision/scorecards", params={"period": period},
                           headers=admin).json()  # fmt: skip
        cards = {row[1]: dict(zip(table["columns"], row, strict=True)) for row in table["rows"]}
        for department in (world.provider, world.consumer_department):
            card = cards[department.name]
            expected = recount(world, department.id, start, end, clock.now())
            assert {k: card[k] for k in expected} == expected, (period, department.name)

        provider, consumer = cards[world.provider.name], cards[world.consumer_department.name]
        assert provider["rows_provided"] == consumer["rows_consumed"] == 8  # not the own 4
        assert provider["rows_consumed"] == 0
        assert provider["fresh_share"] == 0.5  # loaded today: on time; irregular, never: not
        assert (provider["requests_counted"], provider["requests_on_time"]) == (3, 0.3333)
        assert (provider["quality_issues_counted"], provider["quality_issues_on_time"]) == (1, 0.0)
        assert table["rows"][0][1] == max(cards, key=lambda n: cards[n]["overall"] or -1)

    with world.platform.database.transaction() as session:
        found = {v.key for v in violations.detect(session, now=clock.now())}
    assert f"not_provided:{codes['irregular']}" in found  # the same rule as the scorecard's
    assert f"not_provided:{codes['daily']}" not in found

    book = load_workbook(io.BytesIO(client.get(
        "/api/v1/supervision/scorecards", params={"period": "2026-11", "format": "xlsx"},
        headers={**admin, "Accept-Language": "zh"},
    ).content))  # fmt: skip
    assert book.active is not None
    assert book.active.title == "评分卡"
    assert [c.value for c in book.active[1]][:4] == ["统计期间", "部门", "目录完整度", "校验通过率"]
    english = client.get("/api/v1/supervision/scorecards",
                         params={"period": "2026-11", "format": "csv"}, headers=admin)  # fmt: skip
    assert english.content.decode("utf-8-sig").startswith(
        "Reporting period,Department,Catalog completeness"
    )
    printable = client.get("/api/v1/supervision/scorecards",
                           params={"period": "2026", "format": "pdf"}, headers=admin)  # fmt: skip
    assert printable.headers["content-type"] == "application/pdf"
    assert printable.content.startswith(b"%PDF-")
