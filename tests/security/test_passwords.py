"""R21 (MLPS level 3, 身份鉴别): a password an administrator set is changed by its holder before
any session; a password expires on the (injected) clock; a new password repeats none of the last
ones; only the system administrator resets a password; every change is audited."""

import itertools
import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from exchange.audit.models import AuditRecord
from exchange.clock import FrozenClock
from exchange.runtime import Platform
from tests.catalog_fixtures import CatalogWorld
from tests.factories import PASSWORD, make_user
from tests.scenarios.people import bearer, login_token

NEW = "Brighter stapler 7 battery"
INITIAL = "Given by admin 2026"


def _signed_in(client: TestClient) -> bool:
    return client.get("/", follow_redirects=False).status_code == 200


def _challenge(page: str) -> str:
    found = re.search(r'name="challenge" value="([^"]+)"', page)
    assert found, page
    return found.group(1).replace("&#43;", "+").replace("&#61;", "=")


def _token(client: TestClient, name: str, password: str) -> tuple[int, dict[str, object]]:
    answer = client.post("/api/v1/auth/token", json={"username": name, "password": password})
    return answer.status_code, answer.json()


def _actions(platform: Platform, action: str) -> list[str | None]:
    with platform.database.transaction() as session:
        return list(
            session.scalars(select(AuditRecord.object_id).where(AuditRecord.action == action))
        )


def test_r21_a_password_the_administrator_set_is_changed_before_any_session(
    client: TestClient, world: CatalogWorld
) -> None:
    created = client.post(
        "/api/v1/users",
        headers=bearer(world, "system_admin"),
        json={"username": "li.clerk", "department_code": world.provider.code,
              "roles": ["consumer"], "password": INITIAL},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    status, body = _token(client, "li.clerk", INITIAL)
    assert (status, body["detail"]) == (
        403, {"reason": "password_change_required", "why": "initial"}
    )  # fmt: skip

    page = client.post(
        "/login",
        data={"username": "li.clerk", "password": INITIAL, "csrf_token": login_token(client)},
    ).text
    assert 'action="/login/new-password"' in page
    assert not _signed_in(client)  # the right password alone opens nothing yet
    form = {"challenge": _challenge(page), "password": INITIAL, "new_password": NEW}
    differ = client.post("/login/new-password", data={**form, "repeat": NEW + "!"})
    assert differ.status_code == 400
    assert not _signed_in(client)
    again = client.post(
        "/login/new-password",
        data={**form, "challenge": _challenge(differ.text), "new_password": INITIAL,
              "repeat": INITIAL},
    )  # fmt: skip
    assert again.status_code == 400  # the administrator's password is not kept
    changed = client.post(
        "/login/new-password", data={**form, "challenge": _challenge(again.text), "repeat": NEW}
    )
    assert changed.status_code == 200
    assert _signed_in(client)
    assert _actions(world.platform, "identity.password_change") == ["li.clerk"]
    assert _token(client, "li.clerk", NEW)[0] == 201
    assert _token(client, "li.clerk", INITIAL)[0] == 401


def test_r21_a_second_factor_challenge_cannot_set_a_password(
    client: TestClient, world: CatalogWorld
) -> None:
    """The new-password step takes only its own challenge: one issued after the password alone,
    for the second factor, would skip the code."""
    from exchange.identity.roles import Role

    with world.platform.database.transaction() as session:
        reviewer = make_user(session, world.platform, world.provider, Role.DATA_REVIEWER,
                             password=PASSWORD)  # fmt: skip
    page = client.post(
        "/login",
        data={"username": reviewer.username, "password": PASSWORD,
              "csrf_token": login_token(client)},
    ).text  # fmt: skip
    assert 'action="/login/second-factor"' in page
    forged = client.post(
        "/login/new-password",
        data={"challenge": _challenge(page), "password": PASSWORD, "new_password": NEW,
              "repeat": NEW},
    )  # fmt: skip
    assert forged.status_code == 401
    assert not _signed_in(client)
    assert _actions(world.platform, "identity.password_change") == []


def test_r21_a_password_expires_on_the_clock_and_is_changed_through_the_api(
    client: TestClient, world: CatalogWorld, clock: FrozenClock
) -> None:
    with world.platform.database.transaction() as session:
        name = make_user(session, world.platform, world.provider, password=PASSWORD).username
    clock.advance(timedelta(days=90))
    assert _token(client, name, PASSWORD)[0] == 201  # 90 days old: still good
    clock.advance(timedelta(days=1, minutes=1))
    status, body = _token(client, name, PASSWORD)
    assert (status, body["detail"]) == (
        403, {"reason": "password_change_required", "why": "expired"}
    )  # fmt: skip

    def change(current: str, new: str) -> int:
        return client.post(
            "/api/v1/auth/password",
            json={"username": name, "password": current, "new_password": new},
        ).status_code

    assert change("not the password 1A", NEW) == 401
    assert change(PASSWORD, "short1A") == 400
    assert change(PASSWORD, f"{name}Secret9") == 400  # holds the user name
    assert change(PASSWORD, NEW) == 204
    assert _token(client, name, NEW)[0] == 201

    # None of the last five passwords comes back; the sixth one back may.
    history = [NEW] + [f"Rotating pass {n} Q" for n in range(1, 5)]
    for older, newer in itertools.pairwise(history):
        assert change(older, newer) == 204
    for recent in history[1:4]:
        assert change(history[-1], recent) == 400
    assert change(history[-1], PASSWORD) == 204  # six changes ago
    assert _actions(world.platform, "identity.password_change") == [name] * 6


def test_r21_only_the_system_administrator_resets_a_password(
    client: TestClient, world: CatalogWorld
) -> None:
    target = world.users["consumer"]
    with world.platform.database.transaction() as session:
        from exchange.identity.models import User

        name = session.get_one(User, target).username
    body = {"password": INITIAL}
    for who in ("security_admin", "admin", "consumer"):
        refused = client.put(
            f"/api/v1/users/{target}/password", json=body, headers=bearer(world, who)
        )
        assert refused.status_code == 403, who
    reset = client.put(
        f"/api/v1/users/{target}/password", json=body, headers=bearer(world, "system_admin")
    )
    assert reset.status_code == 200, reset.text
    assert _actions(world.platform, "identity.password_reset") == [name]
    status, answer = _token(client, name, INITIAL)
    assert (status, answer["detail"]["why"]) == (403, "initial")
