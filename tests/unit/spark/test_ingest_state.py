"""The ingest's rules from the reference dimensions: a bad row costs only itself, a bad file says where."""

from __future__ import annotations

import logging

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from assets.definitions import load_graph
from infra.lake import lake_fs, lake_path
from infra.settings import Settings
from infra.simulator.chain import build_chain, write_reference
from spark.jobs.ingest_state import RULE_DIMENSIONS, BadReference, load_rules

FOLDERS = {name: load_graph()[name].storage.path for name in RULE_DIMENSIONS}  # as raw assets declare them


def _replace(settings: Settings, name: str, files: dict[str, bytes | pa.Table]) -> None:
    folder = lake_path(settings, f"reference/{name}")
    fs = lake_fs(settings)
    fs.rm(folder, recursive=True)
    fs.makedirs(folder, exist_ok=True)
    for file, content in files.items():
        if isinstance(content, pa.Table):
            pq.write_table(content, f"{folder}/{file}", filesystem=fs)
        else:
            fs.pipe(f"{folder}/{file}", content)


def test_the_simulated_chain_gives_every_store_and_sku(settings: Settings):
    write_reference(settings, build_chain(np.random.default_rng(1), 4, 30))
    rules = load_rules(settings, FOLDERS)
    assert rules.stores == {"S001", "S002", "S003", "S004"} and len(rules.skus) == 30


def test_rows_without_a_usable_id_are_left_out_and_the_rest_still_count(settings: Settings, caplog):
    write_reference(settings, build_chain(np.random.default_rng(1), 4, 30))
    _replace(settings, "stores", {"part-0.parquet": pa.table({"store_id": ["S001", None, " ", "S002", ""]})})
    with caplog.at_level(logging.WARNING):
        rules = load_rules(settings, FOLDERS)
    assert rules.stores == {"S001", "S002"} and len(rules.skus) == 30
    assert "3 rows without a usable store_id left out" in caplog.text


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"part-0.parquet": b"not parquet at all"}, "cannot read 'store_id'"),
        ({"part-0.parquet": pa.table({"name": ["a"]})}, "cannot read 'store_id'"),
        ({"part-0.parquet": pa.table({"store_id": [1, 2]})}, "'store_id' holds int64, not text"),
        ({"part-0.parquet": pa.table({"store_id": [2]}), "part-1.parquet": pa.table({"store_id": ["S1"]})},
         "cannot read 'store_id'"),
    ],  # fmt: skip
    ids=["not parquet", "no id column", "ids not text", "files disagree"],
)
def test_an_unreadable_dimension_names_its_folder_and_why(settings: Settings, files, message):
    write_reference(settings, build_chain(np.random.default_rng(1), 4, 30))
    _replace(settings, "stores", files)
    with pytest.raises(BadReference, match=message) as raised:
        load_rules(settings, FOLDERS)
    assert "reference/stores" in str(raised.value)
