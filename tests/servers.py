"""Starting the platform as a user would, for end-to-end tests: migrate, seed the demo, serve."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

if TYPE_CHECKING:
    from exchange.runtime import Platform

EXCHANGE = Path(sys.executable).parent / "exchange"
# The demonstration signs everyone in with the password alone (the Makefile says so too).
DEMO_SECOND_FACTOR_ROLES = "[]"


def free_port_pair() -> int:
    """A free port whose next one is free too: the demo tax API takes the API port + 1."""
    while True:
        with socket.socket() as probe, socket.socket() as next_one:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
            try:
                next_one.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
            return port


def answers(url: str) -> bool:
    """Whether ``url`` answers 200 now (a server still starting does not)."""
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def within(seconds: float, condition: Callable[[], bool]) -> bool:
    """Whether ``condition`` holds within ``seconds`` (checked every 20 ms, and once at the end)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def wait_until_answering(base: str, server: "subprocess.Popen[bytes]", seconds: float = 30) -> None:
    """Until ``base``/healthz answers; fails the test if the server exits or takes too long."""
    deadline = time.monotonic() + seconds
    while not answers(f"{base}/healthz"):
        if time.monotonic() > deadline or server.poll() is not None:
            pytest.fail(f"the server at {base} did not answer within {seconds:.0f} s")
        time.sleep(0.1)


@contextmanager
def demo_server(folder: Path, *demo_args: str) -> Iterator[tuple[str, str]]:
    """``exchange db upgrade``, ``exchange demo`` and ``exchange serve`` in ``folder``; yields the
    base URL once /healthz answers, and what the demo printed."""
    port = free_port_pair()
    env = {
        **os.environ,
        "EXCHANGE_DATA_DIR": str(folder / "var"),
        "EXCHANGE_API_PORT": str(port),
        "EXCHANGE_SECOND_FACTOR_ROLES": DEMO_SECOND_FACTOR_ROLES,
    }  # as make demo runs it
    env.pop("EXCHANGE_DATABASE_URL", None)
    subprocess.run([EXCHANGE, "db", "upgrade"], env=env, check=True, capture_output=True)
    seeded = subprocess.run(
        [EXCHANGE, "demo", *demo_args], env=env, check=True, capture_output=True, text=True
    )
    server = subprocess.Popen(
        [EXCHANGE, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(base, server)
        yield base, seeded.stdout
    finally:
        server.terminate()
        server.wait(timeout=10)


@contextmanager
def serving(platform: "Platform") -> Iterator[str]:
    """``exchange serve`` on the test's database and data folder, in a process of its own as in
    production (a server in the test's process would share its GIL with the test's client).
    Yields the base URL once /healthz answers."""
    with server_process(platform) as (base, _server):
        yield base


@contextmanager
def server_process(
    platform: "Platform", **environment: str
) -> "Iterator[tuple[str, subprocess.Popen[bytes]]]":
    """As :func:`serving`, with the process itself, for a test that kills it; ``environment``
    adds to the server's."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    settings = platform.settings
    env = {
        **os.environ,
        "EXCHANGE_DATABASE_URL": platform.database.url,
        "EXCHANGE_DATA_DIR": str(settings.data_dir),
        "EXCHANGE_API_PORT": str(port),
        "EXCHANGE_IMPORT_MAX_ROWS": str(settings.import_max_rows),
        **environment,
    }
    # A session of its own: on PostgreSQL the server runs worker processes, and killing the
    # server means killing them all, as stopping a container does.
    server = subprocess.Popen(
        [EXCHANGE, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(base, server)
        yield base, server
    finally:
        if server.poll() is None:
            server.terminate()
        server.wait(timeout=10)
        kill_all(server)


def kill_all(server: "subprocess.Popen[bytes]") -> None:
    """SIGKILL to the server and every worker process it started."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)
