"""The materialization log in the warehouse (`asset_materializations`): what was built, from what, when."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

import pandas as pd

from infra.warehouse import Warehouse, read_sql

InputVersions = dict[str, dict[str, str]]  # upstream asset -> {partition: data_version}


@dataclass(frozen=True)
class Record:
    """One attempt to build one asset partition."""

    run_id: str
    asset: str
    partition: str
    status: str  # success | failed
    data_version: str
    code_version: str
    input_versions: InputVersions = field(default_factory=dict)
    row_count: int = 0
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    ended_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    gate_result: dict = field(default_factory=dict)
    message: str = ""


Latest = dict[tuple[str, str], Record]


class MaterializationStore:
    """Reads and appends materialization records; one warehouse session per call."""

    table = "asset_materializations"

    def __init__(self, warehouse: Warehouse):
        self.warehouse = warehouse

    def latest_successes(self) -> Latest:
        frame = self.warehouse.query_df(read_sql("queries/select_latest_materializations.sql"))
        return {(r.asset, r.partition): _record_from_row(r) for r in frame.itertuples(index=False)}

    def latest_attempts(self) -> pd.DataFrame:
        return self.warehouse.query_df(read_sql("queries/select_latest_attempts.sql"))

    def history(self, asset: str) -> pd.DataFrame:
        return self.warehouse.query_df(
            f"SELECT * FROM {self.table} WHERE asset = '{_quote(asset)}' ORDER BY ended_at DESC"
        )

    def append(self, records: list[Record]) -> None:
        if not records:
            return
        rows = [
            {
                **asdict(r),
                "input_versions": json.dumps(r.input_versions, sort_keys=True, separators=(",", ":")),
                "gate_result": json.dumps(r.gate_result, sort_keys=True, default=str),
            }
            for r in records
        ]
        frame = pd.DataFrame(rows)
        for column in ("started_at", "ended_at"):
            frame[column] = pd.to_datetime(frame[column], utc=True)
        self.warehouse.insert_df(self.table, frame)


def _record_from_row(row) -> Record:
    return Record(
        run_id=row.run_id,
        asset=row.asset,
        partition=row.partition,
        status=row.status,
        data_version=row.data_version,
        code_version=row.code_version,
        input_versions=json.loads(row.input_versions or "{}"),
        row_count=int(row.row_count),
        started_at=row.started_at,
        ended_at=row.ended_at,
        gate_result=json.loads(row.gate_result or "{}"),
        message=row.message,
    )


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")
