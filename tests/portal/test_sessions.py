"""Portal sessions without a browser: sign-in with CSRF protection, HttpOnly SameSite cookies,
forms refused without their token, sign-out that really ends the session, and pages in both
languages (that every message is translated is checked in tests/unit/test_messages.py)."""

import re

from fastapi.testclient import TestClient

from tests.catalog_fixtures import CatalogWorld
from tests.factories import PASSWORD
from tests.scenarios.people import login_token, username


def test_sign_in_needs_the_form_token_and_sets_a_protected_cookie(
    world: CatalogWorld, client: TestClient
) -> None:
    name = username(world, "consumer")
    assert client.get("/", follow_redirects=False).headers["location"] == "/login?next=/"
    forged = client.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": "x"})
    assert forged.status_code == 403
    wrong = client.post(
        "/login", data={"username": name, "password": "nope", "csrf_token": login_token(client)}
    )
    assert wrong.status_code == 401
    assert "用户名或密码错误" in wrong.text
    signed_in = client.post(
        "/login",
        data={"username": name, "password": PASSWORD, "csrf_token": login_token(client),
              "next": "https://elsewhere.example/"},
        follow_redirects=False,
    )  # fmt: skip
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/"  # never sent to another site
    cookie = signed_in.headers["set-cookie"]
    assert "exchange_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    home = client.get("/")
    assert home.status_code == 200
    assert "待办" in home.text


def test_forms_without_their_token_are_refused_and_sign_out_ends_the_session(
    world: CatalogWorld, client: TestClient
) -> None:
    name = username(world, "consumer")
    client.post(
        "/login", data={"username": name, "password": PASSWORD, "csrf_token": login_token(client)}
    )
    home = client.get("/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', home.text).group(1)  # type: ignore[union-attr]
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 403
    assert client.get("/").status_code == 200  # still signed in
    session_cookie = client.cookies["exchange_session"]
    client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    client.cookies.set("exchange_session", session_cookie)  # a copy of the cookie is worthless now
    assert client.get("/", follow_redirects=False).status_code == 303


def test_pages_switch_language_and_errors_are_pages(
    world: CatalogWorld, client: TestClient
) -> None:
    name = username(world, "consumer")
    client.post(
        "/login", data={"username": name, "password": PASSWORD, "csrf_token": login_token(client)}
    )
    english = client.get("/catalog?lang=en")
    assert "<h1>Catalog</h1>" in english.text
    assert "<h1>Catalog</h1>" in client.get("/catalog").text  # the choice is remembered
    assert "<h1>资源目录</h1>" in client.get("/catalog?lang=zh").text
    missing = client.get("/access/requests/999")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    assert client.get("/api/v1/access/requests/999").headers["content-type"] == "application/json"
