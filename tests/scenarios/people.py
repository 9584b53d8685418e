"""People at the API and the portal: an API token's header, a signed-in portal session."""

import re

from fastapi.testclient import TestClient

from exchange.identity.roles import Role
from exchange.identity.service import get_user
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
    client.cookies.clear()
    client.post(
        "/login", data={"username": name, "password": PASSWORD, "csrf_token": login_token(client)}
    )
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text).group(1)  # type: ignore[union-attr]
