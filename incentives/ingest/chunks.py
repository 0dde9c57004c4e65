"""Read a CSV upload a chunk of records at a time, each chunk as read_upload would return its lines."""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterator
from pathlib import PurePath
from typing import BinaryIO

import pandas as pd

from .reading import (
    _UTF8_BOM,
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_ROWS,
    FileRejected,
    _csv_layout,
    _csv_options,
    _match_header,
    _named_lines,
)

# Records per chunk: a chunk's cells, parsed, checked and formatted for COPY, take ~150 MB.
CHUNK_ROWS = 50_000
_SCAN_BYTES = 8 * 1024 * 1024
_HEAD_BYTES = 1024 * 1024


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
        reader = pd.read_csv(handle, chunksize=chunk_rows or CHUNK_ROWS, **_csv_options(delimiter))
        header: list[str] | None = None
        count = 0
        for table in reader:
            if header is None:
                header = [str(value) for value in table.iloc[0].tolist()]
                table = table.iloc[1:]
            lines = _named_lines(table, _match_header(header, table, name))
            del table  # one chunk's cells in memory at a time, not two
            count += len(lines)
            if count > max_rows:
                raise Unstreamable
            if len(lines):
                yield lines
            del lines
    except (FileRejected, pd.errors.ParserError, pd.errors.EmptyDataError):
        raise Unstreamable from None
    if not count:
        raise Unstreamable
