"""Secrets never reach a console, and the generated MinIO secret is private whatever the file was before."""

from __future__ import annotations

import os
import stat

import pytest

from infra.minio_local import ensure_secret
from infra.settings import Settings, redact_url


@pytest.mark.parametrize(
    ("url", "printed"),
    [
        ("http://bi_refresh:s3cr%40t!@ch.example:8123/shelfwise", "http://bi_refresh:***@ch.example:8123/shelfwise"),
        ("https://default:pw@[::1]:8443", "https://default:***@::1:8443"),
        ("http://reader@ch.example:8123", "http://reader@ch.example:8123"),
        ("http://ch.example:8123", "http://ch.example:8123"),
    ],
)
def test_redact_url_masks_only_the_password(url, printed):
    assert redact_url(url) == printed


def test_warehouse_label_never_shows_the_password(tmp_path):
    settings = Settings(home=tmp_path, clickhouse_url="http://loader:Very-Secret-42@127.0.0.1:8123/shelfwise")
    assert "Very-Secret-42" not in settings.warehouse_label
    assert settings.warehouse_label.startswith("http://loader:***@127.0.0.1:8123")
    assert Settings(home=tmp_path).warehouse_label == str(tmp_path.resolve() / "warehouse")


def test_secret_file_is_generated_private(tmp_path, monkeypatch):
    monkeypatch.delenv("SHELFWISE_S3_SECRET_KEY", raising=False)
    settings = Settings(home=tmp_path, s3_secret_key="")

    previous = os.umask(0)  # a permissive umask must not widen the file
    try:
        secret = ensure_secret(settings)
    finally:
        os.umask(previous)

    assert len(secret) >= 24 and ensure_secret(settings) == secret  # generated once, then reused
    assert stat.S_IMODE(settings.minio_secret_file.stat().st_mode) == 0o600


def test_existing_secret_file_is_kept_and_made_private(tmp_path, monkeypatch):
    monkeypatch.delenv("SHELFWISE_S3_SECRET_KEY", raising=False)
    settings = Settings(home=tmp_path, s3_secret_key="")
    settings.minio_secret_file.parent.mkdir(parents=True)
    settings.minio_secret_file.write_text("kept-secret\n")
    settings.minio_secret_file.chmod(0o644)

    assert ensure_secret(settings) == "kept-secret"
    assert stat.S_IMODE(settings.minio_secret_file.stat().st_mode) == 0o600
