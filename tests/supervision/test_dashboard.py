"""The dashboard's figures: reads counted on the city's day (not UTC's), requests judged on time
by working days across a holiday, a department held to its own figures, and a window that is
not one refused."""

from fastapi.testclient import TestClient

from exchange.clock import FrozenClock
from policies import requests
from tests.catalog_fixtures import CatalogWorld
from tests.conftest import local
from tests.scenarios.data import write
from tests.scenarios.people import bearer
from tests.scenarios.requests import act, file, publish

PURPOSE = {"purpose": "核验企业法定代表人"}
DASHBOARD = "/api/v1/supervision/dashboard"


def _chart(answer: dict[str, object], key: str) -> dict[str, object]:
    return next(c for c in answer["charts"] if c["key"] == key)  # type: ignore[attr-defined, index]


def test_r14_r16_reads_fall_on_the_city_day_and_requests_are_on_time_by_working_days(
    world: CatalogWorld, clock: FrozenClock, client: TestClient
) -> None:
    clock.set(local(2026, 9, 30, 10, 0))  # Wednesday, the eve of the National Day holiday
    code = publish(world)
    write(world, code, 12, run_key="first")
    decided_in_time, decided_late = file(world, code), file(world, code, ["phone"])
    # Three working days after 30 September: 8, 9 and the make-up working Saturday 10 October.
    clock.set(local(2026, 10, 10, 16, 0))
    act(world, "data_reviewer", requests.approve, request_id=decided_in_time)
    clock.set(local(2026, 10, 12, 9, 0))  # Monday: late
    act(world, "data_reviewer", requests.reject, request_id=decided_late, code="other",
        reason="不符合")  # fmt: skip

    consumer = bearer(world, "consumer")
    for moment, rows in ((local(2026, 10, 12, 23, 30), 5), (local(2026, 10, 13, 0, 30), 3)):
        clock.set(moment)  # the second is still 12 October in UTC
        read = client.get(f"/api/v1/data/{code}/rows",
                          params={**PURPOSE, "columns": "uscc,legal_representative", "limit": rows},
                          headers=consumer)  # fmt: skip
        assert read.status_code == 200, read.text
    own = client.get(f"/api/v1/data/{code}/rows", params={**PURPOSE, "limit": 2},
                     headers=bearer(world, "data_reviewer"))  # fmt: skip
    assert own.status_code == 200  # a department reading its own data shares nothing

    clock.set(local(2026, 10, 20, 9, 0))
    admin = bearer(world, "admin")
    answer = client.get(DASHBOARD, params={"first": "2026-09", "last": "2026-10"},
                        headers=admin).json()  # fmt: skip
    daily = _chart(answer, "shared_per_day")
    by_day = dict(zip(daily["categories"], daily["series"][0]["values"], strict=True))  # type: ignore[index, call-overload]
    assert (by_day["2026-10-12"], by_day["2026-10-13"]) == (5, 3)
    assert sum(by_day.values()) == 8
    monthly = _chart(answer, "shared_per_month")
    assert monthly["categories"] == ["2026-09", "2026-10"]
    assert monthly["series"] == [  # type: ignore[comparison-overlap]
        {"name": "Rows shared", "values": [0, 8], "unit": "rows"},
        {"name": "Reads", "values": [0, 2], "unit": "count"},
    ]
    on_time = _chart(answer, "on_time")
    assert on_time["series"][0]["values"] == [None, 0.5]  # type: ignore[index]
    flows = _chart(answer, "flows")
    assert [(f["source"], f["target"], f["value"], f["reads"]) for f in flows["links"]] == [  # type: ignore[attr-defined]
        (world.provider.name, world.consumer_department.name, 8, 2)
    ]
    chinese = client.get(DASHBOARD, params={"first": "2026-10", "last": "2026-10"},
                         headers={**admin, "Accept-Language": "zh"}).json()  # fmt: skip
    assert _chart(chinese, "shared_per_month")["series"][0]["name"] == "共享数据行数"  # type: ignore[index]


def test_r20_a_department_sees_its_own_figures_whatever_it_asks(
    world: CatalogWorld, clock: FrozenClock, client: TestClient
) -> None:
    clock.set(local(2026, 11, 2, 10, 0))
    code = publish(world)
    write(world, code, 12, run_key="first")
    assert client.get(f"/api/v1/data/{code}/rows", params={**PURPOSE, "limit": 4},
                      headers=bearer(world, "consumer")).status_code == 200  # fmt: skip
    asked = client.get(DASHBOARD, params={"department_id": world.bureau.id},
                       headers=bearer(world, "consumer")).json()  # fmt: skip
    assert asked["department_id"] == world.consumer_department.id
    assert _chart(asked, "flows")["links"]  # its own flow is there
    admin = client.get(DASHBOARD, params={"department_id": world.bureau.id},
                       headers=bearer(world, "admin")).json()  # fmt: skip
    assert admin["department_id"] == world.bureau.id
    assert _chart(admin, "flows")["links"] == []


def test_a_window_that_is_not_whole_months_in_order_is_refused(
    world: CatalogWorld, client: TestClient
) -> None:
    admin = bearer(world, "admin")
    for params in ({"first": "2026-13"}, {"first": "2026"}, {"first": "2026-11", "last": "2026-01"},
                   {"first": "2020-01", "last": "2026-11"}):  # fmt: skip
        refused = client.get(DASHBOARD, params=params, headers=admin)
        assert refused.status_code == 400, (params, refused.text)
