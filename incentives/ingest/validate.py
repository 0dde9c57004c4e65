"""Check a claim's sales lines against the eligibility rules a whole column at a time, and total them."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Context, Decimal

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from beneficiaries.validators import GSTIN_ALPHABET, GSTIN_LENGTH, gstin_valid_mask
from repm_portal.exports import FORMULA_PREFIXES
from repm_portal.money import format_inr

from .columns import (
    COLUMN_BY_NAME,
    COLUMNS,
    DATE_FORMATS,
    HEADER,
    ISO_COUNTRY_CODES,
    QUANTITY_DECIMALS,
    QUANTITY_MAX_INTEGER_DIGITS,
    RELATED_PARTY_NO,
    RELATED_PARTY_YES,
    VALUE_DECIMALS,
    VALUE_MAX_INTEGER_DIGITS,
)
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
}
FLAG_RULES: dict[str, str] = {
    "unit_value_outlier": "Net sales value per kg is outside the rule set's expected band.",
    "related_party": "Sale to a related party: the verifier checks the price is at arm's length.",
}
RESULT_COLUMNS = ("row", "column", "value", "rule", "message")

_RULE_ORDER = {code: index for index, code in enumerate([*ERROR_RULES, *FLAG_RULES])}
_COLUMN_ORDER = {name: index for index, name in enumerate(HEADER)}
_DECIMAL = Context(prec=34, rounding=ROUND_HALF_UP)
_SHARE = Decimal("0.0001")
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


# --- parsing, a column at a time ------------------------------------------------------------

_NUMBER_OK, _NOT_A_NUMBER, _TOO_PRECISE, _TOO_LARGE = 0, 1, 2, 3
_MAX_NUMBER_CHARS = 40
_POWERS_OF_TEN = 10 ** np.arange(19, dtype=np.int64)
_ZERO, _NINE, _POINT, _MINUS = (ord(c) for c in "09.-")
_NOT_ASCII = 127


def _char_codes(text: pd.Series, limit: int, *, width: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Character codes as a (width, rows) uint8 matrix, 0 past each string's end; and lengths.

    The matrix is at least `width` places wide, and as wide as the longest string within
    `limit`. Transposed so that one character place across all rows is contiguous. Non-ASCII
    characters become 127, which no rule accepts. Strings longer than `limit` are
    blanked and given length -1, so a fixed-width copy can never truncate a value
    into a different, valid one.
    """
    lengths = text.str.len().to_numpy(dtype=np.int64)
    too_long = lengths > limit
    fitting = lengths[~too_long]
    width = max(width, int(fitting.max()) if len(fitting) else 0)
    chars = text.where(~too_long, "").to_numpy(dtype=f"<U{width}")
    wide = chars.view(np.uint32).reshape(len(text), width)
    codes = np.ascontiguousarray(np.minimum(wide, _NOT_ASCII).astype(np.uint8).T)
    return codes, np.where(too_long, -1, lengths)


def _parse_scaled(
    text: pd.Series, places: int, max_integer_digits: int
) -> tuple[np.ndarray, np.ndarray]:
    """Parse decimal text exactly into integers of 10**-places units, never through float.

    Accepts an optional leading '-', digits, and optionally '.' and more digits; digits
    beyond `places` decimals must be zeros. Returns (status, scaled): status is one of
    _NUMBER_OK, _NOT_A_NUMBER, _TOO_PRECISE, _TOO_LARGE; scaled is 0 unless OK.
    """
    count = len(text)
    if count == 0:
        return np.zeros(0, dtype=np.int8), np.zeros(0, dtype=np.int64)
    codes, lengths = _char_codes(text, _MAX_NUMBER_CHARS)
    width = codes.shape[0]
    places_column = np.arange(width, dtype=np.int16)[:, None]
    inside = places_column < lengths[None, :]
    is_digit = (codes >= _ZERO) & (codes <= _NINE) & inside
    is_point = (codes == _POINT) & inside
    negative = codes[0] == _MINUS
    allowed = is_digit | is_point
    allowed[0] |= negative
    points = is_point.sum(axis=0)
    # Where the point is, or the end of the text when there is none.
    point_at = np.where(points > 0, is_point.argmax(axis=0), lengths)
    well_formed = (
        (lengths > 0)
        & (allowed | ~inside).all(axis=0)
        & (points <= 1)
        & (point_at - negative >= 1)  # a digit before the point
        & ((points == 0) | (lengths - point_at >= 2))  # and one after it, if there is one
    )
    # Each character's power of ten, counted in units of 10**-places.
    point_row = point_at.astype(np.int16)[None, :]
    power = (
        np.where(
            places_column < point_row, point_row - 1 - places_column, point_row - places_column
        )
        + places
    )
    significant = is_digit & (codes != _ZERO)
    too_precise = (significant & (power < 0)).any(axis=0)
    too_large = (significant & (power > max_integer_digits - 1 + places)).any(axis=0)
    # Horner's rule over the digits that count, left to right: a loop over character
    # places (at most _MAX_NUMBER_CHARS), never over rows.
    counted = is_digit & (power >= 0)
    scaled = np.zeros(count, dtype=np.int64)
    for place in range(width):
        scaled = np.where(counted[place], scaled * 10 + codes[place] - _ZERO, scaled)
    decimals_given = np.where(points > 0, lengths - point_at - 1, 0)
    scaled *= _POWERS_OF_TEN[np.clip(places - decimals_given, 0, places)]
    status = np.select(
        [~well_formed, too_large, too_precise],
        [_NOT_A_NUMBER, _TOO_LARGE, _TOO_PRECISE],
        _NUMBER_OK,
    ).astype(np.int8)
    scaled = np.where(status == _NUMBER_OK, np.where(negative, -scaled, scaled), 0)
    return status, scaled


# Each accepted layout, character by character: Y, M, D are digits, anything else literal.
_DATE_LAYOUTS = (
    "YYYY-MM-DD",
    *(
        f"{day}{sep}{month}{sep}YYYY"
        for sep in "-/"
        for day in ("DD", "D")
        for month in ("MM", "M")
    ),
)
_DATE_WIDTH = max(len(layout) for layout in _DATE_LAYOUTS)
_DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def _parse_dates(text: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(matches an accepted layout, is a real calendar date, the date as datetime64[D])."""
    count = len(text)
    codes, lengths = _char_codes(text, _DATE_WIDTH, width=_DATE_WIDTH)
    is_digit = (codes >= _ZERO) & (codes <= _NINE)
    matched = np.zeros(count, dtype=bool)
    parts = {letter: np.zeros(count, dtype=np.int64) for letter in "YMD"}
    for layout in _DATE_LAYOUTS:  # a loop over layouts, never over rows
        fits = (lengths == len(layout)) & ~matched
        for place, letter in enumerate(layout):
            if letter in "YMD":
                fits &= is_digit[place]
            else:
                fits &= codes[place] == ord(letter)
        for letter, target in parts.items():
            value = np.zeros(count, dtype=np.int64)
            for place in (p for p, c in enumerate(layout) if c == letter):
                value = value * 10 + codes[place] - _ZERO
            target[fits] = value[fits]
        matched |= fits
    year, month, day = parts["Y"], parts["M"], parts["D"]
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_index = np.clip(month - 1, 0, 11)
    last_day = _DAYS_IN_MONTH[month_index] + (leap & (month == 2))
    real = matched & (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= last_day)
    months = np.where(real, (year - 1970) * 12 + month_index, 0).astype("datetime64[M]")
    days = months.astype("datetime64[D]") + np.where(real, day - 1, 0).astype("timedelta64[D]")
    return matched, real, days


def _strings(values: np.ndarray) -> np.ndarray:
    """Numbers as an object array of their decimal text, for building messages."""
    return np.asarray(values).astype(str).astype(object)


# Columns whose values repeat a great deal in a real claim (a quarter has ~90 dates, a
# firm a few hundred buyers): these are parsed once per distinct value and spread back.
# Cell text quoted inside a message is cut to this length; the value column keeps it whole.
_SHOWN_CHARS = 60
_FEW_DISTINCT = frozenset(
    {
        "invoice_date",
        "buyer_name",
        "buyer_gstin",
        "export_country",
        "hsn_code",
        "magnet_grade",
        "credit_note_ref",
        "related_party",
        "plant",
    }
)


class _Lines:
    """The upload's cells, prepared once for every rule: as given, stripped, and parsed."""

    def __init__(self, frame: pd.DataFrame, context: ValidationContext) -> None:
        count = len(frame)
        self.rows = np.asarray(frame.index, dtype=np.int64) + context.row_offset
        self.raw: dict[str, pd.Series] = {}
        self.text: dict[str, pd.Series] = {}
        self.blank: dict[str, np.ndarray] = {}
        # For _FEW_DISTINCT columns: each row's index into the column's distinct stripped values.
        self.codes: dict[str, np.ndarray] = {}
        self.distinct: dict[str, pd.Series] = {}
        for name in HEADER:
            if name in frame.columns:
                series = frame[name]
                # infer_dtype scans in C and stops at the first cell that is not text.
                if pd.api.types.infer_dtype(series, skipna=False) != "string":
                    series = series.fillna("").astype(str).astype(object)
                series = series.reset_index(drop=True)
            else:
                series = pd.Series([""] * count, dtype=object)
            self.raw[name] = series
            if name in _FEW_DISTINCT:
                codes, uniques = pd.factorize(series.to_numpy(dtype=object))
                distinct = pd.Series(uniques, dtype=object).str.strip()
                self.codes[name], self.distinct[name] = codes, distinct
                self.text[name] = pd.Series(distinct.to_numpy(dtype=object)[codes], dtype=object)
            else:
                self.text[name] = series.str.strip()
            self.blank[name] = (self.text[name] == "").to_numpy()

        text = self.text
        self.date_matched, self.date_real, self.dates = self._per_distinct(
            "invoice_date", _parse_dates
        )
        self.amounts = {
            "quantity_kg": _parse_scaled(
                text["quantity_kg"], QUANTITY_DECIMALS, QUANTITY_MAX_INTEGER_DIGITS
            ),
            "net_sales_value": _parse_scaled(
                text["net_sales_value"], VALUE_DECIMALS, VALUE_MAX_INTEGER_DIGITS
            ),
        }
        self.hsn, self.hsn_digits, self.hsn_under = self._per_distinct(
            "hsn_code", lambda hsn: _normalise_hsn(hsn, context.hsn_prefix)
        )
        self.invoice_key = text["invoice_number"].str.upper()
        self.credit = ~self.blank["credit_note_ref"]
        self.gstin, self.gstin_ok = self._per_distinct(
            "buyer_gstin",
            lambda gstins: (gstins.str.upper(), gstin_valid_mask(gstins.str.upper()).to_numpy()),
        )
        self.has_gstin = ~self.blank["buyer_gstin"]
        self.export = ~self.has_gstin
        (self.country,) = self._per_distinct("export_country", lambda c: (c.str.upper(),))
        self.related_yes, self.related_no = self._per_distinct(
            "related_party",
            lambda answers: (
                answers.str.lower().isin(RELATED_PARTY_YES).to_numpy(),
                answers.str.lower().isin(RELATED_PARTY_NO).to_numpy(),
            ),
        )

    def _per_distinct(self, column: str, parse: Callable[[pd.Series], tuple]) -> list:
        """Apply a whole-column `parse` to the distinct values; spread each result to the rows."""
        codes = self.codes[column]
        spread = []
        for result in parse(self.distinct[column]):
            values = np.asarray(result)[codes]
            spread.append(pd.Series(values, dtype=object) if values.dtype == object else values)
        return spread

    def shown(self, column: str) -> Callable[[np.ndarray], np.ndarray]:
        """The stripped cell text at given positions, for messages (long text shortened)."""
        values = self.text[column].to_numpy(dtype=object)

        def at(positions: np.ndarray) -> np.ndarray:
            picked = pd.Series(values[positions], dtype=object)
            long = (picked.str.len() > _SHOWN_CHARS).to_numpy()
            if long.any():
                picked[long] = picked[long].str.slice(0, _SHOWN_CHARS - 3) + "..."
            return picked.to_numpy(dtype=object)

        return at


def _normalise_hsn(codes: pd.Series, prefix: str) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """HSN codes without the spaces and dots of "8505 11 90"; 6 or 8 digits?; under `prefix`?"""
    grouped = (
        codes.str.contains(" ", regex=False) | codes.str.contains(".", regex=False)
    ).to_numpy()
    if grouped.any():
        codes = codes.copy()
        codes[grouped] = codes[grouped].str.replace(r"[ .]", "", regex=True)
    digits = codes.str.fullmatch(r"[0-9]{6}(?:[0-9]{2})?").to_numpy(dtype=bool)
    under = codes.str.startswith(prefix).to_numpy(dtype=bool)
    return codes, digits, under


# --- rules: each returns the rows it finds, as findings ---------------------------------------

Messages = Callable[[np.ndarray], np.ndarray] | str


@dataclass
class _Finding:
    """Rows breaking one rule in one column; messages are built only for rows reported."""

    rule: str
    column: str
    mask: np.ndarray
    messages: Messages

    @property
    def positions(self) -> np.ndarray:
        return np.flatnonzero(self.mask)


def _required_value(lines: _Lines, context: ValidationContext) -> list[_Finding]:
    return [
        _Finding(
            "required_value",
            column.name,
            lines.blank[column.name],
            f"{column.label} is blank; every line needs one.",
        )
        for column in COLUMNS
        if column.required
    ]


def _dates(lines: _Lines, context: ValidationContext) -> list[_Finding]:
    shown = lines.shown("invoice_date")
    given = ~lines.blank["invoice_date"]
    forms = ", ".join(DATE_FORMATS[:-1]) + " or " + DATE_FORMATS[-1]
    start = np.datetime64(context.period_start, "D")
    end = np.datetime64(context.period_end, "D")
    period = f"{context.period_start:%d-%m-%Y} to {context.period_end:%d-%m-%Y}"
    return [
        _Finding(
            "date_format",
            "invoice_date",
            given & ~lines.date_matched,
            lambda p: "Invoice date '" + shown(p) + f"' is not in an accepted form: {forms}.",
        ),
        _Finding(
            "date_format",
            "invoice_date",
            given & lines.date_matched & ~lines.date_real,
            lambda p: "Invoice date " + shown(p) + " is not a real calendar date.",
        ),
        _Finding(
            "date_in_period",
            "invoice_date",
            lines.date_real & ((lines.dates < start) | (lines.dates > end)),
            lambda p: "Invoice date " + shown(p) + f" is outside the claim period {period}.",
        ),
    ]


def _hsn_prefix(lines: _Lines, context: ValidationContext) -> list[_Finding]:
    prefix = context.hsn_prefix
    heading = f"{prefix[:4]} {prefix[4:]}".strip()
    digits, under = lines.hsn_digits, lines.hsn_under
    shown = lines.shown("hsn_code")
    return [
        _Finding(
            "hsn_prefix",
            "hsn_code",
            ~lines.blank["hsn_code"] & ~digits,
            lambda p: "HSN code '" + shown(p) + f"' must be 6 or 8 digits beginning {prefix}.",
        ),
        _Finding(
            "hsn_prefix",
            "hsn_code",
            digits & ~under,
            lambda p: (
                "HSN code "
                + shown(p)
                + f" is not under {heading} (permanent magnets of metal); only those sales are eligible."
            ),
        ),
    ]


# column -> (rule, unit after the number, what it counts, what it is recorded to)
_AMOUNTS = {
    "quantity_kg": ("quantity_format", " kg", "kilograms", "the gram"),
    "net_sales_value": ("value_format", "", "rupees", "the paisa"),
}
_PLACES = {"quantity_kg": QUANTITY_DECIMALS, "net_sales_value": VALUE_DECIMALS}
_INTEGER_DIGITS = {
    "quantity_kg": QUANTITY_MAX_INTEGER_DIGITS,
    "net_sales_value": VALUE_MAX_INTEGER_DIGITS,
}


def _amount_formats(lines: _Lines, context: ValidationContext) -> list[_Finding]:
    findings = []
    for column, (rule, unit, what, grain) in _AMOUNTS.items():
        label = COLUMN_BY_NAME[column].label
        status, _ = lines.amounts[column]
        given = ~lines.blank[column]
        shown = lines.shown(column)
        places = _PLACES[column]
        limit = "9" * _INTEGER_DIGITS[column] + "." + "9" * places + unit

        def not_a_number(p, label=label, shown=shown, what=what):
            return (
                f"{label} '"
                + shown(p)
                + f"' is not a number: write {what} as digits with a point for decimals "
                "(e.g. 1250.5), without thousands separators, units or spaces."
            )

        def too_precise(
            p, label=label, shown=shown, unit=unit, places=places, what=what, grain=grain
        ):
            return (
                f"{label} "
                + shown(p)
                + f"{unit} has more than {places} decimal places; {what} are recorded to {grain}."
            )

        def too_large(p, label=label, shown=shown, unit=unit, limit=limit):
            return f"{label} " + shown(p) + f"{unit} is too large for one line (at most {limit})."

        findings += [
            _Finding(rule, column, given & (status == _NOT_A_NUMBER), not_a_number),
            _Finding(rule, column, given & (status == _TOO_PRECISE), too_precise),
            _Finding(rule, column, given & (status == _TOO_LARGE), too_large),
        ]
    return findings


def _sign(lines: _Lines, context: ValidationContext) -> list[_Finding]:
    reference = lines.shown("credit_note_ref")
    findings = []
    for column, (_, unit, _, _) in _AMOUNTS.items():
        label = COLUMN_BY_NAME[column].label
        status, scaled = lines.amounts[column]
        parsed = status == _NUMBER_OK
        shown = lines.shown(column)

        def on_invoice(p, label=label, shown=shown, unit=unit):
            return (
                f"{label} "
                + shown(p)
                + f"{unit} must be more than zero on an invoice line; a return goes on a "
                "credit-note line with credit_note_ref filled."
            )

        def on_credit_note(p, label=label, shown=shown, unit=unit):
            return (
                f"{label} "
                + shown(p)
                + f"{unit} must be negative on a credit note (it reverses invoice "
                + reference(p)
                + ")."
            )

        findings += [
            _Finding("sign", column, parsed & ~lines.credit & (scaled <= 0), on_invoice),
            _Finding("sign", column, parsed & lines.credit & (scaled >= 0), on_credit_note),
        ]
    return findings


def _credit_note_target(lines: _Lines, context: ValidationContext) -> list[_Finding]:
    # A credit note reverses an invoice: an invoice line of this file, or one claimed before.
    invoices_here = lines.invoice_key[~lines.blank["invoice_number"] & ~lines.credit]
    earlier = {number.strip().upper() for number in context.credit_targets}
    reference = lines.distinct["credit_note_ref"].str.upper()
    hits_per_distinct = (
        reference.isin(invoices_here).to_numpy() | reference.isin(earlier).to_numpy()
    )
    hits = hits_per_distinct[lines.codes["credit_note_ref"]]
    shown = lines.shown("credit_note_ref")
    return [
        _Finding(
            "credit_note_target",
            "credit_note_ref",
            lines.credit & ~hits,
            lambda p: (
                "Credit note reverses invoice "
                + shown(p)
                + ", which is neither an invoice line in this file nor in an earlier claim of this award."
            ),
        )
    ]


def _gstin_check_suggestions(gstins: pd.Series) -> np.ndarray:
    """For each GSTIN, the last character that would make it valid, or ''."""
    head = gstins.str[: GSTIN_LENGTH - 1]
    suggestion = np.full(len(gstins), "", dtype=object)
    for character in GSTIN_ALPHABET:  # 36 passes, over the rows being reported only
        fits = gstin_valid_mask(head + character).to_numpy()
        suggestion[fits & (suggestion == "")] = character
    return suggestion


def _gstin(lines: _Lines, context: ValidationContext) -> list[_Finding]:
    shown = lines.shown("buyer_gstin")

    def invalid(positions: np.ndarray) -> np.ndarray:
        text = shown(positions)
        candidates = lines.gstin.iloc[positions].reset_index(drop=True)
        lengths = candidates.str.len().to_numpy()
        suggestion = _gstin_check_suggestions(candidates)
        return np.select(
            [lengths != GSTIN_LENGTH, suggestion != ""],
            [
                "Buyer GSTIN '"
                + text
                + "' has "
                + _strings(lengths)
                + f" characters; a GSTIN has {GSTIN_LENGTH}.",
                "Buyer GSTIN "
                + text
                + " has a wrong check character: with these first 14 characters it must end in "
                + suggestion
                + ". Check it for a typing error.",
            ],
            "Buyer GSTIN "
            + text
            + " is not a valid GSTIN: a state code (01-38, 97 or 99), the buyer's PAN, "
            "an entity number (1-9 or A-Z), 'Z' and a check character.",
        )

    findings = [_Finding("gstin_format", "buyer_gstin", lines.has_gstin & ~lines.gstin_ok, invalid)]
    own = {gstin.strip().upper() for gstin in {context.firm_gstin, *context.partner_gstins}} - {""}
    if own:
        findings.append(
            _Finding(
                "own_gstin",
                "buyer_gstin",
                lines.has_gstin & lines.gstin_ok & lines.gstin.isin(own).to_numpy(),
                lambda p: (
                    "Buyer GSTIN "
                    + shown(p)
                    + " is the firm's own GSTIN; a supply to yourself is not a sale."
                ),
            )
        )
    return findings


def _export_country(lines: _Lines, context: ValidationContext) -> list[_Finding]:
    shown = lines.shown("export_country")
    none = lines.blank["export_country"]
    india = (lines.country == "IN").to_numpy()
    known = lines.country.isin(ISO_COUNTRY_CODES).to_numpy()
    return [
        _Finding(
            "export_country",
            "export_country",
            lines.export & none,
            "A line without a buyer GSTIN is an export: give export_country as a 2-letter ISO "
            "country code (e.g. JP, DE, US), or fill in the buyer's GSTIN.",
        ),
        _Finding(
            "export_country",
            "export_country",
            lines.export & india,
            "Export country IN is India: a sale to a buyer in India needs the buyer's GSTIN.",
        ),
        _Finding(
            "export_country",
            "export_country",
            lines.export & ~none & ~india & ~known,
            lambda p: (
                "Export country '"
                + shown(p)
                + "' is not an ISO 3166-1 alpha-2 country code (two letters such as JP, DE, US)."
            ),
        ),
        _Finding(
            "export_country",
            "export_country",
            lines.has_gstin & ~none & ~india,
            lambda p: (
                "Export country "
                + shown(p)
                + " is given for a buyer with an Indian GSTIN: leave export_country blank (or IN) "
                "for a domestic sale, or leave buyer_gstin blank for an export."
            ),
        ),
    ]


def _duplicates(lines: _Lines, context: ValidationContext) -> list[_Finding]:
    key = lines.invoice_key
    given = ~lines.blank["invoice_number"]
    repeated = key.duplicated(keep="first").to_numpy() & given
    first = given & ~repeated
    first_row = pd.Series(lines.rows[first], index=key[first].to_numpy())
    shown = lines.shown("invoice_number")
    earlier = {number.strip().upper() for number in context.prior_invoice_numbers}
    return [
        _Finding(
            "duplicate_in_file",
            "invoice_number",
            repeated,
            lambda p: (
                "Invoice number "
                + shown(p)
                + " already appears on row "
                + _strings(key.iloc[p].map(first_row).to_numpy())
                + "; each invoice may be claimed once."
            ),
        ),
        _Finding(
            "duplicate_prior",
            "invoice_number",
            given & key.isin(earlier).to_numpy(),
            lambda p: (
                "Invoice number "
                + shown(p)
                + " was already claimed in another claim of this award; an invoice can be "
                "claimed once."
            ),
        ),
    ]


def _related_party_flag(lines: _Lines, context: ValidationContext) -> list[_Finding]:
    shown = lines.shown("related_party")
    return [
        _Finding(
            "related_party_flag",
            "related_party",
            ~lines.blank["related_party"] & ~lines.related_yes & ~lines.related_no,
            lambda p: (
                "Related party '"
                + shown(p)
                + "' must be Y or N (yes/no, true/false and 1/0 are accepted too)."
            ),
        )
    ]


# Longest text a cell may hold, in characters: far above any real value, and short enough
# for the database's index on invoice numbers.
MAX_TEXT_CHARS = {
    "invoice_number": 100,
    "buyer_name": 300,
    "magnet_grade": 30,
    "credit_note_ref": 100,
    "plant": 100,
}


def _too_long(lines: _Lines, context: ValidationContext) -> list[_Finding]:
    findings = []
    for column, limit in MAX_TEXT_CHARS.items():
        label = COLUMN_BY_NAME[column].label
        lengths = lines.text[column].str.len().to_numpy()
        findings.append(
            _Finding(
                "too_long",
                column,
                lengths > limit,
                lambda p, label=label, limit=limit, lengths=lengths: (
                    f"{label} is "
                    + _strings(lengths[p])
                    + f" characters long; at most {limit} are accepted."
                ),
            )
        )
    return findings


_RULE_CHECKS = (
    _required_value,
    _too_long,
    _dates,
    _hsn_prefix,
    _amount_formats,
    _sign,
    _credit_note_target,
    _gstin,
    _export_country,
    _duplicates,
    _related_party_flag,
)


# --- flags ----------------------------------------------------------------------------------


def _unit_value_outlier(lines: _Lines, context: ValidationContext) -> _Finding:
    quantity_status, grams = lines.amounts["quantity_kg"]
    value_status, paise = lines.amounts["net_sales_value"]
    priced = (quantity_status == _NUMBER_OK) & (value_status == _NUMBER_OK) & (grams != 0)
    weight = np.where(priced, np.abs(grams), 1)
    # |paise| < 10**12, so paise x 1000 fits in int64 and the comparison is exact; the
    # band is whole paise per kg, so comparing the floor with its ends loses nothing.
    per_kg, remainder = np.divmod(np.abs(paise) * 1000, weight)
    low = int(context.unit_value_min * 100)
    high = int(context.unit_value_max * 100)
    outside = priced & ((per_kg < low) | (per_kg > high) | ((per_kg == high) & (remainder > 0)))
    band = f"{format_inr(context.unit_value_min)} to {format_inr(context.unit_value_max)}"

    def messages(positions: np.ndarray) -> np.ndarray:
        # Rounded half up to the paisa: (2 x paise x 1000 + g) // (2 x g).
        g = weight[positions]
        shown = (2 * np.abs(paise[positions]) * 1000 + g) // (2 * g)
        paise_text = pd.Series(_strings(shown % 100)).str.zfill(2).to_numpy(dtype=object)
        return (
            "Unit value Rs "
            + _strings(shown // 100)
            + "."
            + paise_text
            + f" per kg (net sales value / quantity) is outside the expected band of {band} "
            "per kg; the verifier will review this line."
        )

    return _Finding("unit_value_outlier", "net_sales_value", outside, messages)


def _related_party(lines: _Lines, context: ValidationContext) -> _Finding:
    return _Finding(
        "related_party", "related_party", lines.related_yes, FLAG_RULES["related_party"]
    )


# --- validate -------------------------------------------------------------------------------


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


# --- totals ---------------------------------------------------------------------------------


def _kg(grams: int) -> Decimal:
    return Decimal(int(grams)).scaleb(-QUANTITY_DECIMALS, context=_DECIMAL)


def _rupees(paise: int) -> Decimal:
    return Decimal(int(paise)).scaleb(-VALUE_DECIMALS, context=_DECIMAL)


def _pair(grams: int, paise: int) -> dict[str, Decimal]:
    return {"kg": _kg(grams), "value": _rupees(paise)}


def _grouped(
    clean: pd.DataFrame, keys: pd.Series, *, str_keys: bool = True
) -> dict[object, dict[str, Decimal]]:
    sums = _exact_sums(clean, keys)
    return {
        (str(key) if str_keys else int(key)): _pair(grams, paise)
        for key, grams, paise in zip(
            sums.index, sums["quantity_g"], sums["net_sales_value_paise"], strict=True
        )
    }


def _exact_sums(clean: pd.DataFrame, keys: pd.Series | np.ndarray) -> pd.DataFrame:
    """Group sums of grams and paise that cannot overflow: int64 while safe, Python ints beyond."""
    amounts = clean[["quantity_g", "net_sales_value_paise"]]
    bound = int(amounts.abs().max().max()) * len(amounts) if len(amounts) else 0
    if bound >= 2**63:
        amounts = amounts.astype(object)
    return amounts.groupby(keys, sort=True).sum()


def _share(part: Decimal, whole: Decimal) -> Decimal:
    if whole == 0:
        return Decimal("0.0000")
    return _DECIMAL.divide(part, whole).quantize(_SHARE, rounding=ROUND_HALF_UP, context=_DECIMAL)


def totals(clean: pd.DataFrame) -> dict[str, object]:
    """Eligible net kg and net sales value of clean lines (credit notes netted), and breakdowns.

    Returns plain dicts with Decimal leaves: "kg" (to the gram) and "value" (rupees, to
    the paisa) for the whole file ("net_kg", "net_value"), by invoice month ("2027-04"),
    by grade, by buyer (GSTIN for a domestic buyer, "name (country)" for an export),
    domestic and export, and related-party lines with their shares of the net kg and
    value (fractions to 4 places, half up; 0 when the net is 0).
    """
    grams = _exact_sums(clean, np.zeros(len(clean), dtype=np.int8))
    net_g = int(grams["quantity_g"].sum()) if len(grams) else 0
    net_p = int(grams["net_sales_value_paise"].sum()) if len(grams) else 0
    dates = clean["invoice_date"].dt
    by_month = {
        f"{key // 100:04d}-{key % 100:02d}": pair
        for key, pair in _grouped(clean, dates.year * 100 + dates.month, str_keys=False).items()
    }
    export = clean["is_export"].to_numpy(dtype=bool)
    buyer = clean["buyer_gstin"].copy()
    if export.any():
        buyer[export] = clean["buyer_name"][export] + " (" + clean["export_country"][export] + ")"
    trade = pd.Series(np.where(clean["is_export"], "export", "domestic"), index=clean.index)
    by_trade = _grouped(clean, trade)
    related = _grouped(clean, pd.Series(clean["related_party"].to_numpy(), index=clean.index))
    related_pair = related.get("True", _pair(0, 0))
    net = _pair(net_g, net_p)
    return {
        "net_kg": net["kg"],
        "net_value": net["value"],
        "by_month": by_month,
        "by_grade": _grouped(clean, clean["magnet_grade"]),
        "by_buyer": _grouped(clean, buyer),
        "domestic": by_trade.get("domestic", _pair(0, 0)),
        "export": by_trade.get("export", _pair(0, 0)),
        "related_party": {
            **related_pair,
            "kg_share": _share(related_pair["kg"], net["kg"]),
            "value_share": _share(related_pair["value"], net["value"]),
        },
    }
