"""Make the Data Docs readable where the lake is: offline, no third-party requests, one cumulative index.

GX pages pull jQuery, Bootstrap and a logo from public CDNs and render the index table with JavaScript.
Store networks and air-gapped clusters block those, leaving console errors and an empty index. The
validation pages themselves are plain HTML, so we drop remote assets and the scripts that need them, add
a small stylesheet, and write our own index from a manifest of every published validation.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

REMOTE_TAG = re.compile(r"<(script|link)\b[^>]*(?:src|href)=\"https?://[^\"]*\"[^>]*>(?:\s*</script>)?", re.I)
INLINE_SCRIPT = re.compile(r"<script>(?P<body>.*?)</script>", re.S)
REMOTE_IMG = re.compile(r"(<img\b[^>]*src=)\"https?://[^\"]*logo-long[^\"]*\"", re.S)
HANDLER = re.compile(r"\son(?:click|change)=\"[^\"]*\"")

OFFLINE_CSS = """<style>
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0}
td,th{border:1px solid #ccc;padding:.25rem .5rem;vertical-align:top}
.text-danger{color:#b00020}.text-success{color:#1b7a1b}
.modal,.ge-walkthrough-modal,#ge-cta-footer,footer,.card:has(input[type=radio]){display:none}
</style>"""


def offline_page(text: str, depth: int) -> str:
    """One GX page without remote assets or jQuery-bound scripts; `depth`: folders below the site root."""
    text = REMOTE_TAG.sub("", text)
    text = INLINE_SCRIPT.sub(lambda m: "" if "$(" in m.group("body") else m.group(0), text)
    text = HANDLER.sub("", text)
    text = REMOTE_IMG.sub(lambda m: f'{m.group(1)}"{"../" * depth}static/images/logo-long.png"', text)
    return text.replace("</head>", OFFLINE_CSS + "</head>", 1)


def make_offline(site_dir: Path) -> None:
    """Rewrite every HTML page GX built under `site_dir`."""
    for page in site_dir.rglob("*.html"):
        depth = len(page.relative_to(site_dir).parts) - 1
        page.write_text(offline_page(page.read_text(), depth))


def index_page(entries: list[dict]) -> str:
    """The cumulative index: one row per published validation, newest first."""
    rows = "\n".join(
        "<tr><td class=\"{cls}\">{status}</td><td>{asset}</td><td>{partition}</td><td>{run}</td>"
        "<td>{at}</td><td>{failed}</td><td><a href=\"{page}\">report</a></td></tr>".format(
            cls="text-success" if e["success"] else "text-danger",
            status="passed" if e["success"] else "FAILED",
            asset=html.escape(e["asset"]), partition=html.escape(e["partition"] or "(all)"),
            run=html.escape(e["run_id"]), at=html.escape(e["validated_at"]),
            failed=html.escape(", ".join(e.get("failed", [])) or "-"), page=html.escape(e["page"]),
        )
        for e in sorted(entries, key=lambda e: e["validated_at"], reverse=True)
    )
    return (
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>shelfwise data quality</title>"
        f"{OFFLINE_CSS}</head><body><h1>shelfwise data quality gates</h1>"
        "<table><thead><tr><th>status</th><th>asset</th><th>partition</th><th>run</th><th>validated at</th>"
        f"<th>failed expectations</th><th></th></tr></thead><tbody>\n{rows}\n</tbody></table></body></html>"
    )


def merged_manifest(existing: str | None, new: list[dict]) -> list[dict]:
    """The published manifest plus this run's entries (a page appears once)."""
    entries = {e["page"]: e for e in (json.loads(existing) if existing else [])}
    entries.update({e["page"]: e for e in new})
    return list(entries.values())
