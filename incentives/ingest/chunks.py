"""Read a CSV upload a chunk of records at a time, each chunk as read_upload would return its lines."""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterator
from pathlib import PurePath
from typing import BinaryIO

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from .columns import COLUMN_BY_HEADER_KEY, header_key
from .lines import _FEW_DISTINCT
from .reading import (
    _UTF8_BOM,
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_ROWS,
    FileRejected,
    _csv_layout,
    _match_header,
    _named_lines,
)

# Records per chunk: a chunk's cells, parsed, checked and formatted for COPY, take ~150 MB.
CHUNK_ROWS = 50_000
_SCAN_BYTES = 8 * 1024 * 1024
_HEAD_BYTES = 1024 * 1024
_BLOCK_BYTES = 1024 * 1024  # parsed at a time by pyarrow; chunks are cut to CHUNK_ROWS records
_MAX_COLUMNS = 1000  # beyond any header the dictionary's matching would accept


class Unstreamable(Exception):
    """The file cannot be taken a chunk at a time as it stands: read it whole to learn why."""


def is_streamable(filename: str) -> bool:
    return PurePath(filename or "").suffix.lower() == ".csv"


def scan_text(handle: BinaryIO) -> int:
    """The number of line feeds in a file of UTF-8 text without NUL; Unstreamable otherwise.

    Read a slice at a time from the start (never whole), and left at its end.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    handle.seek(0)
    feeds = 0
    try:
        while block := handle.read(_SCAN_BYTES):
            if b"\x00" in block:
                raise Unstreamable
            decoder.decode(block)
            feeds += block.count(b"\n")
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise Unstreamable from None
    return feeds


def csv_chunks(
    handle: BinaryIO,
    filename: str,
    *,
    chunk_rows: int | None = None,
    max_rows: int = DEFAULT_MAX_ROWS,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Iterator[pd.DataFrame]:
    """The lines of a .csv upload, `chunk_rows` (CHUNK_ROWS) records at a time, the header in the first.

    `handle` is the file, open for binary reading and seekable, whose text scan_text() has
    checked. Each chunk is what read_upload would return for those lines: the dictionary's
    columns, every cell as the text given, wholly blank rows dropped, and index labels
    counted over the whole file (row number = label + ROW_OFFSET). Raises Unstreamable
    wherever read_upload would refuse the file (too large, a bad header, a line with too
    many cells, no lines, too many lines), without saying why: read_upload says that.
    """
    size = handle.seek(0, os.SEEK_END)
    if not is_streamable(filename) or not size or size > max_bytes:
        raise Unstreamable
    name = PurePath(filename).name
    handle.seek(0)
    head = handle.read(_HEAD_BYTES)
    if b"\n" not in head and len(head) < size:
        raise Unstreamable  # a header line of a megabyte: let read_upload judge it
    try:
        _, delimiter = _csv_layout(head, name, checked=True)
        handle.seek(len(_UTF8_BOM) if head.startswith(_UTF8_BOM) else 0)
        del head
        reader = _records(handle, delimiter, chunk_rows or CHUNK_ROWS)
        header: list[str] | None = None
        count = 0
        few: set[int] = set()
        for records, start in reader:
            if header is None:
                header = [str(column[0].as_py()) for column in records.columns]
                records, start = records.slice(1), start + 1
                few = {position for position, text in enumerate(header) if _few_distinct(text)}
            table = _frame(records, start, categorical=few)
            del records
            lines = _named_lines(table, _match_header(header, table, name))
            del table  # one chunk's cells in memory at a time, not two
            count += len(lines)
            if count > max_rows:
                raise Unstreamable
            if len(lines):
                yield lines
            del lines
    except (FileRejected, pa.ArrowInvalid, pd.errors.ParserError, pd.errors.EmptyDataError):
        raise Unstreamable from None
    if not count:
        raise Unstreamable


def _few_distinct(header_text: str) -> bool:
    """Whether a header names a column whose cells repeat a great deal (read as categories)."""
    column = COLUMN_BY_HEADER_KEY.get(header_key(header_text))
    return column is not None and column.name in _FEW_DISTINCT


def _records(handle: BinaryIO, delimiter: str, chunk_rows: int) -> Iterator[tuple[pa.Table, int]]:
    """The file's records, `chunk_rows` at a time, each with the number of records before it.

    Every cell is the text given, as pandas' read_csv with _csv_options reads it (columns
    numbered from 0, the header record included). pyarrow parses in C++ outside the GIL,
    about twice as fast as pandas' reader; where the two could differ it refuses the
    file instead (a line with fewer cells than the header, which pandas pads with blanks),
    and the caller then leaves the file to read_upload.
    """
    reader = pa_csv.open_csv(
        handle,
        read_options=pa_csv.ReadOptions(autogenerate_column_names=True, block_size=_BLOCK_BYTES),
        parse_options=pa_csv.ParseOptions(
            delimiter=delimiter, quote_char='"', double_quote=True, escape_char=False,
            newlines_in_values=True, ignore_empty_lines=False,
        ),
        convert_options=pa_csv.ConvertOptions(
            column_types={f"f{index}": pa.string() for index in range(_MAX_COLUMNS)},
            null_values=[], strings_can_be_null=False, quoted_strings_can_be_null=False,
        ),
    )  # fmt: skip
    pending: list[pa.RecordBatch] = []
    held = 0
    start = 0
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            break
        pending.append(batch)
        held += batch.num_rows
        while held >= chunk_rows:
            table = pa.Table.from_batches(pending)
            yield table.slice(0, chunk_rows), start
            start += chunk_rows
            rest = table.slice(chunk_rows)
            pending, held = rest.to_batches(), rest.num_rows
            del table, rest
    if held:
        yield pa.Table.from_batches(pending), start


def _frame(table: pa.Table, start: int, *, categorical: set[int]) -> pd.DataFrame:
    """A table of string columns as a frame of str cells, its index labels from `start`.

    The columns at `categorical` positions come as pandas categoricals: each cell a code
    into the column's distinct texts, so that a text repeated on every line is made once.
    """
    columns: dict[int, object] = {}
    for index, column in enumerate(table.columns):
        if index in categorical:
            encoded = column.combine_chunks().dictionary_encode()
            columns[index] = pd.Categorical.from_codes(
                encoded.indices.to_numpy(zero_copy_only=False),
                categories=pd.Index(encoded.dictionary.to_pylist(), dtype=object),
            )
        else:
            columns[index] = column.to_numpy(zero_copy_only=False).astype(object, copy=False)
    return pd.DataFrame(columns, index=pd.RangeIndex(start, start + table.num_rows))
