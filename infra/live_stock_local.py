"""The live-stock stream as a local service: `python -m spark.jobs.live_stock` in the background.

Optional (not started by a plain `shelfwise services up`): `shelfwise services up --only live_stock`, or the
demo. It reads the settings of whoever starts it through the environment, so tests can run it isolated.
"""

from __future__ import annotations

import sys
from pathlib import Path

from infra.kafka_local import ensure_topics
from infra.local_service import LocalService


class LiveStockStream(LocalService):
    """Ready once the streaming query has started (the job writes `ready` beside its log)."""

    name = "live_stock"
    title = "live stock stream"
    stop_grace_s = 30.0

    @property
    def address(self) -> str:
        return f"inventory_live in {self.settings.warehouse_label}"

    @property
    def ports(self) -> dict[str, int]:
        return {}

    @property
    def marker(self) -> str:
        return str(self.home)

    @property
    def ready_file(self) -> Path:
        return self.home / "ready"

    def prepare(self) -> None:
        self.ready_file.unlink(missing_ok=True)
        ensure_topics(self.settings)  # Spark's Kafka source gives up on a topic that does not exist yet

    def command(self) -> list[str]:
        return [sys.executable, "-m", "spark.jobs.live_stock", "--run-dir", str(self.home)]

    def env(self) -> dict[str, str]:
        return self.settings.as_env()

    def is_ready(self) -> bool:
        return self.ready_file.exists()
