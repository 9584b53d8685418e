"""A real Airflow on 127.0.0.1: api-server, scheduler and dag-processor as processes; an ingest
DAG is triggered and must succeed; every process started is stopped."""

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from exchange.store import UnifiedStore
from exchange_cli.local_airflow import stop_sessions as stop_all
from tests.catalog_fixtures import CatalogWorld
from tests.collection_fixtures import ROWS, drop_folder, publish_enterprises
from tests.dags.conftest import DAGS, register

BIN = Path(sys.executable).parent
DAG_ID = "ingest_source_1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Airflow:
    def __init__(self, home: Path, platform_env: dict[str, str]) -> None:
        port = free_port()
        self.env = {
            **os.environ,
            **platform_env,
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "3",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
        }
        self.port = port
        self.home = home
        self.processes: list[subprocess.Popen[bytes]] = []

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [BIN / "airflow", *args], env=self.env, capture_output=True, text=True, timeout=120
        )
        if done.returncode != 0:
            raise AssertionError(f"airflow {' '.join(args)} failed:\n{done.stderr[-2000:]}")
        return done.stdout

    def start(self, *args: str) -> None:
        log = (self.home / f"{args[0]}.log").open("wb")
        self.processes.append(
            subprocess.Popen(
                [BIN / "airflow", *args],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )

    def stop(self) -> None:
        stop_all(self.processes)

    def runs(self) -> list[dict[str, Any]]:
        return dag_runs(self.cli("dags", "list-runs", DAG_ID, "-o", "json"))


def dag_runs(printed: str) -> list[dict[str, Any]]:
    """The runs `airflow dags list-runs -o json` printed: warnings come first, the JSON last."""
    lines = [line for line in printed.splitlines() if line.startswith("[")]
    return list(json.loads(lines[-1])) if lines else []


def finished_manual_runs(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # Unpausing also starts the latest scheduled run; the tests' own runs are the manual ones.
    return [
        r
        for r in runs
        if r["run_id"].startswith("manual__") and r["state"] in ("success", "failed")
    ]


def enterprises_in_a_drop_folder(world: CatalogWorld) -> str:
    """The enterprise register published, its rows in a CSV file in the provider's drop folder,
    and a file source registered for it (the first source: its DAG is ``ingest_source_1``)."""
    code = publish_enterprises(world)
    folder = drop_folder(world) / "enterprises"
    folder.mkdir()
    (folder / "a.csv").write_text(
        "uscc,enterprise_name,legal_representative,registered_capital\n"
        + "\n".join(",".join(r) for r in ROWS),
        encoding="utf-8",
    )
    register(world, code, "file", {"folder": folder.name}, {})
    return code


def wait_for(condition: Any, seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(2)
    raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}")


@pytest.fixture
def airflow(tmp_path: Path, world: CatalogWorld) -> Iterator[Airflow]:
    settings = world.platform.settings
    instance = Airflow(
        tmp_path / "airflow",
        {
            "EXCHANGE_DATABASE_URL": world.platform.database.url,
            "EXCHANGE_DATA_DIR": str(settings.data_dir),
            "EXCHANGE_DAG_SPECS": str(settings.dag_specs_path),
        },
    )
    instance.home.mkdir()
    try:
        yield instance
    finally:
        instance.stop()
        assert all(p.poll() is not None for p in instance.processes)


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_real_scheduler_runs_an_ingest_dag(
    world: CatalogWorld, airflow: Airflow, tmp_path: Path
) -> None:
    code = enterprises_in_a_drop_folder(world)
    platform = world.platform

    airflow.cli("db", "migrate")
    airflow.start("api-server", "-H", "127.0.0.1", "-p", str(airflow.port))
    airflow.start("scheduler", "--skip-serve-logs")
    airflow.start("dag-processor")
    wait_for(
        lambda: DAG_ID in airflow.cli("dags", "list", "-o", "plain"),
        120,
        "the dag-processor to parse the DAG",
    )
    airflow.cli("dags", "unpause", DAG_ID)
    airflow.cli("dags", "trigger", DAG_ID)
    [run] = wait_for(
        lambda: finished_manual_runs(airflow.runs()), 180, "the triggered run to finish"
    )
    assert run["state"] == "success", (airflow.home / "scheduler.log").read_text()[-3000:]
    store = UnifiedStore(platform.settings)
    assert store.scan(code).num_rows == 3  # full loads replace: never duplicated across runs
    assert run["run_id"] in {s.properties["exchange.run-key"] for s in store.snapshots(code)}
