"""The request form as a consumer meets it (R14): the period is filled in (a year from today in the
city), the items go by their names, and the form says what happens after it is filed."""

from datetime import timedelta

from fastapi.testclient import TestClient

from exchange.clock import FrozenClock
from exchange.identity.roles import Role
from tests.catalog_fixtures import CatalogWorld
from tests.scenarios.people import sign_in
from tests.scenarios.requests import publish


def test_r14_the_request_form_defaults_the_period_and_says_what_happens_next(
    world: CatalogWorld, client: TestClient, clock: FrozenClock
) -> None:
    clock.advance(
        timedelta(hours=14, minutes=30)
    )  # 00:30 on 25 November in the city, not UTC's 24th
    code = publish(world)
    sign_in(client, world, world.consumer_department, Role.CONSUMER)
    form = client.get(f"/access/requests/new?resource={code}").text
    assert 'id="period_from" name="period_from" type="date" required value="2026-11-25"' in form
    assert 'id="period_to" name="period_to" type="date" required value="2027-11-25"' in form
    assert "3 个工作日内作出决定" in form
    assert "联系电话 <code>phone</code>" in form  # the item's name, then its identifier
