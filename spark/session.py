"""The Spark session shelfwise jobs run in: local mode by default, with the Kafka and S3A jars from the
cache; a session on a Spark Connect server when the settings name one."""

from __future__ import annotations

import logging
import os
import re
import sys
from pathlib import Path

from infra.settings import Settings

LOG4J_CONFIG = Path(__file__).resolve().parent / "log4j2.properties"
_VERSIONED_JAR = re.compile(r"^(?P<artifact>.+?)-\d[\w.\-]*\.jar$")


def extra_jars(settings: Settings) -> list[str]:
    """Jars resolved by infra/spark/pom.xml, minus artifacts pyspark already ships (no duplicate classes)."""
    import pyspark  # lazy: ~45 ms; the DAG file imports this module for spark_conf

    cached = settings.cache_dir / "spark-jars"
    if not cached.is_dir():
        return []
    shipped = {_artifact(p.name) for p in (Path(pyspark.__file__).parent / "jars").glob("*.jar")}
    return sorted(str(p) for p in cached.glob("*.jar") if _artifact(p.name) not in shipped)


def _artifact(jar_name: str) -> str:
    match = _VERSIONED_JAR.match(jar_name)
    return match.group("artifact") if match else jar_name


def spark_conf(settings: Settings) -> dict[str, str]:
    """Every Spark setting shelfwise uses; also passed to spark-submit by the Airflow DAGs."""
    conf = {
        "spark.master": settings.spark_master,
        "spark.driver.memory": settings.spark_driver_memory,
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": "4",
        "spark.sql.sources.partitionOverwriteMode": "dynamic",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.adaptive.enabled": "true",
        "spark.driver.extraJavaOptions": f"-Dlog4j2.configurationFile={LOG4J_CONFIG.as_uri()}",
        # Python workers (applyInPandas) must run the virtualenv's interpreter, not whatever is on PATH.
        "spark.pyspark.python": sys.executable,
        # pandas <-> Spark through Arrow (the reorder job hands its decisions back as a pandas frame).
        "spark.sql.execution.arrow.pyspark.enabled": "true",
    }
    jars = extra_jars(settings)
    if jars:
        conf["spark.jars"] = ",".join(jars)
    if settings.lake_kind == "s3":
        conf.update(s3a_conf(settings))
    return conf


def s3a_conf(settings: Settings) -> dict[str, str]:
    return {
        "spark.hadoop.fs.s3a.endpoint": settings.s3_endpoint,
        "spark.hadoop.fs.s3a.access.key": settings.s3_access_key,
        "spark.hadoop.fs.s3a.secret.key": settings.s3_secret,
        "spark.hadoop.fs.s3a.path.style.access": "true",
        "spark.hadoop.fs.s3a.connection.ssl.enabled": str(settings.s3_endpoint.startswith("https")).lower(),
        "spark.hadoop.fs.s3a.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
    }


def get_spark(settings: Settings, app_name: str = "shelfwise"):
    """The process's Spark session (created on first use, then reused): on the Spark Connect server of
    `settings.spark_remote` when there is one, else a Spark of this process's own."""
    from pyspark.sql import SparkSession  # lazy: pyspark ~45 ms; the DAG file imports this module

    if settings.spark_remote:
        return remote_spark(settings)
    # pyspark takes the Python workers' interpreter from the environment when the session starts in-process.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # local services bind to loopback, Spark too
    builder = SparkSession.builder.appName(app_name)
    for key, value in spark_conf(settings).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    logging.getLogger("py4j").setLevel(logging.ERROR)  # its gateway chatter is not for the console either
    if settings.lake_kind == "s3":
        # getOrCreate may hand back a session whose Hadoop conf predates these settings: set them there.
        hadoop = spark.sparkContext._jsc.hadoopConfiguration()
        for key, value in s3a_conf(settings).items():
            hadoop.set(key.removeprefix("spark.hadoop."), value)
    return spark


def remote_spark(settings: Settings):
    """A session on the Spark Connect server, with this code version's project zip for its Python workers
    (what `--py-files` is to spark-submit: a server outlives code changes, and may run on other hosts)."""
    from pyspark.sql import SparkSession  # lazy: pyspark ~45 ms; the DAG file imports this module

    from spark.package import project_archive  # lazy: hashes the code, only when a session starts

    spark = SparkSession.builder.remote(settings.spark_remote).getOrCreate()
    spark.addArtifacts(str(project_archive(settings)), pyfile=True)  # the same zip again is a no-op
    return spark
