"""Exact totals of clean lines, to the gram and the paisa, and their breakdowns."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal

import numpy as np
import pandas as pd

from .columns import QUANTITY_DECIMALS, VALUE_DECIMALS

_DECIMAL = Context(prec=34, rounding=ROUND_HALF_UP)
_SHARE = Decimal("0.0001")


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
