"""How tests read the lake: as every reader must, through an asset's published index (infra/lake.py).

A derived asset's days live in its builds' folders; listing `<asset>/date=D` finds nothing, or a stale copy.
"""

from __future__ import annotations

import pandas as pd

from infra.lake import lake_fs, lake_path, published_days
from infra.settings import Settings


def has_day(settings: Settings, relative: str, day: str) -> bool:
    return day in published_days(settings, relative)


def read_day(settings: Settings, relative: str, day: str) -> pd.DataFrame:
    """One published day of the asset at `relative` (no `date` column, as stored)."""
    folder = published_days(settings, relative).get(day)
    if folder is None:
        raise FileNotFoundError(f"{relative} has published no {day}")
    return pd.read_parquet(lake_path(settings, folder), filesystem=lake_fs(settings))


def read_asset(settings: Settings, relative: str) -> pd.DataFrame:
    """Every published day of the asset at `relative`, with a `date` column."""
    frames = [read_day(settings, relative, day).assign(date=pd.Timestamp(day))
              for day in published_days(settings, relative)]  # fmt: skip
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
