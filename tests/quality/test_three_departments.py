"""Three departments' own systems, defects planted of every kind, the whole flow through the API
(R9, R18, R19): every count is exactly what was planted, and no finding vanishes.

- the market regulator's enterprise register (SQLite): 30 empty required names, 5 codes with a
  wrong check character, 4 founding dates in the future, 3 capitals that are not numbers, 20
  companies the tax office does not know;
- the tax office's taxpayer register (CSV): the same names, 10 of them written in full-width
  letters only (which must not count), 7 really different, 6 empty; 2 registration dates in the
  future; 12 taxpayers the register does not know;
- the social-security fund's employer list (CSV): 2 head counts that are not numbers.
"""

import csv
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from catalog.schemas import EntryDraft, ItemDraft
from exchange.identifiers import uscc_check_character
from exchange.identity.roles import Role
from tests.catalog_fixtures import CatalogWorld, publish_entry
from tests.collection_fixtures import drop_folder
from tests.factories import make_department, make_user
from tests.scenarios.people import bearer

COMPANIES = 2_000
EMPTY_NAMES = range(0, 30)
BAD_CHECK = range(30, 35)
FUTURE_FOUNDED = range(35, 39)
BAD_CAPITAL = range(39, 42)
WIDTH_ONLY = range(100, 110)
RENAMED = range(200, 207)
TAX_EMPTY_NAMES = range(300, 306)
TAX_FUTURE = range(400, 402)
REGISTER_ONLY = range(1980, 2000)
TAX_ONLY = range(2000, 2012)
BAD_HEADCOUNT = range(500, 502)


def uscc(i: int) -> str:
    body = f"91440300MA5{i:06d}"
    return body + uscc_check_character(body)


def wrong_check(code: str) -> str:
    right = code[-1]
    return code[:-1] + ("0" if right != "0" else "1")


def name(i: int) -> str:
    return f"深圳市示例{i}科技有限公司"


def item(name: str, label: str, data_type: str = "string", **more: object) -> ItemDraft:
    values: dict[str, object] = {"name": name, "label": label, "data_type": data_type,
                                 "share_type": "unconditional", **more}  # fmt: skip
    if data_type == "string":
        values.setdefault("length", 200)
    return ItemDraft.model_validate(values)


def entry(name: str, items: list[ItemDraft]) -> EntryDraft:
    return EntryDraft.model_validate({
        "name": name, "classification_code": "202", "update_cycle": "daily",
        "abstract": f"{name}，用于跨部门核对企业基本信息的统一数据资源目录。", "items": items,
    })  # fmt: skip


KEY = {"required": True, "is_key": True, "length": 18, "value_format": "uscc"}


@pytest.fixture
def systems(world: CatalogWorld) -> dict[str, str]:
    """The three departments, their published entries and their systems in their drop folders."""
    platform = world.platform
    with platform.database.transaction() as session:
        tax = make_department(session, platform, name="国家税务总局示例市税务局")
        social = make_department(session, platform, name="市社会保险基金管理局")
        for who, department in (("tax", tax), ("social", social)):
            for role in (Role.CATALOG_REGISTRAR, Role.CATALOG_REVIEWER, Role.DATA_RESOURCE_ADMIN):
                world.users[f"{who}_{role.value}"] = make_user(
                    session, platform, department, role
                ).id
        world.__dict__["tax"], world.__dict__["social"] = tax, social
    codes = {
        "market": publish_entry(world, entry("企业登记信息", [
            item("uscc", "统一社会信用代码", **KEY),
            item("enterprise_name", "企业名称", required=True),
            item("founded", "成立日期", "date", value_format="not_future"),
            item("registered_capital", "注册资本", "decimal", length=18, precision=2),
        ])),
        "tax": publish_entry(world, entry("纳税人登记信息", [
            item("uscc", "统一社会信用代码", **KEY),
            item("taxpayer_name", "纳税人名称", required=True),
            item("registered_on", "税务登记日期", "date", value_format="not_future"),
        ]), "tax_catalog_registrar", "tax_catalog_reviewer"),
        "social": publish_entry(world, entry("参保单位信息", [
            item("uscc", "统一社会信用代码", **KEY),
            item("unit_name", "单位名称"),
            item("headcount", "参保人数", "integer"),
        ]), "social_catalog_registrar", "social_catalog_reviewer"),
    }  # fmt: skip
    _market_register(drop_folder(world) / "register.db")
    _tax_register(drop_folder(world, "tax") / "taxpayers")
    _social_register(drop_folder(world, "social") / "employers")
    return codes


def _market_register(path: Path) -> None:
    rows = []
    for i in range(COMPANIES):
        code = wrong_check(uscc(i)) if i in BAD_CHECK else uscc(i)
        founded = "2031-05-01" if i in FUTURE_FOUNDED else "2015-03-02"
        capital = "abc" if i in BAD_CAPITAL else f"{100 + i}.00"
        rows.append((code, "" if i in EMPTY_NAMES else name(i), founded, capital))
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE enterprises (uscc TEXT, enterprise_name TEXT, founded TEXT, "
            "registered_capital TEXT)"
        )
        connection.executemany("INSERT INTO enterprises VALUES (?, ?, ?, ?)", rows)


def _full_width(text: str) -> str:
    return text.replace("科技", "科技").translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})


def _tax_register(folder: Path) -> None:
    folder.mkdir(parents=True)
    with (folder / "taxpayers.csv").open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["统一社会信用代码", "纳税人名称", "税务登记日期"])
        for i in [*range(REGISTER_ONLY.start), *TAX_ONLY]:
            taxpayer = name(i)
            if i in WIDTH_ONLY:
                taxpayer = _full_width(taxpayer)
            elif i in RENAMED:
                taxpayer = f"深圳市另名{i}贸易有限公司"
            elif i in TAX_EMPTY_NAMES:
                taxpayer = ""
            registered = "2030-01-01" if i in TAX_FUTURE else "2016-04-05"
            out.writerow([uscc(i), taxpayer, registered])


def _social_register(folder: Path) -> None:
    folder.mkdir(parents=True)
    with (folder / "employers.csv").open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["统一社会信用代码", "单位名称", "参保人数"])
        for i in range(COMPANIES):
            out.writerow([uscc(i), name(i), "many" if i in BAD_HEADCOUNT else str(i % 50 + 1)])


def _load(client: TestClient, headers: dict[str, str], code: str, kind: str,
          config: dict[str, object], secret: dict[str, object]) -> dict[str, object]:  # fmt: skip
    body = {"resource_code": code, "kind": kind, "config": config, "secret": secret,
            "bad_row_threshold": 0.05}  # fmt: skip
    registered = client.post("/api/v1/collection/sources", json=body, headers=headers)
    assert registered.status_code == 201, registered.text
    source_id = registered.json()["id"]
    assert client.post(f"/api/v1/collection/sources/{source_id}/runs", headers=headers).is_success
    [run] = client.get(f"/api/v1/collection/sources/{source_id}/runs", headers=headers).json()
    assert run["status"] == "succeeded", run
    validated = client.post(f"/api/v1/quality/resources/{code}/validate", headers=headers)
    assert validated.status_code == 201, validated.text
    return {"run": run, "validation": validated.json()}


def _failing(validation: dict[str, object]) -> dict[str, int]:
    checks = validation["checks"]
    assert isinstance(checks, list)
    return {c["check"]: c["failed_rows"] for c in checks if not c["success"]}


def _issues(client: TestClient, headers: dict[str, str]) -> dict[str, dict[str, object]]:
    listed = client.get("/api/v1/quality/issues", headers=headers).json()
    return {f"{i['origin']}:{i['department']['code']}": i for i in listed}


def test_r18_r19_three_departments_planted_defects_are_each_counted_exactly(
    world: CatalogWorld, client: TestClient, systems: dict[str, str]
) -> None:
    market, tax, social = (bearer(world, "resource_admin"),
                           bearer(world, "tax_data_resource_admin"),
                           bearer(world, "social_data_resource_admin"))  # fmt: skip
    loaded = {
        "market": _load(client, market, systems["market"], "database",
                        {"table": "enterprises"}, {"url": "sqlite:///register.db"}),
        "tax": _load(client, tax, systems["tax"], "file", {"folder": "taxpayers"}, {}),
        "social": _load(client, social, systems["social"], "file", {"folder": "employers"}, {}),
    }  # fmt: skip

    # Only rows that cannot be stored are set aside; empty required names are stored.
    runs = {k: v["run"] for k, v in loaded.items()}
    assert (runs["market"]["rows_read"], runs["market"]["rows_written"]) == (
        COMPANIES,
        COMPANIES - 3,
    )
    assert runs["market"]["rows_rejected"] == len(BAD_CAPITAL)
    taxpayers = REGISTER_ONLY.start + len(TAX_ONLY)
    assert (runs["tax"]["rows_written"], runs["tax"]["rows_rejected"]) == (taxpayers, 0)
    assert (runs["social"]["rows_written"], runs["social"]["rows_rejected"]) == (COMPANIES - 2, 2)

    assert _failing(loaded["market"]["validation"]) == {
        "not_null(enterprise_name)": len(EMPTY_NAMES),
        "format(uscc; format=uscc)": len(BAD_CHECK),
        "not_future(founded)": len(FUTURE_FOUNDED),
    }
    assert _failing(loaded["tax"]["validation"]) == {
        "not_null(taxpayer_name)": len(TAX_EMPTY_NAMES),
        "not_future(registered_on)": len(TAX_FUTURE),
    }
    assert _failing(loaded["social"]["validation"]) == {}

    # Set-aside rows are findings with their source line: SQLite rows by position, CSV by line.
    steward = bearer(world, "steward")
    found = _issues(client, steward)
    market_code, social_code = world.provider.code, world.__dict__["social"].code
    set_aside = client.get(
        f"/api/v1/quality/issues/{found[f'ingest:{market_code}']['id']}/findings", headers=market
    ).json()["findings"]
    assert sorted(f["line"] for f in set_aside) == [i + 1 for i in BAD_CAPITAL]
    employers = client.get(
        f"/api/v1/quality/issues/{found[f'ingest:{social_code}']['id']}/findings", headers=social
    ).json()["findings"]
    assert sorted((f["file"], f["line"]) for f in employers) == [
        ("employers.csv", i + 2) for i in BAD_HEADCOUNT
    ]

    # The cross-department comparison: width-only differences do not count, stored rows with
    # empty names are compared, not reported missing.
    comparison = client.post("/api/v1/quality/comparisons", headers=steward, json={
        "name": "企业登记与税务登记核对", "left": systems["market"], "right": systems["tax"],
        "keys": [["uscc", "uscc"]], "attributes": [{"left": "enterprise_name", "right": "taxpayer_name"}],
        "normalise": ["width", "spaces"],
    })  # fmt: skip
    assert comparison.status_code == 201, comparison.text
    run = client.post(
        f"/api/v1/quality/comparisons/{comparison.json()['id']}/runs", headers=steward
    ).json()
    stored_market = COMPANIES - len(BAD_CAPITAL)
    matched = REGISTER_ONLY.start - len(BAD_CHECK) - len(BAD_CAPITAL)
    assert run["matched"] == matched
    assert run["left_only"] == len(BAD_CHECK) + len(REGISTER_ONLY)
    assert run["right_only"] == len(BAD_CHECK) + len(BAD_CAPITAL) + len(TAX_ONLY)
    assert run["left_rows"] == stored_market
    assert run["mismatches"] == {
        "enterprise_name": len(EMPTY_NAMES) + len(RENAMED) + len(TAX_EMPTY_NAMES)
    }
    report = client.get(f"/api/v1/quality/comparison-runs/{run['run']}", headers=steward).json()
    named = {next(iter(f["key"].values())): f["name"] for f in report["findings"]}
    assert named[uscc(RENAMED.start)] == name(RENAMED.start)  # names beside the keys
    assert uscc(EMPTY_NAMES.start) in named  # an empty required name is a finding, not a gap
    total = sum(
        issue["row_count"]
        for key, issue in _issues(client, steward).items()
        if key.startswith("comparison:")
    )
    assert total == run["mismatches"]["enterprise_name"] + run["left_only"] + run["right_only"]

    # The tax office answers its findings per finding, named and with their deadline.
    tax_issue = _issues(client, steward)[f"validation:{world.__dict__['tax'].code}"]
    page = client.get(f"/api/v1/quality/issues/{tax_issue['id']}/findings", headers=tax).json()
    assert page["due"]["working_days_left"] == 5
    assert page["issue"]["department"]["name"] == "国家税务总局示例市税务局"
    refs = [f["ref"] for f in page["findings"] if f["check"] == "not_future(registered_on)"]
    assert len(refs) == len(TAX_FUTURE)
    assert all(f["name"] for f in page["findings"] if f["check"] == "not_future(registered_on)")
    answered = client.post(
        f"/api/v1/quality/issues/{tax_issue['id']}/findings/answer", headers=tax,
        json={"refs": refs, "kind": "corrected", "text": "登记日期录入错误，已更正"},
    )  # fmt: skip
    assert answered.json()["unanswered"] == len(TAX_EMPTY_NAMES)
    assert date.fromisoformat(page["due"]["due_date"]) > date(2026, 11, 24)
