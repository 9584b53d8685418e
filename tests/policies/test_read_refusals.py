"""What a refused read says and records, and when a grant starts (R3, R4, R14, R15, R16)."""

from dataclasses import replace
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import select

from exchange.audit.models import AuditRecord
from exchange.clock import FrozenClock
from policies import requests
from policies.models import Grant
from tests.catalog_fixtures import CatalogWorld
from tests.conftest import local
from tests.scenarios.people import bearer
from tests.scenarios.requests import LAW, act, file, publish, request_draft


def test_r3_reading_a_not_shared_item_quotes_its_legal_basis_not_a_grant(
    world: CatalogWorld, client: TestClient
) -> None:
    code = publish(world)
    refused = client.get(
        f"/api/v1/data/{code}/rows",
        params={"purpose": "核验法定代表人身份", "columns": "uscc,id_number"},
        headers=bearer(world, "consumer"),
    )
    assert refused.status_code == 403
    message = refused.json()["message"]
    assert LAW in message
    assert "no grant in force" not in message  # a request would not help
    # A conditional item without a grant still says that a request is the way.
    conditional = client.get(
        f"/api/v1/data/{code}/rows",
        params={"purpose": "核验法定代表人", "columns": "uscc,phone"},
        headers=bearer(world, "consumer"),
    )
    assert conditional.status_code == 403
    assert "request them" in conditional.json()["message"]


def test_r15_a_refused_read_is_audited_with_the_purpose_given(
    world: CatalogWorld, client: TestClient
) -> None:
    code = publish(world)
    purpose = "核验企业法定代表人用于行政审批"
    refused = client.get(
        f"/api/v1/data/{code}/rows",
        params={"purpose": purpose, "columns": "uscc,phone"},
        headers=bearer(world, "consumer"),
    )
    assert refused.status_code == 403
    with world.platform.database.transaction() as session:
        [record] = session.scalars(select(AuditRecord).where(AuditRecord.outcome == "denied")).all()
        assert record.purpose == purpose


def test_r14_a_grant_starts_on_the_first_day_of_the_period_asked_for(
    world: CatalogWorld, clock: FrozenClock
) -> None:
    code = publish(world)
    draft = replace(request_draft(code), period_from=date(2026, 12, 7), period_to=date(2027, 6, 30))
    with world.platform.database.transaction() as session:
        request_id = requests.file_request(
            session,
            actor=world.actor("consumer"),
            env=world.platform.workflow_environment(session),
            draft=draft,
        ).id
    act(world, "data_reviewer", requests.approve, request_id=request_id)
    with world.platform.database.transaction() as session:
        [grant] = session.scalars(select(Grant)).all()
        assert grant.valid_from == local(2026, 12, 7, 0, 0)  # not the day of approval
        assert grant.valid_to == local(2027, 7, 1, 0, 0)
    # A period that began before the approval starts at the approval: never backdated.
    earlier = file(world, code, ["phone"])
    act(world, "data_reviewer", requests.approve, request_id=earlier)
    with world.platform.database.transaction() as session:
        newest = session.scalars(select(Grant).order_by(Grant.id.desc())).first()
        assert newest is not None
        assert newest.valid_from == clock.now()
