"""Read and check an uploaded investment ledger: every structural error by row, column, value and rule.

The safe reading of the bytes (BOM, delimiter sniffing, binary and renamed files, zip bombs,
macros, formulas) is the ingestion core's (incentives.ingest.reading); that module matches the
header against the sales-claim dictionary, so this one takes its raw table and applies the
investment ledger's own dictionary. Pure: bytes and plain values in, a frame and errors out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import PurePath

import numpy as np
import pandas as pd

from incentives.capital.columns import (
    AMOUNT_MAX_INTEGER_DIGITS,
    COLUMN_BY_HEADER_KEY,
    COLUMNS,
    DATE_FORMATS,
    HEAD_SPELLINGS,
    HEADER,
    LABEL,
    head_key,
    header_key,
)
from incentives.ingest import reading as ingest_reading
from incentives.ingest.reading import FileRejected

MiB = 1024 * 1024
MAX_BYTES = 20 * MiB
MAX_ROWS = 50_000
IMPLAUSIBLE_YEARS_BEFORE = 10  # an invoice this long before the eligible-from date is a typo
MAX_LENGTH = {"item": 300, "vendor": 200, "invoice_number": 60, "head": 60}

# Indian (1,23,45,678) or international (12,345,678) grouping, or none; up to 2 decimals.
_AMOUNT = r"(?:\d+|\d{1,3}(?:,\d{3})+|\d{1,2}(?:,\d{2})*,\d{3})(?:\.\d{1,2})?"
_ISO = r"(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})"
_DAY_FIRST = r"(?P<d>\d{1,2})[-/](?P<m>\d{1,2})[-/](?P<y>\d{4})"


@dataclass(frozen=True)
class RowError:
    """One thing wrong with the file; row is None for the file as a whole."""

    row: int | None
    column: str
    value: str
    rule: str
    message: str

    def as_dict(self) -> dict[str, object]:
        return {
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "rule": self.rule,
            "message": self.message,
        }


class LedgerRejected(Exception):
    """The ledger cannot be taken; `errors` says where and why. Nothing was stored."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} error(s) in the investment ledger")
        self.errors = errors


def _file_error(message: str) -> LedgerRejected:
    return LedgerRejected([RowError(None, "", "", "file", message)])


def _own_words(message: str) -> str:
    """The ingestion core speaks of sales lines; this upload is an investment ledger."""
    return (
        message.replace("sales-claim template", "investment ledger template")
        .replace("sales-claim file", "investment ledger")
        .replace("sales lines", "investment lines")
    )


def read_ledger(data: bytes, filename: str, *, max_rows: int = MAX_ROWS) -> pd.DataFrame:
    """The data rows as untouched text, one column per dictionary column, indexed by file row."""
    name = PurePath(filename or "").name or "the file"
    if PurePath(name).suffix.lower() not in (".csv", ".xlsx"):
        raise _file_error(
            f"'{name}' is not a .csv or .xlsx file: upload the investment ledger as CSV (UTF-8) "
            "or as an Excel workbook (.xlsx), from the published template."
        )
    if not data:
        raise _file_error(f"'{name}' is empty (0 bytes).")
    if len(data) > MAX_BYTES:
        raise _file_error(
            f"'{name}' is {len(data) / MiB:,.1f} MB; an investment ledger may be at most "
            f"{MAX_BYTES // MiB} MB."
        )
    try:
        if name.lower().endswith(".csv"):
            table = ingest_reading._read_csv(bytes(data), name)
        else:
            table = ingest_reading._read_xlsx(
                bytes(data),
                name,
                max_rows=max_rows,
                max_uncompressed_bytes=ingest_reading.DEFAULT_MAX_UNCOMPRESSED_BYTES,
                max_compression_ratio=ingest_reading.DEFAULT_MAX_COMPRESSION_RATIO,
            )
    except FileRejected as rejected:
        raise _file_error(_own_words(rejected.message)) from None
    frame = _apply_header(table, name)
    if frame.empty:
        raise _file_error(f"'{name}' has a header row but no investment lines below it.")
    if len(frame) > max_rows:
        raise _file_error(
            f"'{name}' has {len(frame):,} lines; at most {max_rows:,} may be uploaded at once."
        )
    return frame


def _apply_header(table: pd.DataFrame, name: str) -> pd.DataFrame:
    header = [str(value) for value in table.iloc[0].tolist()]
    body = table.iloc[1:]
    found: dict[str, int] = {}
    errors: list[RowError] = []
    for position, text in enumerate(header):
        key = header_key(text)
        if not key:
            if (body[table.columns[position]].astype(str).str.strip() != "").any():
                errors.append(
                    RowError(
                        1,
                        "",
                        "",
                        "unnamed_column",
                        f"Column {position + 1} has values but no header.",
                    )
                )
            continue
        column = COLUMN_BY_HEADER_KEY.get(key)
        if column is None:
            errors.append(
                RowError(
                    1,
                    text.strip(),
                    text.strip(),
                    "unknown_column",
                    f"'{text.strip()}' is not a column of the investment ledger.",
                )
            )
        elif column.name in found:
            errors.append(
                RowError(
                    1,
                    column.name,
                    text.strip(),
                    "column_twice",
                    f"Column {column.name} is given twice.",
                )
            )
        else:
            found[column.name] = position
    for column in COLUMNS:
        if column.name not in found:
            errors.append(
                RowError(
                    1, column.name, "", "missing_column", f"The header has no {column.name} column."
                )
            )
    if errors:
        errors.append(
            RowError(
                1,
                "",
                "",
                "header",
                f"The header row of '{name}' must name the columns "
                + ", ".join(HEADER)
                + " (any order; case, spaces and underscores do not matter).",
            )
        )
        raise LedgerRejected(errors)
    frame = pd.DataFrame(
        {column.name: body[table.columns[found[column.name]]].astype(str) for column in COLUMNS},
        index=body.index,
    )
    # A CSV record or sheet row numbered from 1 with the header as row 1.
    frame.index = pd.Index(frame.index.to_numpy(dtype="int64") + 1, name="row")
    blank = np.ones(len(frame), dtype=bool)
    for column in HEADER:
        blank &= (frame[column].str.strip() == "").to_numpy()
    return frame.loc[~blank]


def _date_bounds(eligible_from: dt.date) -> dt.date:
    try:
        return eligible_from.replace(year=eligible_from.year - IMPLAUSIBLE_YEARS_BEFORE)
    except ValueError:  # 29 February
        return eligible_from.replace(year=eligible_from.year - IMPLAUSIBLE_YEARS_BEFORE, day=28)


def _parse_dates(text: pd.Series) -> pd.Series:
    """Dates in the accepted layouts (NaT where none fits or the day does not exist)."""
    parts = text.str.extract(f"^(?:{_ISO})$")
    day_first = text.str.extract(f"^(?:{_DAY_FIRST})$")
    parts = parts.fillna(day_first)
    frame = pd.DataFrame(
        {
            "year": pd.to_numeric(parts["y"], errors="coerce"),
            "month": pd.to_numeric(parts["m"], errors="coerce"),
            "day": pd.to_numeric(parts["d"], errors="coerce"),
        }
    )
    return pd.to_datetime(frame, errors="coerce")


def check_ledger(
    frame: pd.DataFrame, *, today: dt.date, eligible_from: dt.date
) -> tuple[pd.DataFrame, list[RowError]]:
    """Parse every cell, vectorised; (lines, []) or (empty, every error found, in row order).

    The lines carry item, head (code), vendor, invoice_number, invoice_date (date), amount
    (Decimal) and duplicate_key, indexed by file row.
    """
    cells = {name: frame[name].str.strip() for name in HEADER}
    rows = frame.index.to_numpy()
    errors: list[RowError] = []

    def add(mask: np.ndarray | pd.Series, column: str, rule: str, message) -> None:
        mask = np.asarray(mask, dtype=bool)
        for row, value in zip(rows[mask], cells[column].to_numpy()[mask], strict=True):
            errors.append(
                RowError(
                    int(row),
                    column,
                    value,
                    rule,
                    message(value) if callable(message) else message,
                )
            )

    empty = {name: (cells[name] == "").to_numpy() for name in HEADER}
    for name in HEADER:
        add(empty[name], name, "required", f"{LABEL[name]} is required.")
    for name, limit in MAX_LENGTH.items():
        add(
            (cells[name].str.len() > limit).to_numpy(),
            name,
            "too_long",
            f"{LABEL[name]} may be at most {limit} characters.",
        )

    heads = cells["head"].map(lambda text: HEAD_SPELLINGS.get(head_key(text)))
    add(
        heads.isna().to_numpy() & ~empty["head"],
        "head",
        "unknown_head",
        "Head must be plant and machinery, R&D, technology transfer or other.",
    )

    amount_text = cells["amount"]
    negative = amount_text.str.match(r"^\s*(?:-|\(|\u2212)").to_numpy()
    well_formed = amount_text.str.fullmatch(_AMOUNT).to_numpy()
    too_many_decimals = amount_text.str.fullmatch(r"[\d,]+\.\d{3,}").to_numpy()
    add(negative & ~empty["amount"], "amount", "negative", "Amount must not be negative.")
    add(
        too_many_decimals & ~negative,
        "amount",
        "decimals",
        "Amount may have at most 2 decimals (rupees and paise).",
    )
    add(
        ~well_formed & ~negative & ~too_many_decimals & ~empty["amount"],
        "amount",
        "not_a_number",
        "Amount must be a number in rupees, such as 12,45,000.00.",
    )
    digits = amount_text.str.replace(",", "", regex=False).str.split(".", n=1).str[0].str.len()
    too_large = well_formed & (
        digits.to_numpy(dtype="int64", na_value=0) > AMOUNT_MAX_INTEGER_DIGITS
    )
    add(too_large, "amount", "too_large", "Amount is implausibly large for one invoice line.")
    zero = well_formed & ~too_large & amount_text.str.fullmatch(r"[0,]+(?:\.0{1,2})?").to_numpy()
    add(zero, "amount", "zero", "Amount must be above zero.")

    dates = _parse_dates(cells["invoice_date"])
    bad_date = dates.isna().to_numpy() & ~empty["invoice_date"]
    add(
        bad_date,
        "invoice_date",
        "bad_date",
        "Invoice date must be a real date written " + " or ".join(DATE_FORMATS) + ".",
    )
    floor = _date_bounds(eligible_from)
    known = ~dates.isna().to_numpy()
    stamps = dates.to_numpy()
    future = known & (stamps > np.datetime64(today))
    ancient = known & (stamps < np.datetime64(floor))
    add(
        future,
        "invoice_date",
        "future_date",
        f"Invoice date is after the day of upload ({today.day} {today:%b %Y}).",
    )
    add(
        ancient,
        "invoice_date",
        "implausible_date",
        f"Invoice date is before {floor.day} {floor:%b %Y}, more than {IMPLAUSIBLE_YEARS_BEFORE} years "
        f"before the eligible-from date: check the year.",
    )

    if errors:
        errors.sort(
            key=lambda e: (e.row or 0, HEADER.index(e.column) if e.column in HEADER else -1)
        )
        return frame.iloc[0:0], errors

    lines = pd.DataFrame(
        {
            "item": cells["item"],
            "head": heads,
            "vendor": cells["vendor"],
            "invoice_number": cells["invoice_number"],
            "invoice_date": [stamp.date() for stamp in dates],
            "amount": [Decimal(text.replace(",", "")) for text in amount_text],
            "duplicate_key": duplicate_keys(cells["vendor"], cells["invoice_number"]),
        },
        index=frame.index,
    )
    return lines, []


def duplicate_keys(vendors: pd.Series, numbers: pd.Series) -> pd.Series:
    """Vendor and invoice number as compared: case-folded, runs of spaces as one, joined by '|'."""

    def norm(series: pd.Series) -> pd.Series:
        return series.str.strip().str.casefold().str.replace(r"\s+", " ", regex=True)

    return norm(vendors) + "|" + norm(numbers).str.replace(" ", "", regex=False)
