"""Peak memory of a benchmarked job: this process and the Spark JVM / Python workers it starts."""

from __future__ import annotations

import threading

import psutil

SERVICES = ("kafka.Kafka", "minio")  # long-lived services a fixture started: not the job's memory


class PeakRss:
    """Samples the RSS of this process and its descendants (services excluded) every 100 ms; `.peak` bytes."""

    def __enter__(self):
        self.peak, self._stop = 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(0.1):
            total = me.memory_info().rss
            for child in me.children(recursive=True):
                try:
                    if not any(s in " ".join(child.cmdline()) for s in SERVICES):
                        total += child.memory_info().rss
                except psutil.Error:
                    continue
            self.peak = max(self.peak, total)
