"""What `make demo` does, end to end: migrate, seed, serve; then /healthz and the API docs answer."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests import servers


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    with servers.demo_server(tmp_path) as running:
        yield running


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
    assert set(collected) == {"企业登记信息", "纳税人登记信息", "社会保险参保信息", "婚姻登记信息",
                              # The cloud provider's utilisation reports, collected the same way.
                              "政务云资源使用情况月报（某政务云服务有限公司）"}  # fmt: skip
    login = httpx.post(
        f"{base}/api/v1/auth/token",
        json={"username": "scjg.consumer", "password": "demo-password-2026"},
    )
    assert login.status_code == 201
