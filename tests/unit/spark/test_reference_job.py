"""The reference dimensions' job: a table's version follows its contents, and a missing table says where."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from assets.definitions import load_graph
from infra.lake import lake_fs, lake_path, read_partition_versions
from infra.settings import Settings
from infra.simulator.chain import build_chain, write_reference
from spark.context import JobContext
from spark.jobs.reference import observe_reference


def observe(settings: Settings, name: str):
    return observe_reference(JobContext.of(load_graph(), name, ("",), settings, "observe"))


def test_the_version_follows_the_contents_and_is_kept_in_the_index(settings: Settings):
    write_reference(settings, build_chain(np.random.default_rng(1), 4, 30))
    first = observe(settings, "stores")
    assert first.row_count == 4 and first.rows_by_partition == {"": 4}
    assert read_partition_versions(settings, "reference/stores") == first.partition_versions
    again = observe(settings, "stores")
    assert again.partition_versions == first.partition_versions, "the index file is not hashed"
    write_reference(settings, build_chain(np.random.default_rng(1), 4, 30))  # the same tables written again
    assert observe(settings, "stores").partition_versions == first.partition_versions
    write_reference(settings, build_chain(np.random.default_rng(1), 5, 30))  # a store opens
    assert observe(settings, "stores").partition_versions != first.partition_versions
    assert observe(settings, "products").partition_versions != first.partition_versions


def test_a_table_without_files_names_its_folder(settings: Settings):
    fs, folder = lake_fs(settings), lake_path(settings, "reference/suppliers")
    fs.makedirs(folder, exist_ok=True)
    with pytest.raises(FileNotFoundError, match="suppliers: no parquet files in .*reference/suppliers"):
        observe(settings, "suppliers")
    pq.write_table(pa.table({"supplier_id": ["SUP1"]}), f"{folder}/part-0.parquet", filesystem=fs)
    assert observe(settings, "suppliers").row_count == 1
