"""Read a bank's return file (CSV or XLSX) into rows of untouched text, each with its row number.

Nothing is interpreted here: `returns.py` judges every cell. Headers are matched ignoring case,
spaces, dots and underscores, with the names banks commonly use ("UTR No", "Value Date").
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import warnings
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import PurePath

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

MiB = 1024 * 1024
MAX_BYTES = 5 * MiB
MAX_ROWS = 20_000
MAX_UNCOMPRESSED = 64 * MiB
COLUMNS = ("instruction_id", "utr", "amount", "date", "status", "reason")
REQUIRED = ("instruction_id", "utr", "amount", "date", "status")
ALIASES = {
    "instructionid": "instruction_id",
    "instruction": "instruction_id",
    "instructionno": "instruction_id",
    "customerreference": "instruction_id",
    "utr": "utr",
    "utrno": "utr",
    "utrnumber": "utr",
    "amount": "amount",
    "amountrs": "amount",
    "date": "date",
    "valuedate": "date",
    "paidon": "date",
    "paymentdate": "date",
    "status": "status",
    "reason": "reason",
    "failurereason": "reason",
    "returnreason": "reason",
    "remarks": "reason",
}


class FileRejected(Exception):
    """The file cannot be read as a return file at all; `message` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Row:
    number: int  # as a spreadsheet shows it: the header is row 1
    cells: dict[str, str]


@dataclass(frozen=True)
class ReturnTable:
    rows: list[Row]
    letters: dict[str, str]  # column name -> its letter in the file (A, B, ...)


def _key(text: str) -> str:
    return re.sub(r"[\s._\-()/]+", "", text.strip().lower())


def read_return_file(data: bytes, filename: str) -> ReturnTable:
    name = PurePath(filename or "").name or "the file"
    extension = PurePath(name).suffix.lower()
    if extension not in (".csv", ".xlsx"):
        raise FileRejected(f"'{name}' is not a .csv or .xlsx file: upload the bank's return file.")
    if not data:
        raise FileRejected(f"'{name}' is empty (0 bytes).")
    if len(data) > MAX_BYTES:
        raise FileRejected(
            f"'{name}' is {len(data) / MiB:.1f} MB; a return file of at most "
            f"{MAX_BYTES // MiB} MB is accepted."
        )
    table = _csv(data, name) if extension == ".csv" else _xlsx(data, name)
    if not table:
        raise FileRejected(f"'{name}' holds no header row.")
    return _apply_header(table, name)


def _csv(data: bytes, name: str) -> list[tuple[int, list[str]]]:
    if b"\x00" in data:
        raise FileRejected(f"'{name}' is not CSV text (it holds NUL bytes). Save it as CSV UTF-8.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FileRejected(
            f"'{name}' is not UTF-8 text (the byte at offset {error.start} is not). "
            "Save it as 'CSV UTF-8'."
        ) from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    rows = []
    try:
        for number, cells in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), 1):
            rows.append((number, cells))
            if number > MAX_ROWS + 1:
                raise FileRejected(f"'{name}' has more than {MAX_ROWS:,} rows.")
    except csv.Error as error:
        raise FileRejected(f"'{name}' is not a readable CSV file: {error}.") from None
    return rows


def _xlsx(data: bytes, name: str) -> list[tuple[int, list[str]]]:
    if not data.startswith(b"PK\x03\x04"):
        raise FileRejected(
            f"'{name}' is not an Excel workbook (an .xlsx file is a zip archive and this one "
            "does not start like one)."
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(entry.file_size for entry in archive.infolist())
            if unpacked > MAX_UNCOMPRESSED:
                raise FileRejected(
                    f"'{name}' would unpack to {unpacked / MiB:,.0f} MB: refused unopened."
                )
            if "[Content_Types].xml" not in archive.namelist():
                raise FileRejected(f"'{name}' is a zip archive but not an Excel workbook.")
    except zipfile.BadZipFile:
        raise FileRejected(f"'{name}' is damaged: its zip structure cannot be read.") from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as error:
        raise FileRejected(
            f"'{name}' could not be opened as an Excel workbook ({type(error).__name__})."
        ) from None
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()
        rows = []
        for number, cells in enumerate(sheet.iter_rows(), start=1):
            values = []
            for cell in cells:
                if cell.data_type == "f":
                    raise FileRejected(
                        f"Cell {cell.coordinate} of '{name}' holds a formula; paste the sheet as "
                        "values only and upload again."
                    )
                values.append(_cell_text(cell.value))
            rows.append((number, values))
            if number > MAX_ROWS + 1:
                raise FileRejected(f"'{name}' has more than {MAX_ROWS:,} rows.")
        return rows
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _apply_header(table: list[tuple[int, list[str]]], name: str) -> ReturnTable:
    _, header = table[0]
    found: dict[str, int] = {}
    unknown, twice = [], []
    for position, text in enumerate(header):
        if not text.strip():
            continue
        column = ALIASES.get(_key(text))
        if column is None:
            unknown.append(f"'{text.strip()}' (column {get_column_letter(position + 1)})")
        elif column in found:
            twice.append(column)
        else:
            found[column] = position
    missing = [column for column in REQUIRED if column not in found]
    if missing or unknown or twice:
        problems = []
        if missing:
            problems.append("missing columns: " + ", ".join(missing))
        if unknown:
            problems.append("unknown columns: " + ", ".join(unknown))
        if twice:
            problems.append("columns given twice: " + ", ".join(twice))
        raise FileRejected(
            f"Row 1 of '{name}' is not a return file's header: "
            + "; ".join(problems)
            + ". The columns are "
            + ", ".join(COLUMNS)
            + " (reason may be left out)."
        )
    rows = []
    for number, cells in table[1:]:
        values = {
            column: (cells[position] if position < len(cells) else "").strip()
            for column, position in found.items()
        }
        values.setdefault("reason", "")
        if any(values.values()):
            rows.append(Row(number, values))
    if not rows:
        raise FileRejected(f"'{name}' has a header but no rows below it.")
    letters = {column: get_column_letter(position + 1) for column, position in found.items()}
    return ReturnTable(rows, letters)


__all__ = ["COLUMNS", "FileRejected", "ReturnTable", "Row", "read_return_file"]
