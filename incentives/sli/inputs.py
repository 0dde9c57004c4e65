"""One claim period's SLI inputs as JSON: parsed strictly into an SliPeriod, and written back.

Pure, like the engine. Every refusal is an SliInputError naming the key as the JSON spells it
("eligible_kg", "rules.taper[2]"), so `sli_compute` can say in one line what to fix.

Decimals are JSON strings of plain digits ("2000.00", "-5", no exponent, no grouping); a JSON
integer is exact and accepted too. A JSON float (0.1) is refused, even when it looks harmless:
the parser would have to guess the decimal the writer meant. Whole numbers (scheme_year,
capacity_mtpa, award_cap_years) are JSON integers or strings of digits. Dates are "YYYY-MM-DD".
Every key is required except `released_in_year`, which a quarter may leave out (it is 0; a
quarter with any other value is refused); a key the engine does not read is refused, so a
misspelt key cannot leave a figure at a silent default.
No quantity or amount may be negative here, net sales value included, although the engine
reads a negative net sales value (returns above sales) as a nil turnover cap: a replay file that
needs one is a case to raise, not to guess.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from incentives.sli.engine import PeriodKind, SliInputError, SliPeriod, SliRules

PERIOD_KEYS = (
    "kind",
    "period_start",
    "period_end",
    "scheme_year",
    "rate",
    "capacity_mtpa",
    "eligible_kg",
    "net_sales_value",
    "award_sanctioned_before",
    "pool_sanctioned_before",
    "pending_deductions",
    "released_in_year",
    "rules",
)
RULE_KEYS = ("turnover_cap_pct", "taper", "provisional_share_pct", "sli_pool", "award_cap_years")

_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_WHOLE = re.compile(r"-?[0-9]+")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class _JsonFloat(str):
    """A JSON number with a fraction or exponent, kept as its text so the message can quote it."""


class _JsonConstant(str):
    """NaN, Infinity or -Infinity, which Python's json reads but JSON does not have."""


def _json_type(value: object) -> str:
    if isinstance(value, _JsonFloat):
        return f"the JSON number {value}"
    if isinstance(value, _JsonConstant):
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"the JSON number {value}"
    if isinstance(value, str):
        return repr(value)
    names: dict[type, str] = {list: "a list", dict: "an object"}
    return names.get(type(value), type(value).__name__)


def _decimal(value: object, key: str) -> Decimal:
    if isinstance(value, _JsonFloat):
        raise SliInputError(
            key, f'must be a decimal string such as "{value}", not the JSON number {value} '
            "(a float is not exact)"
        )  # fmt: skip
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, str) and _DECIMAL.fullmatch(value):
        return Decimal(value)
    raise SliInputError(key, f'must be a decimal string such as "2000.00", not {_json_type(value)}')


def _non_negative(value: object, key: str) -> Decimal:
    number = _decimal(value, key)
    if number < 0:
        raise SliInputError(key, "must not be negative")
    return number


def _whole(value: object, key: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    # A float's text always has a point or an exponent, so it never matches.
    if isinstance(value, str) and _WHOLE.fullmatch(value):
        return int(value)
    raise SliInputError(key, f"must be a whole number such as 5, not {_json_type(value)}")


def _date(value: object, key: str) -> dt.date:
    if isinstance(value, str) and _DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise SliInputError(key, f"{value!r} is not a date in the calendar") from None
    raise SliInputError(key, f'must be a date such as "2029-06-30", not {_json_type(value)}')


def _kind(value: object, key: str) -> PeriodKind:
    try:
        return PeriodKind(value)  # type: ignore[arg-type]  # any JSON value; a bad one raises
    except (ValueError, TypeError):
        raise SliInputError(
            key, f'must be "quarter" or "true_up", not {_json_type(value)}'
        ) from None


def _object(value: object, key: str, keys: tuple[str, ...]) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise SliInputError(key, f"must be a JSON object, not {_json_type(value)}")
    prefix = "" if key == "input" else f"{key}."
    for name in value:
        if name not in keys:
            raise SliInputError(f"{prefix}{name}", "is not an input the engine reads")
    return value


def _required(data: Mapping[str, Any], key: str, prefix: str = "") -> Any:
    if key not in data:
        raise SliInputError(f"{prefix}{key}", "is missing")
    return data[key]


def parse_rules(value: object) -> SliRules:
    data = _object(value, "rules", RULE_KEYS)
    taper = _required(data, "taper", "rules.")
    if not isinstance(taper, list):
        raise SliInputError(
            "rules.taper", f"must be a list of decimal strings, not {_json_type(taper)}"
        )
    return SliRules(
        turnover_cap_pct=_decimal(
            _required(data, "turnover_cap_pct", "rules."), "rules.turnover_cap_pct"
        ),
        taper=tuple(_non_negative(t, f"rules.taper[{i}]") for i, t in enumerate(taper)),
        provisional_share_pct=_decimal(
            _required(data, "provisional_share_pct", "rules."), "rules.provisional_share_pct"
        ),
        sli_pool=_non_negative(_required(data, "sli_pool", "rules."), "rules.sli_pool"),
        award_cap_years=_whole(
            _required(data, "award_cap_years", "rules."), "rules.award_cap_years"
        ),
    )


_FIELDS: tuple[tuple[str, Callable[[object, str], Any]], ...] = (
    ("period_start", _date),
    ("period_end", _date),
    ("scheme_year", _whole),
    ("rate", _non_negative),
    ("capacity_mtpa", _whole),
    ("eligible_kg", _non_negative),
    ("net_sales_value", _non_negative),
    ("award_sanctioned_before", _non_negative),
    ("pool_sanctioned_before", _non_negative),
    ("pending_deductions", _non_negative),
)


def parse(data: object) -> SliPeriod:
    """The SliPeriod the JSON value `data` describes; SliInputError names the first bad key."""
    data = _object(data, "input", PERIOD_KEYS)
    kind = _kind(_required(data, "kind"), "kind")
    values: dict[str, Any] = {"kind": kind}
    for key, read in _FIELDS:
        values[key] = read(_required(data, key), key)
    if "released_in_year" in data or kind is PeriodKind.TRUE_UP:
        values["released_in_year"] = _non_negative(
            _required(data, "released_in_year"), "released_in_year"
        )
    values["rules"] = parse_rules(_required(data, "rules"))
    return SliPeriod(**values)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise SliInputError(key, "appears more than once")
        seen[key] = value
    return seen


def parse_json(text: str | bytes) -> SliPeriod:
    """Parse one period's inputs from JSON text (see the module docstring for the format)."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise SliInputError("input", "is not UTF-8 text") from None
    try:
        data = json.loads(
            text,
            parse_float=_JsonFloat,
            parse_constant=_JsonConstant,
            object_pairs_hook=_unique_keys,
        )
    except json.JSONDecodeError as error:
        raise SliInputError(
            "input", f"is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        ) from None
    return parse(data)


def as_json_dict(period: SliPeriod) -> dict[str, Any]:
    """The inputs in the form `parse` reads, so a printed working can be replayed as it stands."""
    rules = period.rules
    return {
        "kind": period.kind.value,
        "period_start": period.period_start.isoformat(),
        "period_end": period.period_end.isoformat(),
        "scheme_year": period.scheme_year,
        "rate": f"{period.rate:f}",
        "capacity_mtpa": period.capacity_mtpa,
        "eligible_kg": f"{period.eligible_kg:f}",
        "net_sales_value": f"{period.net_sales_value:f}",
        "award_sanctioned_before": f"{period.award_sanctioned_before:f}",
        "pool_sanctioned_before": f"{period.pool_sanctioned_before:f}",
        "pending_deductions": f"{period.pending_deductions:f}",
        "released_in_year": f"{period.released_in_year:f}",
        "rules": {
            "turnover_cap_pct": f"{rules.turnover_cap_pct:f}",
            "taper": [f"{t:f}" for t in rules.taper],
            "provisional_share_pct": f"{rules.provisional_share_pct:f}",
            "sli_pool": f"{rules.sli_pool:f}",
            "award_cap_years": rules.award_cap_years,
        },
    }


__all__ = ["PERIOD_KEYS", "RULE_KEYS", "as_json_dict", "parse", "parse_json", "parse_rules"]
