"""Sources and ingestion over HTTP; credentials never come back; other departments see nothing."""

import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from exchange.runtime import Platform
from tests.catalog_fixtures import CatalogWorld
from tests.collection_fixtures import publish_enterprises
from tests.scenarios.people import bearer


@pytest.fixture
def registered(world: CatalogWorld, client: TestClient, source_db: Path) -> tuple[int, str]:
    with sqlite3.connect(source_db) as connection:
        connection.execute(
            "INSERT INTO enterprises VALUES ('91440300MA5D0004X4', '坏公司', '赵六', 'abc', '2026-11-09')"
        )
    code = publish_enterprises(world)
    body = {
        "resource_code": code,
        "kind": "database",
        "config": {"table": "enterprises"},
        "secret": {"url": f"sqlite:///{source_db.name}"},
        "mode": "incremental",
        "watermark_column": "updated_at",
        "bad_row_threshold": 0.5,
    }
    assert (
        client.post(
            "/api/v1/collection/sources", json=body, headers=bearer(world, "consumer")
        ).status_code
        == 403
    )
    response = client.post(
        "/api/v1/collection/sources", json=body, headers=bearer(world, "resource_admin")
    )
    assert response.status_code == 201, response.text
    return response.json()["id"], code


def test_register_run_and_inspect(
    world: CatalogWorld,
    client: TestClient,
    registered: tuple[int, str],
    source_db: Path,
    platform: Platform,
) -> None:
    source_id, code = registered
    admin = bearer(world, "resource_admin")
    listed = client.get("/api/v1/collection/sources", headers=admin).json()
    assert listed[0]["has_secret"] is True
    assert str(source_db) not in str(listed)  # the connection URL is never returned
    assert (
        client.get("/api/v1/collection/sources", headers=bearer(world, "other_registrar")).json()
        == []
    )
    assert (
        client.post(f"/api/v1/collection/sources/{source_id}/test", headers=admin).json()["ok"]
        is True
    )
    started = client.post(f"/api/v1/collection/sources/{source_id}/runs", headers=admin)
    assert started.status_code == 202
    [run] = client.get(f"/api/v1/collection/sources/{source_id}/runs", headers=admin).json()
    assert run["run_key"] == started.json()["run_key"]
    assert (run["status"], run["rows_written"], run["rows_rejected"]) == ("succeeded", 3, 1)
    rejected = client.get(f"/api/v1/collection/runs/{run['id']}/rejected", headers=admin).json()
    assert rejected[0]["problems"] == ["registered_capital: not a valid decimal"]
    assert (
        client.get(
            f"/api/v1/collection/runs/{run['id']}/rejected", headers=bearer(world, "consumer")
        ).status_code
        == 404
    )
    fresh = {
        f["code"]: f["status"]
        for f in client.get("/api/v1/collection/freshness", headers=admin).json()
    }
    assert fresh[code] == "on_time"
    assert platform.settings.dag_specs_path.exists()  # the DAG list follows the registration


def test_a_failed_run_shows_its_reason(
    world: CatalogWorld, client: TestClient, registered: tuple[int, str], source_db: Path
) -> None:
    source_id, _ = registered
    admin = bearer(world, "resource_admin")
    with sqlite3.connect(source_db) as connection:
        connection.execute("ALTER TABLE enterprises DROP COLUMN legal_representative")
    assert (
        client.post(f"/api/v1/collection/sources/{source_id}/runs", headers=admin).status_code
        == 202
    )
    [run] = client.get(f"/api/v1/collection/sources/{source_id}/runs", headers=admin).json()
    assert run["status"] == "failed"
    assert "missing columns: legal_representative" in run["error"]
    assert run["drift"]["missing"] == ["legal_representative"]


def test_r9_a_source_is_edited_deactivated_and_a_second_one_is_deliberate(
    world: CatalogWorld, client: TestClient, registered: tuple[int, str], source_db: Path
) -> None:
    source_id, code = registered
    admin = bearer(world, "resource_admin")
    url = f"/api/v1/collection/sources/{source_id}"
    second = {
        "resource_code": code,
        "kind": "database",
        "config": {"table": "enterprises"},
        "secret": {"url": f"sqlite:///{source_db.name}"},
        "mode": "incremental",
        "watermark_column": "updated_at",
    }
    refused = client.post("/api/v1/collection/sources", json=second, headers=admin)
    assert (refused.status_code, refused.json()["code"]) == (409, "source_exists")
    assert refused.json()["detail"]["existing"] == [source_id]

    # Another department may neither edit nor stop it: the source does not exist for it.
    other = bearer(world, "other_registrar")
    assert client.patch(url, json={"schedule": "@hourly"}, headers=other).status_code == 404
    assert client.post(url + "/deactivate", headers=other).status_code == 404

    # An edit is tested first: a table that does not exist is refused, the source unchanged.
    broken = client.patch(url, json={"config": {"table": "nowhere"}}, headers=admin)
    assert (broken.status_code, broken.json()["code"]) == (400, "source_check_failed")
    edited = client.patch(
        url, json={"schedule": "@hourly", "bad_row_threshold": 0.2}, headers=admin
    )
    assert edited.status_code == 200, edited.text
    assert (edited.json()["schedule"], edited.json()["bad_row_threshold"]) == ("@hourly", 0.2)
    assert edited.json()["config"] == {"table": "enterprises"}

    stopped = client.post(url + "/deactivate", headers=admin)
    assert stopped.json()["active"] is False
    ran = client.post(url + "/runs", headers=admin)
    assert (ran.status_code, ran.json()["code"]) == (409, "source_inactive")
    # With the first one inactive, a new source is no second one.
    replacement = client.post("/api/v1/collection/sources", json=second, headers=admin)
    assert replacement.status_code == 201, replacement.text
    assert client.post(url + "/activate", headers=admin).json()["active"] is True
    deliberate = client.post(
        "/api/v1/collection/sources", json={**second, "additional": True}, headers=admin
    )
    assert deliberate.status_code == 201


def test_r19_set_aside_rows_download_with_their_lines(
    world: CatalogWorld, client: TestClient, registered: tuple[int, str]
) -> None:
    source_id, _ = registered
    admin = bearer(world, "resource_admin")
    client.post(f"/api/v1/collection/sources/{source_id}/runs", headers=admin)
    [run] = client.get(f"/api/v1/collection/sources/{source_id}/runs", headers=admin).json()
    sheet = client.get(
        f"/api/v1/collection/runs/{run['id']}/rejected", params={"format": "csv"}, headers=admin
    )
    assert sheet.status_code == 200
    lines = sheet.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("file,line,problems,uscc")
    assert lines[1].startswith(",4,registered_capital: not a valid decimal,91440300MA5D0004X4")
