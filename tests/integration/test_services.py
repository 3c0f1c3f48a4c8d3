"""The real local services: a Kafka broker that keeps per-key order, a MinIO that returns bytes unchanged,
and a life cycle that is idempotent and fails with one clear line."""

from __future__ import annotations

import socket
import time
import uuid
from collections import defaultdict
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pytest
import s3fs
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic

from infra import services as local_services
from infra.local_process import ServiceError, accepts_connections
from infra.settings import Settings

pytestmark = pytest.mark.services

MESSAGES, STORES, PARTITIONS = 10_000, 37, 4


def test_kafka_round_trip_keeps_order_per_key(services: Settings):
    topic = f"till-events-{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=services.kafka_bootstrap)
    admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS, replication_factor=1)])
    admin.close()
    sent = _produce_sales(services, topic)
    received = _consume_all(services, topic, MESSAGES)

    assert len(received) == MESSAGES
    by_store: dict[str, list[int]] = defaultdict(list)
    partitions_of_store: dict[str, set[int]] = defaultdict(set)
    for partition, store, sequence in received:
        by_store[store].append(sequence)
        partitions_of_store[store].add(partition)
    assert by_store == sent
    assert all(len(partitions) == 1 for partitions in partitions_of_store.values())
    assert len({p for partitions in partitions_of_store.values() for p in partitions}) > 1


def test_minio_returns_a_parquet_dataset_byte_identical(services: Settings, tmp_path: Path):
    # A 5 MiB block size makes the larger files go up as S3 multipart uploads.
    fs = s3fs.S3FileSystem(
        key=services.s3_access_key,
        secret=services.s3_secret,
        client_kwargs={"endpoint_url": services.s3_endpoint},
        default_block_size=5 * 2**20,
    )
    sales = _sales_table(rows=1_800_000)
    remote = f"{services.lake.removeprefix('s3://')}/sales-{uuid.uuid4().hex[:8]}"
    local = tmp_path / "sales"
    for target, filesystem in ((remote, fs), (str(local), None)):
        ds.write_dataset(
            sales,
            target,
            filesystem=filesystem,
            format="parquet",
            partitioning=["day"],
            partitioning_flavor="hive",
            max_rows_per_file=550_000,
            max_rows_per_group=100_000,
            basename_template="part-{i}.parquet",
            use_threads=False,
        )

    local_files = {str(p.relative_to(local)): p.read_bytes() for p in local.rglob("*.parquet")}
    remote_files = {path.removeprefix(remote + "/"): fs.cat_file(path) for path in fs.find(remote)}
    assert len(remote_files) >= 6
    assert max(len(content) for content in remote_files.values()) > 5 * 2**20
    assert remote_files == local_files
    read_back = ds.dataset(remote, filesystem=fs, format="parquet", partitioning="hive").to_table()
    assert read_back.num_rows == sales.num_rows
    assert read_back.column("qty").to_numpy().sum() == sales.column("qty").to_numpy().sum()


def test_up_twice_keeps_one_broker(services: Settings):
    before = {
        row.name: row.pid for row in local_services.status(services) if row.name in local_services.SERVICES
    }
    again = local_services.start_all(services)

    assert {row.name: row.pid for row in again} == before
    assert all(row.started_in_s is None for row in again)
    config = str(services.run_dir / "kafka" / "server.properties")
    assert _processes_mentioning("kafka.Kafka", config) == [before["kafka"]]


def test_stopped_service_is_reported_stopped(settings_factory):
    settings = settings_factory()
    started = local_services.service("minio", settings).start()
    assert started.state == "running"

    assert local_services.stop_all(settings, ["minio"]) == ["minio"]
    minio = local_services.service("minio", settings)
    assert minio.status().state == "stopped" and minio.status().pid is None
    assert not accepts_connections(settings.minio_port)
    assert local_services.stop_all(settings) == []


@pytest.mark.parametrize(("name", "port_setting"), [("kafka", "kafka_port"), ("minio", "minio_port")])
def test_port_in_use_gives_one_clear_line(settings_factory, name: str, port_setting: str):
    settings = settings_factory()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", getattr(settings, port_setting)))
        squatter.listen()
        with pytest.raises(ServiceError, match=r"port \d+ \(SHELFWISE_\w+\) is already in use") as error:
            local_services.service(name, settings).start()

    assert "\n" not in str(error.value) and "log: " in str(error.value)
    assert local_services.service(name, settings).status().state == "stopped"


@pytest.mark.parametrize(("name", "hint"), [("kafka", "install.sh jars"), ("minio", "install.sh minio")])
def test_missing_install_points_to_install_script(settings_factory, tmp_path: Path, name: str, hint: str):
    settings = settings_factory(cache_dir=tmp_path / "empty-cache")
    with pytest.raises(ServiceError, match=f"run infra/{hint}"):
        local_services.service(name, settings).start()


def test_service_that_dies_names_the_cause(settings_factory):
    settings = settings_factory(s3_secret_key="short")  # MinIO refuses root passwords under 8 characters
    with pytest.raises(ServiceError, match=r"exited while starting: .*(?i:credential|password)") as error:
        local_services.service("minio", settings).start()
    assert "minio.log" in str(error.value)


def test_service_not_ready_in_time_is_stopped(settings_factory):
    settings = settings_factory(service_start_timeout_s=0.05)
    minio = local_services.service("minio", settings)
    with pytest.raises(ServiceError, match=r"not ready within 0.05s \(SHELFWISE_SERVICE_START_TIMEOUT_S\)"):
        minio.start()
    assert minio.status().state == "stopped"
    assert not accepts_connections(settings.minio_port)


def _produce_sales(settings: Settings, topic: str) -> dict[str, list[int]]:
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all", linger_ms=5)
    sent: dict[str, list[int]] = defaultdict(list)
    for number in range(MESSAGES):
        store = f"store-{number % STORES:03d}"
        sequence = len(sent[store])
        producer.send(topic, key=store.encode(), value=f"{store}|{sequence}".encode())
        sent[store].append(sequence)
    producer.flush(timeout=60)
    producer.close()
    return dict(sent)


def _consume_all(settings: Settings, topic: str, expected: int) -> list[tuple[int, str, int]]:
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False)
    consumer.assign([TopicPartition(topic, p) for p in range(PARTITIONS)])
    consumer.seek_to_beginning()
    received: list[tuple[int, str, int]] = []
    deadline = time.monotonic() + 60
    while len(received) < expected and time.monotonic() < deadline:
        for partition, records in consumer.poll(timeout_ms=1000).items():
            for record in records:
                store, sequence = record.value.decode().split("|")
                assert record.key.decode() == store
                received.append((partition.partition, store, int(sequence)))
    consumer.close()
    return received


def _sales_table(rows: int) -> pa.Table:
    rng = np.random.default_rng(7)
    return pa.table(
        {
            "day": np.repeat(["2026-03-01", "2026-03-02", "2026-03-03"], rows // 3 + 1)[:rows],
            "store": rng.integers(1, 50, rows, dtype=np.int32),
            "sku": rng.integers(1, 5_000, rows, dtype=np.int32),
            "qty": rng.integers(1, 12, rows, dtype=np.int64),
            "unit_price": rng.random(rows) * 40,
            "unit_cost": rng.random(rows) * 30,
        }
    )


def _processes_mentioning(*parts: str) -> list[int]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if all(part in text for part in parts):
            found.append(int(cmdline.parent.name))
    return found
