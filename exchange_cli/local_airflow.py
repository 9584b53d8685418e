"""`exchange demo-airflow`: the demo platform with Airflow 3 beside it on the embedded defaults,
so the DAGs the platform ships are scheduled and run as they would be in a deployment.

Everything runs on 127.0.0.1 as child processes of this command: the platform API, the demo tax
authority's API, and Airflow's api-server, scheduler, dag-processor and triggerer (LocalExecutor,
its metadata in SQLite under the data folder). Stopping the command (Ctrl-C, SIGTERM) stops them
all, and a child that dies stops the rest: nothing is left running either way.
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import FrameType

import click

from exchange.settings import Settings

# The DAG files ship beside the packages, in a checkout as in the image.
DAGS = Path(__file__).resolve().parents[1] / "dags"
BIN = Path(sys.executable).parent
AIRFLOW_PARTS = ("scheduler", "dag-processor", "triggerer")
ADMIN = "admin"


def airflow_environment(settings: Settings, home: Path, port: int) -> dict[str, str]:
    """Airflow's settings for one machine, and the platform's, absolute so tasks find them."""
    data_dir = settings.data_dir.resolve()
    database_url = settings.database_url or f"sqlite:///{(data_dir / 'exchange.db').as_posix()}"
    return {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "EXCHANGE_DATA_DIR": str(data_dir),
        "EXCHANGE_DATABASE_URL": database_url,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        # Scheduled as soon as parsed: a new user sees the DAGs run without unpausing each.
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "10",
        # Scheduled ingestion reaches the demo tax authority's API, as `make demo` allows.
        "EXCHANGE_SOURCE_HOSTS": os.environ.get("EXCHANGE_SOURCE_HOSTS")
        or f"127.0.0.1:{settings.api_port + 1}",
    }


class Children:
    """Processes started in sessions of their own, so each is stopped with all it started."""

    def __init__(self, logs: Path, env: dict[str, str]) -> None:
        self.logs, self.env = logs, env
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *command: str | Path) -> None:
        log = (self.logs / f"{name}.log").open("ab")
        self.running[name] = subprocess.Popen(  # noqa: S603 (our own programs and arguments)
            [str(part) for part in command], env=self.env, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def exited(self) -> str | None:
        return next((name for name, p in self.running.items() if p.poll() is not None), None)

    def stop(self) -> None:
        stop_sessions(list(self.running.values()))


def stop_sessions(processes: "list[subprocess.Popen[bytes]]") -> None:
    """Stop each process started in a session of its own and everything it started there,
    killing what does not stop."""
    for process in processes:
        _signal_group(process, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait(timeout=10)
    # What a child started in its session and left behind when it exited.
    for process in processes:
        _signal_group(process, signal.SIGKILL)


def _signal_group(process: "subprocess.Popen[bytes]", signal_number: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal_number)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 (our loopback URL)
            return bool(answer.status == 200)
    except OSError:
        return False


def _wait(children: Children, url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not _answers(url):
        if (gone := children.exited()) is not None:
            raise click.ClickException(f"{gone} stopped while starting: see its log")
        if time.monotonic() > deadline:
            raise click.ClickException(f"{url} did not answer within {seconds:.0f} s")
        time.sleep(1)


def run(settings: Settings, airflow_port: int) -> None:
    if not settings.dag_specs_path.exists():
        raise click.UsageError("run `exchange demo` first: it registers the demo sources")
    home = settings.data_dir.resolve() / "airflow"
    home.mkdir(parents=True, exist_ok=True)
    env = airflow_environment(settings, home, airflow_port)
    click.echo(f"Airflow's database: {home / 'airflow.db'} (logs of every part in {home})")
    migrated = subprocess.run(  # noqa: S603 (our own program and arguments)
        [BIN / "airflow", "db", "migrate"], env=env, capture_output=True
    )
    if migrated.returncode != 0:
        raise click.ClickException(migrated.stderr.decode(errors="replace")[-2000:])
    children = Children(home, env)
    stopping = False

    def stop_on(signal_number: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop_on)
    signal.signal(signal.SIGINT, stop_on)
    try:
        children.start("platform", BIN / "exchange", "serve")
        children.start("demo-systems", BIN / "exchange", "demo-systems")
        children.start("api-server", BIN / "airflow", "api-server", "-H", "127.0.0.1",
                       "-p", str(airflow_port))  # fmt: skip
        for part in AIRFLOW_PARTS:
            children.start(part, BIN / "airflow", part)
        platform_url = f"http://{settings.api_host}:{settings.api_port}"
        airflow_url = f"http://127.0.0.1:{airflow_port}"
        _wait(children, f"{platform_url}/healthz", 60)
        _wait(children, f"{airflow_url}/api/v2/version", 180)
        passwords = json.loads((home / "passwords.json").read_text())
        click.echo(f"Platform: {platform_url} (API documentation {platform_url}/docs)")
        click.echo(f"Airflow:  {airflow_url}  user {ADMIN}, password {passwords[ADMIN]}")
        click.echo("The DAGs run as scheduled; Ctrl-C stops everything.", nl=True)
        while not stopping:
            if (gone := children.exited()) is not None:
                raise click.ClickException(f"{gone} stopped: see {home / gone}.log")
            time.sleep(1)
    finally:
        children.stop()
        click.echo("stopped the platform, the demo systems and Airflow")
