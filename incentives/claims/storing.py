"""Write validated lines to the claim-line table through PostgreSQL COPY, formatting the text a column at a time.

The COPY text of a chunk of lines is assembled as a byte matrix: each column becomes a
fixed-width block of bytes per line (shorter values padded with NUL), the blocks and the
tab / newline separators are laid side by side, and dropping every NUL byte leaves the lines
in order. Lines never hold NUL (CSV text with one is refused, XML cannot carry one), so
nothing of value is dropped. No Python code runs once per line.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from django.db import connection

from incentives.claims.models import ClaimLine
from incentives.ingest import text
from incentives.ingest.columns import QUANTITY_DECIMALS, VALUE_DECIMALS
from repm_portal import viewer_cache

# The target table's columns, in the order each COPY line gives them.
LINE_COLUMNS = (
    "claim_id",
    "row",
    "award_id",
    "invoice_number",
    "invoice_date",
    "buyer_name",
    "buyer_gstin",
    "export_country",
    "is_export",
    "hsn_code",
    "magnet_grade",
    "quantity_kg",
    "net_sales_value",
    "credit_note_ref",
    "is_credit_note",
    "related_party",
    "unit_value_outlier",
    "plant",
)
TEXT_COLUMNS = (
    "buyer_name",
    "buyer_gstin",
    "export_country",
    "hsn_code",
    "magnet_grade",
    "credit_note_ref",
    "plant",
)
BOOLEAN_COLUMNS = ("is_export", "is_credit_note", "related_party", "unit_value_outlier")
CHUNK_BYTES = 32 * 1024 * 1024
_SEND_BYTES = 1024 * 1024  # read from a chunk's text per message to the server

_TAB, _NEWLINE, _POINT, _MINUS, _ZERO = (ord(c) for c in "\t\n.-0")
_TRUE, _FALSE = ord("t"), ord("f")
# Characters COPY's text format gives a meaning to, escaped with a backslash: a lookup by byte.
_IS_SPECIAL = np.zeros(256, dtype=bool)
_IS_SPECIAL[[ord(c) for c in "\\\t\n\r"]] = True


def _matrix(values: np.ndarray) -> np.ndarray:
    """A bytes ('S') array as a (lines, width) uint8 matrix, without copying."""
    return values.view(np.uint8).reshape(len(values), values.dtype.itemsize)


def utf8_bytes(values: pd.Series | np.ndarray) -> np.ndarray:
    """Text as UTF-8 in a fixed-width bytes array; ASCII text (the usual) without a call per value."""
    return text.utf8_bytes(values)


def _escaped_matrix(values: pd.Series | np.ndarray) -> np.ndarray:
    """Text as a (values, width) matrix of UTF-8 bytes, NUL-padded, escaped for COPY's text format."""
    matrix = text.utf8_matrix(values)
    special = _IS_SPECIAL[matrix].any(axis=1)
    if not special.any():
        return matrix
    # Rare (a tab or backslash inside a buyer's name): escape only those values.
    escaped = pd.Series(np.array(values, dtype=object), dtype=object)  # a copy: values stay
    picked = escaped[special]
    for character, replacement in (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r")):
        picked = picked.str.replace(character, replacement, regex=False)
    escaped[special] = picked
    return text.utf8_matrix(escaped)


def _escaped_bytes(values: pd.Series | np.ndarray) -> np.ndarray:
    """Text as UTF-8 in a fixed-width bytes array, escaped for COPY's text format."""
    matrix = np.ascontiguousarray(_escaped_matrix(values))
    return matrix.view(f"S{matrix.shape[1]}").reshape(len(matrix))


class _Factorised:
    """A column of few distinct values: each line's code into the distinct values' bytes."""

    def __init__(self, codes: np.ndarray, distinct: np.ndarray) -> None:
        self.codes = codes
        self.distinct = distinct if len(distinct) else np.zeros(1, dtype="S1")

    def block(self, start: int, stop: int) -> list[np.ndarray]:
        return [_matrix(self.distinct[self.codes[start:stop]])]


class _Text:
    """A column of (mostly) distinct text, encoded one chunk at a time."""

    def __init__(self, values: pd.Series) -> None:
        self.values = values

    def block(self, start: int, stop: int) -> list[np.ndarray]:
        return [_escaped_matrix(self.values.to_numpy(dtype=object)[start:stop])]


class _Constant:
    def __init__(self, text: str) -> None:
        self.bytes = np.frombuffer(text.encode("ascii"), dtype=np.uint8)

    def block(self, start: int, stop: int) -> list[np.ndarray]:
        return [np.broadcast_to(self.bytes, (stop - start, len(self.bytes)))]


class _Boolean:
    def __init__(self, values: np.ndarray) -> None:
        self.values = np.where(values, _TRUE, _FALSE).astype(np.uint8)

    def block(self, start: int, stop: int) -> list[np.ndarray]:
        return [self.values[start:stop, None]]


def _digits(magnitudes: np.ndarray, min_digits: int) -> np.ndarray:
    """Non-negative integers as a (lines, width) matrix of ASCII digits, leading zeros as NUL."""
    largest = int(magnitudes.max()) if len(magnitudes) else 0
    width = max(min_digits, len(str(largest)))
    out = np.empty((len(magnitudes), width), dtype=np.uint8)
    rest = magnitudes.astype(np.int64, copy=True)
    for place in range(width - 1, -1, -1):  # a loop over digit places, never over lines
        rest, digit = np.divmod(rest, 10)
        out[:, place] = digit + _ZERO
    for place in range(width - min_digits):
        out[:, place] = np.where(magnitudes >= 10 ** (width - 1 - place), out[:, place], 0)
    return out


class _Integer:
    def __init__(self, values: np.ndarray) -> None:
        self.values = values

    def block(self, start: int, stop: int) -> list[np.ndarray]:
        return [_digits(self.values[start:stop], 1)]


class _Scaled:
    """Integers of 10**-places units (grams, paise) written as exact decimal text: -12.500."""

    def __init__(self, units: np.ndarray, places: int) -> None:
        self.units = units
        self.places = places

    def block(self, start: int, stop: int) -> list[np.ndarray]:
        units = self.units[start:stop]
        sign = np.where(units < 0, _MINUS, 0).astype(np.uint8)[:, None]
        digits = _digits(np.abs(units), self.places + 1)
        point = np.full((len(units), 1), _POINT, dtype=np.uint8)
        cut = digits.shape[1] - self.places
        return [sign, digits[:, :cut], point, digits[:, cut:]]


def _factorised_text(values: pd.Series) -> _Factorised:
    codes, distinct = pd.factorize(values.to_numpy(dtype=object))
    return _Factorised(codes, _escaped_bytes(pd.Series(distinct, dtype=object)))


def _factorised_dates(values: pd.Series) -> _Factorised:
    codes, distinct = pd.factorize(values)
    text = np.array(pd.DatetimeIndex(distinct).strftime("%Y-%m-%d").tolist(), dtype="S10")
    return _Factorised(codes, text)


def _columns(clean: pd.DataFrame, *, claim_id: int, award_id: int) -> list:
    columns = {
        "claim_id": _Constant(str(int(claim_id))),
        "row": _Integer(clean["row"].to_numpy(dtype=np.int64)),
        "award_id": _Constant(str(int(award_id))),
        "invoice_number": _Text(clean["invoice_number"].reset_index(drop=True)),
        "invoice_date": _factorised_dates(clean["invoice_date"]),
        "quantity_kg": _Scaled(clean["quantity_g"].to_numpy(dtype=np.int64), QUANTITY_DECIMALS),
        "net_sales_value": _Scaled(
            clean["net_sales_value_paise"].to_numpy(dtype=np.int64), VALUE_DECIMALS
        ),
    }
    for name in TEXT_COLUMNS:
        columns[name] = _factorised_text(clean[name])
    for name in BOOLEAN_COLUMNS:
        columns[name] = _Boolean(clean[name].to_numpy(dtype=bool))
    return [columns[name] for name in LINE_COLUMNS]


_ARROW_LINE_BYTES = 256
_ARROW_WRITE = pa_csv.WriteOptions(include_header=False, delimiter="\t", quoting_style="none")
_FLAGS = pa.array(["f", "t"])


def _scaled_decimals(units: np.ndarray, places: int) -> pa.Array:
    """Integers of 10**-places units as Arrow decimals of that scale (the same 128-bit integers)."""
    words = np.empty((len(units), 2), dtype=np.int64)
    words[:, 0] = units
    words[:, 1] = units >> 63  # the sign, extended to the high word
    return pa.Array.from_buffers(pa.decimal128(38, places), len(units), [None, pa.py_buffer(words)])


def _arrow_table(clean: pd.DataFrame, *, claim_id: int, award_id: int) -> pa.Table | None:
    """The lines as an Arrow table in LINE_COLUMNS order; None if a text needs COPY's escapes."""
    count = len(clean)
    columns: dict[str, pa.Array] = {
        "claim_id": pa.array(np.full(count, int(claim_id), dtype=np.int64)),
        "row": pa.array(clean["row"].to_numpy(dtype=np.int64)),
        "award_id": pa.array(np.full(count, int(award_id), dtype=np.int64)),
        "invoice_date": pa.array(clean["invoice_date"].to_numpy().astype("datetime64[D]")),
        "quantity_kg": _scaled_decimals(
            clean["quantity_g"].to_numpy(dtype=np.int64), QUANTITY_DECIMALS
        ),
        "net_sales_value": _scaled_decimals(
            clean["net_sales_value_paise"].to_numpy(dtype=np.int64), VALUE_DECIMALS
        ),
    }
    for name in ("invoice_number", *TEXT_COLUMNS):
        values = pa.array(clean[name].to_numpy(dtype=object), type=pa.string())
        # A backslash means something to COPY; pyarrow refuses tabs, line breaks and quotes.
        if pc.any(pc.match_substring(values, "\\")).as_py():
            return None
        columns[name] = values
    for name in BOOLEAN_COLUMNS:
        flags = clean[name].to_numpy(dtype=bool).astype(np.int8)
        columns[name] = pa.DictionaryArray.from_arrays(pa.array(flags), _FLAGS)
    return pa.table({name: columns[name] for name in LINE_COLUMNS})


def _arrow_text(table: pa.Table) -> bytes | None:
    """The table as COPY text, or None if a value holds a tab, line break or quote."""
    sink = pa.BufferOutputStream()
    try:
        pa_csv.write_csv(table, sink, _ARROW_WRITE)
    except pa.ArrowInvalid:
        return None
    return sink.getvalue().to_pybytes()


def copy_chunks(
    clean: pd.DataFrame, *, claim_id: int, award_id: int, chunk_bytes: int = CHUNK_BYTES
) -> Iterator[tuple[bytes, int]]:
    """(COPY text, line count) for consecutive chunks of the clean lines, in order.

    Written by pyarrow (in C++, outside the GIL) where no text needs COPY's escapes: the
    usual case. Otherwise, or for a chunk pyarrow refuses (a tab, line break or quote in a
    text), built as a byte matrix, a column at a time.
    """
    count = len(clean)
    if not count:
        return
    table = _arrow_table(clean, claim_id=claim_id, award_id=award_id)
    columns: list | None = None
    step = max(1_000, chunk_bytes // _ARROW_LINE_BYTES)
    for start in range(0, count, step):
        stop = min(count, start + step)
        text = _arrow_text(table.slice(start, stop - start)) if table is not None else None
        if text is None:
            if columns is None:
                columns = _columns(clean, claim_id=claim_id, award_id=award_id)
            text = _matrix_text(columns, start, stop)
        yield text, stop - start


def _matrix_text(columns: list, start: int, stop: int) -> bytes:
    """COPY text of lines start:stop, each column a fixed-width block of bytes, NUL padding dropped."""
    size = stop - start
    tab = np.full((size, 1), _TAB, dtype=np.uint8)
    blocks: list[np.ndarray] = []
    for index, column in enumerate(columns):
        if index:
            blocks.append(tab)
        blocks.extend(column.block(start, stop))
    blocks.append(np.full((size, 1), _NEWLINE, dtype=np.uint8))
    matrix = np.concatenate(blocks, axis=1)
    return matrix.tobytes().translate(None, b"\x00")  # in C


def copy_lines(
    cursor,
    clean: pd.DataFrame,
    *,
    claim_id: int,
    award_id: int,
    on_chunk: Callable[[int], None] | None = None,
    chunk_bytes: int = CHUNK_BYTES,
) -> int:
    """COPY the clean lines into the claim-line table inside the caller's transaction; return the count."""
    chunks = copy_chunks(clean, claim_id=claim_id, award_id=award_id, chunk_bytes=chunk_bytes)
    return copy_texts(cursor, chunks, on_chunk=on_chunk)


def copy_texts(
    cursor, chunks: Iterator[tuple[bytes, int]], *, on_chunk: Callable[[int], None] | None = None
) -> int:
    """COPY each (COPY text, line count) the iterator gives, in order; return the lines stored.

    The next chunk is made in a thread while PostgreSQL takes in the current one (psycopg2
    releases the GIL while it sends, and the server works in a process of its own), so
    making and storing overlap. An exception raised while making a chunk is raised here,
    inside the caller's transaction, after the chunks before it were sent.
    """
    statement = f"COPY {ClaimLine._meta.db_table} ({', '.join(LINE_COLUMNS)}) FROM STDIN"
    stored = 0
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="copy-text") as builder:
        pending = builder.submit(next, chunks, None)
        while (chunk := pending.result()) is not None:
            pending = builder.submit(next, chunks, None)
            text, size = chunk
            # As Django's own errors (an IntegrityError, say), which cursor.execute raises too.
            with connection.wrap_database_errors:
                # Positional: Django's debug cursor wrapper (DEBUG on, `make dev`, the seed) takes no keywords.
                cursor.copy_expert(statement, io.BytesIO(text), _SEND_BYTES)
            viewer_cache.changed()  # no execute wrapper sees a COPY
            stored += size
            if on_chunk is not None:
                on_chunk(stored)
    return stored
