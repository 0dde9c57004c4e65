"""A refused file handed back: the firm's own lines, each with its errors, to fix in place and upload again."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill

from repm_portal.exports import FORMULA_PREFIXES

from .columns import ANNOTATION_COLUMN, HEADER
from .validate import ValidationResult

# Amount cells that are plain numbers ("-12.500" on a credit note) are left as they are:
# a spreadsheet reads them as numbers, never as formulas, and the file must upload again.
_AMOUNT_COLUMNS = ("quantity_kg", "net_sales_value")
_PLAIN_NUMBER = r"\s*-?[0-9]+(?:\.[0-9]+)?\s*"
_ERROR_FILL = PatternFill("solid", fgColor="FDE2E1")
_XLSX_CELL_CHARS = 32_000


def neutralise(cells: pd.Series, *, amount: bool = False) -> pd.Series:
    """Prefix with an apostrophe every cell a spreadsheet would run as a formula (CSV injection)."""
    text = cells.astype(str)
    risky = text.str.startswith(FORMULA_PREFIXES)
    if amount:
        risky &= ~text.str.fullmatch(_PLAIN_NUMBER)
    return text.where(~risky, "'" + text)


def row_notes(result: ValidationResult, rows: np.ndarray) -> pd.Series:
    """Each row's error messages, joined; rows with errors beyond those listed say so."""
    listed = result.errors
    notes = pd.Series("", index=rows, dtype=object)
    if len(listed):
        joined = listed.groupby("row", sort=False)["message"].agg(" | ".join)
        notes.loc[joined.index.to_numpy()] = joined.to_numpy()
    unlisted = np.setdiff1d(result.error_rows, listed["row"].to_numpy(dtype=np.int64))
    if len(unlisted):
        notes.loc[unlisted] = (
            f"This row has errors beyond the first {len(listed):,} listed: fix those, upload "
            "again, and the next ones will be listed."
        )
    return notes


def annotated_file(
    frame: pd.DataFrame, result: ValidationResult, *, row_offset: int, as_xlsx: bool
) -> bytes:
    """The uploaded lines (every row, in order, as given) plus an `errors` column.

    `frame` and `row_offset` are what read_upload returned (blank rows dropped, so a
    line's row number may differ from its place in this file; the notes quote the
    row numbers of the file uploaded).
    """
    rows = np.asarray(frame.index, dtype=np.int64) + row_offset
    notes = row_notes(result, rows)
    table = pd.DataFrame(
        {
            name: neutralise(
                frame[name].reset_index(drop=True)
                if name in frame
                else pd.Series([""] * len(frame)),
                amount=name in _AMOUNT_COLUMNS,
            )
            for name in HEADER
        }
    )
    table[ANNOTATION_COLUMN] = neutralise(notes.reset_index(drop=True))
    if as_xlsx:
        return _xlsx(table, rows, result)
    buffer = io.StringIO()
    table.to_csv(buffer, index=False, lineterminator="\r\n")
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _xlsx(table: pd.DataFrame, rows: np.ndarray, result: ValidationResult) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Sales lines")
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for name in table.columns:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    bad_cells = set(
        zip(result.errors["row"].tolist(), result.errors["column"].tolist(), strict=True)
    )
    messages = result.errors.groupby(["row", "column"])["message"].agg("\n".join).to_dict()
    names = list(table.columns)
    cleaned = table.apply(
        lambda column: column.str.replace(
            ILLEGAL_CHARACTERS_RE, lambda m: f"\\x{ord(m.group()):02x}", regex=True
        ).str.slice(0, _XLSX_CELL_CHARS)
    )
    # openpyxl writes one row at a time; only cells with an error get a style.
    for row, values in zip(rows.tolist(), cleaned.itertuples(index=False), strict=True):
        line = []
        for name, value in zip(names, values, strict=True):
            if (row, name) in bad_cells:
                cell = WriteOnlyCell(sheet, value=value)
                cell.fill = _ERROR_FILL
                cell.comment = Comment(messages[(row, name)][:2000], "REPM Portal")
                line.append(cell)
            else:
                line.append(value)
        sheet.append(line)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
