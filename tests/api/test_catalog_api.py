"""The catalog over HTTP, with the forbidden paths tried too."""

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from catalog.classification import ensure_default_classification
from catalog.spreadsheet import COLUMNS, entry_rows
from catalog.spreadsheet_template import write_xlsx
from exchange.identity.roles import Role
from exchange.runtime import Platform
from tests.catalog_fixtures import enterprise_register
from tests.factories import make_department, make_token, make_user


@dataclass
class People:
    registrar: dict[str, str]
    reviewer: dict[str, str]
    other_reviewer: dict[str, str]
    consumer: dict[str, str]
    admin: dict[str, str]


@pytest.fixture
def people(platform: Platform) -> People:
    with platform.database.transaction() as session:
        ensure_default_classification(session)
        provider = make_department(session, platform, name="市市场监督管理局")
        other = make_department(session, platform, name="市民政局")
        bureau = make_department(session, platform, name="市政务服务和大数据管理局")
        tokens = {}
        for name, department, roles in (
            ("registrar", provider, [Role.CATALOG_REGISTRAR, Role.CATALOG_REVIEWER]),
            ("reviewer", provider, [Role.CATALOG_REVIEWER]),
            ("other_reviewer", other, [Role.CATALOG_REVIEWER]),
            ("consumer", other, [Role.CONSUMER]),
            ("admin", bureau, [Role.BUREAU_ADMIN]),
        ):
            user = make_user(session, platform, department, *roles)
            tokens[name] = {"Authorization": f"Bearer {make_token(session, platform, user)}"}
    return People(**tokens)


DRAFT = enterprise_register().model_dump(mode="json")


def test_register_review_publish_and_find(client: TestClient, people: People) -> None:
    created = client.post("/api/v1/catalog/entries", json=DRAFT, headers=people.registrar)
    assert created.status_code == 201, created.text
    code = created.json()["code"]
    assert code == "202/000001"
    url = f"/api/v1/catalog/entries/{code}"
    assert (
        client.get(url, headers=people.consumer).status_code == 404
    )  # a draft is its department's
    assert client.post(f"{url}/submit", headers=people.registrar).json()["status"] == "in_review"

    own = client.post(f"{url}/approve", json={}, headers=people.registrar)
    assert own.status_code == 403
    assert "different people" in own.json()["message"]
    # Under review, the entry is not the other department's to see: 404 whatever the verb.
    assert client.post(f"{url}/approve", json={}, headers=people.other_reviewer).status_code == 404
    published = client.post(f"{url}/approve", json={"comment": "同意"}, headers=people.reviewer)
    assert published.status_code == 200
    assert published.json()["status"] == "published"
    assert published.json()["published"]["share_type"] == "conditional"

    page = client.get(
        "/api/v1/catalog/search",
        params={"q": "登记", "share_type": "conditional"},
        headers=people.consumer,
    ).json()
    assert page["total"] == 1
    assert page["hits"][0]["share_type_label"] == "有条件共享"
    assert list(page["facets"]["provider"].values()) == [1]
    entry = client.get(url, headers=people.consumer).json()
    assert entry["in_progress"] is None
    assert [i["name"] for i in entry["published"]["items"]][:2] == ["uscc", "enterprise_name"]


def test_change_makes_a_new_version_with_a_diff(client: TestClient, people: People) -> None:
    code = client.post("/api/v1/catalog/entries", json=DRAFT, headers=people.registrar).json()[
        "code"
    ]
    url = f"/api/v1/catalog/entries/{code}"
    client.post(f"{url}/submit", headers=people.registrar)
    client.post(f"{url}/approve", json={}, headers=people.reviewer)
    assert client.put(f"{url}/draft", json=DRAFT, headers=people.registrar).status_code == 409
    assert client.post(f"{url}/versions", headers=people.registrar).status_code == 201
    changed = {**DRAFT, "update_cycle": "weekly"}
    assert client.put(f"{url}/draft", json=changed, headers=people.registrar).status_code == 200
    client.post(f"{url}/submit", headers=people.registrar)
    client.post(f"{url}/approve", json={}, headers=people.reviewer)
    diff = client.get(f"{url}/diff", params={"from": 1, "to": 2}, headers=people.consumer).json()
    assert diff["key_change"] is True
    assert diff["fields"]["update_cycle"] == ["daily", "weekly"]
    states = [v["state"] for v in client.get(f"{url}/versions", headers=people.consumer).json()]
    assert states == ["superseded", "published"]
    actions = [e["action"] for e in client.get(f"{url}/history", headers=people.consumer).json()]
    assert actions == ["submit", "approve", "submit", "approve"]


def test_invalid_entry_is_400_naming_field_and_rule(client: TestClient, people: People) -> None:
    bad = {**DRAFT, "items": [{**DRAFT["items"][0], "is_key": True, "required": False}]}
    response = client.post("/api/v1/catalog/entries", json=bad, headers=people.registrar)
    assert response.status_code == 400
    assert response.json()["code"] == "catalog_invalid"
    assert response.json()["detail"][0]["field"] == "items[0].required"
    check = client.post("/api/v1/catalog/validate", json=bad, headers=people.registrar).json()
    assert check["valid"] is False


def test_only_registrars_register(client: TestClient, people: People) -> None:
    assert (
        client.post("/api/v1/catalog/entries", json=DRAFT, headers=people.consumer).status_code
        == 403
    )


def test_import_with_a_bad_cell_changes_nothing(client: TestClient, people: People) -> None:
    rows = list(entry_rows(None, enterprise_register()))
    rows[1][[c.header for c in COLUMNS].index("长度")] = "十八"
    response = client.post(
        "/api/v1/catalog/import",
        files={"file": ("目录.xlsx", write_xlsx(rows), "application/octet-stream")},
        headers=people.registrar,
    )
    assert response.status_code == 400
    [problem] = response.json()["detail"]
    assert (problem["row"], problem["header"]) == (3, "长度")
    assert client.get("/api/v1/catalog/search", headers=people.registrar).json()["total"] == 0
    good = client.post(
        "/api/v1/catalog/import",
        files={
            "file": (
                "目录.xlsx",
                write_xlsx(entry_rows(None, enterprise_register())),
                "application/octet-stream",
            )
        },
        headers=people.registrar,
    )
    assert good.json() == {
        "created": ["202/000001"],
        "changed": [],
        "unchanged": [],
        "warnings": [],
    }


def test_exports(client: TestClient, people: People) -> None:
    code = client.post("/api/v1/catalog/entries", json=DRAFT, headers=people.registrar).json()[
        "code"
    ]
    client.post(f"/api/v1/catalog/entries/{code}/submit", headers=people.registrar)
    client.post(f"/api/v1/catalog/entries/{code}/approve", json={}, headers=people.reviewer)
    dcat = client.get("/api/v1/catalog/export", params={"format": "dcat"}, headers=people.consumer)
    assert dcat.headers["content-type"] == "application/ld+json"
    assert dcat.json()["dcat:dataset"][0]["dct:identifier"] == code
    xlsx = client.get("/api/v1/catalog/export", params={"format": "xlsx"}, headers=people.consumer)
    assert xlsx.content[:2] == b"PK"
    as_json = client.get(
        "/api/v1/catalog/export", params={"format": "json"}, headers=people.consumer
    ).json()
    assert as_json[0]["code"] == code


def test_bureau_only_governance_endpoints(
    client: TestClient, people: People, platform: Platform
) -> None:
    body = {"label": "企业名称", "department_code": "11440300000000030Y"}
    assert (
        client.put(
            "/api/v1/catalog/authoritative-sources/enterprise_name",
            json=body,
            headers=people.registrar,
        ).status_code
        == 403
    )
    assert (
        client.get("/api/v1/catalog/duplicate-collection", headers=people.consumer).status_code
        == 403
    )
    assert client.get("/api/v1/catalog/duplicate-collection", headers=people.admin).json() == []


def test_classification_comes_with_the_schema_and_the_bureau_extends_it(
    client: TestClient, people: People
) -> None:
    nodes = client.get("/api/v1/catalog/classifications", headers=people.consumer).json()
    assert {"code": "202", "name": "市场监管", "name_en": "Market regulation", "level": 2,
            "parent_code": "2"} in nodes  # fmt: skip
    body = {"code": "202001", "name": "企业登记", "name_en": "Enterprise registration"}
    assert (
        client.post(
            "/api/v1/catalog/classifications", json=body, headers=people.registrar
        ).status_code
        == 403
    )
    added = client.post("/api/v1/catalog/classifications", json=body, headers=people.admin)
    assert added.json() == {"code": "202001", "name": "企业登记", "name_en": "Enterprise registration",
                            "level": 3, "parent_code": "202"}  # fmt: skip
    assert (
        client.post("/api/v1/catalog/classifications", json=body, headers=people.admin).status_code
        == 409
    )
    orphan = client.post(
        "/api/v1/catalog/classifications",
        json={"code": "209001", "name": "x"},
        headers=people.admin,
    )
    assert orphan.status_code == 400
