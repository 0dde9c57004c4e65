"""The one clock every service reads: aware, demo-clock aware (time-machine moves it), never naive."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def now(moment: dt.datetime | None = None) -> dt.datetime:
    """`moment` if given (a service's own `now`), else the process clock; a naive datetime is refused."""
    value = timezone.now() if moment is None else moment
    if not isinstance(value, dt.datetime):
        raise TypeError(f"`now` must be an aware datetime, not {type(value).__name__}")
    if timezone.is_naive(value):
        raise ValueError("`now` must be an aware datetime")
    return value


def today(moment: dt.datetime | None = None) -> dt.date:
    """The local (IST) date of `now(moment)`."""
    return timezone.localdate(now(moment))


__all__ = ["now", "today"]
