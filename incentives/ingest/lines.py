"""The upload's cells prepared once for every rule, and the finding a rule or flag returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from beneficiaries.validators import gstin_valid_mask

from . import text as text_ops
from .columns import (
    HEADER,
    QUANTITY_DECIMALS,
    QUANTITY_MAX_INTEGER_DIGITS,
    RELATED_PARTY_NO,
    RELATED_PARTY_YES,
    VALUE_DECIMALS,
    VALUE_MAX_INTEGER_DIGITS,
)
from .parsing import _normalise_hsn, _parse_dates, _parse_scaled
from .results import ValidationContext

# Cell text quoted inside a message is cut to this length; the value column keeps it whole.
_SHOWN_CHARS = 60

# Columns whose values repeat a great deal in a real claim (a quarter has ~90 dates, a
# firm a few hundred buyers): these are parsed once per distinct value and spread back.
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


def _text_categories(series: pd.Series) -> bool:
    """A categorical column whose every cell is one of its categories, all of them text."""
    categories = series.cat.categories
    return categories.inferred_type in ("string", "empty") and not (series.cat.codes < 0).any()


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
                if isinstance(series.dtype, pd.CategoricalDtype) and not (
                    name in _FEW_DISTINCT and _text_categories(series)
                ):
                    series = series.astype(object)
                # infer_dtype scans in C and stops at the first cell that is not text.
                if not isinstance(series.dtype, pd.CategoricalDtype) and (
                    pd.api.types.infer_dtype(series, skipna=False) != "string"
                ):
                    series = series.fillna("").astype(str).astype(object)
                series = series.reset_index(drop=True)
            else:
                series = pd.Series([""] * count, dtype=object)
            self.raw[name] = series
            if isinstance(series.dtype, pd.CategoricalDtype):
                # Read already as codes into distinct cells (csv_chunks does so): no factorising.
                codes = series.cat.codes.to_numpy(dtype=np.intp)
                uniques = series.cat.categories.to_numpy(dtype=object)
            elif name in _FEW_DISTINCT:
                codes, uniques = pd.factorize(series.to_numpy(dtype=object))
            if name in _FEW_DISTINCT:
                distinct = pd.Series(uniques, dtype=object).str.strip()
                self.codes[name], self.distinct[name] = codes, distinct
                self.text[name] = pd.Series(distinct.to_numpy(dtype=object)[codes], dtype=object)
                self.blank[name] = (distinct == "").to_numpy()[codes]
            else:
                self.text[name] = text_ops.stripped(series)
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
        self.invoice_key = text_ops.upper(text["invoice_number"])
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

    def lengths(self, column: str) -> np.ndarray:
        """Each stripped cell's length in characters (counted once per distinct value where it can be)."""
        if column in self.codes:
            return self.distinct[column].str.len().to_numpy(dtype=np.int64)[self.codes[column]]
        return text_ops.lengths(self.text[column])

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
