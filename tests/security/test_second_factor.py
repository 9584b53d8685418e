"""R21 (MLPS level 3, 身份鉴别): two-factor sign-in for the roles that require it, enrolment with a
key shown once, codes good once, recovery codes, tokens that need a fresh code, resets by another
administrator only — and portal sessions that end when idle or old, on the injected clock."""

import json
import re
from datetime import timedelta

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy import select

from exchange.audit.models import AuditRecord
from exchange.clock import FrozenClock
from exchange.identity.roles import Role
from exchange.runtime import Platform
from tests.catalog_fixtures import CatalogWorld
from tests.factories import PASSWORD, make_user
from tests.scenarios.people import bearer, current_code, login_token


def _user(world: CatalogWorld, *roles: Role) -> str:
    with world.platform.database.transaction() as session:
        return make_user(
            session, world.platform, world.provider, *roles, password=PASSWORD
        ).username


def _password(client: TestClient, name: str) -> str:
    client.cookies.clear()
    return client.post(
        "/login", data={"username": name, "password": PASSWORD, "csrf_token": login_token(client)}
    ).text


def _challenge(page: str) -> str:
    found = re.search(r'name="challenge" value="([^"]+)"', page)
    assert found, page
    return found.group(1).replace("&#43;", "+").replace("&#61;", "=")


def _signed_in(client: TestClient) -> bool:
    return client.get("/", follow_redirects=False).status_code == 200


def _actions(platform: Platform, action: str) -> list[AuditRecord]:
    with platform.database.transaction() as session:
        return list(session.scalars(select(AuditRecord).where(AuditRecord.action == action)))


def test_r21_a_reviewer_cannot_sign_in_without_the_second_factor(
    client: TestClient, world: CatalogWorld, clock: FrozenClock
) -> None:
    name = _user(world, Role.DATA_REVIEWER)
    page = _password(client, name)
    assert not _signed_in(client)  # the password alone opens nothing
    secret = re.search(r'<code id="secret">([A-Z2-7]+)</code>', page).group(1)  # type: ignore[union-attr]
    assert "<svg" in page  # the QR code, inline
    wrong = client.post(
        "/login/second-factor", data={"challenge": _challenge(page), "code": "000000"}
    )
    assert wrong.status_code == 401
    assert not _signed_in(client)
    secret = re.search(r'<code id="secret">([A-Z2-7]+)</code>', wrong.text).group(1)  # type: ignore[union-attr]
    enrolled = client.post("/login/second-factor",
                           data={"challenge": _challenge(wrong.text), "code": current_code(secret, world.platform)})  # fmt: skip
    assert enrolled.status_code == 200
    recovery = re.findall(r"<li><code>([0-9a-f]{10})</code></li>", enrolled.text)
    assert len(recovery) == 10
    assert _signed_in(client)
    assert len(_actions(world.platform, "identity.second_factor_enrol")) == 1

    # Next time: the password, then a code — once only; a later code, or a recovery code once.
    page = _password(client, name)
    assert 'id="secret"' not in page  # the key is never shown again
    same_step = current_code(secret, world.platform)
    replay = client.post(
        "/login/second-factor", data={"challenge": _challenge(page), "code": same_step}
    )
    assert replay.status_code == 401  # the enrolment used this time step's code
    assert not _signed_in(client)
    clock.advance(timedelta(seconds=30))
    fresh = client.post("/login/second-factor",
                        data={"challenge": _challenge(replay.text), "code": current_code(secret, world.platform)})  # fmt: skip
    assert fresh.status_code == 200
    assert _signed_in(client)
    for attempt in (200, 401):
        page = _password(client, name)
        used = client.post(
            "/login/second-factor", data={"challenge": _challenge(page), "code": recovery[0]}
        )
        assert used.status_code == attempt
    refusals = [json.loads(r.detail)["reason"] for r in _actions(world.platform, "identity.sign_in")
                if r.outcome == "denied"]  # fmt: skip
    assert refusals.count("second_factor_wrong_code") == 2
    # A challenge made up in the browser names nobody: only the platform's key seals one.
    forged = client.post(
        "/login/second-factor", data={"challenge": "gAAAAAforged", "code": "123456"}
    )
    assert forged.status_code == 401
    assert not _signed_in(client)
    # A challenge does not outlive its five minutes.
    page = _password(client, name)
    clock.advance(timedelta(minutes=6))
    lapsed = client.post("/login/second-factor",
                         data={"challenge": _challenge(page), "code": current_code(secret, world.platform)})  # fmt: skip
    assert lapsed.status_code == 401
    assert not _signed_in(client)


def test_r21_a_consumer_signs_in_with_the_password_alone_unless_enrolled(
    client: TestClient, world: CatalogWorld
) -> None:
    name = _user(world, Role.CONSUMER)
    _password(client, name)
    assert _signed_in(client)


def test_r21_an_api_token_needs_a_fresh_second_factor(
    client: TestClient, world: CatalogWorld, clock: FrozenClock
) -> None:
    name = _user(world, Role.DATA_REVIEWER)
    asked = {"username": name, "password": PASSWORD}
    not_enrolled = client.post("/api/v1/auth/token", json=asked)
    assert not_enrolled.status_code == 403
    assert not_enrolled.json()["detail"]["reason"] == "second_factor_not_enrolled"
    page = _password(client, name)
    secret = re.search(r'<code id="secret">([A-Z2-7]+)</code>', page).group(1)  # type: ignore[union-attr]
    client.post("/login/second-factor",
                data={"challenge": _challenge(page), "code": current_code(secret, world.platform)})  # fmt: skip
    no_code = client.post("/api/v1/auth/token", json=asked)
    assert no_code.status_code == 401
    assert no_code.json()["detail"]["reason"] == "second_factor_needed"
    clock.advance(timedelta(seconds=30))
    made = client.post(
        "/api/v1/auth/token", json={**asked, "code": current_code(secret, world.platform)}
    )
    assert made.status_code == 201, made.text
    again = client.post("/api/v1/tokens", json={"name": "more"},
                        headers={"Authorization": f"Bearer {made.json()['token']}"})  # fmt: skip
    assert again.status_code == 401  # a token does not stand in for the second factor


def test_r21_only_the_security_administrator_resets_anothers_second_factor(
    client: TestClient, world: CatalogWorld
) -> None:
    name = _user(world, Role.DATA_REVIEWER)
    page = _password(client, name)
    secret = re.search(r'<code id="secret">([A-Z2-7]+)</code>', page).group(1)  # type: ignore[union-attr]
    client.post("/login/second-factor",
                data={"challenge": _challenge(page), "code": current_code(secret, world.platform)})  # fmt: skip
    user_id = client.get("/api/v1/users", headers=bearer(world, "admin")).json()
    target = next(u["id"] for u in user_id if u["username"] == name)
    for not_theirs in ("consumer", "admin", "system_admin"):
        assert client.delete(f"/api/v1/users/{target}/second-factor",
                             headers=bearer(world, not_theirs)).status_code == 403  # fmt: skip
    own = client.delete(f"/api/v1/users/{world.users['security_admin']}/second-factor",
                        headers=bearer(world, "security_admin"))  # fmt: skip
    assert own.status_code == 403
    reset = client.delete(f"/api/v1/users/{target}/second-factor",
                          headers=bearer(world, "security_admin"))  # fmt: skip
    assert reset.status_code == 200, reset.text
    assert len(_actions(world.platform, "identity.second_factor_reset")) == 1
    assert 'id="secret"' in _password(client, name)  # enrols afresh
    assert pyotp.TOTP(secret).now()  # the old key is simply no longer asked for


def test_r21_an_idle_portal_session_ends_and_so_does_an_old_one(
    client: TestClient, world: CatalogWorld, clock: FrozenClock
) -> None:
    name = _user(world, Role.CONSUMER)
    _password(client, name)
    for _ in range(3):  # used every 29 minutes: still signed in
        clock.advance(timedelta(minutes=29))
        assert _signed_in(client)
    clock.advance(timedelta(minutes=31))
    assert not _signed_in(client)
    _password(client, name)
    for _ in range(30):  # in use all day, every 25 minutes: ends at twelve hours all the same
        clock.advance(timedelta(minutes=25))
        if not _signed_in(client):
            break
    else:
        raise AssertionError("a session outlived its twelve hours")
    assert _ == 28  # 29 uses x 25 minutes: 12 h 05 min after signing in
