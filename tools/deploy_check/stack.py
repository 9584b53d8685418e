"""One Compose project of docker/compose.yaml, driven through the `docker` command: brought up
with a throwaway env file on free host ports, inspected, and taken down with its volumes."""

import json
import secrets
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker" / "compose.yaml"
# The services that run once and exit; every other one must be running and healthy.
ONE_SHOTS = frozenset({"migrate", "minio-init", "tls-init"})


class CheckFailed(Exception):
    """A check did not hold; the message says what was seen."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def password() -> str:
    """A letter, then hex: a value that starts with '-' (as token_urlsafe's do, one in 64) is read
    as an option by the command lines it is handed to, `mc alias set` among them. The capital
    letter with hex's small letters and digits meets the platform's rule for people's passwords,
    which the check's administrator and staff get from here too."""
    return "P" + secrets.token_hex(32)


def throwaway_env(bucket: str = "exchange-warehouse") -> dict[str, str]:
    """Every value docker/env.example asks for, made afresh; host ports chosen free."""
    return {
        "EXCHANGE_HTTP_PORT": str(free_port()),
        "EXCHANGE_HTTPS_PORT": str(free_port()),
        "AIRFLOW_HTTP_PORT": str(free_port()),
        "MINIO_CONSOLE_PORT": str(free_port()),
        "EXCHANGE_PUBLIC_BASE_URL": "https://exchange.deploy-check.example",
        "POSTGRES_PASSWORD": password(),
        "EXCHANGE_DB_PASSWORD": password(),
        "AIRFLOW_DB_PASSWORD": password(),
        "EXCHANGE_SECRET_KEY": Fernet.generate_key().decode(),
        "MINIO_ROOT_USER": "root-" + secrets.token_hex(4),
        "MINIO_ROOT_PASSWORD": password(),
        "EXCHANGE_BUCKET": bucket,
        "EXCHANGE_S3_ACCESS_KEY_ID": "exchange-" + secrets.token_hex(4),
        "EXCHANGE_S3_SECRET_ACCESS_KEY": password(),
        "REDIS_PASSWORD": password(),
        "AIRFLOW_FERNET_KEY": Fernet.generate_key().decode(),
        "AIRFLOW_JWT_SECRET": password(),
        "AIRFLOW_API_SECRET_KEY": password(),
        "EXCHANGE_IMAGE": "exchange-platform:deploy-check",
    }


def docker(
    *args: str, timeout: float = 900, check: bool = True, input_text: str | None = None
) -> str:
    done = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout,
                          input=input_text)  # fmt: skip
    if check and done.returncode != 0:
        raise CheckFailed(
            f"`docker {' '.join(args)[:200]}` exited {done.returncode}:\n"
            + (done.stderr or done.stdout)[-3000:]
        )
    return done.stdout


@dataclass
class Container:
    id: str
    service: str
    number: int
    state: str
    health: str
    exit_code: int
    address: str


class Stack:
    """`docker compose -p PROJECT -f docker/compose.yaml --env-file ENV …`."""

    def __init__(self, project: str, env: dict[str, str], folder: Path) -> None:
        self.project, self.env = project, env
        self.env_file = folder / f"{project}.env"
        self.env_file.write_text("".join(f"{k}={v}\n" for k, v in env.items()))
        self.env_file.chmod(0o600)

    @property
    def base_url(self) -> str:
        """The proxy over TLS, as people reach the platform."""
        return f"https://127.0.0.1:{self.env['EXCHANGE_HTTPS_PORT']}"

    @property
    def plain_url(self) -> str:
        return f"http://127.0.0.1:{self.env['EXCHANGE_HTTP_PORT']}"

    def command(self) -> list[str]:
        return ["docker", "compose", "-p", self.project, "-f", str(COMPOSE_FILE),
                "--env-file", str(self.env_file)]  # fmt: skip

    def compose(
        self, *args: str, timeout: float = 900, check: bool = True, input_text: str | None = None
    ) -> str:
        return docker(*self.command()[1:], *args,
                      timeout=timeout, check=check, input_text=input_text)  # fmt: skip

    def cli(self, *args: str, volumes: Sequence[str] = ()) -> str:
        """A one-off platform container, as an operator runs `exchange …` (no dependencies)."""
        mounts = [option for volume in volumes for option in ("-v", volume)]
        return self.compose("run", "--rm", "--no-deps", "-T", *mounts, "api", *args)

    def exec(self, service: str, *args: str, index: int = 1) -> str:
        return self.compose("exec", "-T", "--index", str(index), service, *args)

    def containers(self) -> list[Container]:
        ids = self.compose("ps", "-a", "-q").split()
        if not ids:
            return []
        found = []
        for item in json.loads(docker("inspect", *ids)):
            labels = item["Config"]["Labels"]
            state = item["State"]
            networks = item["NetworkSettings"]["Networks"].values()
            found.append(
                Container(
                    id=item["Id"][:12],
                    service=labels["com.docker.compose.service"],
                    number=int(labels["com.docker.compose.container-number"]),
                    state=state["Status"],
                    health=state.get("Health", {}).get("Status", "none"),
                    exit_code=int(state["ExitCode"]),
                    address=next((n["IPAddress"] for n in networks if n["IPAddress"]), ""),
                )
            )
        return sorted(found, key=lambda c: (c.service, c.number))

    def replicas(self, service: str) -> list[Container]:
        return [c for c in self.containers() if c.service == service and c.state == "running"]

    def unhealthy(self) -> list[str]:
        """Each container that is not as it should be: one-shots exited 0, the rest healthy."""
        wrong = []
        for c in self.containers():
            if c.service in ONE_SHOTS:
                if c.state != "exited" or c.exit_code != 0:
                    wrong.append(f"{c.service}-{c.number}: {c.state} (exit {c.exit_code})")
            elif c.state != "running" or c.health != "healthy":
                wrong.append(f"{c.service}-{c.number}: {c.state}, {c.health}")
        return wrong

    def wait_healthy(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (wrong := self.unhealthy()) and time.monotonic() < deadline:
            time.sleep(3)
        if wrong:
            raise CheckFailed(f"not healthy after {seconds:.0f} s: {'; '.join(wrong)}")

    def up(self, *services: str, seconds: float = 420) -> None:
        """`up -d` (every service, or those named) and wait until they are healthy."""
        self.compose("up", "-d", *services)
        self.wait_healthy(seconds)

    def logs(self, service: str, tail: int = 60, since: datetime | None = None) -> str:
        """The service's last ``tail`` lines, or with ``since`` every line from then on."""
        window = ["--since", f"{since:%Y-%m-%dT%H:%M:%SZ}"] if since else ["--tail", str(tail)]
        return self.compose("logs", "--no-color", *window, service, check=False)

    def down(self) -> None:
        self.compose("down", "-v", "--remove-orphans", "--timeout", "20", check=False)
        self.env_file.unlink(missing_ok=True)
