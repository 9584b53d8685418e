"""The Docker engine the check runs on: prepared with the offline-images script when `docker`
has none answering, and stopped again afterwards if the check started it."""

import contextlib
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from tools.deploy_check.stack import ROOT, CheckFailed

# The script that installs the engine and Compose and builds the stand-in images (as root).
PREPARE = Path(os.environ.get("DOCKER_PREPARE") or ROOT.parent / "shared/tools/offline-images.sh")
# Where that script records the dockerd it started (its WORK folder).
DOCKERD_PIDFILE = Path(os.environ.get("WORK", "/var/lib/offline-images")) / "dockerd.pid"


def answers() -> bool:
    try:
        done = subprocess.run(["docker", "info"], capture_output=True, timeout=30)
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def prepare(log: Path) -> bool:
    """Make sure an engine answers; True when this call started it. The offline-images script
    does it all (engine, Compose, stand-in images); where it is not beside this checkout but an
    engine is installed (a checkout elsewhere on a machine it prepared), the engine is started
    as the script starts it."""
    if answers():
        return False
    if os.geteuid() != 0:
        raise CheckFailed("Docker has no engine answering; starting or preparing one needs root")
    if PREPARE.is_file():
        with log.open("wb") as output:
            done = subprocess.run(["bash", str(PREPARE)], stdout=output, stderr=subprocess.STDOUT)
        if done.returncode != 0 or not answers():
            tail = log.read_text(errors="replace")[-2000:]
            raise CheckFailed(f"Docker could not be prepared (exit {done.returncode}):\n{tail}")
        return True
    if shutil.which("dockerd") is None:
        raise CheckFailed(
            f"Docker has no engine, and the script that installs one ({PREPARE}) is not there: "
            "set DOCKER_PREPARE to the offline-images script"
        )
    _start_dockerd(log)
    return True


def _start_dockerd(log: Path) -> None:
    # The uplink's MTU, as the script sets it: a larger bridge MTU stalls downloads in builds.
    route = subprocess.run(["ip", "route", "show", "default"], capture_output=True, text=True)
    words = route.stdout.split()
    uplink = words[words.index("dev") + 1] if "dev" in words else "eth0"
    mtu_file = Path(f"/sys/class/net/{uplink}/mtu")
    mtu = mtu_file.read_text().strip() if mtu_file.is_file() else "1500"
    with log.open("ab") as output:
        daemon = subprocess.Popen(
            ["dockerd", f"--mtu={mtu}"], stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    DOCKERD_PIDFILE.parent.mkdir(parents=True, exist_ok=True)
    DOCKERD_PIDFILE.write_text(str(daemon.pid))
    deadline = time.monotonic() + 60
    while not answers():
        if daemon.poll() is not None or time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-2000:]
            raise CheckFailed(f"dockerd did not start:\n{tail}")
        time.sleep(1)


def stop() -> None:
    """Stop the dockerd the preparation started, and wait until it and its containerd are gone."""
    if DOCKERD_PIDFILE.is_file():
        pid = int(DOCKERD_PIDFILE.read_text().strip() or 0)
        if pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        DOCKERD_PIDFILE.unlink(missing_ok=True)
    deadline = time.monotonic() + 60
    while (left := still_running()) and time.monotonic() < deadline:
        time.sleep(1)
    if left:
        raise CheckFailed(f"still running after the daemon was stopped: {', '.join(left)}")


def still_running() -> list[str]:
    # Process names as the kernel keeps them (15 characters: the runc shim is "containerd-shim").
    names = ("dockerd", "containerd", "containerd-shim")
    found = []
    for name in names:
        done = subprocess.run(["pgrep", "-x", name], capture_output=True, text=True)
        found += [f"{name} ({pid})" for pid in done.stdout.split()]
    return found
