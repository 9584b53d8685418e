"""`exchange serve --workers N` on PostgreSQL: each worker listens on a socket of its own, so the
connections a client holds open spread over every worker; a worker that dies is replaced while
the others go on answering; stopping the server stops every worker; a server that cannot start
says so and exits instead of starting workers forever."""

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from exchange.runtime import Platform
from exchange_cli.serving import sockets_listening_on
from tests.servers import EXCHANGE, free_port_pair, wait_until_answering

WORKERS = 2
STARTUP_FAILURE = 3  # uvicorn's exit code for a server that could not start


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
        if not _within(30, lambda: sockets_listening_on(port) == WORKERS):
            pytest.fail(f"{WORKERS} workers were not all listening within 30 s")
        yield served
    finally:
        if supervisor.poll() is None:
            supervisor.terminate()
            supervisor.wait(timeout=40)


def _within(seconds: float, condition: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


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


def test_r12_a_worker_that_dies_is_replaced_and_the_others_answer_meanwhile(
    served: Served,
) -> None:
    before = served.workers()
    assert len(before) == WORKERS
    killed = min(before)
    os.kill(killed, signal.SIGKILL)
    answers_meanwhile = [httpx.get(f"{served.base}/healthz", timeout=10).status_code
                         for _ in range(10)]  # fmt: skip
    assert set(answers_meanwhile) == {200}
    assert _within(10, lambda: len(served.workers()) == WORKERS and killed not in served.workers())
    replacement = (served.workers() - before).pop()
    assert _within(20, lambda: _answered_by(served, replacement))


def _answered_by(served: Served, worker: int) -> bool:
    clients = [httpx.Client(base_url=served.base, timeout=10) for _ in range(8)]
    try:
        for client in clients:
            client.get("/healthz")
    finally:
        for client in clients:
            client.close()
    return worker in served.answering_processes()


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
