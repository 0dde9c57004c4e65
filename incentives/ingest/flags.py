"""The flags: lines that never block a claim but that the verifier reviews."""

from __future__ import annotations

import numpy as np
import pandas as pd

from repm_portal.money import format_inr

from .lines import _Finding, _Lines
from .parsing import _NUMBER_OK, _strings
from .results import FLAG_RULES, ValidationContext


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
