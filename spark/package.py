"""The project's Python packages as one zip, shipped with every spark-submit (`--py-files`).

On a cluster the Python workers run on other hosts, where the repository is not checked out: the functions
a job hands to Spark (applyInPandas, UDFs) import `spark.*`, `infra.*` and what those import from there.
The zip holds every module of the card's Python folders; the third-party libraries come from the cluster's
Python environment (the same pins as pyproject.toml). Built when a task runs, never while parsing a DAG, and
named by a hash of its content, so a worker builds it once per code version.
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

from infra.settings import REPO_ROOT, Settings

PACKAGES = ("assets", "spark", "expectations", "infra")


def project_archive(settings: Settings) -> Path:
    """The zip of this code version under `<home>/spark/`, built if not there yet."""
    files = sorted(p for package in PACKAGES for p in (REPO_ROOT / package).rglob("*.py"))
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(REPO_ROOT)).encode() + b"\0" + path.read_bytes())
    target = settings.home / "spark" / f"shelfwise-{digest.hexdigest()[:12]}.zip"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".zip.tmp")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in files:
                archive.write(path, str(path.relative_to(REPO_ROOT)))
        partial.replace(target)  # whole or absent: a concurrent task never ships half a zip
    return target
