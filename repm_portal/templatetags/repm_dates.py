"""The one way documents write a date: "18 Jul 2028", and in Hindi text "18 जुलाई 2028".

`{% load repm_dates %}` then `{{ letter.dated|letter_date }}`, `{{ d|letter_date:"hi" }}`, and
`{{ moment|letter_datetime }}` ("18 Jul 2028, 14:05 IST"). The month names are fixed here, not
taken from the active locale, so a letter reads the same whoever renders it. A value may be a
date, an aware datetime (shown in India time) or ISO text ("2028-07-18", as stored letter
contents hold dates); anything else is shown as it is.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.template.defaultfilters import date as django_date
from django.utils import timezone
from django.utils.dates import MONTHS_3

register = template.Library()

MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTHS_HI = (
    "जनवरी",
    "फ़रवरी",
    "मार्च",
    "अप्रैल",
    "मई",
    "जून",
    "जुलाई",
    "अगस्त",
    "सितंबर",
    "अक्तूबर",
    "नवंबर",
    "दिसंबर",
)


def _moment(value: Any) -> dt.date | dt.datetime | None:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value) if timezone.is_aware(value) else value
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            return (
                dt.date.fromisoformat(text)
                if len(text) == 10
                else _moment(dt.datetime.fromisoformat(text))
            )
        except ValueError:
            return None
    return None


def format_date(value: Any, lang: str = "en") -> str:
    """`value` as "18 Jul 2028" (lang "hi": "18 जुलाई 2028"); "" for None, other values as text."""
    if value is None or value == "":
        return ""
    moment = _moment(value)
    if moment is None:
        return str(value)
    months = MONTHS_HI if lang == "hi" else MONTHS_EN
    return f"{moment.day} {months[moment.month - 1]} {moment.year}"


def format_datetime(value: Any, lang: str = "en", *, seconds: bool = False) -> str:
    """An aware datetime as "18 Jul 2028, 14:05 IST" (India time)."""
    moment = _moment(value)
    if not isinstance(moment, dt.datetime):
        return format_date(value, lang)
    clock = f"{moment:%H:%M:%S}" if seconds else f"{moment:%H:%M}"
    return f"{format_date(moment, lang)}, {clock} IST"


@register.filter(name="letter_date")
def letter_date(value: Any, lang: str = "en") -> str:
    return format_date(value, lang)


@register.filter(name="letter_datetime")
def letter_datetime(value: Any, arg: str = "") -> str:
    """`arg` may hold "hi" and/or "seconds", comma-separated."""
    options = {part.strip() for part in str(arg).split(",")}
    return format_datetime(value, "hi" if "hi" in options else "en", seconds="seconds" in options)


_SHORT_FORMATS = frozenset({"j M Y", "j M"})


@register.filter(name="short_date", expects_localtime=True, is_safe=False)
def short_date(value: Any, arg: str = "j M Y") -> str:
    """Django's `date` filter for "j M Y" ("18 Jul 2028") and "j M", the same text in every
    language (month names from the active locale, unlike `letter_date`), without parsing the
    format anew for every value: a long list shows hundreds of dates. Any other value or format
    goes to `date` itself."""
    if isinstance(value, dt.date) and arg in _SHORT_FORMATS:
        month = MONTHS_3[value.month].title()
        return f"{value.day} {month}" if arg == "j M" else f"{value.day} {month} {value.year:04d}"
    return django_date(value, arg)
