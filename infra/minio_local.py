"""The local MinIO server: the S3 lake when SHELFWISE_LAKE_URL is s3://, on 127.0.0.1.

Runs the binary `infra/install.sh minio` builds into `<cache_dir>/minio/<MINIO_VERSION>/minio`; its data and
log live in `<run_dir>/minio/`. The version is pinned once, in install.sh, and read from there.
"""

from __future__ import annotations

import os
import re
import secrets
import urllib.error
import urllib.request
from functools import cache
from pathlib import Path

from infra.lake import lake_fs
from infra.local_service import LocalService
from infra.settings import REPO_ROOT, Settings

INSTALL_SCRIPT = REPO_ROOT / "infra" / "install.sh"


@cache
def minio_version() -> str:
    """The MinIO version install.sh pins (its `MINIO_VERSION="..."` line)."""
    found = re.search(r'^MINIO_VERSION="([^"]+)"', INSTALL_SCRIPT.read_text(), flags=re.MULTILINE)
    if found is None:
        raise RuntimeError(f'no MINIO_VERSION="..." line in {INSTALL_SCRIPT}')
    return found.group(1)


def minio_binary(settings: Settings) -> Path:
    return settings.cache_dir / "minio" / minio_version() / "minio"


def ensure_secret(settings: Settings) -> str:
    """The MinIO root password: SHELFWISE_S3_SECRET_KEY, else one generated once into a mode-600 file."""
    if settings.s3_secret_key.get_secret_value():
        return settings.s3_secret_key.get_secret_value()
    secret_file = settings.minio_secret_file
    if secret_file.exists():
        secret_file.chmod(0o600)  # a file restored or copied with a looser mode is made private again
        return settings.s3_secret
    secret_file.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(secret_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(secrets.token_urlsafe(24) + "\n")
    return settings.s3_secret


class MinioServer(LocalService):
    """`minio server <run_dir>/minio/data`, ready when /minio/health/live answers 200."""

    name = "minio"
    title = "MinIO server"
    stop_grace_s = 10.0

    def __init__(self, settings: Settings):
        super().__init__(settings)
        self.console_log = self.home / "minio.log"

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self.settings.minio_port} (console :{self.settings.minio_console_port})"

    @property
    def ports(self) -> dict[str, int]:
        return {
            "SHELFWISE_S3_ENDPOINT": self.settings.minio_port,
            "SHELFWISE_MINIO_CONSOLE_PORT": self.settings.minio_console_port,
        }

    @property
    def marker(self) -> str:
        return str(self.data_dir)

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    def prepare(self) -> None:
        if not os.access(minio_binary(self.settings), os.X_OK):
            raise self.fail(f"binary not found at {minio_binary(self.settings)}; run infra/install.sh minio")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        ensure_secret(self.settings)

    def command(self) -> list[str]:
        settings = self.settings
        return [
            str(minio_binary(settings)),
            "server",
            str(self.data_dir),
            "--address",
            f"127.0.0.1:{settings.minio_port}",
            "--console-address",
            f"127.0.0.1:{settings.minio_console_port}",
            "--certs-dir",
            str(self.home / "certs"),
        ]

    def env(self) -> dict[str, str]:
        return {
            "MINIO_ROOT_USER": self.settings.s3_access_key,
            "MINIO_ROOT_PASSWORD": self.settings.s3_secret,
            "MINIO_UPDATE": "off",
        }

    def is_ready(self) -> bool:
        url = f"http://127.0.0.1:{self.settings.minio_port}/minio/health/live"
        direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1 never via a proxy
        try:
            with direct.open(url, timeout=1.0) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def after_ready(self) -> None:
        """Create the lake bucket (the first path element of an s3:// lake) if it is missing."""
        if self.settings.lake_kind != "s3":
            return
        bucket = self.settings.lake.removeprefix("s3://").split("/")[0]
        fs = lake_fs(self.settings)
        try:
            if not fs.exists(bucket):
                fs.mkdir(bucket)
        except Exception as exc:  # botocore/aiobotocore raise many types; the message is what a user needs
            raise self.fail(f"could not create bucket {bucket!r}: {exc}") from exc
