"""Bearer tokens: shown once, stored hashed, expire and revoke; every refusal is audited."""

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from exchange.audit.models import AuditRecord
from exchange.clock import FrozenClock
from exchange.errors import AuthenticationFailed
from exchange.identity.models import ApiToken
from exchange.identity.roles import Role
from exchange.identity.secrets import token_digest
from exchange.identity.service import revoke_token, set_roles
from exchange.identity.token_cache import TokenCache
from exchange.runtime import Platform
from tests.api.conftest import Callers
from tests.factories import PASSWORD, SYSTEM


def denials(platform: Platform) -> list[AuditRecord]:
    with platform.database.transaction() as session:
        return list(
            session.scalars(
                select(AuditRecord).where(AuditRecord.outcome == "denied").order_by(AuditRecord.seq)
            )
        )


def test_valid_token_identifies_the_caller(client: TestClient, callers: Callers) -> None:
    response = client.get("/api/v1/me", headers=callers.registrar.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == callers.registrar.username
    assert body["roles"] == ["catalog_registrar"]
    assert body["department_name"] == "市市场监督管理局"


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "missing_token"),
        ({"Authorization": "Bearer exg_not-a-real-token"}, "unknown_token"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "missing_token"),
    ],
)
def test_missing_or_wrong_token_is_401_and_audited(
    client: TestClient, platform: Platform, headers: dict[str, str], reason: str
) -> None:
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["code"] == "unauthenticated"
    [denial] = denials(platform)
    assert denial.actor == "anonymous"
    assert denial.action == "GET /api/v1/me"
    assert reason in denial.detail


def test_expired_token_is_401_and_audited(
    client: TestClient, platform: Platform, callers: Callers, clock: FrozenClock
) -> None:
    clock.advance(timedelta(days=31))  # test tokens live 30 days
    response = client.get("/api/v1/me", headers=callers.registrar.headers)
    assert response.status_code == 401
    assert "expired" in response.json()["message"]
    [denial] = denials(platform)
    assert "expired" in denial.detail


def test_revoked_token_is_401_and_audited(
    client: TestClient, platform: Platform, callers: Callers
) -> None:
    with platform.database.transaction() as session:
        token_id = session.scalar(
            select(ApiToken.id).where(ApiToken.token_hash == token_digest(callers.registrar.token))
        )
    assert (
        client.delete(f"/api/v1/tokens/{token_id}", headers=callers.registrar.headers).status_code
        == 200
    )
    response = client.get("/api/v1/me", headers=callers.registrar.headers)
    assert response.status_code == 401
    assert "revoked" in response.json()["message"]
    assert "revoked" in denials(platform)[-1].detail


def test_only_a_hash_of_the_token_is_stored(platform: Platform, callers: Callers) -> None:
    with platform.database.transaction() as session:
        stored = session.scalars(select(ApiToken.token_hash)).all()
    assert callers.registrar.token not in stored
    assert token_digest(callers.registrar.token) in stored


def test_password_login_issues_a_token_shown_once(client: TestClient, callers: Callers) -> None:
    response = client.post(
        "/api/v1/auth/token",
        json={"username": callers.registrar.username, "password": PASSWORD, "name": "laptop"},
    )
    assert response.status_code == 201
    secret = response.json()["token"]
    assert secret.startswith("exg_")
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.json()["username"] == callers.registrar.username
    listed = client.get("/api/v1/tokens", headers=callers.registrar.headers).json()
    assert [t["name"] for t in listed] == ["test", "laptop"]
    assert all("token" not in t for t in listed)


def test_wrong_password_is_401_and_audited(
    client: TestClient, platform: Platform, callers: Callers
) -> None:
    response = client.post(
        "/api/v1/auth/token",
        json={"username": callers.registrar.username, "password": "wrong-password"},
    )
    assert response.status_code == 401
    assert response.json()["message"] == "wrong user name or password"
    last = denials(platform)[-1]
    assert (last.action, last.object_id) == ("identity.sign_in", callers.registrar.username)


def test_a_user_cannot_revoke_another_users_token(
    client: TestClient, platform: Platform, callers: Callers
) -> None:
    with platform.database.transaction() as session:
        token_id = session.scalar(
            select(ApiToken.id).where(ApiToken.token_hash == token_digest(callers.auditor.token))
        )
    response = client.delete(f"/api/v1/tokens/{token_id}", headers=callers.registrar.headers)
    assert response.status_code == 404
    assert client.get("/api/v1/me", headers=callers.auditor.headers).status_code == 200


def test_a_remembered_token_is_forgotten_when_roles_change_or_a_token_is_revoked(
    platform: Platform, callers: Callers, clock: FrozenClock
) -> None:
    """The data API remembers checked tokens; nothing about a caller may outlive its change."""
    tokens = TokenCache(platform.database, ttl=timedelta(minutes=1))
    now = clock.now()
    principal = tokens.authenticate(callers.registrar.token, now)
    assert tokens.remembered(callers.registrar.token, now) == principal

    with platform.database.transaction() as session:
        set_roles(session, actor=SYSTEM, now=now, user_id=callers.registrar.user_id,
                  roles=[Role.CATALOG_REVIEWER])  # fmt: skip
    assert tokens.remembered(callers.registrar.token, now) is None
    assert tokens.authenticate(callers.registrar.token, now).roles == {Role.CATALOG_REVIEWER}

    with platform.database.transaction() as session:
        token_id = session.scalar(
            select(ApiToken.id).where(ApiToken.token_hash == token_digest(callers.registrar.token))
        )
        revoke_token(session, actor=SYSTEM, now=now, token_id=token_id)
    assert tokens.remembered(callers.registrar.token, now) is None
    with pytest.raises(AuthenticationFailed, match="revoked"):
        tokens.authenticate(callers.registrar.token, now)

    # Another user's token is unaffected; it is checked again after the ttl, and never used
    # after its expiry.
    tokens.authenticate(callers.auditor.token, now)
    assert tokens.remembered(callers.auditor.token, now + timedelta(seconds=59)) is not None
    assert tokens.remembered(callers.auditor.token, now + timedelta(minutes=1)) is None
    assert tokens.remembered(callers.auditor.token, now + timedelta(days=31)) is None
