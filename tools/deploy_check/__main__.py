"""`make deploy-check`: docker/compose.yaml brought up for real and checked, then taken down.

Every check is named; the first that fails stops the run, and its name and what it saw are
printed last. Whatever happens, the stacks are taken down with their volumes and, when this run
started the Docker daemon, the daemon is stopped: nothing is left running.
"""

import os
import secrets
import shlex
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from tools.deploy_check import checks, engine
from tools.deploy_check.stack import CheckFailed, Stack, docker, throwaway_env
from tools.deploy_check.walk import BUREAU, Walk

T = TypeVar("T")


def step(name: str, action: Callable[[], T]) -> T:
    started = time.monotonic()
    print(f"… {name}", flush=True)
    try:
        result = action()
    except CheckFailed as failure:
        raise CheckFailed(f"{name}: {failure}") from None
    except Exception as error:  # an unexpected answer is a failed check too, named
        raise CheckFailed(f"{name}: {type(error).__name__}: {error}") from error
    print(f"ok {name} ({time.monotonic() - started:.0f} s)", flush=True)
    return result


def left_behind(projects: list[str]) -> list[str]:
    found = []
    for project in projects:
        label = f"label=com.docker.compose.project={project}"
        found += [f"container {c}" for c in docker("ps", "-aq", "--filter", label).split()]
        for kind in ("volume", "network"):
            found += [f"{kind} {n}" for n in docker(kind, "ls", "-q", "--filter", label).split()]
    return found


def nothing_left(*stacks: Stack) -> None:
    if left := left_behind([s.project for s in stacks]):
        raise CheckFailed(f"left behind: {', '.join(left)}")


def destroy(stack: Stack) -> None:
    stack.down()
    nothing_left(stack)


def run(folder: Path, stacks: list[Stack]) -> None:
    suffix = secrets.token_hex(3)
    first = Stack(f"exchange-check-{suffix}", throwaway_env(), folder)
    stacks.append(first)
    step("the image builds once (migrate builds it, every other service uses it)",
         lambda: first.compose("build", timeout=1800))  # fmt: skip
    step("every service comes up healthy", first.up)
    step("the proxy speaks TLS with HSTS and sends plain HTTP to HTTPS",
         lambda: checks.trust_proxy_certificate(first, folder))  # fmt: skip
    walk = Walk(first.base_url)
    step("the bureau's administrator is created in the CLI container",
         lambda: first.cli("exchange", "admin", "create", "--username", "deploy.admin",
                           "--department-code", BUREAU[0], "--department-name", BUREAU[1],
                           "--password", walk.admin_password))  # fmt: skip
    step("/healthz answers from both API replicas, directly and through the proxy",
         lambda: checks.replicas_answer(first))  # fmt: skip
    step("departments and their staff are registered through the proxy", walk.register_people)
    code = step("a source's ingest DAG runs on a Celery worker into object storage, then validates",
                lambda: checks.ingest_on_celery_and_validate(first, walk))  # fmt: skip
    step("a request approved through replica A is honoured by replica B within 1 s",
         lambda: checks.grant_reaches_other_replica(first, walk, code))  # fmt: skip
    step("the proxy follows API replicas replaced by new ones at new addresses",
         lambda: checks.proxy_follows_replaced_replicas(first))  # fmt: skip
    step("a replica killed under load loses no accepted request",
         lambda: checks.killed_replica_loses_nothing(first, walk, code))  # fmt: skip
    requests = walk.request_ids()
    backups, keys = folder / "backups", folder / "keys"
    step("`exchange backup` while the platform runs, the warehouse key file kept apart",
         lambda: checks.backup(first, backups, keys))  # fmt: skip
    step("the stack is destroyed with its volumes", lambda: destroy(first))
    # The same secrets (the backup's source credentials need EXCHANGE_SECRET_KEY), new ports.
    env = {**throwaway_env(), **{k: v for k, v in first.env.items() if "PORT" not in k}}
    second = Stack(f"exchange-check-{suffix}-restored", env, folder)
    stacks.append(second)
    step("a new stack's storage comes up empty",
         lambda: second.up("postgres", "minio-init", "redis", seconds=180))  # fmt: skip
    step("the warehouse key file is put back", lambda: checks.put_back_keys(second, keys))
    step("`exchange restore` into it",
         lambda: second.cli("exchange", "restore", "/backups/check",
                            volumes=[f"{backups}:/backups"]))  # fmt: skip
    step("the restored stack comes up healthy", second.up)
    step("the restored proxy speaks TLS too",
         lambda: checks.trust_proxy_certificate(second, folder))  # fmt: skip
    restored = Walk(second.base_url, walk.admin_password, walk.tokens)
    step("the same data is readable, the same requests are there, the audit chain is intact",
         lambda: checks.restored_same(second, restored, code, requests))  # fmt: skip


def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="deploy-check-"))
    stacks: list[Stack] = []
    started_daemon = False
    failure: CheckFailed | None = None
    try:
        started_daemon = step("Docker answers (prepared with the offline-images script if not)",
                              lambda: engine.prepare(folder / "prepare.log"))  # fmt: skip
        run(folder, stacks)
    except CheckFailed as failed:
        failure = failed
    except Exception as error:  # between the checks: still named, and still taken down
        failure = CheckFailed(f"{type(error).__name__}: {error}")
    if failure is not None and os.environ.get("DEPLOY_CHECK_KEEP") == "1":
        print(f"\nFAILED: {failure}\nkept for inspection (the daemon too):", file=sys.stderr)
        for stack in stacks:
            print(f"  {shlex.join(stack.command())} down -v", file=sys.stderr)
        return 1
    try:
        for stack in stacks:
            if failure is not None:
                for service in ("api", "proxy", "airflow-worker", "airflow-scheduler"):
                    print(f"--- {stack.project} {service} (last lines)\n{stack.logs(service, 30)}")
            stack.down()
        step("`down -v` leaves nothing behind", lambda: nothing_left(*stacks))
        if started_daemon:
            step("the Docker daemon this check started is stopped", engine.stop)
    except CheckFailed as failed:
        failure = failure or failed
    if failure is not None:
        print(f"\nFAILED: {failure}", file=sys.stderr)
        return 1
    print("\ndeploy-check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
