"""Findings never vanish (R18, R19): a row with an empty required value is stored and reported, a
row that cannot be stored is a finding with its source line, the provider reads its own
quarantined snapshot, and each finding is answered on its own — by selection or by spreadsheet."""

import csv
import io
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from collection.ingest import ingest
from exchange.store import UnifiedStore
from quality.validation import validate_snapshot
from tests.catalog_fixtures import CatalogWorld, enterprise_register, publish_entry
from tests.collection_fixtures import drop_folder
from tests.scenarios.collection import register
from tests.scenarios.people import bearer

HEADER = "统一社会信用代码,企业名称,法定代表人,注册资本"
# Line 2 on: good, empty required name (stored), capital not a number (set aside), name longer
# than its 200 characters (stored), empty required name again (stored), good.
LINES = [
    "91440300MA5D000001,甲公司,张一,100.00",
    "91440300MA5D000002,,张二,200.00",
    "91440300MA5D000003,丙公司,张三,abc",
    "91440300MA5D000004," + "丁" * 201 + ",张四,400.00",
    "91440300MA5D000005,,张五,500.00",
    "91440300MA5D000006,己公司,张六,600.00",
]


def load(world: CatalogWorld, lines: list[str] = LINES, name: str = "2026-11.csv") -> str:
    code = publish_entry(world, enterprise_register())
    folder = drop_folder(world) / "register"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    source_id = register(world, code, "file", {"folder": "register", "pattern": "*.csv"}, {})
    with world.platform.database.transaction() as session:
        from collection.models import Source

        session.get_one(Source, source_id).bad_row_threshold = 0.5
    ingest(world.platform, source_id=source_id, run_key="1")
    return code


def issues_of(client: TestClient, world: CatalogWorld) -> dict[str, dict[str, object]]:
    listed = client.get("/api/v1/quality/issues", headers=bearer(world, "resource_admin")).json()
    return {issue["origin"]: issue for issue in listed}


def test_r19_empty_required_values_are_stored_and_reported_not_dropped(
    world: CatalogWorld, client: TestClient
) -> None:
    code = load(world)
    stored = UnifiedStore(world.platform.settings).scan(code)
    assert stored.num_rows == 5  # only the row whose capital is not a number is set aside
    assert stored.column("enterprise_name").null_count == 2

    run = validate_snapshot(world.platform, code=code)
    failed = {c["check"]: c["failed_rows"] for c in run.report["checks"] if not c["success"]}
    assert failed == {"not_null(enterprise_name)": 2, "max_length(enterprise_name; max=200)": 1}

    admin = bearer(world, "resource_admin")
    found = issues_of(client, world)
    assert set(found) == {"ingest", "validation"}
    set_aside = client.get(
        f"/api/v1/quality/issues/{found['ingest']['id']}/findings", headers=admin
    ).json()
    [row] = set_aside["findings"]
    assert (row["check"], row["line"], row["file"]) == ("set_aside", 4, "2026-11.csv")
    assert row["problems"] == ["registered_capital: not a valid decimal"]
    assert row["value"]["registered_capital"] == "abc"

    validation = client.get(
        f"/api/v1/quality/issues/{found['validation']['id']}/findings", headers=admin
    ).json()
    named = {(f["check"], f["key"]["uscc"]): f["name"] for f in validation["findings"]}
    assert named == {
        ("not_null(enterprise_name)", "91440300MA5D000002"): None,
        ("not_null(enterprise_name)", "91440300MA5D000005"): None,
        ("max_length(enterprise_name; max=200)", "91440300MA5D000004"): "丁" * 201,
    }
    # The deadline is on the issue: 5 working days from Tuesday 24 November 2026.
    assert validation["due"]["due_date"] == "2026-12-01"
    assert validation["due"]["working_days_left"] == 5
    assert validation["unanswered"] == 3

    # Another department sees neither the issue nor its findings.
    other = client.get(
        f"/api/v1/quality/issues/{found['validation']['id']}/findings",
        headers=bearer(world, "consumer"),
    )
    assert other.status_code == 404


def test_r19_a_set_aside_issue_closes_once_a_later_run_sets_nothing_aside(
    world: CatalogWorld, client: TestClient
) -> None:
    code = load(world)
    admin, steward = bearer(world, "resource_admin"), bearer(world, "steward")
    issue = issues_of(client, world)["ingest"]
    answered = client.post(
        f"/api/v1/quality/issues/{issue['id']}/answer",
        json={"kind": "corrected", "text": "注册资本已更正"},
        headers=admin,
    )
    assert answered.status_code == 200, answered.text
    assert client.post(f"/api/v1/quality/issues/{issue['id']}/verify", headers=steward).is_success
    refused = client.post(f"/api/v1/quality/issues/{issue['id']}/close", headers=steward)
    assert refused.status_code == 409
    assert "no later run" in refused.json()["message"]

    folder = drop_folder(world) / "register"
    fixed = [line.replace(",abc", ",300.00") for line in LINES]
    (folder / "2026-11.csv").write_text("\n".join([HEADER, *fixed]) + "\n", encoding="utf-8")
    [source] = client.get("/api/v1/collection/sources", headers=admin).json()
    assert source["resource_code"] == code
    ingest(world.platform, source_id=source["id"], run_key="2")
    closed = client.post(f"/api/v1/quality/issues/{issue['id']}/close", headers=steward)
    assert closed.status_code == 200, closed.text
    assert closed.json()["state"] == "closed"


def test_r19_findings_are_answered_by_selection_and_by_spreadsheet_all_or_nothing(
    world: CatalogWorld, client: TestClient
) -> None:
    code = load(world)
    validate_snapshot(world.platform, code=code)
    admin = bearer(world, "resource_admin")
    issue_id = issues_of(client, world)["validation"]["id"]
    url = f"/api/v1/quality/issues/{issue_id}/findings"
    findings = client.get(url, headers=admin).json()["findings"]
    empty = [f["ref"] for f in findings if f["check"] == "not_null(enterprise_name)"]

    # The forbidden paths first: another department, a confirmation without evidence.
    body = {"refs": empty, "kind": "corrected", "text": "名称已补录"}
    assert (
        client.post(url + "/answer", json=body, headers=bearer(world, "consumer")).status_code
        == 404
    )
    no_evidence = {"refs": empty, "kind": "confirmed", "text": "数据无误"}
    assert client.post(url + "/answer", json=no_evidence, headers=admin).status_code == 400

    answered = client.post(url + "/answer", json=body, headers=admin)
    assert answered.status_code == 200, answered.text
    assert (answered.json()["state"], answered.json()["unanswered"]) == ("open", 1)

    sheet = client.get(url + "/sheet", params={"format": "xlsx"}, headers=admin)
    assert sheet.status_code == 200
    rows = list(load_workbook(io.BytesIO(sheet.content)).worksheets[0].iter_rows(values_only=True))
    assert rows[0][0] == "问题编号"  # the header in the reader's language
    assert len(rows) == 4

    # A sheet with one unreadable answer is refused whole, naming its line; nothing is recorded.
    def upload(lines: list[list[str]]) -> httpx.Response:
        out = io.StringIO()
        csv.writer(out).writerows(
            [["Finding ref", "Answer", "What was done or found", "Evidence"], *lines]
        )
        files = {"file": ("answers.csv", out.getvalue().encode(), "text/csv")}
        return client.post(url + "/sheet", files=files, headers=admin)

    long_one = next(f["ref"] for f in findings if f["check"].startswith("max_length"))
    bad = upload(
        [[long_one, "已确认无误", "名称确为全称", "营业执照"], [empty[0], "maybe", "?", ""]]
    )
    assert bad.status_code == 400
    assert "line 3" in bad.json()["message"]
    assert client.get(url, headers=admin).json()["unanswered"] == 1

    good = upload([[long_one, "已确认无误", "名称确为全称", "营业执照 2026-001"]])
    assert good.status_code == 200, good.text
    assert (good.json()["state"], good.json()["answer_kind"]) == ("answered", "mixed")
    after = {
        f["ref"]: f["answer"]["kind"] for f in client.get(url, headers=admin).json()["findings"]
    }
    assert after == {empty[0]: "corrected", empty[1]: "corrected", long_one: "confirmed"}


def test_r19_the_provider_reads_its_own_quarantined_snapshot_with_the_quarantine_stated(
    world: CatalogWorld, client: TestClient
) -> None:
    duplicated = LINES[:1] * 2 + LINES[5:]
    code = load(world, duplicated)
    run = validate_snapshot(world.platform, code=code)
    assert run.blocking_failed
    purpose = {"purpose": "核对本部门数据"}
    own = client.get(
        f"/api/v1/data/{code}/rows", params=purpose, headers=bearer(world, "resource_admin")
    )
    assert own.status_code == 200, own.text
    assert own.headers["X-Quality-Status"] == "quarantined"
    assert "this snapshot is quarantined" in own.headers["X-Quality-Note"]
    assert own.json()["row_count"] == 3
    # No snapshot passed before: other departments are told so, and get nothing.
    other = client.get(
        f"/api/v1/data/{code}/rows", params=purpose, headers=bearer(world, "consumer")
    )
    assert other.status_code == 404
    assert "quarantined" in other.json()["message"]


@pytest.fixture(autouse=True)
def _drop_root(world: CatalogWorld) -> Path:
    return drop_folder(world)
