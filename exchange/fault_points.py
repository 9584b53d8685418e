"""Named points at the commit boundaries of work that must survive a crash, where the crash
tests have the process killed: with ``EXCHANGE_KILL_AT=<name>`` in its environment, a process
that reaches the point sends itself SIGKILL there. Without it, a point costs one lookup."""

import os
import signal

KILL_AT = "EXCHANGE_KILL_AT"


def reached(name: str) -> None:
    if os.environ.get(KILL_AT) == name:
        os.kill(os.getpid(), signal.SIGKILL)
