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


def _exact_sums(amounts: np.ndarray, keys: np.ndarray, labels: pd.Index) -> pd.DataFrame:
    """Sums of grams and paise (the columns of `amounts`) per key code, labelled `labels[code]`.

    int64 when the sums cannot overflow (`amounts` is then int64), Python ints otherwise.
    """
    sums = pd.DataFrame(amounts, columns=_AMOUNT_COLUMNS).groupby(keys, sort=False).sum()
    sums.index = labels[sums.index.to_numpy()]
    return sums.sort_index()


def _share(part: Decimal, whole: Decimal) -> Decimal:
    if whole == 0:
        return Decimal("0.0000")
    return _DECIMAL.divide(part, whole).quantize(_SHARE, rounding=ROUND_HALF_UP, context=_DECIMAL)


_AMOUNT_COLUMNS = ["quantity_g", "net_sales_value_paise"]
_TRADE = pd.Index(["domestic", "export"], dtype=object)
_RELATED = pd.Index([False, True], dtype=bool)
_NET = pd.Index([0], dtype=np.int8)


def _factorised(values: pd.Series | np.ndarray) -> tuple[np.ndarray, pd.Index]:
    codes, uniques = pd.factorize(np.asarray(values, dtype=object))
    return codes, pd.Index(uniques, dtype=object)


# The breakdowns, by name: each line's key code in a frame of clean lines, and the codes' labels.
def _breakdown_keys(clean: pd.DataFrame) -> dict[str, tuple[np.ndarray, pd.Index]]:
    # Months since January 1970, whose distinct values become the year and month keys.
    dates = clean["invoice_date"].to_numpy().astype("datetime64[M]").astype(np.int64)
    month_codes, months = pd.factorize(dates)
    export = clean["is_export"].to_numpy(dtype=bool)
    buyer = clean["buyer_gstin"].to_numpy(dtype=object)
    if export.any():
        buyer = buyer.copy()
        buyer[export] = (
            clean["buyer_name"][export] + " (" + clean["export_country"][export] + ")"
        ).to_numpy(dtype=object)
    return {
        "net": (np.zeros(len(clean), dtype=np.intp), _NET),
        "by_month": (
            month_codes,
            pd.Index((months // 12 + 1970) * 100 + months % 12 + 1, dtype=np.int64),
        ),
        "by_grade": _factorised(clean["magnet_grade"]),
        "by_buyer": _factorised(buyer),
        "trade": (export.astype(np.intp), _TRADE),
        "related": (clean["related_party"].to_numpy(dtype=bool).astype(np.intp), _RELATED),
    }


class RunningTotals:
    """The totals of clean lines given a chunk at a time; `result()` equals totals() of them all."""

    def __init__(self) -> None:
        self._parts: dict[str, list[pd.DataFrame]] = {}

    def add(self, clean: pd.DataFrame) -> None:
        amounts = (
            np.column_stack([clean[name].to_numpy(dtype=np.int64) for name in _AMOUNT_COLUMNS])
            if len(clean)
            else np.zeros((0, 2), dtype=np.int64)
        )
        bound = int(np.abs(amounts).max()) * len(amounts) if len(amounts) else 0
        if bound >= 2**63:
            amounts = amounts.astype(object)
        for name, (keys, labels) in _breakdown_keys(clean).items():
            self._parts.setdefault(name, []).append(_exact_sums(amounts, keys, labels))

    def _sums(self, name: str) -> pd.DataFrame:
        parts = self._parts.get(name, [])
        if not parts:
            return pd.DataFrame({"quantity_g": [], "net_sales_value_paise": []}, dtype=object)
        if len(parts) == 1:
            return parts[0]
        # Python integers across chunks: exact however many lines are added up.
        return pd.concat(parts).astype(object).groupby(level=0, sort=True).sum()

    def _grouped(self, name: str, *, str_keys: bool = True) -> dict[object, dict[str, Decimal]]:
        sums = self._sums(name)
        return {
            (str(key) if str_keys else int(key)): _pair(grams, paise)
            for key, grams, paise in zip(
                sums.index, sums["quantity_g"], sums["net_sales_value_paise"], strict=True
            )
        }

    def result(self) -> dict[str, object]:
        net_sums = self._sums("net")
        net_g = int(net_sums["quantity_g"].sum()) if len(net_sums) else 0
        net_p = int(net_sums["net_sales_value_paise"].sum()) if len(net_sums) else 0
        by_month = {
            f"{key // 100:04d}-{key % 100:02d}": pair
            for key, pair in self._grouped("by_month", str_keys=False).items()
        }
        by_trade = self._grouped("trade")
        related_pair = self._grouped("related").get("True", _pair(0, 0))
        net = _pair(net_g, net_p)
        return {
            "net_kg": net["kg"],
            "net_value": net["value"],
            "by_month": by_month,
            "by_grade": self._grouped("by_grade"),
            "by_buyer": self._grouped("by_buyer"),
            "domestic": by_trade.get("domestic", _pair(0, 0)),
            "export": by_trade.get("export", _pair(0, 0)),
            "related_party": {
                **related_pair,
                "kg_share": _share(related_pair["kg"], net["kg"]),
                "value_share": _share(related_pair["value"], net["value"]),
            },
        }


def totals(clean: pd.DataFrame) -> dict[str, object]:
    """Eligible net kg and net sales value of clean lines (credit notes netted), and breakdowns.

    Returns plain dicts with Decimal leaves: "kg" (to the gram) and "value" (rupees, to
    the paisa) for the whole file ("net_kg", "net_value"), by invoice month ("2027-04"),
    by grade, by buyer (GSTIN for a domestic buyer, "name (country)" for an export),
    domestic and export, and related-party lines with their shares of the net kg and
    value (fractions to 4 places, half up; 0 when the net is 0).
    """
    running = RunningTotals()
    running.add(clean)
    return running.result()
