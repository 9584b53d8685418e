"""A grant made, revoked or expired, or a token revoked, in one process takes effect within a second
in another API process: the PostgreSQL NOTIFY watcher in action, over a real uvicorn server
running two worker processes (`exchange serve --workers 2`), each of which must learn of it."""

import concurrent.futures
import json
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from exchange.identity.models import ApiToken
from exchange.identity.secrets import token_digest
from exchange.identity.service import revoke_token
from exchange.runtime import Platform
from exchange_cli.serving import sockets_listening_on
from policies import grants, requests
from policies.models import Grant
from tests.catalog_fixtures import CatalogWorld
from tests.scenarios.data import publish_with_data
from tests.scenarios.people import bearer
from tests.scenarios.requests import act, file
from tests.servers import EXCHANGE, answers, free_port_pair, within

PROPAGATION_SECONDS = 1.0


WORKERS = 2


@pytest.fixture
def server_log(tmp_path: Path) -> Path:
    return tmp_path / "serve.log"


@pytest.fixture
def second_process(platform: Platform, server_log: Path) -> Iterator[str]:
    if platform.database.dialect != "postgresql":
        pytest.skip("several API processes share PostgreSQL; SQLite is the one-process setup")
    port = free_port_pair()
    env = {
        **os.environ,
        "EXCHANGE_DATABASE_URL": platform.database.url,
        "EXCHANGE_DATA_DIR": str(platform.settings.data_dir),
        "EXCHANGE_API_PORT": str(port),
        "EXCHANGE_LOG_LEVEL": "INFO",
    }
    with server_log.open("wb") as log:
        server = subprocess.Popen([EXCHANGE, "serve", "--workers", str(WORKERS)], env=env,
                                  stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        if not within(30, lambda: answers(f"{base}/healthz")):
            pytest.fail("the second API process did not start within 30 s")
        # Each worker starts on its own; the tests speak of every worker, so all must be serving.
        if not within(30, lambda: sockets_listening_on(port) == WORKERS):
            pytest.fail(f"{WORKERS} workers were not all listening within 30 s")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)
        # Shown with a failing test's output: what the other process said about its requests.
        print(server_log.read_text(errors="replace")[-20_000:])


def _serving_processes(log: Path, path: str) -> set[int]:
    """The worker processes that answered requests for ``path``, from the JSON access log."""
    lines = (json.loads(line) for line in log.read_text().splitlines() if line.startswith("{"))
    return {entry["process"] for entry in lines if entry.get("path") == path}


def _every_answer(status: Callable[[], int], expected: int, reads: int = 24) -> bool:
    """Concurrent reads, so that every worker takes some: all must answer ``expected``."""
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        return all(s == expected for s in pool.map(lambda _: status(), range(reads)))


def test_r16_grants_revocation_and_expiry_reach_every_worker_of_another_process(
    world: CatalogWorld, second_process: str, server_log: Path
) -> None:
    code = publish_with_data(world)
    consumer = bearer(world, "consumer")
    url = f"{second_process}/api/v1/data/{code}/rows"
    wanted = {"purpose": "核验法定代表人", "columns": "uscc,legal_representative"}

    def status() -> int:
        return httpx.get(url, params=wanted, headers=consumer, timeout=5).status_code

    assert status() == 403
    request_id = file(world, code, ["legal_representative"])
    act(world, "data_reviewer", requests.approve, request_id=request_id)
    assert within(PROPAGATION_SECONDS, lambda: _every_answer(status, 200)), (
        "the grant did not reach every worker"
    )

    with world.platform.database.transaction() as session:
        grant_id = session.scalars(select(Grant.id).where(Grant.request_id == request_id)).one()
        grants.revoke_grant(
            session,
            actor=world.actor("data_reviewer"),
            now=world.platform.clock.now(),
            grant_id=grant_id,
            reason="核验完成",
        )
    assert within(PROPAGATION_SECONDS, lambda: _every_answer(status, 403)), (
        "the revocation did not reach every worker"
    )

    # The second process runs on the real clock: a statutory grant ending two seconds from now.
    ends = datetime.now(UTC) + timedelta(seconds=2)
    with world.platform.database.transaction() as session:
        grants.statutory_grant(
            session,
            actor=world.actor("admin"),
            now=world.platform.clock.now(),
            code=code,
            consumer_code=world.consumer_department.code,
            items=["legal_representative"],
            citation="《社会保险法》第五十八条",
            purpose="参保登记核验",
            valid_to=ends,
        )
    assert within(PROPAGATION_SECONDS, lambda: _every_answer(status, 200)), (
        "the statutory grant did not reach every worker"
    )
    time.sleep(max(0.0, (ends - datetime.now(UTC)).total_seconds()))
    assert within(PROPAGATION_SECONDS, lambda: _every_answer(status, 403)), (
        "the grant did not expire in every worker"
    )
    assert len(_serving_processes(server_log, f"/api/v1/data/{code}/rows")) == WORKERS


def test_r16_a_token_revoked_in_one_process_is_refused_by_every_worker_of_another(
    world: CatalogWorld, second_process: str
) -> None:
    """The other process remembers checked tokens; a revocation must reach it all the same."""
    code = publish_with_data(world)
    consumer = bearer(world, "consumer")
    url = f"{second_process}/api/v1/data/{code}/rows"

    def status() -> int:
        return httpx.get(
            url, params={"purpose": "核验企业"}, headers=consumer, timeout=5
        ).status_code

    # The entry just published reaches the other process within a second, as any change does;
    # then the token is remembered there.
    assert within(PROPAGATION_SECONDS, lambda: _every_answer(status, 200)), (
        "the published entry did not reach every worker"
    )
    secret = consumer["Authorization"].removeprefix("Bearer ")
    with world.platform.database.transaction() as session:
        token = session.scalars(select(ApiToken).where(ApiToken.token_hash == token_digest(secret)))
        revoke_token(session, actor=world.actor("system_admin"), now=world.platform.clock.now(),
                     token_id=token.one().id)  # fmt: skip
    assert within(PROPAGATION_SECONDS, lambda: _every_answer(status, 401)), (
        "the revocation did not reach every worker"
    )
