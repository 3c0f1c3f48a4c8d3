"""Microsoft's published PBIP JSON schemas, resolved from the local copy in shared/specs (no network).

A file's `$schema` URL under https://developer.microsoft.com/json-schemas/fabric/ maps to the same path in
shared/specs/powerbi-json-schemas/fabric/. The schemas `$ref` each other by relative paths; every schema is
registered under its path URL and under its own `$id` (visualConfiguration's embedded schema names itself
`schema.embedded.json` while living in `schema-embedded.json`), so every reference resolves locally and an
unknown one is an error rather than a download.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

REPO = Path(__file__).resolve().parents[3]
SPECS = REPO.parent / "shared" / "specs" / "powerbi-json-schemas"
PREFIX = "https://developer.microsoft.com/json-schemas/"


@cache
def registry() -> Registry:
    if not (SPECS / "fabric").is_dir():
        raise FileNotFoundError(f"Microsoft's PBIP schemas are expected in {SPECS} (shared/ beside the repo)")
    resources = []
    for path in sorted((SPECS / "fabric").rglob("*.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        resource = Resource.from_contents(contents, default_specification=DRAFT7)
        resources.append((PREFIX + path.relative_to(SPECS).as_posix(), resource))
        if contents.get("$id", "").startswith(PREFIX):
            resources.append((contents["$id"], resource))
    return Registry().with_resources(resources)


def validator(schema_url: str) -> Draft7Validator:
    """The validator of the schema a file names; KeyError-like failure if it is not in the local copy."""
    schema = registry().contents(schema_url)
    return Draft7Validator(schema, registry=registry())


def errors(document: dict) -> list[str]:
    """Every schema violation of `document` against the schema its `$schema` names."""
    found = validator(document["$schema"]).iter_errors(document)
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in found]
