"""The life cycle every local service shares: start once (idempotent), wait until it answers, report, stop.

A service lives in `<run_dir>/<name>/`: pid file, logs, configuration and data. Subclasses say how to prepare,
launch and probe one server; this class makes `start` safe to repeat and every failure a single line.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

from infra import local_process
from infra.local_process import ServiceError
from infra.settings import Settings

State = Literal["running", "not ready", "stopped"]


@dataclass(frozen=True)
class ServiceStatus:
    """What `shelfwise services status` shows for one service."""

    name: str
    state: State
    pid: int | None
    address: str
    log: Path
    started_in_s: float | None = None


class LocalService:
    """One server process of the local stack, bound to 127.0.0.1, owned through its pid file."""

    name: ClassVar[str]
    title: ClassVar[str]
    stop_grace_s: ClassVar[float] = 20.0

    def __init__(self, settings: Settings):
        self.settings = settings
        self.home = settings.run_dir / self.name
        self.pid_file = self.home / f"{self.name}.pid"
        self.console_log = self.home / "console.log"
        self._logs_at_launch: dict[Path, int] = {}

    # --- what a service defines ---------------------------------------------------------------------------
    @property
    def log(self) -> Path:
        """The log a user should read when something goes wrong."""
        return self.console_log

    @property
    def address(self) -> str:
        raise NotImplementedError

    @property
    def ports(self) -> dict[str, int]:
        """The ports the service binds, keyed by the setting that chooses them."""
        raise NotImplementedError

    @property
    def marker(self) -> str:
        """A string only this service's command line contains (identifies its process)."""
        raise NotImplementedError

    def prepare(self) -> None:
        """Check the installation and write configuration; raise ServiceError naming what is missing."""

    def command(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        return {}

    def is_ready(self) -> bool:
        raise NotImplementedError

    def after_ready(self) -> None:
        """One-time setup that needs the running server (topics, buckets)."""

    # --- shared life cycle --------------------------------------------------------------------------------
    def pid(self) -> int | None:
        """The pid of this service's live process, or None."""
        return local_process.read_pid(self.pid_file, self.marker)

    def start(self) -> ServiceStatus:
        """Start the service unless it already runs; return once it answers. Raises ServiceError."""
        started = time.monotonic()
        pid, launched = self.pid(), False
        if pid is None:
            self.home.mkdir(parents=True, exist_ok=True)
            self._check_ports_free()
            self.prepare()
            pid, launched = self._launch(), True
        try:
            self._wait_until_ready(pid)
        except ServiceError:
            if launched:
                self.stop()
            raise
        self.after_ready()
        return self._status(pid, "running", time.monotonic() - started if launched else None)

    def stop(self) -> bool:
        """Stop the service (SIGTERM, then SIGKILL after the grace period); False when it was not running."""
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)  # stale, left by a crash or a reboot
            return False
        local_process.stop(pid, self.stop_grace_s)
        self.pid_file.unlink(missing_ok=True)
        return True

    def kill(self) -> bool:
        """SIGKILL the service's process group at once, as a crash would; False when it was not running.

        Its data stays where it is: `start` afterwards brings it back on the same ports and data (recovering
        whatever the crash left half-written, as the server does after any unclean stop).
        """
        pid = self.pid()
        if pid is None:
            return False
        os.killpg(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10.0
        while local_process.is_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if local_process.is_alive(pid):
            raise self.fail(f"process {pid} survived SIGKILL")
        self.pid_file.unlink(missing_ok=True)
        return True

    def status(self) -> ServiceStatus:
        """running (answers), not ready (process alive, not answering yet) or stopped."""
        pid = self.pid()
        if pid is None:
            return self._status(None, "stopped")
        return self._status(pid, "running" if self.is_ready() else "not ready")

    def fail(self, cause: str, log: Path | None = None) -> ServiceError:
        """A one-line error naming the service, the cause and the log to read."""
        return ServiceError(f"{self.title}: {cause} (log: {log or self.log})")

    def _status(self, pid: int | None, state: State, seconds: float | None = None) -> ServiceStatus:
        return ServiceStatus(self.name, state, pid, self.address, self.log, seconds)

    def _check_ports_free(self) -> None:
        for setting, port in self.ports.items():
            if local_process.port_in_use(port):
                raise self.fail(
                    f"port {port} ({setting}) is already in use by another process; "
                    f"stop it or choose another port"
                )

    def _launch(self) -> int:
        self._logs_at_launch = local_process.log_sizes(self.log, self.console_log)
        with self.console_log.open("a") as log:
            log.write(f"--- shelfwise: starting {self.title} at {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        return local_process.launch(self.command(), self.env(), self.console_log, self.pid_file)

    def _wait_until_ready(self, pid: int) -> None:
        timeout_s = self.settings.service_start_timeout_s
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not local_process.is_alive(pid):
                self.pid_file.unlink(missing_ok=True)
                raise self.fail(f"exited while starting: {self._last_error() or 'no error logged'}")
            if self.is_ready():
                return
            time.sleep(0.25)
        last = self._last_error()
        cause = f"not ready within {timeout_s:g}s (SHELFWISE_SERVICE_START_TIMEOUT_S)"
        raise self.fail(f"{cause}: {last}" if last else cause)

    def _last_error(self) -> str:
        return local_process.last_error_line(self._logs_at_launch)
