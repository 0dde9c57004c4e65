"""Check a claim's sales lines against the eligibility rules a whole column at a time, and total them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .columns import HEADER
from .flags import _related_party, _unit_value_outlier
from .lines import Messages, _Finding, _Lines
from .results import (
    ERROR_RULES,
    FLAG_RULES,
    RESULT_COLUMNS,
    ValidationContext,
    ValidationResult,
)
from .rules import _RULE_CHECKS, MAX_TEXT_CHARS
from .totals import totals

# The public API stays importable from here, wherever its code now lives.
__all__ = [
    "ERROR_RULES",
    "FLAG_RULES",
    "MAX_TEXT_CHARS",
    "RESULT_COLUMNS",
    "Messages",
    "ValidationContext",
    "ValidationResult",
    "totals",
    "validate",
]

_RULE_ORDER = {code: index for index, code in enumerate([*ERROR_RULES, *FLAG_RULES])}
_COLUMN_ORDER = {name: index for index, name in enumerate(HEADER)}


def validate(frame: pd.DataFrame, context: ValidationContext) -> ValidationResult:
    """Check every line against every rule; return the errors, the flags and the typed lines.

    `frame` holds the cells as text under the dictionary's column names, as read_upload
    returns it (an optional column may be absent); its index labels plus
    context.row_offset are the row numbers shown to the firm. Cells are judged with
    surrounding spaces removed (and GSTINs, countries, yes/no and invoice numbers
    compared in capitals) but reported exactly as given. Every rule is a handful of
    whole-column operations; nothing runs once per row.
    """
    lines = _Lines(frame, context)
    findings = [finding for check in _RULE_CHECKS for finding in check(lines, context)]
    findings = [finding for finding in findings if finding.mask.any()]
    summary = dict.fromkeys(ERROR_RULES, 0)
    for finding in findings:
        summary[finding.rule] += int(finding.mask.sum())

    outlier = _unit_value_outlier(lines, context)
    flag_findings = [
        finding for finding in (outlier, _related_party(lines, context)) if finding.mask.any()
    ]
    flag_summary = dict.fromkeys(FLAG_RULES, 0)
    for finding in flag_findings:
        flag_summary[finding.rule] += int(finding.mask.sum())

    error_rows = np.zeros(0, dtype=np.int64)
    if findings:
        any_error = np.logical_or.reduce([finding.mask for finding in findings])
        error_rows = lines.rows[any_error]
    return ValidationResult(
        error_rows=error_rows,
        errors=_report(findings, lines, limit=context.max_errors_reported),
        flags=_report(flag_findings, lines, limit=None),
        clean=None if findings else _clean(frame, lines, outlier=outlier.mask),
        summary_by_rule=summary,
        flag_summary=flag_summary,
    )


def _clean(frame: pd.DataFrame, lines: _Lines, *, outlier: np.ndarray) -> pd.DataFrame:
    """The lines typed and normalised: dates, grams and paise as integers, codes in capitals."""
    text = lines.text
    return pd.DataFrame(
        {
            "row": lines.rows,
            "invoice_number": text["invoice_number"].to_numpy(dtype=object),
            "invoice_date": lines.dates.astype("datetime64[ns]"),
            "buyer_name": text["buyer_name"].to_numpy(dtype=object),
            "buyer_gstin": lines.gstin.to_numpy(dtype=object),
            "export_country": lines.country.where(lines.export, "").to_numpy(dtype=object),
            "is_export": lines.export,
            "hsn_code": lines.hsn.to_numpy(dtype=object),
            "magnet_grade": lines.distinct["magnet_grade"]
            .str.upper()
            .to_numpy(dtype=object)[lines.codes["magnet_grade"]],
            "quantity_g": lines.amounts["quantity_kg"][1],
            "net_sales_value_paise": lines.amounts["net_sales_value"][1],
            "credit_note_ref": text["credit_note_ref"].to_numpy(dtype=object),
            "is_credit_note": lines.credit,
            "related_party": lines.related_yes,
            "unit_value_outlier": outlier,
            "plant": text["plant"].to_numpy(dtype=object),
        },
        index=frame.index,
    )


def _report(findings: list[_Finding], lines: _Lines, *, limit: int | None) -> pd.DataFrame:
    """The findings as RESULT_COLUMNS rows, sorted by row, column and rule; at most `limit`."""
    if not findings:
        return _empty_report()
    positions = [finding.positions for finding in findings]
    sizes = [len(found) for found in positions]
    position = np.concatenate(positions)
    owner = np.repeat(np.arange(len(findings)), sizes)
    column_rank = np.repeat([_COLUMN_ORDER[finding.column] for finding in findings], sizes)
    rule_rank = np.repeat([_RULE_ORDER[finding.rule] for finding in findings], sizes)
    order = np.lexsort((rule_rank, column_rank, position))[:limit]
    if not len(order):
        return _empty_report()
    owner, position = owner[order], position[order]
    messages = np.empty(len(order), dtype=object)
    values = np.empty(len(order), dtype=object)
    for index, finding in enumerate(findings):  # a loop over rules; each builds its rows at once
        mine = owner == index
        if not mine.any():
            continue
        found = position[mine]
        messages[mine] = (
            finding.messages if isinstance(finding.messages, str) else finding.messages(found)
        )
        values[mine] = lines.raw[finding.column].to_numpy(dtype=object)[found]
    return pd.DataFrame(
        {
            "row": lines.rows[position],
            "column": np.array([finding.column for finding in findings], dtype=object)[owner],
            "value": values,
            "rule": np.array([finding.rule for finding in findings], dtype=object)[owner],
            "message": messages,
        }
    )


def _empty_report() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "row": pd.Series([], dtype=np.int64),
            **{name: pd.Series([], dtype=object) for name in RESULT_COLUMNS[1:]},
        }
    )
