"""The OCDS merge (a compiled release from a contracting process's releases), for the fields we publish.

The rules (https://standard.open-contracting.org/1.1/en/schema/merging/): releases in date order;
objects merge field by field, the later value winning; a null removes a field; an array of
objects with `id` merges object by object on that id; any other array, and the few marked
`wholeListMerge` in the schema, is replaced whole; an empty array changes nothing; `id`, `date` and `tag` are omitted when merged
(`omitWhenMerged`) and the compiled release gets its own. Pure: plain values in, plain values out.
Written here rather than taken from `ocdsmerge` because that needs the full schema at run time
(it fetches it unless given one), while production has no copy of it; the tests check this merge
against `ocdsmerge` where it is installed.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

OMIT_WHEN_MERGED = ("id", "date", "tag")
# Arrays of objects with ids that the schema (core 1.1.5 and our extensions) still merges whole.
WHOLE_LIST_MERGE = frozenset(
    {
        "additionalIdentifiers",
        "identifiers",
        "additionalClassifications",
        "deliveryLocations",
        "deliveryAddresses",
    }
)


def _is_identified_list(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, dict) and "id" in v for v in value)
    )


def _merge_value(key: str, old: Any, new: Any) -> Any:
    if isinstance(new, dict):
        return _merge_object(old if isinstance(old, dict) else {}, new)
    if key not in WHOLE_LIST_MERGE and _is_identified_list(new):
        return _merge_list(old if _is_identified_list(old) else [], new)
    return copy.deepcopy(new)


def _merge_object(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    result = dict(old)
    for key, value in new.items():
        if value is None:
            result.pop(key, None)
        elif value == []:
            continue  # an empty array says nothing: the earlier value stands (as in ocdsmerge)
        else:
            result[key] = _merge_value(key, result.get(key), value)
    return result


def _merge_list(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Merge by `id`; objects keep their first position, new ones follow in their order."""
    merged: dict[Any, dict[str, Any]] = {str(o["id"]): o for o in old}
    for item in new:
        key = str(item["id"])
        merged[key] = _merge_object(merged.get(key, {}), item)
    return list(merged.values())


def compile_releases(releases: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The compiled release of one ocid's releases: the latest state, each field from its last release."""
    ordered = sorted(releases, key=lambda r: r["date"])
    if not ordered:
        raise ValueError("A compiled release needs at least one release")
    compiled: dict[str, Any] = {}
    for release in ordered:
        body = {k: v for k, v in release.items() if k not in OMIT_WHEN_MERGED}
        compiled = _merge_object(compiled, body)
    last = ordered[-1]
    return {
        "ocid": last["ocid"],
        "id": f"{last['ocid']}-{last['date']}",
        "date": last["date"],
        "tag": ["compiled"],
        **{k: v for k, v in compiled.items() if k != "ocid"},
    }
