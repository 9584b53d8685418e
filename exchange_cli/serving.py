"""Serving the API in one or several worker processes.

Several uvicorn workers sharing one listening socket take connections as they happen to wake, so
a burst of keep-alive connections (a proxy's pool, a load generator) can land on a few workers and
stay there; and a connection made while a worker is still starting goes to the others for as long
as it is kept alive, with nothing to tell when every worker is ready. Here each worker listens on
its own socket bound with SO_REUSEPORT: the kernel spreads new connections across the sockets by
their addresses, and the sockets in the kernel's listen table show which workers are ready. Where
the kernel does not balance such sockets (outside Linux), uvicorn's own supervisor serves instead.

The supervisor opens the sockets and keeps them, as nginx does with ``reuseport``: a worker that
dies leaves its socket listening, so the connections the kernel queued on it (and those it goes on
queuing there) wait for the replacement, which takes over the same socket, instead of being reset
when the dead worker's last file closes.
"""

import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import signal
import socket
import sys
import threading
import time
from multiprocessing.process import BaseProcess
from pathlib import Path

import uvicorn
from uvicorn.config import STARTUP_FAILURE

from exchange.logs import configure_logging

APP = "exchange_api.app:create_app"
# How long a stopping worker may take to finish the requests it holds before it is killed.
GRACE_SECONDS = 30.0

logger = logging.getLogger("exchange.serving")


def serve(host: str, port: int, workers: int, log_level: str) -> None:
    """Serve until SIGINT or SIGTERM; in one process, or in ``workers`` under a supervisor."""
    if workers == 1 or not balances_reused_ports():
        uvicorn.run(APP, factory=True, host=host, port=port, workers=workers, log_config=None)
        return
    configure_logging(log_level)
    sys.exit(Supervisor(host, port, workers, log_level).run())


def balances_reused_ports() -> bool:
    return sys.platform == "linux" and hasattr(socket, "SO_REUSEPORT")


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket for one worker, bound but not listening: the worker's uvicorn calls listen() on
    it once the app is ready, so until then no connection is queued there."""
    family, kind, protocol, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, protocol)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    return sock


def sockets_listening_on(port: int) -> int:
    """How many sockets listen on TCP ``port`` here, from the kernel's tables: with one socket per
    worker, how many workers are ready. A connection made before a worker listens goes to the
    others and stays there as long as it is kept alive."""
    local = f":{port:04X}"
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                count += fields[1].endswith(local) and fields[3] == "0A"  # 0A: LISTEN
    return count


def serve_one_worker(sock: socket.socket, log_level: str) -> None:
    """One worker process: the socket the supervisor opened for it, the whole app."""
    configure_logging(log_level)
    host, port = sock.getsockname()[:2]
    server = uvicorn.Server(
        uvicorn.Config(APP, factory=True, host=host, port=port, log_config=None)
    )
    server.run(sockets=[sock])
    if not server.started:
        sys.exit(STARTUP_FAILURE)


class Supervisor:
    """Opens one socket per worker, starts the workers, replaces one that dies on the socket it
    left, stops them all on SIGINT or SIGTERM. A port it cannot listen on, or a worker that fails
    before it serves (the database unreachable), would fail the same way again: the supervisor
    then stops and exits with uvicorn's code for a server that could not start."""

    def __init__(self, host: str, port: int, workers: int, log_level: str) -> None:
        self.host, self.port, self.count, self.log_level = host, port, workers, log_level
        self.context = multiprocessing.get_context("spawn")
        self.stopping = threading.Event()
        self.exit_code = 0

    def run(self) -> int:
        try:
            sockets = [listening_socket(self.host, self.port) for _ in range(self.count)]
        except OSError as refused:
            logger.error("could not start: cannot listen on %s port %s: %s",
                         self.host, self.port, refused)  # fmt: skip
            return STARTUP_FAILURE
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self.stopping.set())
        workers = [self.start_worker(sock) for sock in sockets]
        all_listening = False
        while not self.stopping.is_set():
            # Wakes as soon as a worker ends, so its socket waits no longer than a start takes.
            multiprocessing.connection.wait([worker.sentinel for worker in workers], timeout=0.5)
            workers = [
                self.replaced_if_dead(worker, sock)
                for worker, sock in zip(workers, sockets, strict=True)
            ]
            if not all_listening and sockets_listening_on(self.port) >= self.count:
                all_listening = True
                logger.info("%s workers listening on port %s", self.count, self.port)
        # Once the workers' copies close as they stop, a new connection is refused, not queued.
        for sock in sockets:
            sock.close()
        stop_all(workers)
        return self.exit_code

    def start_worker(self, sock: socket.socket) -> BaseProcess:
        worker = self.context.Process(target=serve_one_worker, args=(sock, self.log_level))
        worker.start()
        logger.info("worker process %s started", worker.pid)
        return worker

    def replaced_if_dead(self, worker: BaseProcess, sock: socket.socket) -> BaseProcess:
        if worker.is_alive() or self.stopping.is_set():
            return worker
        if worker.exitcode == STARTUP_FAILURE:
            logger.error("worker process %s could not start; stopping", worker.pid)
            self.exit_code = STARTUP_FAILURE
            self.stopping.set()
            return worker
        logger.warning(
            "worker process %s ended (%s); starting another", worker.pid, worker.exitcode
        )
        return self.start_worker(sock)


def stop_all(workers: list[BaseProcess], grace: float = GRACE_SECONDS) -> None:
    for worker in workers:
        if worker.is_alive():
            worker.terminate()  # SIGTERM: uvicorn finishes the requests in hand, then exits
    deadline = time.monotonic() + grace
    for worker in workers:
        worker.join(max(0.0, deadline - time.monotonic()))
        if worker.is_alive():
            worker.kill()
            worker.join()
