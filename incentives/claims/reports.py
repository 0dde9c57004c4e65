"""What the pages and the API show of an upload's report and a claim's totals, from their stored JSON."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from incentives.claims.services import RULES
from incentives.ingest.validate import FLAG_RULES, RESULT_COLUMNS, ValidationResult


def rule_summary(summary_by_rule: dict[str, int]) -> list[dict]:
    """Rules with errors, most frequent first: code, count, meaning."""
    return [
        {"rule": rule, "count": count, "meaning": RULES.get(rule, rule)}
        for rule, count in sorted(summary_by_rule.items(), key=lambda item: (-item[1], item[0]))
        if count
    ]


def flag_summary(flags: dict[str, int]) -> list[dict]:
    return [
        {"rule": rule, "count": count, "meaning": FLAG_RULES.get(rule, rule)}
        for rule, count in flags.items()
        if count
    ]


def errors_result(upload) -> ValidationResult:
    """The stored report as a ValidationResult, so the downloads are written by the ingest core."""
    errors = pd.DataFrame(upload.errors, columns=list(RESULT_COLUMNS))
    errors["row"] = errors["row"].astype("int64")
    summary = {rule: int(count) for rule, count in upload.summary_by_rule.items()}
    return ValidationResult(
        errors=errors, flags=errors.iloc[0:0], clean=None, summary_by_rule=summary
    )


def _pair(value: dict) -> dict:
    return {"kg": Decimal(value["kg"]), "value": Decimal(value["value"])}


def totals_view(totals: dict) -> dict:
    """The stored totals with Decimals back, buyers named and sorted by value."""
    if not totals:
        return {}
    names = totals.get("buyer_names", {})
    buyers = [
        {"buyer": key, "name": names.get(key, key), **_pair(value)}
        for key, value in totals["by_buyer"].items()
    ]
    buyers.sort(key=lambda b: -b["value"])
    related = totals["related_party"]
    return {
        "net_kg": Decimal(totals["net_kg"]),
        "net_value": Decimal(totals["net_value"]),
        "lines": totals.get("lines", 0),
        "by_month": [{"month": k, **_pair(v)} for k, v in sorted(totals["by_month"].items())],
        "by_grade": sorted(
            ({"grade": k, **_pair(v)} for k, v in totals["by_grade"].items()),
            key=lambda g: -g["kg"],
        ),
        "by_buyer": buyers,
        "domestic": _pair(totals["domestic"]),
        "export": _pair(totals["export"]),
        "related_party": {
            **_pair(related),
            "kg_share_pct": Decimal(related["kg_share"]) * 100,
            "value_share_pct": Decimal(related["value_share"]) * 100,
        },
        "related_party_lines": totals.get("related_party_lines", 0),
        "outlier_lines": totals.get("outlier_lines", 0),
        "credit_note_lines": totals.get("credit_note_lines", 0),
    }
