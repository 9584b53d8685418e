"""The image's entry points, started as the containers start them but as processes on 127.0.0.1:
migrations, two platform API replicas, and Airflow 3's api-server, scheduler, dag-processor,
triggerer and a Celery worker (Redis broker), against PostgreSQL and an S3-compatible server.
An ingest DAG runs on the Celery worker into object storage; a grant approved through one API
replica is honoured by the other within a second (the PostgreSQL watcher)."""

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

from exchange.store import UnifiedStore
from tests.catalog_fixtures import CatalogWorld
from tests.collection_fixtures import ROWS, S3_KEY, use_s3_warehouse
from tests.dags.test_real_airflow import (
    dag_runs,
    enterprises_in_a_drop_folder,
    finished_manual_runs,
    free_port,
    stop_all,
    wait_for,
)
from tests.scenarios.people import bearer
from tests.servers import answers

ENTRYPOINT = Path(__file__).resolve().parents[2] / "docker" / "entrypoint.sh"
BIN = Path(sys.executable).parent
REDIS_URL = os.environ.get("EXCHANGE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
DAG_ID = "ingest_source_1"
PROPAGATION_SECONDS = 1.0


class Deployment:
    """The processes a compose deployment runs, each through the entry point."""

    def __init__(self, logs: Path, env: dict[str, str]) -> None:
        self.logs, self.env = logs, env
        self.processes: list[subprocess.Popen[bytes]] = []

    def run(self, *args: str) -> str:
        done = subprocess.run(
            [ENTRYPOINT, *args], env=self.env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stderr[-3000:]}"
        return done.stdout

    def start(self, role: str, *args: str, log: str | None = None) -> None:
        output = (self.logs / f"{log or role}.log").open("wb")
        self.processes.append(
            subprocess.Popen(
                [ENTRYPOINT, role, *args],
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )

    def check(self, *args: str) -> bool:
        return (
            subprocess.run([ENTRYPOINT, *args], env=self.env, capture_output=True).returncode == 0
        )

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        stop_all(self.processes)


@pytest.fixture
def airflow_database(postgres_url: str) -> Iterator[str]:
    """Airflow's metadata in a PostgreSQL database of its own, as in compose.yaml."""
    name = f"exchange_test_airflow_{uuid.uuid4().hex[:8]}"
    admin = make_url(postgres_url).set(drivername="postgresql", database="postgres")
    dsn = admin.render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def deployment(
    world: CatalogWorld, airflow_database: str, s3_endpoint: str, tmp_path: Path
) -> Iterator[Deployment]:
    settings = world.platform.settings
    use_s3_warehouse(settings, s3_endpoint)
    api_server = free_port()
    # A queue and worker name of this test's own: another run may share the Redis server.
    unique = f"exchange-test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "EXCHANGE_DATABASE_URL": world.platform.database.url,
        "EXCHANGE_DATA_DIR": str(settings.data_dir),
        "EXCHANGE_WAREHOUSE_URI": str(settings.warehouse_uri),
        "EXCHANGE_S3_ENDPOINT": s3_endpoint,
        "EXCHANGE_S3_ACCESS_KEY_ID": S3_KEY,
        "EXCHANGE_S3_SECRET_ACCESS_KEY": S3_KEY,
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW__CORE__EXECUTOR": "airflow.providers.celery.executors.celery_executor.CeleryExecutor",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": airflow_database,
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": airflow_database,
        "AIRFLOW__CELERY__BROKER_URL": REDIS_URL,
        "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{airflow_database}",
        "AIRFLOW__OPERATORS__DEFAULT_QUEUE": unique,
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_server}/execution/",
        "AIRFLOW__API_AUTH__JWT_SECRET": uuid.uuid4().hex,
        "AIRFLOW__CORE__LOAD_EXAMPLES": "false",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "true",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "3",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
    }
    env.pop("AIRFLOW__CORE__DAGS_FOLDER", None)  # the entry point finds the DAGs itself
    (tmp_path / "airflow").mkdir()
    instance = Deployment(tmp_path, env)
    instance.run("migrate")
    instance.start("api-server", "-H", "127.0.0.1", "-p", str(api_server))
    instance.start("scheduler", "--skip-serve-logs")
    instance.start("dag-processor")
    instance.start("triggerer", "--skip-serve-logs")
    instance.start(
        "worker", "--concurrency", "2", "--skip-serve-logs", "--celery-hostname", f"{unique}@%h"
    )
    try:
        yield instance
    finally:
        instance.stop()
        assert all(p.poll() is not None for p in instance.processes)


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_entry_points_run_ingestion_on_celery_into_s3_and_replicas_share_grants(
    world: CatalogWorld, deployment: Deployment, tmp_path: Path
) -> None:
    code = enterprises_in_a_drop_folder(world)
    replicas = [free_port(), free_port()]
    for index, port in enumerate(replicas):
        deployment.start("api", "--port", str(port), log=f"api-{index}")

    # Every component up, checked the way compose.yaml's health checks do.
    for port in replicas:
        wait_for(lambda p=port: answers(f"http://127.0.0.1:{p}/healthz"), 60, "an API replica")
    for job in ("SchedulerJob", "DagProcessorJob", "TriggererJob"):
        wait_for(lambda j=job: deployment.check("airflow", "jobs", "check", "--job-type", j),
                 120, f"Airflow's {job}")  # fmt: skip
    app = "airflow.providers.celery.executors.celery_executor.app"
    wait_for(lambda: deployment.check("celery", "--app", app, "inspect", "ping"), 120,
             "the Celery worker")  # fmt: skip
    wait_for(lambda: DAG_ID in deployment.run("airflow", "dags", "list", "-o", "plain"), 120,
             "the ingest DAG to be parsed")  # fmt: skip

    deployment.run("airflow", "dags", "unpause", DAG_ID)
    deployment.run("airflow", "dags", "trigger", DAG_ID)

    [run] = wait_for(
        lambda: finished_manual_runs(
            dag_runs(deployment.run("airflow", "dags", "list-runs", DAG_ID, "-o", "json"))
        ),
        240,
        "the ingest run on the Celery worker",
    )
    assert run["state"] == "success", deployment.log("worker") + deployment.log("scheduler")
    store = UnifiedStore(world.platform.settings)
    assert store.scan(code).num_rows == len(ROWS)
    assert run["run_id"] in {s.properties["exchange.run-key"] for s in store.snapshots(code)}

    first, second = (f"http://127.0.0.1:{port}" for port in replicas)
    consumer = bearer(world, "consumer")
    wanted = {"purpose": "核验法定代表人", "columns": "uscc,legal_representative"}

    def read(base: str, columns: str) -> httpx.Response:
        return httpx.get(f"{base}/api/v1/data/{code}/rows", headers=consumer, timeout=10,
                         params={**wanted, "columns": columns})  # fmt: skip

    open_columns = read(second, "uscc,enterprise_name")
    assert open_columns.status_code == 200, open_columns.text
    assert sorted(row["uscc"] for row in open_columns.json()["rows"]) == sorted(r[0] for r in ROWS)
    assert read(second, wanted["columns"]).status_code == 403

    today = date.today()  # the replicas run on the real clock
    filed = httpx.post(
        f"{first}/api/v1/access/requests",
        headers=consumer,
        timeout=10,
        json={
            "resource_code": code,
            "items": ["legal_representative"],
            "purpose_code": "administrative_approval",
            "purpose": "核验法定代表人",
            "duty_basis": "《行政许可法》第三十四条",
            "mode": "api_query",
            "period_from": today.isoformat(),
            "period_to": (today + timedelta(days=180)).isoformat(),
        },
    )
    assert filed.status_code == 201, filed.text
    approved = httpx.post(
        f"{first}/api/v1/access/requests/{filed.json()['id']}/approve",
        headers=bearer(world, "data_reviewer"),
        json={},
        timeout=10,
    )
    assert approved.status_code == 200, approved.text
    deadline = time.monotonic() + PROPAGATION_SECONDS
    while read(second, wanted["columns"]).status_code != 200:
        assert time.monotonic() < deadline, (
            "the grant made through one replica did not reach the other"
        )
        time.sleep(0.05)
    names = {row["legal_representative"] for row in read(second, wanted["columns"]).json()["rows"]}
    assert names == {row[2] for row in ROWS}
