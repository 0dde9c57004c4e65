"""Exact parsing of whole columns of cell text: grams and paise as integers, dates, HSN codes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import text as text_ops

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
    lengths = text_ops.lengths(text)
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
