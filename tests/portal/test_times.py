"""Pages read as people speak: every time is the city's, in the format of their language (a
request filed at 00:14 in the city, 16:14 UTC the day before, reads 00:14 on its own day), and
data items go by their names in the catalog, the identifier small beside them."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from exchange.clock import FrozenClock
from exchange.identity.roles import Role
from exchange_api.portal.times import shown_day, shown_time
from tests.catalog_fixtures import CatalogWorld
from tests.scenarios.people import sign_in
from tests.scenarios.requests import file, publish

CITY = ZoneInfo("Asia/Shanghai")


def test_r14_a_request_page_shows_city_time_and_item_names_in_each_language(
    world: CatalogWorld, client: TestClient, clock: FrozenClock
) -> None:
    clock.advance(timedelta(hours=14, minutes=14))  # 2026-11-25 00:14 in the city, 16:14Z before
    code = publish(world)
    request_id = file(world, code, ["phone"])
    sign_in(client, world, world.consumer_department, Role.CONSUMER)

    chinese = client.get(f"/access/requests/{request_id}").text
    assert "2026年11月25日 00:14" in chinese
    assert "16:14" not in chinese
    requested = chinese.split('id="requested-items">')[1].split("</td>")[0]
    assert requested == '联系电话 <code class="identifier">phone</code>'
    english = client.get(f"/access/requests/{request_id}?lang=en").text
    assert "2026-11-25 00:14" in english
    assert "16:14" not in english


def test_times_and_days_read_in_the_city_whatever_the_stored_form() -> None:
    stored = datetime(2026, 11, 30, 5, 14, 9, tzinfo=UTC)
    assert shown_time(stored, zone=CITY, lang="zh") == "2026年11月30日 13:14"
    assert shown_time(stored, zone=CITY, lang="en") == "2026-11-30 13:14"
    assert shown_time(stored, zone=CITY, lang="zh", seconds=True) == "2026年11月30日 13:14:09"
    naive = stored.replace(tzinfo=None)  # SQLite hands UTC back without its zone
    assert shown_time(naive, zone=CITY, lang="zh") == "2026年11月30日 13:14"
    late = datetime(2026, 11, 30, 17, 30, tzinfo=UTC)  # already 1 December in the city
    assert shown_day(late, zone=CITY, lang="zh") == "2026年12月1日"
    assert shown_day(date(2026, 12, 1), zone=CITY, lang="en") == "2026-12-01"
    assert shown_time(None, zone=CITY, lang="zh") == shown_day(None, zone=CITY, lang="en") == ""
