"""Operating-system side of the local services: launch detached, find by pid file, probe ports, stop.

A pid counts as a service only while the process is alive and its command line still carries the service's
marker, so a pid reused by some other program after a reboot is never mistaken for (or killed as) a broker.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path


class ServiceError(RuntimeError):
    """A local service could not be started or stopped; the message is one line naming cause and log file."""


# Keeps the Popen objects of services this process launched, so their exit status is collected (no zombies).
_launched: dict[int, subprocess.Popen] = {}


def read_pid(pid_file: Path, marker: str) -> int | None:
    """The pid in `pid_file` if that process is alive and is the service (its command line holds `marker`)."""
    try:
        pid = int(pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if is_alive(pid) and marker in _command_line(pid) else None


def launch(command: Sequence[str], env: dict[str, str], console_log: Path, pid_file: Path) -> int:
    """Start `command` in its own session (it outlives the CLI), output appended to `console_log`."""
    console_log.parent.mkdir(parents=True, exist_ok=True)
    with console_log.open("ab") as log:
        process = subprocess.Popen(
            list(command),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **env},
            start_new_session=True,
        )
    _launched[process.pid] = process
    pid_file.write_text(f"{process.pid}\n")
    return process.pid


def stop(pid: int, grace_s: float) -> None:
    """SIGTERM the service's process group, SIGKILL it after `grace_s`; returns once the process is gone."""
    for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + wait_s
        while is_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if not is_alive(pid):
            break
    else:
        raise ServiceError(f"process {pid} survived SIGKILL")
    _launched.pop(pid, None)


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """True when something already accepts connections on host:port, or holds it bound."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        if probe.connect_ex((host, port)) == 0:
            return True
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def accepts_connections(port: int, host: str = "127.0.0.1") -> bool:
    """True when a TCP connection to host:port succeeds (cheap check before a protocol-level probe)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


def log_sizes(*logs: Path) -> dict[Path, int]:
    """The current size of each log, to read later only what a start appended."""
    return {log: log.stat().st_size if log.exists() else 0 for log in logs}


def last_error_line(logs: dict[Path, int]) -> str:
    """The last line that looks like an error in the logs, read from the given byte offsets on, or ''."""
    for log, offset in logs.items():
        if not log.exists():
            continue
        with log.open("rb") as handle:
            handle.seek(offset)
            lines = handle.read().decode(errors="replace").splitlines()[-400:]
        for line in reversed(lines):
            if any(word in line for word in ("ERROR", "FATAL", "Exception", "Error:", "error:")):
                return line.strip()[:300]
    return ""


def is_alive(pid: int) -> bool:
    """True while `pid` runs (a zombie, or a child whose exit we collected, is not running)."""
    launched = _launched.get(pid)
    if launched is not None:
        return launched.poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return _proc_state(pid) != "Z"


def _proc_state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "?"


def _command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        # Without /proc (macOS), ask ps.
        result = subprocess.run(["ps", "-o", "command=", "-p", str(pid)], capture_output=True, text=True)
        return result.stdout
