"""The checks of `make deploy-check`, each a function of a running stack. Each raises
CheckFailed with what it saw; the runner names the check that failed."""

import concurrent.futures
import os
import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath

import httpx

from collection.dagspecs import validation_dag_id
from tools.deploy_check.stack import CheckFailed, Container, Stack, docker
from tools.deploy_check.walk import CONSUMER, PROVIDER, ROWS, Walk, csv_text, expect

PROPAGATION_SECONDS = 1.0
API_PORT = 8000  # each API replica's, on the compose network (compose.yaml, nginx.conf)
SOURCE_FOLDER = "enterprises"
AIRFLOW_DB = ("postgres", "psql", "-U", "postgres", "-d", "airflow", "-Atc")


def wait(condition: object, seconds: float, what: str, every: float = 3) -> object:
    deadline = time.monotonic() + seconds
    while True:
        result = condition() if callable(condition) else condition
        if result:
            return result
        if time.monotonic() > deadline:
            raise CheckFailed(f"timed out after {seconds:.0f} s waiting for {what}")
        time.sleep(every)


def replica_urls(stack: Stack) -> list[str]:
    """Each running API replica's own address on the compose network (reachable from the host)."""
    replicas = stack.replicas("api")
    if len(replicas) != 2:
        raise CheckFailed(f"{len(replicas)} API replicas running, not 2")
    return [f"http://{proxied_address(r)}" for r in replicas]


def proxied_address(replica: Container) -> str:
    """A replica's address as the proxy's log names it (and as the proxy reaches it)."""
    return f"{replica.address}:{API_PORT}"


def replicas_answer(stack: Stack) -> None:
    """/healthz from each replica directly, then through the proxy until the proxy's log shows
    it reached every replica."""
    for url in replica_urls(stack):
        answer = httpx.get(f"{url}/healthz", timeout=10)
        if answer.status_code != 200 or answer.json().get("database") != "postgresql":
            raise CheckFailed(f"{url}/healthz: HTTP {answer.status_code} {answer.text[:200]}")
    proxy_reaches_every_replica(stack)


def proxy_reaches_every_replica(stack: Stack) -> None:
    addresses = {proxied_address(r) for r in stack.replicas("api")}
    marker = uuid.uuid4().hex
    failures = []
    for _ in range(20):
        answer = httpx.get(f"{stack.base_url}/healthz", params={"probe": marker}, timeout=10)
        if answer.status_code != 200:
            failures.append(answer.status_code)
    seen = {
        upstreams(line)[-1]
        for line in stack.logs("proxy", tail=400).splitlines()
        if marker in line and "upstream=" in line
    }
    if failures or not addresses <= seen:
        raise CheckFailed(
            f"through the proxy: {len(failures)} of 20 failed {sorted(set(failures))}; "
            f"replicas {sorted(addresses)}, reached {sorted(seen)}"
        )


def ingest_on_celery_and_validate(stack: Stack, walk: Walk) -> str:
    """A source registered through the proxy; its DAG run by the scheduler on a Celery worker
    into object storage; then its validation. Returns the resource code."""
    code = walk.publish_entry()
    folder = f"/var/lib/exchange/drop/{PROVIDER[0]}/{SOURCE_FOLDER}"
    stack.compose("exec", "-T", "api", "sh", "-c", f"mkdir -p {folder} && cat > {folder}/a.csv",
                  input_text=csv_text())  # fmt: skip
    source = walk.register_source(code, SOURCE_FOLDER)
    dag = f"ingest_source_{source}"
    wait(lambda: airflow_query(stack, f"select dag_id from dag where dag_id = '{dag}'"),
         180, f"the dag-processor to parse {dag}")  # fmt: skip
    stack.exec("airflow-scheduler", "airflow", "dags", "unpause", dag)
    stack.exec("airflow-scheduler", "airflow", "dags", "trigger", dag)
    states = f"select state from dag_run where dag_id = '{dag}' and run_type = 'manual'"
    wait(lambda: airflow_query(stack, states) in ("success", "failed"), 300, f"{dag} to finish")
    if airflow_query(stack, states) != "success":
        raise CheckFailed(f"{dag} failed:\n" + stack.logs("airflow-worker", tail=80))
    ran_on = airflow_query(
        stack, f"select distinct hostname from task_instance where dag_id = '{dag}' "
        "and state = 'success'",
    ).split()  # fmt: skip
    workers = {c.id for c in stack.replicas("airflow-worker")}
    if not ran_on or not set(ran_on) <= workers:
        raise CheckFailed(f"{dag} ran on {ran_on}, not on a Celery worker {sorted(workers)}")
    files = stack.cli("python", "-c", DATA_FILES, code).split()
    bucket = f"s3://{stack.env['EXCHANGE_BUCKET']}/"
    if not files or not all(f.startswith(bucket) for f in files):
        raise CheckFailed(f"the table's data files are not in object storage: {files}")
    runs_path = f"/api/v1/quality/resources/{code}/validation-runs"
    with walk.client("provider.staff") as staff:
        try:
            runs = wait(lambda: expect(staff.get(runs_path), 200, "validation runs"), 240,
                        "the validation DAG to validate the new snapshot", every=5)  # fmt: skip
        except CheckFailed as failure:
            raise CheckFailed(f"{failure}\n{validation_dag_state(stack, code)}") from None
    assert isinstance(runs, list)
    if not runs[0]["passed"]:
        raise CheckFailed(f"the snapshot failed validation: {runs[0]}")
    answer = walk.read(code, "uscc,enterprise_name")
    got = sorted(
        row["uscc"] for row in expect(answer, 200, "the consumer reads open columns")["rows"]
    )
    if got != sorted(r[0] for r in ROWS):
        raise CheckFailed(f"read {got} back, not the {len(ROWS)} rows written")
    return code


# Printed by the CLI container: every data file of the resource's Iceberg table.
DATA_FILES = """
import sys
from exchange.settings import Settings
from exchange.store import UnifiedStore
table = UnifiedStore(Settings()).table(sys.argv[1])
print("\\n".join(table.inspect.files()["file_path"].to_pylist()) if table else "")
"""


def validation_dag_state(stack: Stack, code: str) -> str:
    """What Airflow knows of the resource's validation DAG: when it was parsed, its runs and
    their tasks' states, and the Asset updates queued for it."""
    dag = validation_dag_id(code)
    queries = {
        "parsed": f"select last_parsed_time, is_paused from dag where dag_id = '{dag}'",
        "runs": f"select run_id, state from dag_run where dag_id = '{dag}'",
        "tasks": f"select try_number, state from task_instance where dag_id = '{dag}'",
        "queued": f"select created_at from asset_dag_run_queue where target_dag_id = '{dag}'",
    }
    return "\n".join(f"{dag} {name}: {airflow_query(stack, sql) or '-'}"
                     for name, sql in queries.items())  # fmt: skip


def airflow_query(stack: Stack, sql: str) -> str:
    return stack.compose("exec", "-T", *AIRFLOW_DB, sql, check=False).strip()


def grant_reaches_other_replica(stack: Stack, walk: Walk, code: str) -> None:
    first, second = replica_urls(stack)
    columns = "uscc,legal_representative"
    before = walk.read(code, columns, second)
    if before.status_code != 403:
        raise CheckFailed(
            f"the conditional column was readable before any grant: {before.status_code}"
        )
    request = walk.file_request(code, "核验法定代表人", first)
    walk.approve(request, first)
    approved_at = time.monotonic()
    while (answer := walk.read(code, columns, second)).status_code != 200:
        if time.monotonic() - approved_at > PROPAGATION_SECONDS:
            raise CheckFailed(
                f"replica B still refused {PROPAGATION_SECONDS} s after replica A approved: "
                f"HTTP {answer.status_code}"
            )
        time.sleep(0.05)
    names = {row["legal_representative"] for row in answer.json()["rows"]}
    if names != {r[2] for r in ROWS}:
        raise CheckFailed(f"replica B returned {names}")


def proxy_follows_replaced_replicas(stack: Stack) -> None:
    """A rolling replacement: two new replicas start (new addresses) before the old two go."""
    old = {c.id for c in stack.replicas("api")}
    stack.compose("up", "-d", "--no-deps", "--no-recreate", "--scale", "api=4", "api")
    wait(lambda: sum(c.health == "healthy" for c in stack.replicas("api")) == 4, 120,
         "four healthy API replicas")  # fmt: skip
    for container in old:
        docker("rm", "-f", container)
    wait(lambda: len(stack.replicas("api")) == 2, 30, "the old replicas to go")
    wait(lambda: {c.id for c in stack.replicas("api")}.isdisjoint(old), 5, "new replicas")
    time.sleep(12)  # past the proxy's resolver validity (10 s)
    proxy_reaches_every_replica(stack)


def killed_replica_loses_nothing(stack: Stack, walk: Walk, code: str, requests: int = 120) -> None:
    """Requests filed through the proxy by 6 clients while one replica is killed: every request
    answered 201 is in the database afterwards, and every one that failed was in flight on the
    killed replica, by the proxy's own record.

    A request that reached the killed replica fails with 502, and the proxy does not send a POST
    again (the replica may have recorded it before it died). How many such there are is not
    bounded by the clients: a killed process keeps completing connections until its memory is
    freed and its sockets close (0.1-0.4 s on this check's machine), so one client can lose
    several requests in a row to it. Every other failure (from the surviving replica, from no
    replica at all, or one the proxy does not record) fails the check."""
    before = walk.request_ids()
    victim = stack.replicas("api")[0]
    accepted: list[int] = []
    failed: list[str] = []

    def file(number: int) -> None:
        try:
            accepted.append(walk.file_request(code, f"负载核验第{number}号"))
        except (CheckFailed, httpx.HTTPError) as error:
            failed.append(str(error)[:120])

    load_started = datetime.now(UTC) - timedelta(seconds=1)
    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        futures = [pool.submit(file, n) for n in range(requests)]
        wait(lambda: len(accepted) >= requests // 3, 120, "a third of the load", every=0.05)
        docker("kill", "--signal", "KILL", victim.id)
        concurrent.futures.wait(futures)
    after = walk.request_ids()
    lost = set(accepted) - after
    if lost:
        raise CheckFailed(f"{len(lost)} accepted requests are not in the database: {sorted(lost)}")
    dropped = failed_filings(stack, since=load_started)
    elsewhere = [line for line in dropped if upstreams(line) != [proxied_address(victim)]]
    if elsewhere or len(dropped) != len(failed):
        raise CheckFailed(
            f"{len(failed)} of {requests} failed; the proxy answered 502 to {len(dropped)}, "
            f"{len(elsewhere)} of them not in flight on the killed replica "
            f"{victim.address}: {elsewhere[:3]} {failed[:3]}"
        )
    extra = after - before - set(accepted)
    if len(extra) > len(failed):
        raise CheckFailed(f"{len(extra)} requests recorded that nobody filed")
    print(f"   {len(accepted)} accepted, {len(failed)} failed in flight on the killed replica")
    docker("start", victim.id)
    stack.wait_healthy(180)


def failed_filings(stack: Stack, since: datetime) -> list[str]:
    """The proxy's access-log lines of requests filed since then that it answered with 502."""
    return [
        line
        for line in stack.logs("proxy", since=since).splitlines()
        if '"POST /api/v1/access/requests ' in line and '" 502 ' in line
    ]


def upstreams(access_line: str) -> list[str]:
    """The replicas the proxy tried for one request, in order: `upstream=A, B 0.003` in its
    access log (nginx's $upstream_addr, then $request_time) says it tried A, then B answered."""
    tried = re.search(r"upstream=(.*) [0-9.]+$", access_line)
    return [address.strip() for address in tried.group(1).split(",")] if tried else []


def trust_proxy_certificate(stack: Stack, folder: Path) -> None:
    """R21: the proxy speaks TLS with the certificate tls-init made, sends HSTS, and sends plain
    HTTP on to HTTPS. This process then trusts its certificate alone (httpx reads SSL_CERT_FILE):
    two self-signed certificates for the same name would be looked up by that name, first one
    first."""
    trusted = folder / "trusted.pem"
    trusted.write_text(stack.exec("proxy", "cat", "/etc/nginx/tls/cert.pem"), encoding="ascii")
    os.environ["SSL_CERT_FILE"] = str(trusted)
    answer = httpx.get(f"{stack.base_url}/healthz", timeout=10)
    expect(answer, 200, "/healthz over TLS")
    if "max-age=31536000" not in answer.headers.get("strict-transport-security", ""):
        raise CheckFailed(f"no HSTS header over TLS: {dict(answer.headers)}")
    plain = httpx.get(f"{stack.plain_url}/catalog", timeout=10)
    if plain.status_code != 301 or not plain.headers.get("location", "").startswith("https://"):
        raise CheckFailed(f"plain HTTP answered {plain.status_code} {plain.headers}")


def backup(stack: Stack, folder: Path, keys: Path) -> str:
    """A backup, and apart from it the warehouse key file, which the operator keeps as they keep
    EXCHANGE_SECRET_KEY: the backup's sensitive items stay encrypted without it (R21)."""
    for made in (folder, keys):
        made.mkdir(mode=0o777, exist_ok=True)
        made.chmod(0o777)  # the image's user (uid 50000) writes it
    stack.cli("exchange", "backup", "/backups/check", volumes=[f"{folder}:/backups"])
    if not (folder / "check" / "manifest.json").is_file():
        raise CheckFailed(f"no backup at {folder / 'check'}")
    stack.cli("cp", f"{KEY_FILE}", "/keys/", volumes=[f"{keys}:/keys"])
    key_file = (keys / KEY_FILE.name).read_bytes()
    if any(p.is_file() and p.read_bytes() == key_file for p in (folder / "check").rglob("*")):
        raise CheckFailed("the backup holds the warehouse key file")
    return stack.cli("exchange", "audit", "verify").strip()


def put_back_keys(stack: Stack, keys: Path) -> None:
    stack.cli("cp", f"/keys/{KEY_FILE.name}", str(KEY_FILE), volumes=[f"{keys}:/keys"])


# The warehouse key file in the platform's data volume (EXCHANGE_DATA_DIR's default name).
KEY_FILE = PurePosixPath("/var/lib/exchange/warehouse-keys.json")


def restored_same(stack: Stack, walk: Walk, code: str, requests: set[int]) -> None:
    """The restored stack: same rows (with the granted column), same requests, audit intact."""
    answer = walk.read(code, "uscc,legal_representative")
    rows = expect(answer, 200, "the consumer reads the granted column after the restore")["rows"]
    if {(r["uscc"], r["legal_representative"]) for r in rows} != {(r[0], r[2]) for r in ROWS}:
        raise CheckFailed(f"restored rows differ: {rows}")
    if walk.request_ids() != requests:
        raise CheckFailed("the restored requests differ from those backed up")
    stack.cli("exchange", "audit", "verify")  # exits 1, so fails, when the chain is broken


def departments_present(walk: Walk) -> None:
    with walk.client("consumer") as consumer:
        codes = {d["code"] for d in expect(consumer.get("/api/v1/departments"), 200, "departments")}
    if not {PROVIDER[0], CONSUMER[0]} <= codes:
        raise CheckFailed(f"departments after the restore: {sorted(codes)}")
