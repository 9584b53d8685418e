"""R21: sign-in is throttled per user name and per address, costs the same for unknown names,
and every failure is on the record with the name tried."""

import statistics
import time
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from exchange.audit.models import AuditRecord
from exchange.clock import FrozenClock
from exchange.identity.roles import Role
from exchange.runtime import Platform
from tests.catalog_fixtures import CatalogWorld
from tests.factories import PASSWORD, make_user
from tests.scenarios.people import login_token


def password_user(world: CatalogWorld, department: str = "provider") -> str:
    with world.platform.database.transaction() as session:
        department_row = getattr(world, department)
        return make_user(
            session, world.platform, department_row, Role.CONSUMER, password=PASSWORD
        ).username


def sign_in(client: TestClient, username: str, password: str) -> int:
    return client.post(
        "/api/v1/auth/token", json={"username": username, "password": password}
    ).status_code


def sign_in_failures(platform: Platform) -> list[AuditRecord]:
    with platform.database.transaction() as session:
        return list(
            session.scalars(
                select(AuditRecord)
                .where(AuditRecord.action == "identity.sign_in", AuditRecord.outcome == "denied")
                .order_by(AuditRecord.seq)
            )
        )


def test_r21_fifty_wrong_passwords_do_not_end_in_a_sign_in(
    client: TestClient, world: CatalogWorld, clock: FrozenClock
) -> None:
    name = password_user(world)
    answers = [sign_in(client, name, f"guess-{n:04d}-wrong") for n in range(50)]
    assert answers[:5] == [401] * 5  # the free failures
    assert set(answers[6:]) == {429}  # then refused without looking at the password
    assert sign_in(client, name, PASSWORD) == 429  # the right one too, while blocked
    refused = client.post("/api/v1/auth/token", json={"username": name, "password": PASSWORD})
    assert int(refused.headers["Retry-After"]) > 0
    clock.advance(timedelta(minutes=16))  # the longest back-off (15 minutes) is over
    assert sign_in(client, name, PASSWORD) == 201


def test_r21_the_back_off_doubles(
    client: TestClient, world: CatalogWorld, clock: FrozenClock, platform: Platform
) -> None:
    name = password_user(world)
    for n in range(6):
        sign_in(client, name, f"wrong-password-{n}")
    waits = []
    for _ in range(3):
        refused = client.post("/api/v1/auth/token", json={"username": name, "password": "x" * 12})
        waits.append(int(refused.headers["Retry-After"]))
        clock.advance(timedelta(seconds=waits[-1]))
        assert sign_in(client, name, "still-wrong-pw") == 401
    base = platform.settings.sign_in_backoff_seconds  # 30 s, then 60 s, then 120 s
    assert waits == [base + 1, 2 * base + 1, 4 * base + 1]


def test_r21_one_address_trying_many_names_is_slowed_too(
    client: TestClient, world: CatalogWorld
) -> None:
    names = [password_user(world) for _ in range(7)]
    for name in names[:6]:
        assert sign_in(client, name, "wrong-password-1") == 401
    assert sign_in(client, names[6], PASSWORD) == 429  # same address, another name


def test_r21_unknown_names_cost_as_much_as_known_ones(
    client: TestClient, world: CatalogWorld, platform: Platform
) -> None:
    platform.settings.sign_in_free_failures = 1000  # measure the check, not the throttle
    known = password_user(world)

    def median_seconds(name: str) -> float:
        took = []
        for _ in range(7):
            started = time.perf_counter()
            assert sign_in(client, name, "wrong-password-1") == 401
            took.append(time.perf_counter() - started)
        return statistics.median(took)

    median_seconds("warm-up-name")
    unknown, existing = median_seconds("no-such-user-anywhere"), median_seconds(known)
    assert 0.5 < unknown / existing < 2, (unknown, existing)


def test_r21_every_failure_is_audited_with_the_name_tried(
    client: TestClient, world: CatalogWorld, platform: Platform
) -> None:
    name = password_user(world)
    sign_in(client, name, "wrong-password-1")
    sign_in(client, "nobody-by-this-name", "wrong-password-1")
    client.post(
        "/login",
        data={"username": "portal-guess", "password": "x" * 12, "csrf_token": login_token(client)},
    )
    failures = sign_in_failures(platform)
    assert [(r.object_id, r.outcome) for r in failures] == [
        (name, "denied"),
        ("nobody-by-this-name", "denied"),
        ("portal-guess", "denied"),
    ]
    assert all(r.client_address == "testclient" for r in failures)


def test_r21_the_portal_sign_in_is_throttled(client: TestClient, world: CatalogWorld) -> None:
    name = password_user(world)
    for n in range(6):
        client.post(
            "/login",
            data={"username": name, "password": f"wrong-{n}-pw", "csrf_token": login_token(client)},
        )
    page = client.post(
        "/login", data={"username": name, "password": PASSWORD, "csrf_token": login_token(client)}
    )
    assert page.status_code == 429
    assert "登录失败次数过多" in page.text
    assert "exchange_session" not in client.cookies
