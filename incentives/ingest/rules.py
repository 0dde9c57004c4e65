"""The line rules (required cells, dates, HSN, amounts, signs, credit notes, GSTIN, duplicates, lengths)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from beneficiaries.validators import GSTIN_ALPHABET, GSTIN_LENGTH, gstin_valid_mask

from . import text as text_ops
from .columns import (
    COLUMN_BY_NAME,
    COLUMNS,
    DATE_FORMATS,
    ISO_COUNTRY_CODES,
    QUANTITY_DECIMALS,
    QUANTITY_MAX_INTEGER_DIGITS,
    VALUE_DECIMALS,
    VALUE_MAX_INTEGER_DIGITS,
)
from .lines import _Finding, _Lines
from .parsing import _NOT_A_NUMBER, _NUMBER_OK, _TOO_LARGE, _TOO_PRECISE, _strings
from .results import ValidationContext


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
    earlier = context.credit_target_keys
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
    earlier = context.prior_keys
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
            given & text_ops.member(key, earlier),
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
        lengths = lines.lengths(column)
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


def plant_key(name: str) -> str:
    """A plant's name as compared: trimmed, inner spaces collapsed, case folded."""
    return " ".join(name.split()).casefold()


def _plant(lines: _Lines, context: ValidationContext) -> list[_Finding]:
    registered = context.registered_plant
    if registered is None:
        return []
    shown = lines.shown("plant")
    # Compared once per distinct cell text (a file names one plant, in a few spellings).
    keys = lines.distinct["plant"].str.replace(r"\s+", " ", regex=True).str.casefold()
    other = (keys != plant_key(registered)).to_numpy()[lines.codes["plant"]]
    # A blank or over-long cell has its own error already.
    fits = lines.lengths("plant") <= MAX_TEXT_CHARS["plant"]
    name = " ".join(registered.split())
    return [
        _Finding(
            "plant_mismatch",
            "plant",
            other & ~lines.blank["plant"] & fits,
            lambda p: (
                "Plant '"
                + shown(p)
                + f"' is not the award's registered plant '{name}'; claim only magnets made there."
            ),
        )
    ]


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
    _plant,
)
