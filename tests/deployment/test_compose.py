"""The compose file, checked by Docker Compose itself (`docker compose config`, without an engine;
`make deploy-check` runs it for real): it resolves with every secret given, refuses to without
them, and has the shape the deployment needs. The image's Dockerfile copies every package the
project ships."""

import base64
import fnmatch
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import compose
import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
LONG_RUNNING = {"postgres", "minio", "redis", "api", "proxy", "airflow-api-server",
                "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer", "airflow-worker"}  # fmt: skip
ONE_SHOT = {"minio-init", "migrate", "tls-init"}


def _compose_command() -> list[str]:
    """`docker compose` when the plugin is installed, else the same program from PyPI."""
    docker = shutil.which("docker")
    if (
        docker
        and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0
    ):
        return [docker, "compose"]
    return [str(Path(compose.__file__).parent / "docker-compose")]


def _config(env_file: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("EXCHANGE_", "AIRFLOW"))
    }
    return subprocess.run(
        [*_compose_command(), "-f", str(DOCKER / "compose.yaml"), "--env-file", str(env_file),
         "config", *args],
        capture_output=True, text=True, env=environment, check=False,
    )  # fmt: skip


def _filled_env(path: Path) -> dict[str, str]:
    """docker/env.example with a fresh value for every empty setting, as an operator fills it."""
    values: dict[str, str] = {}
    lines = []
    for line in (DOCKER / "env.example").read_text().splitlines():
        name, _, value = line.partition("=")
        if line and not line.startswith("#") and not value and not name.startswith("EXCHANGE_SMTP"):
            if name.endswith("FERNET_KEY") or name == "EXCHANGE_SECRET_KEY":
                value = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
            elif name == "EXCHANGE_PUBLIC_BASE_URL":
                value = "https://exchange.example.gov.cn"
            else:
                value = secrets.token_hex(32)  # as env.example says: long enough for JWT
            values[name] = value
            line = f"{name}={value}"
        lines.append(line)
    path.write_text("\n".join(lines) + "\n")
    return values


@pytest.fixture(scope="module")
def resolved(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, str]]:
    env_file = tmp_path_factory.mktemp("compose") / ".env"
    values = _filled_env(env_file)
    done = _config(env_file, "--format", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), values


def test_without_its_secrets_the_deployment_does_not_start() -> None:
    done = _config(DOCKER / "env.example", "--quiet")
    assert done.returncode != 0
    assert re.search(
        r"required variable \w+ is missing a value: set \w+ in docker/.env", done.stderr
    )


def test_no_secret_has_a_default_in_the_compose_file() -> None:
    text = (DOCKER / "compose.yaml").read_text()
    defaulted = re.findall(r"\$\{(\w*(?:PASSWORD|SECRET|KEY)\w*):-", text)
    assert defaulted == ["EXCHANGE_SMTP_PASSWORD"]  # optional e-mail: empty means no e-mail


def test_the_resolved_deployment_has_its_pieces_and_their_health_checks(
    resolved: tuple[dict[str, Any], dict[str, str]],
) -> None:
    config, values = resolved
    services = config["services"]
    assert set(services) == LONG_RUNNING | ONE_SHOT
    for name in LONG_RUNNING:
        assert services[name].get("healthcheck", {}).get("test"), f"{name} has no health check"
    assert services["api"]["deploy"]["replicas"] >= 2
    assert services["proxy"]["depends_on"]["api"]["condition"] == "service_healthy"
    for name in ("api", "airflow-worker", "airflow-scheduler"):
        assert (
            services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        )

    worker = services["airflow-worker"]["environment"]
    assert worker["AIRFLOW__CORE__EXECUTOR"].endswith("CeleryExecutor")
    assert (
        worker["AIRFLOW__CELERY__BROKER_URL"] == f"redis://:{values['REDIS_PASSWORD']}@redis:6379/0"
    )
    api = services["api"]["environment"]
    assert api["EXCHANGE_PRODUCTION"] == "true"
    assert api["EXCHANGE_DATABASE_URL"].startswith(
        f"postgresql+psycopg://exchange:{values['EXCHANGE_DB_PASSWORD']}@postgres"
    )
    assert (
        api["EXCHANGE_WAREHOUSE_URI"]
        == f"s3://{values.get('EXCHANGE_BUCKET', 'exchange-warehouse')}/tables"
    )
    # The API and the DAGs read the same settings: one database, warehouse and key everywhere.
    for name in ("airflow-worker", "airflow-dag-processor", "migrate"):
        environment = services[name]["environment"]
        assert {k: environment[k] for k in api} == api
    # Data lives in named volumes, not in containers.
    assert {"postgres-data", "minio-data", "exchange-data"} <= set(config["volumes"])
    # One image, built once: migrate builds it, every other platform service uses it as built.
    platform = {name for name, service in services.items()
                if service.get("image", "").startswith("exchange-platform")}  # fmt: skip
    assert {name for name in platform if "build" in services[name]} == {"migrate"}
    assert all(services[name].get("pull_policy") == "never" for name in platform - {"migrate"})


def test_the_proxy_finds_restarted_replicas_again() -> None:
    """nginx resolves `api` through Docker's DNS at run time, not once at start: replicas that
    restart with new addresses are reached again without restarting the proxy."""
    conf = (DOCKER / "nginx.conf").read_text()
    assert re.search(r"^resolver 127\.0\.0\.11 valid=\d+s", conf, re.MULTILINE)
    assert re.search(r"set \$(\w+) http://api:8000;\s+proxy_pass \$\1;", conf)
    # An upstream block would be resolved once, at start.
    assert not re.search(r"^\s*upstream\s", conf, re.MULTILINE)


def test_r21_the_proxy_speaks_tls_with_hsts_and_redirects_plain_http(
    resolved: tuple[dict[str, Any], dict[str, str]],
) -> None:
    """TLS terminates at the proxy (1.2 and 1.3 only), on a certificate tls-init makes on the
    first start; plain HTTP answers only /healthz and a redirect. `make deploy-check` runs it."""
    config, _values = resolved
    proxy = config["services"]["proxy"]
    assert proxy["depends_on"]["tls-init"]["condition"] == "service_completed_successfully"
    assert {port["target"] for port in proxy["ports"]} == {80, 443}
    conf = (DOCKER / "nginx.conf").read_text()
    assert "listen 443 ssl;" in conf
    assert re.search(r"ssl_protocols TLSv1\.2 TLSv1\.3;", conf)
    assert re.search(r'Strict-Transport-Security "max-age=31536000[^"]*" always;', conf)
    assert "return 301 https://$host$request_uri;" in conf
    environment = config["services"]["api"]["environment"]
    assert environment["FORWARDED_ALLOW_IPS"] == "*"  # so its cookies are Secure behind TLS


def _project() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def shipped_packages() -> set[str]:
    """The top-level packages the wheel ships: folders with an ``__init__.py`` that the
    setuptools patterns match (``exchange*`` is exchange, exchange_api and exchange_cli)."""
    patterns = _project()["tool"]["setuptools"]["packages"]["find"]["include"]
    return {
        path.parent.name
        for path in ROOT.glob("*/__init__.py")
        if any(fnmatch.fnmatch(path.parent.name, pattern) for pattern in patterns)
    }


def test_the_image_copies_every_package_the_project_ships() -> None:
    packages = shipped_packages()
    assert {"exchange_cli", "projects"} <= packages
    dockerfile = (DOCKER / "Dockerfile").read_text()
    copied = set(re.findall(r"^COPY (\S+) \1$", dockerfile, flags=re.MULTILINE))
    assert packages <= copied
    for source in re.findall(r"^COPY (.+) \S+$", dockerfile, flags=re.MULTILINE):
        for path in source.split():
            assert (ROOT / path).exists(), f"the Dockerfile copies {path}, which is not there"
    assert "pip install -c constraints.txt '.[deploy]'" in dockerfile


def test_the_installed_package_carries_every_file_of_the_shipped_packages(tmp_path: Path) -> None:
    """The image installs the project as a wheel, not from a checkout: templates, migrations,
    policy models, locales and static files must all be in it."""
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()  # fmt: skip
    source = tmp_path / "source"
    for name in tracked:
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path), "."],
        cwd=source, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr[-2000:]
    [wheel] = tmp_path.glob("*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    packages = shipped_packages()
    expected = {name for name in tracked if name.split("/")[0] in packages}
    assert expected - shipped == set()


def test_the_deploy_check_fills_every_setting_with_values_production_accepts() -> None:
    from exchange.deployment_check import findings
    from exchange.settings import Settings
    from tools.deploy_check.stack import throwaway_env

    env = throwaway_env()
    asked = {
        line.partition("=")[0]
        for line in (DOCKER / "env.example").read_text().splitlines()
        if line and not line.startswith("#") and not line.startswith("EXCHANGE_SMTP")
    }
    assert asked - {"EXCHANGE_SOURCE_HOSTS"} <= env.keys()
    settings = Settings(
        production=True,
        database_url=f"postgresql+psycopg://exchange:{env['EXCHANGE_DB_PASSWORD']}@postgres/x",
        secret_key=env["EXCHANGE_SECRET_KEY"],
        warehouse_uri=f"s3://{env['EXCHANGE_BUCKET']}/tables",
        s3_access_key_id=env["EXCHANGE_S3_ACCESS_KEY_ID"],
        s3_secret_access_key=env["EXCHANGE_S3_SECRET_ACCESS_KEY"],
        public_base_url=env["EXCHANGE_PUBLIC_BASE_URL"],
    )
    assert findings(settings) == []
    ports = [
        env[name] for name in ("EXCHANGE_HTTP_PORT", "AIRFLOW_HTTP_PORT", "MINIO_CONSOLE_PORT")
    ]
    assert len(set(ports)) == 3


def test_the_deploy_check_never_makes_a_secret_a_command_line_reads_as_an_option() -> None:
    """minio-init hands the root password to `mc alias set` as an argument: one that starts with
    '-' is taken for an option there, and the stack never comes up. (The Fernet keys have their
    own format and only ever travel in the environment.)"""
    from tools.deploy_check.stack import throwaway_env

    secrets_made = [
        value
        for _ in range(300)
        for name, value in throwaway_env().items()
        if name.endswith(("PASSWORD", "SECRET", "SECRET_KEY", "SECRET_ACCESS_KEY"))
        and name not in {"EXCHANGE_SECRET_KEY", "AIRFLOW_FERNET_KEY"}
    ]
    assert [value for value in secrets_made if value.startswith("-")] == []


def test_r21_the_deploy_check_gives_its_people_passwords_the_policy_accepts() -> None:
    """R21: the administrator and staff the check signs in get their passwords from the same
    maker as the infrastructure's secrets."""
    from exchange.identity.passwords import checked_hash
    from tools.deploy_check.stack import password

    for _ in range(5):
        assert checked_hash(password(), "deploy.admin")


def test_the_deploy_check_reads_the_replicas_tried_from_the_proxys_log_format() -> None:
    """The deploy check tells which replica failed a request from the proxy's access log: the
    parser follows the log_format docker/nginx.conf declares."""
    from tools.deploy_check.checks import upstreams

    declared = re.search(r"log_format upstream (.*?);", (DOCKER / "nginx.conf").read_text(), re.S)
    assert declared
    layout = "".join(re.findall(r"'([^']*)'", declared.group(1)))
    values = {
        "$remote_addr": "172.20.0.1", "$time_local": "03/Dec/2026:18:10:52 +0000",
        "$request": "POST /api/v1/access/requests HTTP/1.1", "$status": "502",
        "$body_bytes_sent": "157", "$request_time": "3.004",
        "$upstream_addr": "172.20.0.13:8000, 172.20.0.14:8000",
    }  # fmt: skip
    line = re.sub(r"\$\w+", lambda variable: values[variable.group(0)], layout)
    assert "$" not in line
    assert upstreams(f"proxy-1  | {line}") == ["172.20.0.13:8000", "172.20.0.14:8000"]
