"""`make demo-airflow`: the demo with Airflow 3 on the embedded defaults. The real scheduler runs
a demo ingest DAG, the resource's freshness moves, and stopping the command stops everything."""

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.dags.test_real_airflow import dag_runs, free_port, wait_for
from tests.servers import EXCHANGE, free_port_pair

pytestmark = pytest.mark.slow
ENTERPRISES = "企业登记信息"


def processes_mentioning(folder: Path) -> list[str]:
    """Processes whose environment or command line names ``folder``: those the stack started."""
    found = []
    needle = str(folder).encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes() + (entry / "cmdline").read_bytes():
                found.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:
            continue  # gone meanwhile, or not ours to read
    return found


def test_r11_demo_airflow_schedules_the_demo_ingestion_and_stops_everything(
    tmp_path: Path,
) -> None:
    port, airflow_port = free_port_pair(), free_port()
    env = {**os.environ, "EXCHANGE_DATA_DIR": str(tmp_path / "var"), "EXCHANGE_API_PORT": str(port)}
    # Nothing of another Airflow (the DAG tests set their own in this process's environment).
    for name in [n for n in env if n.startswith("AIRFLOW")] + [
        "EXCHANGE_DATABASE_URL",
        "EXCHANGE_SOURCE_HOSTS",
    ]:
        env.pop(name, None)
    subprocess.run([EXCHANGE, "db", "upgrade"], env=env, check=True, capture_output=True)
    seeded = subprocess.run([EXCHANGE, "demo", "--rows", "50"], env=env, check=True,
                            capture_output=True, text=True)  # fmt: skip
    token = next(word for word in seeded.stdout.split() if word.startswith("exg_"))
    printed = tmp_path / "demo-airflow.out"
    with printed.open("wb") as output:
        stack = subprocess.Popen(
            [EXCHANGE, "demo-airflow", "--airflow-port", str(airflow_port)],
            env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        said = wait_for(lambda: "Airflow:" in printed.read_text() and printed.read_text(), 240,
                        "the Airflow UI's address")  # fmt: skip
        assert f"http://127.0.0.1:{airflow_port}  user admin, password " in said
        assert httpx.get(f"http://127.0.0.1:{airflow_port}/api/v2/version").status_code == 200

        def freshness() -> dict[str, object]:
            answer = httpx.get(f"{base}/api/v1/collection/freshness",
                               headers={"Authorization": f"Bearer {token}"})  # fmt: skip
            return {f["name"]: f["last_success_at"] for f in answer.json()}

        seeded_at = freshness()[ENTERPRISES]
        airflow_env = {**env, "AIRFLOW_HOME": str(tmp_path / "var" / "airflow")}

        def scheduled_runs() -> list[dict[str, object]]:
            listed = subprocess.run(
                [EXCHANGE.parent / "airflow", "dags", "list-runs", "ingest_source_1", "-o", "json"],
                env=airflow_env, capture_output=True, text=True,
            )  # fmt: skip
            return [r for r in dag_runs(listed.stdout) if r["state"] in ("success", "failed")]

        [run] = wait_for(scheduled_runs, 300, "the scheduler to run the demo ingest DAG")[:1]
        assert run["state"] == "success"
        assert str(run["run_id"]).startswith("scheduled__")  # the scheduler's, not a trigger
        assert freshness()[ENTERPRISES] != seeded_at
        assert stack.poll() is None
    finally:
        stack.send_signal(signal.SIGTERM)
        stack.wait(timeout=90)
    assert "stopped the platform, the demo systems and Airflow" in printed.read_text()
    deadline = time.monotonic() + 10
    while (left := processes_mentioning(tmp_path)) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert left == []
