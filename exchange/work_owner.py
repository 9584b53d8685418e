"""Who is doing a piece of work that runs outside a request, and whether they still are.

A process names itself ``host:pid:start`` (the kernel's start time of the process, so that a pid
reused by a later process is not taken for the one that died). Another process on the same host
tells at once whether the owner is gone; work owned on another host is judged by its heartbeat.
"""

import os
import socket
from datetime import datetime
from functools import cache
from pathlib import Path


@cache
def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{_start_time(os.getpid())}"


def is_gone(owner: str | None) -> bool | None:
    """True when ``owner`` ran on this host and is no longer running; None when it cannot be
    told from here (another host, or an owner not recorded)."""
    if not owner:
        return None
    host, _, rest = owner.partition(":")
    pid_text, _, started = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return None
    pid = int(pid_text)
    if pid == os.getpid():
        return owner != this_process()
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        pass
    return started != _start_time(pid)


def why_dead(owner: str | None, last_sign: datetime, silent_since: datetime) -> str | None:
    """ "gone" when the owner's process ended on this host, "silent" when it cannot be looked up
    and showed no sign of life since ``silent_since``; None while it may still be at work. A
    process seen alive on this host keeps its work however long it takes."""
    gone = is_gone(owner)
    if gone:
        return "gone"
    if gone is None and last_sign <= silent_since:
        return "silent"
    return None


def _start_time(pid: int) -> str:
    """Field 22 of /proc/<pid>/stat (clock ticks since boot); empty where there is no /proc."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[19]
