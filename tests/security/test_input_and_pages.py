"""R21, R1: numbers and times out of range are refused at the edge with the field named; request
headers are bounded; every portal page carries the browser protections; whoever changed a
version cannot approve it; and what a caller may not see is 404 whatever the verb."""

import pytest
from fastapi.testclient import TestClient

from catalog import entries, lifecycle
from exchange.errors import PermissionDenied
from exchange.identity.roles import Role
from tests.catalog_fixtures import CatalogWorld, enterprise_register, submitted_entry
from tests.factories import make_user
from tests.scenarios.people import bearer
from tests.scenarios.requests import file, publish

HUGE = 2**70


def fields_named(response: object) -> list[str]:
    assert response.status_code == 422, response.text  # type: ignore[attr-defined]
    return [problem["field"] for problem in response.json()["detail"]]  # type: ignore[attr-defined]


def test_r21_numbers_beyond_64_bits_are_422_with_the_field_named(
    client: TestClient, world: CatalogWorld
) -> None:
    admin = bearer(world, "admin")
    assert fields_named(client.get(f"/api/v1/access/requests/{HUGE}", headers=admin)) == [
        "path.request_id"
    ]
    assert fields_named(
        client.get("/api/v1/audit", params={"before_seq": -HUGE}, headers=admin)
    ) == ["query.before_seq"]
    draft = enterprise_register().model_dump(mode="json")
    draft["items"][0]["length"] = HUGE
    created = client.post("/api/v1/catalog/entries", json=draft, headers=bearer(world, "registrar"))
    assert fields_named(created) == ["body.items.0.length"]
    assert "path.year" in fields_named(client.get("/api/v1/calendar/418058181", headers=admin))
    # The data API's reads are answered by a LeanRoute, which solves the same checks itself.
    read = client.get(
        "/api/v1/data/202/000001/rows", params={"purpose": "核验", "grant_id": HUGE}, headers=admin
    )
    assert fields_named(read) == ["query.grant_id"]


def test_r21_times_without_an_offset_are_422_with_the_field_named(
    client: TestClient, world: CatalogWorld
) -> None:
    request_id = file(world, publish(world))
    approval = client.post(
        f"/api/v1/access/requests/{request_id}/approve",
        json={"expires_at": "2027-01-01T00:00:00"},
        headers=bearer(world, "data_reviewer"),
    )
    assert fields_named(approval) == ["body.expires_at"]
    search = client.get(
        "/api/v1/audit", params={"from": "2026-11-01T00:00:00"}, headers=bearer(world, "admin")
    )
    assert fields_named(search) == ["query.from"]


def test_r21_request_headers_are_bounded(client: TestClient) -> None:
    refused = client.get("/healthz", headers={"X-Padding": "a" * 200_000})
    assert refused.status_code == 431
    assert refused.json()["code"] == "headers_too_large"
    assert client.get("/healthz", headers={"X-Padding": "a" * 1000}).status_code == 200


@pytest.mark.parametrize("path", ["/login", "/", "/catalog", "/static/portal.css", "/no-such-page"])
def test_r21_every_portal_page_carries_the_browser_protections(
    client: TestClient, path: str
) -> None:
    headers = client.get(path).headers
    policy = headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"


def test_r1_whoever_edited_a_returned_draft_cannot_approve_it(world: CatalogWorld) -> None:
    platform = world.platform
    with platform.database.transaction() as session:
        editor = make_user(
            session, platform, world.provider, Role.CATALOG_REGISTRAR, Role.CATALOG_REVIEWER
        )
    from exchange.identity.service import principal_for

    code = submitted_entry(world, enterprise_register())
    with platform.database.transaction() as session:
        lifecycle.return_for_changes(
            session,
            actor=world.actor("reviewer"),
            env=platform.workflow_environment(session),
            code=code,
            comment="补充摘要",
        )
    with platform.database.transaction() as session:
        editor_principal = principal_for(session.merge(editor))
        entries.update_draft(
            session, actor=editor_principal, now=platform.clock.now(), code=code,
            draft=enterprise_register(abstract="由审核人补写的摘要：企业登记的基本信息"),
        )  # fmt: skip
        lifecycle.submit(
            session,
            actor=world.actor("registrar"),
            env=platform.workflow_environment(session),
            code=code,
        )
    with (
        platform.database.transaction() as session,
        pytest.raises(PermissionDenied, match="changed this"),
    ):
        lifecycle.approve(
            session, actor=editor_principal, env=platform.workflow_environment(session), code=code
        )


def test_r22_another_departments_draft_is_404_whatever_the_verb(
    client: TestClient, world: CatalogWorld
) -> None:
    code = submitted_entry(world, enterprise_register())
    outsider = bearer(world, "other_registrar")
    url = f"/api/v1/catalog/entries/{code}"
    answers = [
        client.get(url, headers=outsider),
        client.put(
            f"{url}/draft", json=enterprise_register().model_dump(mode="json"), headers=outsider
        ),
        client.post(f"{url}/submit", headers=outsider),
        client.post(f"{url}/versions", headers=outsider),
        client.get(f"{url}/history", headers=outsider),
    ]
    assert [a.status_code for a in answers] == [404] * len(answers)
    assert len({a.text for a in answers}) == 1  # one answer: nothing tells that it exists
