"""Great Expectations plumbing: an in-memory context per gate run, and Data Docs published to the lake.

The suites are reviewable files in expectations/suites/ (GX's own suite JSON). At run time they are loaded
into an ephemeral context (nothing written to the repository), validated with GX's pandas engine, and the
Data Docs site is built in a temporary folder, then copied to the lake under `reports/data-docs/`.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from expectations.site import index_page, make_offline, merged_manifest
from infra.lake import lake_fs, lake_path, lake_url
from infra.settings import Settings

DOCS_PREFIX = "reports/data-docs"
SITE = "lake"
MANIFEST = "_validations.json"
# COMPLETE: every unexpected row, which the verdicts group by partition (expectations/stacked.py).
RESULT_FORMAT = {"result_format": "COMPLETE", "partial_unexpected_count": 10}


class GateContext:
    """One ephemeral GX context with a local Data Docs site; validates frames and publishes the site."""

    def __init__(self, run_id: str):
        import great_expectations as gx  # lazy: ~2 s to import, only needed when a gate runs
        from great_expectations.data_context.types.base import (  # lazy: GX ~2 s, only when a gate runs
            DataContextConfig,
            InMemoryStoreBackendDefaults,
            ProgressBarsConfig,
        )

        self.run_id = run_id
        self._tmp = tempfile.TemporaryDirectory(prefix="shelfwise-docs-")
        config = DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
            analytics_enabled=False,  # never phone home from a pipeline task
            progress_bars=ProgressBarsConfig(globally=False),
        )
        self.gx = gx.get_context(mode="ephemeral", project_config=config)
        self.gx.add_data_docs_site(site_name=SITE, site_config={
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": self._tmp.name},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        })
        self._source = self.gx.data_sources.add_pandas("lake")

    @property
    def site_dir(self) -> Path:
        return Path(self._tmp.name)

    def validate(self, suite_json: dict, frame: pd.DataFrame, batch: str) -> tuple[Any, str]:
        """Validate `frame` against a resolved suite: (GX validation result, page path within the site)."""
        import great_expectations as gx  # lazy: ~2 s to import, only needed when a gate runs
        from great_expectations.core.expectation_suite import ExpectationSuite  # lazy: GX ~2 s, gates only
        from great_expectations.core.run_identifier import RunIdentifier  # lazy: GX ~2 s, gates only

        suite = self.gx.suites.add(ExpectationSuite(**suite_json))
        definition = self._source.add_dataframe_asset(batch).add_batch_definition_whole_dataframe("partition")
        validation = self.gx.validation_definitions.add(
            gx.ValidationDefinition(name=batch, data=definition, suite=suite)
        )
        # No per-validation docs action: the site builder re-renders every stored result each time, so pages
        # are built once per gate run, in publish().
        checkpoint = self.gx.checkpoints.add(gx.Checkpoint(
            name=batch, validation_definitions=[validation], result_format=RESULT_FORMAT,
        ))
        run_id = RunIdentifier(run_name=self.run_id)
        outcome = checkpoint.run(batch_parameters={"dataframe": frame}, run_id=run_id)
        identifier, result = next(iter(outcome.run_results.items()))
        return result, _page_of(identifier)

    def publish(self, settings: Settings, entries: list[dict]) -> str:
        """Copy the built pages into the lake (shared styles once), update the index; returns its URL.

        `entries` describe this run's validations (page, asset, partition, run_id, success, failed, ...).
        """
        self.gx.build_data_docs(site_names=[SITE])
        fs, target = lake_fs(settings), lake_path(settings, DOCS_PREFIX)
        make_offline(self.site_dir)
        static_there = fs.exists(f"{target}/static")
        for path in sorted(self.site_dir.rglob("*")):
            relative = path.relative_to(self.site_dir).as_posix()
            skip = relative == "index.html" or (static_there and relative.startswith("static/"))
            if path.is_file() and not skip:
                fs.put_file(str(path), f"{target}/{relative}")
        manifest = f"{target}/{MANIFEST}"
        existing = fs.cat_file(manifest).decode() if fs.exists(manifest) else None
        entries = merged_manifest(existing, entries)
        fs.pipe_file(manifest, json.dumps(entries, indent=0).encode())
        fs.pipe_file(f"{target}/index.html", index_page(entries).encode())
        return lake_url(settings, f"{DOCS_PREFIX}/index.html")

    def close(self) -> None:
        self._tmp.cleanup()


def _page_of(identifier: Any) -> str:
    """Where GX's site builder put one result: validations/<suite path>/<run name>/<run time>/<batch>.html."""
    return "validations/" + "/".join(identifier.to_tuple()) + ".html"


def page_url(settings: Settings, page: str) -> str:
    """The lake URL of one published Data Docs page."""
    return lake_url(settings, f"{DOCS_PREFIX}/{page}")
