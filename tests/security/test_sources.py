"""R22: a department's sources reach only its own drop folder and the hosts the deployment lists.

Each test performs the attack through the API, as a data resource administrator of the provider
would, and checks that it is refused and that nothing of the target was read or harmed.
"""

import os
import sqlite3
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from exchange.audit.models import AuditRecord
from exchange.audit.verify import verify_chain
from exchange.db import Database
from exchange.runtime import Platform
from tests.catalog_fixtures import CatalogWorld
from tests.collection_fixtures import drop_folder, publish_enterprises
from tests.scenarios.people import bearer

STEAL_USERS = (
    "SELECT username AS uscc, password_hash AS enterprise_name, username AS legal_representative,"
    " username AS registered_capital FROM users"
)


def attempt(
    client: TestClient,
    world: CatalogWorld,
    kind: str,
    config: dict[str, Any],
    secret: dict[str, Any],
) -> Any:
    code = publish_enterprises(world)
    body = {"resource_code": code, "kind": kind, "config": config, "secret": secret}
    return client.post(
        "/api/v1/collection/sources", json=body, headers=bearer(world, "resource_admin")
    )


def assert_refused(response: Any, *secrets: str) -> None:
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "source_refused", response.text
    for secret in secrets:
        assert secret not in response.text


def platform_database_url(platform: Platform) -> str:
    return platform.database.url


def test_r22_a_database_source_never_reads_the_platforms_own_database(
    client: TestClient, world: CatalogWorld, platform: Platform
) -> None:
    own = platform_database_url(platform)
    if own.startswith("sqlite"):
        # The platform's SQLite file by absolute path, and by a path climbing out of the drop folder.
        database_file = Path(own.removeprefix("sqlite:///")).resolve()
        climb = os.path.relpath(database_file, drop_folder(world))
        urls = [f"sqlite:///{database_file}", f"sqlite:///{climb}"]
        hard_link = drop_folder(world) / "copy.db"
        os.link(database_file, hard_link)  # the same file under the drop folder
        urls.append("sqlite:///copy.db")
    else:
        # The platform's PostgreSQL server even when the operator listed its host for sources.
        platform.settings.source_hosts.append("127.0.0.1")
        urls = [own]
    for url in urls:
        response = attempt(client, world, "database", {"query": STEAL_USERS}, {"url": url})
        assert_refused(response, "$argon2")
    with platform.database.transaction() as session:
        assert (
            session.scalar(
                select(AuditRecord).where(AuditRecord.action == "collection.source.register")
            )
            is None
        )


def test_r22_a_database_source_never_reads_another_departments_files(
    client: TestClient, world: CatalogWorld
) -> None:
    theirs = drop_folder(world, "consumer_department") / "insured.db"
    with sqlite3.connect(theirs) as connection:
        connection.execute(
            "CREATE TABLE t (uscc, enterprise_name, legal_representative, registered_capital)"
        )
        connection.execute("INSERT INTO t VALUES ('x', 'their secret', 'y', '1')")
    other = world.consumer_department.code
    for url in (f"sqlite:///{theirs}", f"sqlite:///../{other}/insured.db"):
        assert_refused(
            attempt(client, world, "database", {"table": "t"}, {"url": url}), "their secret"
        )


def test_r22_a_sqlite_url_creates_no_file_anywhere(
    client: TestClient, world: CatalogWorld, tmp_path: Path
) -> None:
    for url in (
        f"sqlite:///{tmp_path}/planted.db",
        "sqlite:///planted.db",
        "sqlite:///sub/planted.db",
    ):
        response = attempt(client, world, "database", {"table": "t"}, {"url": url})
        assert_refused(response)
    assert not (tmp_path / "planted.db").exists()
    assert not (drop_folder(world) / "planted.db").exists()


def test_r22_a_sqlite_source_is_opened_read_only(client: TestClient, world: CatalogWorld) -> None:
    own = drop_folder(world) / "market.db"
    with sqlite3.connect(own) as connection:
        connection.execute(
            "CREATE TABLE t (uscc, enterprise_name, legal_representative, registered_capital)"
        )
    query = "INSERT INTO t VALUES ('a', 'b', 'c', '1') RETURNING *"
    response = attempt(client, world, "database", {"query": query}, {"url": "sqlite:///market.db"})
    assert response.status_code == 400
    with sqlite3.connect(own) as connection:
        assert connection.execute("SELECT count(*) FROM t").fetchone() == (0,)


def test_r22_a_file_source_stays_in_its_departments_drop_folder(
    client: TestClient, world: CatalogWorld, platform: Platform
) -> None:
    theirs = drop_folder(world, "consumer_department") / "social"
    theirs.mkdir()
    (theirs / "insured.csv").write_text(
        "uscc,enterprise_name,legal_representative,registered_capital\nx,their secret,y,1\n",
        encoding="utf-8",
    )
    mine = drop_folder(world)
    (mine / "link").symlink_to(theirs)
    (mine / "mine").mkdir()
    (mine / "mine" / "stolen.csv").symlink_to(theirs / "insured.csv")
    other = world.consumer_department.code
    warehouse = platform.settings.resolved_warehouse_path.resolve()
    for config in (
        {"folder": str(theirs)},
        {"folder": f"../{other}/social"},
        {"folder": "link"},
        {"folder": "mine"},  # a file in it links out
        {"folder": ".", "pattern": f"../{other}/social/*.csv"},
        {"folder": str(warehouse)},
        {"folder": os.path.relpath(warehouse, mine)},
        {"folder": "~"},
    ):
        assert_refused(attempt(client, world, "file", config, {}), "their secret")


def test_r22_refusals_do_not_tell_whether_a_path_outside_exists(
    client: TestClient, world: CatalogWorld, tmp_path: Path
) -> None:
    (tmp_path / "exists").mkdir()
    mine = drop_folder(world)
    answers = [
        attempt(
            client, world, "file", {"folder": os.path.relpath(tmp_path / name, mine)}, {}
        ).json()
        for name in ("exists", "missing")
    ]
    assert answers[0]["message"].replace("exists", "X") == answers[1]["message"].replace(
        "missing", "X"
    )


def test_r22_registering_the_platforms_sqlite_file_loses_nothing(
    client: TestClient, world: CatalogWorld, platform: Platform, settings: Any
) -> None:
    """A second SQLite library opening the platform's file released its locks and deleted its WAL:
    later writes vanished at restart. The file is never opened now; writes after the attempt survive."""
    own = platform_database_url(platform)
    if not own.startswith("sqlite"):
        pytest.skip("the platform's database is not a SQLite file")
    database_file = Path(own.removeprefix("sqlite:///")).resolve()
    os.link(database_file, drop_folder(world) / "same.db")
    for url in (f"sqlite:///{database_file}", "sqlite:///same.db"):
        assert_refused(attempt(client, world, "database", {"table": "users"}, {"url": url}))
    token = client.post(
        "/api/v1/tokens", json={"name": "after"}, headers=bearer(world, "resource_admin")
    )
    assert token.status_code == 201, token.text
    with platform.database.transaction() as session:
        last = session.scalar(select(AuditRecord.seq).order_by(AuditRecord.seq.desc()).limit(1))
    platform.database.dispose()  # the process stops…
    restarted = Database(own)  # …and starts again
    with restarted.transaction() as session:
        assert session.get(AuditRecord, last) is not None
    with restarted.engine.connect() as connection:
        assert verify_chain(connection).ok
    assert (
        client.get(
            "/api/v1/me", headers={"Authorization": f"Bearer {token.json()['token']}"}
        ).status_code
        == 200
    )
    restarted.dispose()


class _Answers(BaseHTTPRequestHandler):
    """A system that answers with a secret body, or redirects to ``redirect_to``."""

    redirect_to = ""

    def do_GET(self) -> None:
        if self.redirect_to:
            self.send_response(302)
            self.send_header("Location", self.redirect_to)
            self.end_headers()
            return
        self.send_response(500)
        self.end_headers()
        self.wfile.write(b"internal-secret-body")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def listed_system(settings: Any) -> Iterator[tuple[str, type[_Answers]]]:
    handler = type("Handler", (_Answers,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.source_hosts.append(f"127.0.0.1:{server.server_address[1]}")
    yield f"http://127.0.0.1:{server.server_address[1]}/items", handler
    server.shutdown()
    server.server_close()


def test_r22_an_http_source_reaches_only_listed_hosts(
    client: TestClient,
    world: CatalogWorld,
    listed_system: tuple[str, type[_Answers]],
    settings: Any,
) -> None:
    url, handler = listed_system
    unlisted = ThreadingHTTPServer(("127.0.0.1", 0), _Answers)
    threading.Thread(target=unlisted.serve_forever, daemon=True).start()
    try:
        for target in (
            f"http://127.0.0.1:{unlisted.server_address[1]}/",  # loopback, another port
            f"http://localhost:{unlisted.server_address[1]}/",
            f"http://127.0.0.1:{settings.api_port}/api/v1/identity/me",  # the platform itself
            "http://169.254.169.254/latest/meta-data/",  # link-local metadata service
            "http://[::1]:80/",
            "file:///etc/passwd",
            "gopher://127.0.0.1:6379/_INFO",
        ):
            assert_refused(
                attempt(client, world, "http", {"url": target}, {}), "internal-secret-body"
            )
        # A listed system redirecting to an unlisted one is refused at the redirect.
        handler.redirect_to = f"http://127.0.0.1:{unlisted.server_address[1]}/"
        assert_refused(attempt(client, world, "http", {"url": url}, {}), "internal-secret-body")
    finally:
        unlisted.shutdown()
        unlisted.server_close()


def test_r22_a_listed_name_that_resolves_to_loopback_is_refused(
    client: TestClient, world: CatalogWorld, settings: Any
) -> None:
    settings.source_hosts.append("localhost")  # a name, not the address 127.0.0.1
    assert_refused(attempt(client, world, "http", {"url": "http://localhost:9/"}, {}))


def test_r22_remote_answers_are_not_echoed(
    client: TestClient, world: CatalogWorld, listed_system: tuple[str, type[_Answers]]
) -> None:
    url, _ = listed_system
    response = attempt(client, world, "http", {"url": url}, {})
    assert response.status_code == 400
    assert response.json()["code"] == "source_check_failed"
    assert "500" in response.json()["message"]
    assert "internal-secret-body" not in response.text


def test_r22_a_database_url_cannot_reach_a_server_through_its_options(
    client: TestClient, world: CatalogWorld, settings: Any
) -> None:
    settings.source_hosts.append("10.20.0.0/16")
    for url in (
        "postgresql+psycopg://u@10.20.0.5/db?host=127.0.0.1",
        "postgresql+psycopg://u@10.20.0.5/db?hostaddr=127.0.0.1",
        "postgresql+psycopg://u@10.20.0.5/db?sslkey=/etc/shadow",
        "postgresql+psycopg://u@/db?host=/var/run/postgresql",
    ):
        assert_refused(attempt(client, world, "database", {"table": "t"}, {"url": url}))
