"""The demand model registry in the lake: numbered versions, one entry per trained week, a champion pointer.

models/demand/vN/model/              the MLlib PipelineModel
models/demand/vN/metadata.json       params, features, horizon spec, backtest metrics, data versions
models/demand/vN/intervals.parquet   residual quantiles per (h, volume class); weekly_intervals.parquet
models/demand/weeks/<monday>.json    what that week's training did and which version was champion after it
models/demand/champion.json          the current champion (written last, after the version is complete)
"""

from __future__ import annotations

import io
import json
import re

import pandas as pd

from infra.lake import lake_fs, lake_path, spark_url
from infra.settings import Settings

_VERSION = re.compile(r"^v(\d+)$")


class Registry:
    """Reads and writes one model registry (e.g. `models/demand`) through the lake's filesystem."""

    def __init__(self, settings: Settings, relative: str):
        self.settings, self.relative = settings, relative
        self.fs, self.root = lake_fs(settings), lake_path(settings, relative)

    def versions(self) -> list[str]:
        """Existing version names, oldest first."""
        if not self.fs.exists(self.root):
            return []
        names = [p.rstrip("/").rsplit("/", 1)[-1] for p in self.fs.ls(self.root, detail=False)]
        return sorted((n for n in names if _VERSION.match(n)), key=lambda n: int(n[1:]))

    def next_version(self) -> str:
        existing = self.versions()
        return f"v{int(existing[-1][1:]) + 1 if existing else 1}"

    def read_json(self, name: str) -> dict | None:
        path = f"{self.root}/{name}"
        if not self.fs.exists(path):
            return None
        with self.fs.open(path, "r") as handle:
            return json.load(handle)

    def write_json(self, name: str, payload: dict) -> None:
        """Write via a temporary name and a move, so a reader never sees half a pointer."""
        path = f"{self.root}/{name}"
        self.fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
        with self.fs.open(path + ".tmp", "w") as handle:
            json.dump(payload, handle, indent=1, sort_keys=True, default=str)
        self.fs.mv(path + ".tmp", path)

    def write_table(self, name: str, frame: pd.DataFrame) -> None:
        with self.fs.open(f"{self.root}/{name}", "wb") as handle:
            frame.to_parquet(handle, index=False)

    def read_table(self, name: str) -> pd.DataFrame:
        with self.fs.open(f"{self.root}/{name}", "rb") as handle:
            return pd.read_parquet(io.BytesIO(handle.read()))

    def champion(self) -> dict | None:
        return self.read_json("champion.json")

    def week(self, monday: str) -> dict | None:
        return self.read_json(f"weeks/{monday}.json")

    def weeks(self) -> list[str]:
        """Monday keys of every week entry, oldest first."""
        folder = f"{self.root}/weeks"
        if not self.fs.exists(folder):
            return []
        names = [p.rstrip("/").rsplit("/", 1)[-1] for p in self.fs.ls(folder, detail=False)]
        return sorted(n[:-5] for n in names if n.endswith(".json"))

    def model_url(self, version: str) -> str:
        return spark_url(self.settings, f"{self.relative}/{version}/model")
