"""`exchange serve --workers N` on PostgreSQL: each worker listens on a socket of its own, so the
connections a client holds open spread over every worker; a worker that dies is replaced on its
socket and the connections queued there are answered; stopping the server stops every worker; a
server that cannot start says so and exits instead of starting workers forever."""

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from exchange.runtime import Platform
from exchange_cli.serving import sockets_listening_on
from tests.servers import EXCHANGE, free_port_pair, wait_until_answering, within

WORKERS = 2
STARTUP_FAILURE = 3  # uvicorn's exit code for a server that could not start
CLIENTS = 16
# A connection queued for a dead worker waits for its replacement to start (imports and all).
REPLACEMENT_SECONDS = 60


@dataclass
class Served:
    base: str
    supervisor: "subprocess.Popen[bytes]"
    log: Path

    def answering_processes(self) -> list[int]:
        """The process of each request logged so far, in order."""
        lines = self.log.read_text().splitlines()
        entries = (json.loads(line) for line in lines if line.startswith("{"))
        return [entry["process"] for entry in entries if entry.get("path") == "/healthz"]

    def workers(self) -> set[int]:
        """The worker processes (not the helper multiprocessing starts beside them)."""
        found = subprocess.run(
            ["pgrep", "-P", str(self.supervisor.pid), "-f", "spawn_main"],
            capture_output=True, text=True,
        )  # fmt: skip
        return {int(pid) for pid in found.stdout.split()}


def _environment(platform: Platform, port: int) -> dict[str, str]:
    if platform.database.dialect != "postgresql":
        pytest.skip("several workers share PostgreSQL; SQLite is the one-process setup")
    return {
        **os.environ,
        "EXCHANGE_DATABASE_URL": platform.database.url,
        "EXCHANGE_DATA_DIR": str(platform.settings.data_dir),
        "EXCHANGE_API_PORT": str(port),
        "EXCHANGE_LOG_LEVEL": "INFO",
    }


@pytest.fixture
def served(platform: Platform, tmp_path: Path) -> Iterator[Served]:
    port = free_port_pair()
    env = _environment(platform, port)
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        supervisor = subprocess.Popen([EXCHANGE, "serve", "--workers", str(WORKERS)], env=env,
                                      stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    served = Served(f"http://127.0.0.1:{port}", supervisor, log)
    try:
        wait_until_answering(served.base, supervisor)
        # Each worker starts on its own; connections made before a worker listens go to the rest.
        if not within(30, lambda: sockets_listening_on(port) == WORKERS):
            pytest.fail(f"{WORKERS} workers were not all listening within 30 s")
        yield served
    finally:
        if supervisor.poll() is None:
            supervisor.terminate()
            supervisor.wait(timeout=40)


def test_r12_connections_held_open_spread_over_every_worker(served: Served) -> None:
    """Sixteen keep-alive connections opened together, as a proxy or a load generator opens them,
    once every worker listens: each worker serves some of them."""
    address = ("127.0.0.1", int(served.base.rsplit(":", 1)[1]))
    connections = [socket.create_connection(address, timeout=10) for _ in range(16)]
    try:
        for _ in range(5):
            for connection in connections:
                connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: exchange\r\n\r\n")
            for connection in connections:
                assert _response_status(connection) == 200
    finally:
        for connection in connections:
            connection.close()
    answered = served.answering_processes()[-80:]  # after the one that found the server up
    assert set(answered) == served.workers()
    assert len(set(answered)) == WORKERS


def _response_status(connection: socket.socket) -> int:
    """Reads one whole response (headers and a Content-Length body) off a kept-alive connection."""
    received = b""
    while b"\r\n\r\n" not in received:
        received += connection.recv(65536)
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = next(int(line.split(":", 1)[1]) for line in lines
                  if line.lower().startswith("content-length:"))  # fmt: skip
    while len(body) < length:
        body += connection.recv(65536)
    return int(lines[0].split()[1])


def test_r12_a_worker_that_dies_is_replaced_and_loses_no_connection(served: Served) -> None:
    """Connections the kernel queued for a worker before it died (here: while it was stopped, so
    some are certain to be queued) are answered by its replacement, not reset."""
    before = served.workers()
    assert len(before) == WORKERS
    victim = min(before)
    os.kill(victim, signal.SIGSTOP)
    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = [pool.submit(_status_of_one_connection, served.base) for _ in range(CLIENTS)]
        time.sleep(1)  # every connection made and queued: the stopped worker accepts none
        os.kill(victim, signal.SIGKILL)
        statuses = [answer.result() for answer in answers]
    assert statuses == [200] * CLIENTS
    assert within(10, lambda: len(served.workers()) == WORKERS and victim not in served.workers())
    replacement = (served.workers() - before).pop()
    assert replacement in served.answering_processes()  # it took the queued connections


def _status_of_one_connection(base: str) -> int | str:
    try:
        return httpx.get(f"{base}/healthz", timeout=REPLACEMENT_SECONDS).status_code
    except httpx.HTTPError as lost:
        return repr(lost)


def test_r12_stopping_the_server_stops_every_worker(served: Served) -> None:
    workers = served.workers()
    served.supervisor.send_signal(signal.SIGTERM)
    assert served.supervisor.wait(timeout=40) == 0
    for worker in workers:
        assert not Path(f"/proc/{worker}").exists(), f"worker {worker} outlived the server"


def test_r12_a_server_that_cannot_start_exits_with_the_reason(
    platform: Platform, tmp_path: Path
) -> None:
    """The port held by another program (not sharing it): every worker would fail the same way."""
    port = free_port_pair()
    env = _environment(platform, port)
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", port))
        holder.listen()
        finished = subprocess.run(
            [EXCHANGE, "serve", "--workers", str(WORKERS)],
            env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert finished.returncode == STARTUP_FAILURE
    assert "could not start" in finished.stderr
