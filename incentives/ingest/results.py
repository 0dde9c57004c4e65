"""The rule codes, what a validation needs to know besides the lines, and what it returns."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from repm_portal.exports import FORMULA_PREFIXES

from .reading import ROW_OFFSET

# Stable codes: stored with claims, shown to firms, counted in summaries. Never rename one.
ERROR_RULES: dict[str, str] = {
    "required_value": "A required cell is blank.",
    "date_format": "The invoice date is not a real date in an accepted form.",
    "date_in_period": "The invoice date is outside the claim period.",
    "hsn_prefix": "The HSN code is not a 6- or 8-digit code under 8505 11.",
    "quantity_format": "The quantity is not a number of kg with at most 3 decimals.",
    "value_format": "The net sales value is not a rupee amount with at most 2 decimals.",
    "sign": "Quantity and value must be positive on an invoice and negative on a credit note.",
    "credit_note_target": "The credit note reverses an invoice that is in neither this file nor an earlier claim.",
    "gstin_format": "The buyer GSTIN is malformed or its check character is wrong.",
    "own_gstin": "The buyer GSTIN is the firm's own.",
    "export_country": "A line without a GSTIN needs a valid export country other than IN; a line with one needs none.",
    "duplicate_in_file": "The invoice number appears on an earlier row of the file.",
    "duplicate_prior": "The invoice number was claimed in an earlier claim of the award.",
    "related_party_flag": "The related-party cell is not one of the accepted yes/no spellings.",
    "too_long": "A text cell is longer than the column allows.",
    "plant_mismatch": "The plant is not the award's registered plant.",
}
FLAG_RULES: dict[str, str] = {
    "unit_value_outlier": "Net sales value per kg is outside the rule set's expected band.",
    "related_party": "Sale to a related party: the verifier checks the price is at arm's length.",
}
RESULT_COLUMNS = ("row", "column", "value", "rule", "message")

_XLSX_CELL_CHARS = 32_000


@dataclass(frozen=True, kw_only=True)
class ValidationContext:
    """What the rules need to know besides the lines; plain values, so a check can be replayed."""

    period_start: date
    period_end: date
    unit_value_min: Decimal  # Rs per kg, to the paisa, from the rule set
    unit_value_max: Decimal
    firm_gstin: str = ""
    # The GSTINs of the other firms of the beneficiary (a consortium's members): a sale to
    # any of them is a supply to oneself too.
    partner_gstins: frozenset[str] = frozenset()
    prior_invoice_numbers: frozenset[str] = frozenset()
    # Invoices a credit note may reverse besides those in the file; None means the same
    # set as prior_invoice_numbers.
    prior_invoice_numbers_for_credit: frozenset[str] | None = None
    # The award's registered plant: every line must name it (case, outer and repeated spaces
    # aside). None leaves the column unchecked (a replay of lines without their award).
    registered_plant: str | None = None
    hsn_prefix: str = "850511"
    max_errors_reported: int = 1000
    row_offset: int = ROW_OFFSET

    def __post_init__(self) -> None:
        for name in ("period_start", "period_end"):
            value = getattr(self, name)
            if isinstance(value, datetime) or not isinstance(value, date):
                raise TypeError(f"{name} must be a datetime.date")
        if self.period_end < self.period_start:
            raise ValueError(
                f"period_end {self.period_end} is before period_start {self.period_start}"
            )
        for name in ("unit_value_min", "unit_value_max"):
            value = getattr(self, name)
            if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
                raise ValueError(f"{name} must be a finite Decimal >= 0, not {value!r}")
            paise = value * 100
            if paise != paise.to_integral_value():
                raise ValueError(f"{name} must be given to the paisa, not {value}")
        if self.unit_value_min > self.unit_value_max:
            raise ValueError("unit_value_min is above unit_value_max")
        if not (self.hsn_prefix.isascii() and self.hsn_prefix.isdigit()):
            raise ValueError(f"hsn_prefix must be digits, not {self.hsn_prefix!r}")
        if self.registered_plant is not None and (
            not isinstance(self.registered_plant, str) or not self.registered_plant.strip()
        ):
            raise ValueError("registered_plant must name the plant, or be None")
        if self.max_errors_reported < 0:
            raise ValueError("max_errors_reported must be >= 0")
        for name in ("prior_invoice_numbers", "prior_invoice_numbers_for_credit", "partner_gstins"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, frozenset):
                raise TypeError(f"{name} must be a frozenset of invoice numbers")

    @property
    def credit_targets(self) -> frozenset[str]:
        chosen = self.prior_invoice_numbers_for_credit
        return self.prior_invoice_numbers if chosen is None else chosen

    # Normalised once, however many chunks of a file are checked against them.
    @cached_property
    def prior_keys(self) -> frozenset[str]:
        """The earlier claims' invoice numbers as compared: trimmed, in capitals."""
        return frozenset(number.strip().upper() for number in self.prior_invoice_numbers)

    @cached_property
    def credit_target_keys(self) -> frozenset[str]:
        """The invoices a credit note may reverse besides the file's, trimmed, in capitals."""
        return frozenset(number.strip().upper() for number in self.credit_targets)


@dataclass(frozen=True, eq=False)
class ValidationResult:
    """The outcome of one validation: what to fix, what to review, and the typed lines if all is well."""

    errors: pd.DataFrame  # RESULT_COLUMNS; the first max_errors_reported errors by row
    flags: pd.DataFrame  # RESULT_COLUMNS; every flag (flags never block a claim)
    clean: pd.DataFrame | None  # typed lines, or None when there is any error
    summary_by_rule: dict[str, int]  # every error rule -> its count, reported or not
    flag_summary: dict[str, int] = field(default_factory=dict)
    # The row numbers with at least one error, listed or not, in order.
    error_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def error_count(self) -> int:
        return sum(self.summary_by_rule.values())

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    @property
    def truncated(self) -> bool:
        """True when more errors exist than the errors frame lists."""
        return self.error_count > len(self.errors)

    def errors_csv(self) -> bytes:
        """The errors as CSV (UTF-8 with BOM), text cells neutralised against formula injection."""
        buffer = io.StringIO()
        _neutralised(self.errors).to_csv(buffer, index=False, lineterminator="\r\n")
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")

    def errors_xlsx(self, meanings: dict[str, str] | None = None) -> bytes:
        """The errors as an XLSX workbook (errors, then a summary by rule), neutralised likewise.

        `meanings` explains rule codes beyond ERROR_RULES (whole-file ones, say).
        """
        meanings = {**ERROR_RULES, **(meanings or {})}
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("Errors")
        sheet.append(list(RESULT_COLUMNS))
        for record in _neutralised(self.errors, for_xlsx=True).itertuples(index=False):
            sheet.append(list(record))
        summary = workbook.create_sheet("Summary")
        summary.append(["rule", "errors", "meaning"])
        for code, count in self.summary_by_rule.items():
            summary.append([code, count, meanings.get(code, code)])
        summary.append([])
        summary.append(["errors listed", len(self.errors), f"of {self.error_count}"])
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()


def _neutralised(frame: pd.DataFrame, *, for_xlsx: bool = False) -> pd.DataFrame:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe (OWASP advice)."""
    out = frame.copy()
    for name in out.columns:
        if out[name].dtype != object:
            continue
        text = out[name].astype(str)
        if for_xlsx:
            # Control characters cannot be stored in XLSX; show them as escapes instead.
            text = text.str.replace(
                ILLEGAL_CHARACTERS_RE, lambda m: f"\\x{ord(m.group()):02x}", regex=True
            )
            # Excel refuses cells longer than this.
            text = text.str.slice(0, _XLSX_CELL_CHARS)
        risky = text.str.startswith(FORMULA_PREFIXES)
        out[name] = text.where(~risky, "'" + text)
    return out
