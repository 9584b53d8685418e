"""Masked and verify-only access in the portal (R3, R14): the request form and the reviewer's
page offer each item's use, the preview shows masked values, and the verification page takes a
pasted table or a spreadsheet and shows match, mismatch or not found — never a value."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from exchange.identity.roles import Role
from policies.models import AccessRequest, Grant
from tests.catalog_fixtures import CatalogWorld
from tests.scenarios.item_access import person_rows, publish_persons
from tests.scenarios.people import sign_in
from tests.scenarios.requests import file, publish

CLEAR = person_rows()


def test_r14_items_are_asked_for_and_approved_masked_or_verify_only_in_the_portal(
    world: CatalogWorld, client: TestClient
) -> None:
    code = publish_persons(world)
    today = world.platform.clock.now().date()
    token = sign_in(client, world, world.consumer_department, Role.CONSUMER)
    form = client.get(f"/access/requests/new?resource={code}")
    assert 'name="access_id_number"' in form.text
    assert "仅核验" in form.text
    filed = client.post("/access/requests", data={
        "csrf_token": token, "resource": code, "items": ["id_number", "name", "phone"],
        "access_id_number": "read", "access_name": "read", "access_phone": "masked",
        "purpose_code": "social_security", "purpose": "低保家庭收入核对",
        "duty_basis": "《社会救助暂行办法》第十一条", "mode": "api_query",
        "period_from": (today - timedelta(days=1)).isoformat(),
        "period_to": (today + timedelta(days=90)).isoformat(),
    })  # fmt: skip
    assert filed.status_code == 200, filed.text
    assert "脱敏读取" in filed.text  # the request page states what was asked
    with world.platform.database.transaction() as session:
        request = session.scalars(select(AccessRequest)).one()
        assert request.item_access == {"phone": "masked"}

    reviewer = sign_in(client, world, world.provider, Role.DATA_REVIEWER)
    page = client.get(f"/access/requests/{request.id}")
    # phone was asked masked: the reviewer is offered masked or verify, never read.
    phone_select = page.text.split('name="access_phone"')[1].split("</select>")[0]
    assert "masked" in phone_select
    assert 'value="read"' not in phone_select
    assert "剩余3个工作日" in page.text  # the deadline, with the working days left
    decision = {
        "csrf_token": reviewer, "items": ["id_number", "name", "phone"],
        "access_id_number": "read", "access_name": "verify", "access_phone": "masked",
        "verify_quota": "50", "expires_on": "2027-06-30",
    }  # fmt: skip
    unconfirmed = client.post(f"/access/requests/{request.id}/approve", data=decision)
    assert "同意前请确认已核对申请用途和依据" in unconfirmed.text  # the confirmation step
    with world.platform.database.transaction() as session:
        assert session.scalars(select(Grant)).all() == []
    approved = client.post(
        f"/access/requests/{request.id}/approve", data={**decision, "confirmed": "yes"}
    )
    assert approved.status_code == 200
    assert "2027年6月30日" in approved.text.split('id="expires"')[1][:40]  # the expiry set
    assert "approved-access" in approved.text
    assert "仅核验" in approved.text
    with world.platform.database.transaction() as session:
        grant = session.scalars(select(Grant)).one()
        assert grant.item_access == {"name": "verify", "phone": "masked"}
        assert grant.verify_quota == 50

    token = sign_in(client, world, world.consumer_department, Role.CONSUMER)
    request_page = client.get(f"/access/requests/{request.id}")
    assert f"/data/{code}/verify" in request_page.text
    assert "columns=id_number%2Cphone" in request_page.text  # the preview leaves name out
    preview = client.get(f"/data/{code}", params={"purpose": "核对", "columns": "id_number,phone"})
    assert 'id="masking"' in preview.text
    assert "139****0000" in preview.text
    assert CLEAR["phone"][0].as_py() not in preview.text

    ids, names = CLEAR["id_number"].to_pylist(), CLEAR["name"].to_pylist()
    table = "\n".join(["公民身份号码\t姓名", f"{ids[0]}\t{names[0]}", f"{ids[1]}\t王某",
                       f"420102199912319999\t{names[2]}"])  # fmt: skip
    verified = client.post(f"/data/{code}/verify", data={
        "csrf_token": token, "purpose": "低保申请人身份核验", "table": table,
    })  # fmt: skip
    assert verified.status_code == 200, verified.text
    results = verified.text.split('id="results"')[1]
    assert results.count("outcome-match") == 1
    assert results.count("outcome-mismatch") == 1
    assert results.count("outcome-not_found") == 1
    assert names[1] not in verified.text  # the stored name is never shown

    upload = client.post(
        f"/data/{code}/verify",
        data={"csrf_token": token, "purpose": "低保申请人身份核验"},
        files={"file": ("claims.csv", f"id_number,name\n{ids[3]},{names[3]}\n".encode(),
                        "text/csv")},
    )  # fmt: skip
    assert upload.status_code == 200
    assert upload.text.split('id="results"')[1].count("outcome-match") == 1
    bad = client.post(
        f"/data/{code}/verify",
        data={"csrf_token": token, "purpose": "低保申请人身份核验", "table": "薪水\tx\n1\t2"},
    )
    assert bad.status_code == 400
    assert "薪水" in bad.text


def test_r14_long_lists_of_requests_and_grants_come_a_page_at_a_time(
    world: CatalogWorld, client: TestClient
) -> None:
    code = publish(world)
    for _ in range(55):
        file(world, code, ["legal_representative"])
    sign_in(client, world, world.consumer_department, Role.CONSUMER)
    first = client.get("/access/requests")
    assert "第1页，共2页" in first.text
    assert first.text.count('href="/access/requests/') == 50
    second = client.get("/access/requests", params={"page": "2"})
    assert second.text.count('href="/access/requests/') == 5
    sign_in(client, world, world.provider, Role.DATA_REVIEWER)
    assert "第2页，共2页" in client.get("/access/inbox", params={"page": "9"}).text
