"""`make test` fails on any skip but the ClickHouse-server tier's: a skipped test hides a broken install."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"

CASES = '''
import pytest

@pytest.mark.clickhouse_server
def test_server_tier():
    pytest.skip("CLICKHOUSE_URL is not set")

def test_plain():
    assert True
'''


def run_suite(tmp_path: Path, extra: str, clickhouse_url: str = "") -> subprocess.CompletedProcess:
    (tmp_path / "conftest.py").write_text(CONFTEST.read_text())
    (tmp_path / "test_cases.py").write_text(CASES + extra)
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    clickhouse_server: server tier\n")
    env = {k: v for k, v in os.environ.items() if k != "CLICKHOUSE_URL"}
    if clickhouse_url:
        env["CLICKHOUSE_URL"] = clickhouse_url
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_the_server_tier_may_skip_without_a_server(tmp_path):
    result = run_suite(tmp_path, "")
    assert result.returncode == 0, result.stdout
    assert "1 passed, 1 skipped" in result.stdout


def test_any_other_skip_fails_the_run_and_is_named(tmp_path):
    result = run_suite(tmp_path, '\ndef test_needs_a_binary():\n    pytest.skip("chromium not found")\n')
    assert result.returncode == 1, result.stdout
    assert "unexpected skips" in result.stdout and "test_needs_a_binary" in result.stdout


def test_the_server_tier_may_not_skip_when_a_server_is_configured(tmp_path):
    result = run_suite(tmp_path, "", clickhouse_url="http://127.0.0.1:1")
    assert result.returncode == 1, result.stdout
    assert "test_server_tier" in result.stdout
