"""Headless Chromium for tests that look at what people see (Data Docs, the browser report)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
]


def chromium(url: str, profile: Path, screenshot: Path | None = None) -> tuple[str, list[str]]:
    """The DOM Chromium renders for `url` and every console message it logged; with `screenshot`, also a
    PNG."""
    binary = shutil.which("chromium")
    assert binary, "Chromium is missing: run `infra/install.sh browser`"
    base = [binary, *FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0"]
    done = subprocess.run([*base, "--dump-dom", url], capture_output=True, text=True, timeout=60, check=True)
    if screenshot is not None:
        subprocess.run(
            [
                *base,
                f"--user-data-dir={profile}-shot",
                f"--screenshot={screenshot}",
                "--window-size=1280,1400",
                url,
            ],
            capture_output=True,
            timeout=60,
            check=True,
        )
    return done.stdout, [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
