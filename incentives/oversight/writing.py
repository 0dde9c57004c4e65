"""Writing a sheet: its statement lines (what, when, by whom, under which filters), then its rows,
as a streamed CSV or an XLSX written row by row (openpyxl's write-only mode); every text cell
formula-safe."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from itertools import chain
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from incentives.oversight.sheets import Sheet
from repm_portal.exports import csv_rows, safe_cell

PORTAL = "REPM Portal"
Progress = Callable[[int], None]


def statement(
    sheet: Sheet,
    *,
    produced_at: dt.datetime,
    produced_by: str,
    count: int,
    run_id: int | None = None,
) -> list[list[str]]:
    """The lines an export begins with, as label and value."""
    lines = [
        [PORTAL, sheet.title],
        ["Produced at", produced_at.isoformat(timespec="seconds")],
        ["Produced by", produced_by],
        ["Filters", sheet.filters],
        [sheet.count_label, str(count)],
        *[[label, value] for label, value in sheet.statement],
    ]
    if run_id is not None:
        lines.append(["Export run", f"#{run_id}"])
    return lines


def counted(rows: Iterator[list[Any]], progress: Progress | None, every: int = 1000):
    """The rows unchanged, reporting how many have passed every `every` rows."""
    done = 0
    for row in rows:
        yield row
        done += 1
        if progress is not None and done % every == 0:
            progress(done)
    if progress is not None:
        progress(done)


def csv_lines(
    sheet: Sheet, lines: list[list[str]], progress: Progress | None = None
) -> Iterator[str]:
    """The CSV text, line by line: the statement, a blank line, the columns, the rows."""
    first, *rest = lines
    body = counted(sheet.rows(), progress)
    return csv_rows(first, chain(rest, [[]], [sheet.columns], body))


def write_csv(
    sheet: Sheet, lines: list[list[str]], out: IO[bytes], progress: Progress | None = None
) -> None:
    for text in csv_lines(sheet, lines, progress):
        out.write(text.encode("utf-8"))


def _cell(sheet: Any, value: Any) -> Any:
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.isoformat()  # Excel keeps no time zone: write the moment as text, exactly
    return safe_cell(value)


def write_xlsx(
    sheet: Sheet, lines: list[list[str]], out: IO[bytes], progress: Progress | None = None
) -> None:
    """The XLSX: the statement as a header block (labels bold), a blank row, the columns, the rows."""
    book = Workbook(write_only=True)
    page = book.create_sheet(title=sheet.title[:31])
    bold = Font(bold=True)
    for label, value in lines:
        cell = WriteOnlyCell(page, value=safe_cell(label))
        cell.font = bold
        page.append([cell, safe_cell(value)])
    page.append([])
    header = []
    for name in sheet.columns:
        cell = WriteOnlyCell(page, value=name)
        cell.font = bold
        header.append(cell)
    page.append(header)
    for row in counted(sheet.rows(), progress):
        page.append([_cell(page, value) for value in row])
    book.save(out)
