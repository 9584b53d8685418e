"""The Docker engine the check runs on: prepared with the offline-images script when `docker`
has none answering, and stopped again afterwards if the check started it."""

import contextlib
import os
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
    """Make sure an engine answers; True when this call started it."""
    if answers():
        return False
    if not PREPARE.is_file():
        raise CheckFailed(
            f"Docker has no engine answering and the preparation script {PREPARE} is missing: "
            "start Docker, or set DOCKER_PREPARE to the offline-images script"
        )
    if os.geteuid() != 0:
        raise CheckFailed("Docker has no engine answering; preparing one needs root")
    with log.open("wb") as output:
        done = subprocess.run(["bash", str(PREPARE)], stdout=output, stderr=subprocess.STDOUT)
    if done.returncode != 0 or not answers():
        tail = log.read_text(errors="replace")[-2000:]
        raise CheckFailed(f"Docker could not be prepared (exit {done.returncode}):\n{tail}")
    return True


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
    names = ("dockerd", "containerd", "containerd-shim", "containerd-shim-runc-v2")
    found = []
    for name in names:
        done = subprocess.run(["pgrep", "-x", name], capture_output=True, text=True)
        found += [f"{name} ({pid})" for pid in done.stdout.split()]
    return found
