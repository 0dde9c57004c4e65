"""Template filters that show rupees and quantities the Indian way, via repm_portal.money."""

import json
from collections.abc import Callable
from typing import Any, overload

from django import template

from repm_portal import money

register = template.Library()


def _render(value: Any, formatter: Callable[[Any], str]) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        return money.MISSING
    try:
        return formatter(value)
    # A page must still render when one figure is bad; the raw value shows what went wrong.
    except (TypeError, ValueError, ArithmeticError):
        return str(value)


@overload
def _places(arg: Any, default: int) -> int: ...
@overload
def _places(arg: Any, default: None) -> int | None: ...
def _places(arg: Any, default: int | None) -> int | None:
    """Template arguments may arrive as text ("1"); a bad one raises ValueError, caught above."""
    return default if arg is None or (isinstance(arg, str) and not arg.strip()) else int(arg)


@register.filter(name="inr")
def inr(value: Any) -> str:
    """{{ amount|inr }} -> "Rs 1,23,45,678.00"."""
    return _render(value, money.format_inr)


@register.filter(name="crore")
def crore(value: Any, places: Any = None) -> str:
    """{{ amount|crore }} -> "Rs 645.00 crore"; {{ amount|crore:0 }} -> "Rs 645 crore"."""
    return _render(value, lambda v: money.format_crore(v, _places(places, 2)))


@register.filter(name="lakh")
def lakh(value: Any, places: Any = None) -> str:
    """{{ amount|lakh }} -> "Rs 12.50 lakh"."""
    return _render(value, lambda v: money.format_lakh(v, _places(places, 2)))


@register.filter(name="indian_number")
def indian_number(value: Any, places: Any = None) -> str:
    """{{ kg|indian_number }} -> "12,34,567"; {{ kg|indian_number:2 }} -> "12,34,567.00"."""
    return _render(value, lambda v: money.format_indian_number(v, _places(places, None)))


@register.filter(name="amount_in_words")
def amount_in_words(value: Any) -> str:
    """{{ amount|amount_in_words }} -> "Rupees Seventy-Five Crore Only"."""
    return _render(value, money.amount_in_words)


@register.filter
def as_json(value: Any) -> str:
    """Audit values as readable JSON, the form in which they are stored and hashed."""
    if value is None or value == "":
        return money.MISSING
    try:
        return json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError):
        return str(value)
