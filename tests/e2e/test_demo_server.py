"""What `make demo` does, end to end: migrate, seed, serve; then /healthz and the API docs answer."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

EXCHANGE = Path(sys.executable).parent / "exchange"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    port = free_port()
    env = {**os.environ, "EXCHANGE_DATA_DIR": str(tmp_path / "var"), "EXCHANGE_API_PORT": str(port)}
    env.pop("EXCHANGE_DATABASE_URL", None)
    subprocess.run([EXCHANGE, "db", "upgrade"], env=env, check=True, capture_output=True)
    seeded = subprocess.run([EXCHANGE, "demo"], env=env, check=True, capture_output=True, text=True)
    server = subprocess.Popen(
        [EXCHANGE, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            pytest.fail("the demo server did not answer within 30 s")
        yield base, seeded.stdout
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_demo_serves_health_docs_and_the_printed_token(demo_server: tuple[str, str]) -> None:
    base, printed = demo_server
    assert httpx.get(f"{base}/healthz").json() == {"status": "ok", "database": "sqlite"}
    assert "swagger" in httpx.get(f"{base}/docs").text.lower()
    assert (
        httpx.get(f"{base}/openapi.json").json()["info"]["title"]
        == "Government Data-Sharing Exchange"
    )
    token = next(word for word in printed.split() if word.startswith("exg_"))
    me = httpx.get(f"{base}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["username"] == "dsj.bureau_admin"
    fresh = httpx.get(
        f"{base}/api/v1/collection/freshness", headers={"Authorization": f"Bearer {token}"}
    ).json()
    collected = {f["name"]: f["status"] for f in fresh if f["status"] == "on_time"}
    assert set(collected) == {"企业登记信息", "纳税人登记信息", "社会保险参保信息", "婚姻登记信息"}
    login = httpx.post(
        f"{base}/api/v1/auth/token",
        json={"username": "scjg.consumer", "password": "demo-password-2026"},
    )
    assert login.status_code == 201
