"""People at the API and the portal: an API token's header, a signed-in portal session."""

import html
import re

import pyotp
from fastapi.testclient import TestClient

from exchange.identity.models import SecondFactor
from exchange.identity.roles import Role
from exchange.identity.service import get_user
from exchange.runtime import Platform
from exchange.secrets_box import unseal
from tests.catalog_fixtures import CatalogWorld
from tests.factories import PASSWORD, make_token, make_user


def bearer(world: CatalogWorld, who: str) -> dict[str, str]:
    with world.platform.database.transaction() as session:
        return {
            "Authorization": f"Bearer {make_token(session, world.platform, get_user(session, world.users[who]))}"
        }


def login_token(client: TestClient) -> str:
    page = client.get("/login")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match
    return match.group(1)


def username(world: CatalogWorld, who: str) -> str:
    """A user who signs in with a password, in the department and roles of ``who``."""
    with world.platform.database.transaction() as session:
        model = get_user(session, world.users[who])
        user = make_user(
            session, world.platform, model.department, *map(Role, model.roles), password=PASSWORD
        )
        return user.username


def sign_in(client: TestClient, world: CatalogWorld, department: object, *roles: Role) -> str:
    with world.platform.database.transaction() as session:
        name = make_user(session, world.platform, department, *roles, password=PASSWORD).username  # type: ignore[arg-type]
    password_sign_in(client, world.platform, name)
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text).group(1)  # type: ignore[union-attr]


def password_sign_in(client: TestClient, platform: Platform, name: str) -> None:
    """Sign ``name`` in to the portal, with the second factor where their roles require one."""
    client.cookies.clear()
    answer = client.post(
        "/login", data={"username": name, "password": PASSWORD, "csrf_token": login_token(client)}
    )
    second_factor_step(client, platform, answer.text)


def current_code(secret: str, platform: Platform) -> str:
    """The code an authenticator with ``secret`` shows at the platform's (injected) time."""
    return pyotp.TOTP(secret).at(platform.clock.now())


def second_factor_step(client: TestClient, platform: Platform, page: str) -> str | None:
    """Complete the second step of signing in, if ``page`` asks for it (R21): enrol with the key
    the page shows, or give the enrolled user's current code. The page that follows."""
    challenge = re.search(r'name="challenge" value="([^"]+)"', page)
    if challenge is None:
        return None
    shown = re.search(r'<code id="secret">([A-Z2-7]+)</code>', page)
    if shown is not None:
        secret = shown.group(1)
    else:
        user_id = unseal(platform.settings, html.unescape(challenge.group(1)))["user"]
        with platform.database.transaction() as session:
            sealed = session.get_one(SecondFactor, user_id).sealed_secret
        secret = unseal(platform.settings, sealed)["s"]
    answer = client.post(
        "/login/second-factor",
        data={
            "challenge": html.unescape(challenge.group(1)),
            "code": current_code(secret, platform),
        },
    )
    assert answer.status_code == 200, answer.text
    return answer.text
