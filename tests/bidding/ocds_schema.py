"""The OCDS 1.1.5 release-package schema with our extensions merged in, for offline validation.

Per /work/shared/ocds/SOURCES.md: each extension's release-schema.json is a JSON Merge Patch
(RFC 7396) of the core release schema; the package schema's $ref to the release schema names a
URL, resolved here to the patched local copy; validation is JSON Schema Draft 4.
"""

from __future__ import annotations

import copy
import functools
import json
import os
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

# The shared folder sits beside the checkout (as in CI); REPM_OCDS_DIR points elsewhere.
OCDS_DIR = Path(os.environ.get("REPM_OCDS_DIR", str(settings.BASE_DIR.parent / "shared" / "ocds")))
AVAILABLE = (OCDS_DIR / "core-1.1.5" / "release-schema.json").exists()
MISSING = (
    f"The OCDS 1.1.5 schema is not at {OCDS_DIR}: put shared/ beside the checkout "
    "or set REPM_OCDS_DIR to its ocds/ folder."
)
# CI sets REPM_REQUIRE_OCDS=1: there a missing schema fails instead of skipping.
REQUIRED = os.environ.get("REPM_REQUIRE_OCDS", "") == "1"


def require() -> None:
    """Skip the calling test when the schema is not here (a clone of the project alone), or fail under CI."""
    if AVAILABLE:
        return
    if REQUIRED:
        pytest.fail(MISSING)
    pytest.skip(MISSING)


RELEASE_SCHEMA_URL = "https://standard.open-contracting.org/schema/1__1__5/release-schema.json"
# location before bidOpening (which uses its Location); submissionTerms beside lots (its definition).
EXTENSIONS = ("bids", "location", "bidOpening", "submissionTerms", "lots")


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396: objects merge key by key, null deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _load(path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@functools.cache
def release_schema() -> dict:
    require()
    schema = _load(OCDS_DIR / "core-1.1.5" / "release-schema.json")
    for name in EXTENSIONS:
        schema = merge_patch(schema, _load(OCDS_DIR / "extensions" / name / "release-schema.json"))
    return schema


@functools.cache
def package_validator() -> Draft4Validator:
    package = _load(OCDS_DIR / "core-1.1.5" / "release-package-schema.json")
    registry = Registry().with_resource(
        RELEASE_SCHEMA_URL, Resource.from_contents(release_schema(), default_specification=DRAFT4)
    )
    return Draft4Validator(
        package, registry=registry, format_checker=Draft4Validator.FORMAT_CHECKER
    )


def errors(package: dict) -> list[str]:
    require()
    return [
        f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message}"
        for e in package_validator().iter_errors(package)
    ]


@functools.cache
def record_package_validator() -> Draft4Validator:
    package = _load(OCDS_DIR / "core-1.1.5" / "record-package-schema.json")
    registry = Registry().with_resource(
        RELEASE_SCHEMA_URL, Resource.from_contents(release_schema(), default_specification=DRAFT4)
    )
    return Draft4Validator(
        package, registry=registry, format_checker=Draft4Validator.FORMAT_CHECKER
    )


def record_errors(package: dict) -> list[str]:
    """As `errors`, for a record package (its releases linked or embedded, its compiled release)."""
    require()
    return [
        f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message}"
        for e in record_package_validator().iter_errors(package)
    ]
