"""Whole-column operations on arrays of Python str, done in C where pandas' .str would call Python per cell.

Every function takes values that are all `str` (the cells as read, or stripped), never NaN.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_ASCII_END = 128


def lengths(values: pd.Series | np.ndarray) -> np.ndarray:
    """Each value's length in characters, as int64."""
    array = np.asarray(values, dtype=object)
    return np.fromiter(map(len, array), dtype=np.int64, count=len(array))


def stripped(values: pd.Series | np.ndarray) -> pd.Series:
    """Each value with surrounding whitespace removed (str.strip), as an object Series from 0."""
    array = np.asarray(values, dtype=object)
    return pd.Series(np.fromiter(map(str.strip, array), dtype=object, count=len(array)))


def upper(values: pd.Series | np.ndarray) -> pd.Series:
    """Each value in capitals (str.upper), as an object Series from 0."""
    array = np.asarray(values, dtype=object)
    return pd.Series(np.fromiter(map(str.upper, array), dtype=object, count=len(array)))


def utf8_matrix(values: pd.Series | np.ndarray) -> np.ndarray:
    """Text as a (values, width) uint8 matrix of UTF-8, each row padded with NUL to the widest.

    ASCII text (the usual) goes through numpy's fixed-width unicode array in C; any other
    character, through str.encode per value. Text never holds NUL, so no value loses any.
    """
    array = np.asarray(values, dtype=object)
    if not len(array):
        return np.zeros((0, 1), dtype=np.uint8)
    wide = array.astype("U")
    width = wide.dtype.itemsize // 4
    codes = wide.view(np.uint32).reshape(len(array), width)
    if int(codes.max(initial=0)) < _ASCII_END:
        return codes.astype(np.uint8)
    encoded = np.fromiter(
        (value.encode("utf-8") for value in array), dtype=object, count=len(array)
    ).astype("S")
    return encoded.view(np.uint8).reshape(len(array), encoded.dtype.itemsize)


def utf8_bytes(values: pd.Series | np.ndarray) -> np.ndarray:
    """Text as UTF-8 in a fixed-width bytes ('S') array."""
    matrix = np.ascontiguousarray(utf8_matrix(values))
    return matrix.view(f"S{matrix.shape[1]}").reshape(len(matrix))


def member(values: pd.Series | np.ndarray, keys: frozenset[str] | set[str]) -> np.ndarray:
    """Whether each value is one of `keys`, a set lookup per value (no table built of the keys)."""
    array = np.asarray(values, dtype=object)
    if not keys:
        return np.zeros(len(array), dtype=bool)
    return np.fromiter(map(keys.__contains__, array), dtype=bool, count=len(array))
