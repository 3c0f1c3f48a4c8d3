"""The local Apache Kafka 4 broker: one KRaft process that is both broker and controller, on 127.0.0.1.

Runs from the jars `infra/install.sh jars` resolves into `<cache_dir>/kafka/libs`; its configuration, storage
and logs live in `<run_dir>/kafka/`. Storage is formatted once, on the first start.
"""

from __future__ import annotations

import base64
import logging
import shutil
import subprocess
import uuid
from contextlib import contextmanager, suppress
from pathlib import Path

from infra import local_process
from infra.local_service import LocalService
from infra.settings import Settings
from spark.schemas import DEAD_LETTER_TOPIC, RESTOCK_ALERTS_TOPIC, TOPICS

LOG4J_CONFIG = Path(__file__).resolve().parent / "kafka" / "log4j2.properties"
# The protocol level kafka-python settles on with this broker; naming it spares a long-lived client (the
# simulator's producers) the version probe: two round trips and a 0.1 s sleep.
CLIENT_API_VERSION = (2, 6, 0)
JVM_OPTIONS = ["-Xms256m", "-Xmx1g", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-Djava.awt.headless=true"]


class KafkaBroker(LocalService):
    """`java -cp '<libs>/*' kafka.Kafka server.properties`, ready when a metadata request succeeds."""

    name = "kafka"
    title = "Kafka broker"
    stop_grace_s = 30.0

    @property
    def log(self) -> Path:
        return self.home / "broker.log"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.settings.kafka_port}"

    @property
    def ports(self) -> dict[str, int]:
        return {
            "SHELFWISE_KAFKA_BOOTSTRAP": self.settings.kafka_port,
            "SHELFWISE_KAFKA_CONTROLLER_PORT": self.settings.kafka_controller_port,
        }

    @property
    def marker(self) -> str:
        return str(self.config_file)

    @property
    def config_file(self) -> Path:
        return self.home / "server.properties"

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def libs(self) -> Path:
        return self.settings.cache_dir / "kafka" / "libs"

    def prepare(self) -> None:
        if shutil.which("java") is None:
            raise self.fail("java not found on PATH (Kafka 4 needs Java 17+); run infra/install.sh")
        if not any(self.libs.glob("kafka_2.13-*.jar")):
            raise self.fail(f"jars missing in {self.libs}; run infra/install.sh jars")
        self.config_file.write_text(server_properties(self))
        if not (self.data_dir / "meta.properties").exists():
            self._format_storage()

    def command(self) -> list[str]:
        return self._java("kafka.Kafka", str(self.config_file))

    def is_ready(self) -> bool:
        if not local_process.accepts_connections(self.settings.kafka_port):
            return False
        from kafka import KafkaAdminClient  # lazy: kafka, ~90 ms at CLI start
        from kafka.errors import KafkaError  # lazy: kafka, ~90 ms at CLI start

        with _quiet_kafka_client():
            try:
                admin = KafkaAdminClient(
                    bootstrap_servers=self.address,
                    client_id="shelfwise-health",
                    request_timeout_ms=3000,
                    api_version_auto_timeout_ms=2000,
                )
            except KafkaError:
                return False
            try:
                admin.list_topics()
                return True
            except KafkaError:
                return False
            finally:
                admin.close()

    def _java(self, main_class: str, *args: str) -> list[str]:
        logging_options = [f"-Dlog4j2.configurationFile={LOG4J_CONFIG}", f"-Dkafka.logs.dir={self.home}"]
        return ["java", *JVM_OPTIONS, *logging_options, "-cp", f"{self.libs}/*", main_class, *args]

    def _format_storage(self) -> None:
        format_log = self.home / "format.log"
        cluster_id = new_cluster_id()
        config = str(self.config_file)
        command = self._java("kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", config)
        with format_log.open("w") as out:
            done = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, timeout=120, check=False)
        if done.returncode != 0:
            last = local_process.last_error_line({format_log: 0}) or f"exit code {done.returncode}"
            raise self.fail(f"formatting storage failed: {last}", log=format_log)


def server_properties(broker: KafkaBroker) -> str:
    """The broker's server.properties: single-node KRaft, everything on 127.0.0.1, replication 1."""
    settings = broker.settings
    plain, controller = settings.kafka_port, settings.kafka_controller_port
    values = {
        "process.roles": "broker,controller",
        "node.id": 1,
        "controller.quorum.voters": f"1@127.0.0.1:{controller}",
        "listeners": f"PLAINTEXT://127.0.0.1:{plain},CONTROLLER://127.0.0.1:{controller}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{plain}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": broker.data_dir,
        "num.partitions": 1,
        "auto.create.topics.enable": "true",
        "offsets.topic.replication.factor": 1,
        "transaction.state.log.replication.factor": 1,
        "transaction.state.log.min.isr": 1,
        "share.coordinator.state.topic.replication.factor": 1,
        "share.coordinator.state.topic.min.isr": 1,
        # A lone broker has nobody to wait for: consumers join their group at once.
        "group.initial.rebalance.delay.ms": 0,
        "log.retention.hours": 24 * 30,
    }
    header = "# Written by infra/kafka_local.py on every start; change the settings, not this file.\n"
    return header + "".join(f"{key}={value}\n" for key, value in values.items())


def new_cluster_id() -> str:
    """A Kafka cluster id: 16 random bytes, URL-safe base64 without padding, never starting with '-'."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


@contextmanager
def _quiet_kafka_client():
    """The client logs every refused connection as an error; while probing a starting broker that is noise."""
    logger = logging.getLogger("kafka")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


# A record's timestamp is when the broker appended it, whatever the producer's clock says: the ingest judges
# an event's age against it, so a rerun after a stall accepts what the first run would have.
TOPIC_CONFIG = {"message.timestamp.type": "LogAppendTime"}


def ensure_topics(settings: Settings, partitions: int = 3) -> list[str]:
    """Create the POS, dead-letter and restock-alerts topics when missing; returns those created."""
    from kafka import KafkaAdminClient  # lazy: kafka, ~90 ms at CLI start
    from kafka.admin import NewTopic  # lazy: kafka, ~90 ms at CLI start
    from kafka.errors import TopicAlreadyExistsError  # lazy: kafka, ~90 ms at CLI start

    existing = _topics(settings)
    wanted = [t for t in [*TOPICS, DEAD_LETTER_TOPIC, RESTOCK_ALERTS_TOPIC] if t not in existing]
    if not wanted:  # the usual case: no admin client (it probes the broker twice, ~0.3 s)
        return []
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap, client_id="shelfwise-topics")
    try:
        with suppress(TopicAlreadyExistsError):  # another producer may win the race; fine
            admin.create_topics(
                [NewTopic(t, num_partitions=partitions, replication_factor=1, topic_configs=TOPIC_CONFIG)
                 for t in wanted]  # fmt: skip
            )
        return wanted
    finally:
        admin.close()


def _topics(settings: Settings) -> set[str]:
    """The topics the broker has (a version probe, which raises NoBrokersAvailable when it is down, then one
    metadata request)."""
    from kafka import KafkaConsumer  # lazy: kafka, ~90 ms at CLI start

    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, client_id="shelfwise-topics")
    try:
        return consumer.topics()
    finally:
        consumer.close()
