"""Read an uploaded sales-claim file (CSV or XLSX) into a frame of untouched strings, refusing unsafe files."""

from __future__ import annotations

import codecs
import datetime as dt
import io
import re
import warnings
import zipfile
from decimal import Decimal
from pathlib import PurePath

import pandas as pd
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from . import text as text_ops
from .columns import ANNOTATION_COLUMN, COLUMN_BY_HEADER_KEY, COLUMNS, HEADER, header_key

# The user-facing number of the first data row: the header is row 1.
ROW_OFFSET = 2

MiB = 1024 * 1024
DEFAULT_MAX_ROWS = 1_000_000
DEFAULT_MAX_BYTES = 256 * MiB
# A 1,048,576-row sheet of 12 columns unpacks to roughly 600 MB of XML.
DEFAULT_MAX_UNCOMPRESSED_BYTES = 1024 * MiB
# Real sheets of sales lines compress 5-30 times; bombs compress hundreds to millions of times.
DEFAULT_MAX_COMPRESSION_RATIO = 100
# Entries smaller than this are not judged by their ratio (tiny XML parts compress oddly).
_RATIO_FLOOR_BYTES = MiB
_MAX_ZIP_ENTRIES = 10_000
_MAX_CONTENT_TYPES_BYTES = MiB

_ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP_MAGIC = b"PK\x05\x06"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SHEET_CONTENT_TYPE = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
_MACRO_CONTENT_TYPE = b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"
# What a file that is not CSV text most likely is, to say so in the message.
_KNOWN_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"%PDF", "a PDF document"),
    (b"GIF8", "a GIF image"),
    (_ZIP_MAGIC, "a zip archive, such as an .xlsx workbook"),
    (_OLE2_MAGIC, "an old-style Office file, such as an .xls workbook"),
    (b"\xff\xfe", "UTF-16 text (save it as 'CSV UTF-8' instead)"),
    (b"\xfe\xff", "UTF-16 text (save it as 'CSV UTF-8' instead)"),
)
_UTF8_BOM = b"\xef\xbb\xbf"
_PANDAS_FIELD_COUNT = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


# Why a whole file is refused, as stable codes beside the line rules (see FILE_RULES).
FILE_RULES: dict[str, str] = {
    "file_type": "The file is not a CSV or XLSX file, or its content does not match its extension.",
    "file_unreadable": "The file cannot be read as CSV text or as an Excel workbook.",
    "size_limit": "The file is larger than the upload limit.",
    "row_limit": "The file has more lines than may be uploaded at once.",
    "zip_bomb": "The workbook would unpack to far more than it holds (a zip bomb).",
    "formula": "A workbook cell holds a formula.",
    "columns": "The header row does not match the template: columns missing, unknown or repeated.",
    "no_lines": "The file holds no sales lines.",
}


class FileRejected(Exception):
    """The upload cannot be read as a sales-claim file; `message` says why, for the firm to read."""

    def __init__(self, message: str, rule: str = "file_unreadable") -> None:
        super().__init__(message)
        if rule not in FILE_RULES:
            raise ValueError(f"Unknown file rule {rule!r}")
        self.message = message
        self.rule = rule


def read_upload(
    data: bytes,
    filename: str,
    *,
    max_rows: int = DEFAULT_MAX_ROWS,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_uncompressed_bytes: int = DEFAULT_MAX_UNCOMPRESSED_BYTES,
    max_compression_ratio: int = DEFAULT_MAX_COMPRESSION_RATIO,
) -> tuple[pd.DataFrame, int]:
    """Read a .csv or .xlsx upload into (frame, row_offset), or raise FileRejected.

    The frame has one column per dictionary column (in dictionary order; an optional
    column the file leaves out is all blank) and holds every cell as the text given:
    nothing is stripped, parsed or guessed. Wholly blank rows are dropped, but every
    remaining row keeps its index label, so its user-facing row number is
    `label + row_offset` (the header is row 1). Rows are counted as a spreadsheet
    shows them; a CSV cell with a quoted line break stays one row.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"data must be bytes, not {type(data).__name__}")
    data = bytes(data)
    name = PurePath(filename or "").name or "the file"
    extension = PurePath(name).suffix.lower()
    if extension not in (".csv", ".xlsx"):
        raise FileRejected(
            f"'{name}' is not a .csv or .xlsx file: upload the sales lines as CSV (UTF-8) "
            "or as an Excel workbook (.xlsx).",
            rule="file_type",
        )
    if not data:
        raise FileRejected(f"'{name}' is empty (0 bytes).", rule="no_lines")
    if len(data) > max_bytes:
        raise FileRejected(
            f"'{name}' is {_size(len(data))}; the limit for one upload is {_size(max_bytes)}.",
            rule="size_limit",
        )
    if extension == ".csv":
        table = _read_csv(data, name)
    else:
        table = _read_xlsx(
            data,
            name,
            max_rows=max_rows,
            max_uncompressed_bytes=max_uncompressed_bytes,
            max_compression_ratio=max_compression_ratio,
        )
    frame = _apply_header(table, name)
    if frame.empty:
        raise FileRejected(
            f"'{name}' has a header row but no sales lines below it.", rule="no_lines"
        )
    if len(frame) > max_rows:
        raise FileRejected(
            f"'{name}' has {len(frame):,} sales lines; at most {max_rows:,} may be uploaded "
            "at once.",
            rule="row_limit",
        )
    return frame, ROW_OFFSET


def sniff(head: bytes, filename: str) -> None:
    """Refuse at once a file whose name or first bytes show it cannot be a sales file.

    A quick look at the first few kilobytes, for the moment of upload; read_upload makes
    every check again on the whole file.
    """
    name = PurePath(filename or "").name or "the file"
    extension = PurePath(name).suffix.lower()
    if extension not in (".csv", ".xlsx"):
        raise FileRejected(
            f"'{name}' is not a .csv or .xlsx file: upload the sales lines as CSV (UTF-8) "
            "or as an Excel workbook (.xlsx).",
            rule="file_type",
        )
    if not head:
        raise FileRejected(f"'{name}' is empty (0 bytes).", rule="no_lines")
    if extension == ".xlsx":
        if head.startswith(_OLE2_MAGIC):
            raise FileRejected(
                f"'{name}' is an old-style Excel file (.xls) or a password-protected workbook. "
                "Save it as an .xlsx workbook without a password and upload that.",
                rule="file_type",
            )
        if not head.startswith((_ZIP_MAGIC, _EMPTY_ZIP_MAGIC)):
            raise FileRejected(
                f"'{name}' is not an Excel workbook: an .xlsx file is a zip archive, and this "
                f"one does not start like one (first bytes {head[:4].hex(' ').upper()}).",
                rule="file_type",
            )
        return
    body = head[len(_UTF8_BOM) :] if head.startswith(_UTF8_BOM) else head
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(body, final=False)  # a character cut at the end of the head is fine
        clean = b"\x00" not in body
    except UnicodeDecodeError:
        clean = False
    if not clean:
        _require_text(body, name, offset_base=len(head) - len(body))


def _size(count: int) -> str:
    return f"{count / MiB:,.1f} MB" if count >= MiB else f"{count:,} bytes"


# --- CSV -------------------------------------------------------------------------------------


def _read_csv(data: bytes, name: str) -> pd.DataFrame:
    """The whole file as strings, header included as row 0, columns numbered from 0."""
    body, delimiter = _csv_layout(data, name)
    try:
        table = pd.read_csv(io.BytesIO(body), **_csv_options(delimiter))
    except pd.errors.ParserError as error:
        found = _PANDAS_FIELD_COUNT.search(str(error))
        if found:
            expected, line, saw = found.groups()
            raise FileRejected(
                f"Line {line} of '{name}' has {saw} cells but the header has {expected}. "
                f"A '{delimiter}' inside a value (a buyer name, say) must be enclosed in "
                'double quotes: "Sharma, Rao & Co".'
            ) from None
        raise FileRejected(f"'{name}' is not a readable CSV file: {error}") from None
    except pd.errors.EmptyDataError:
        raise FileRejected(f"'{name}' holds no header row.", rule="no_lines") from None
    return table


def _csv_options(delimiter: str) -> dict:
    """How pandas reads a sales file: every cell as the text given, nothing guessed."""
    return {
        "sep": delimiter,
        "header": None,
        "dtype": str,
        "keep_default_na": False,
        "na_filter": False,
        "skip_blank_lines": False,
        "encoding": "utf-8",
        "engine": "c",
        "quotechar": '"',
        "doublequote": True,
        "index_col": False,
    }


def _csv_layout(data: bytes, name: str, *, checked: bool = False) -> tuple[bytes, str]:
    """The CSV text after any BOM, checked to be text (unless `checked`), and its delimiter."""
    body = data[len(_UTF8_BOM) :] if data.startswith(_UTF8_BOM) else data
    if not checked:
        _require_text(body, name, offset_base=len(data) - len(body))
    end = body.find(b"\n")
    header_line = (body if end < 0 else body[:end]).rstrip(b"\r").decode("utf-8")
    if not header_line.strip():
        raise FileRejected(f"The first line of '{name}' is blank: it must be the header row.")
    if "\t" in header_line and "," not in header_line and ";" not in header_line:
        raise FileRejected(
            f"'{name}' is separated by tabs. Save the sheet as 'CSV UTF-8 (comma delimited)' "
            "and upload that."
        )
    return body, _sniff_delimiter(header_line)


def _require_text(body: bytes, name: str, *, offset_base: int) -> None:
    """Refuse binary content, naming the first byte that cannot be CSV text."""
    nul = body.find(b"\x00")
    try:
        # Decoding only to find the first bad byte; the text is dropped straight away.
        body.decode("utf-8")
        bad = None
    except UnicodeDecodeError as error:
        bad = error.start
    if nul >= 0 and (bad is None or nul < bad):
        offset, reason = nul, "is a NUL byte (0x00), which text never contains"
    elif bad is not None:
        offset, reason = bad, f"(0x{body[bad]:02X}) is not valid UTF-8"
    else:
        return
    kind = next((what for magic, what in _KNOWN_SIGNATURES if body.startswith(magic)), None)
    looks = f" It looks like {kind}." if kind else ""
    raise FileRejected(
        f"'{name}' is not CSV text: the byte at offset {offset + offset_base} {reason}.{looks} "
        "Save the sheet as 'CSV UTF-8 (comma delimited)' and upload that.",
        rule="file_type",
    )


def _sniff_delimiter(header_line: str) -> str:
    """Comma or semicolon: whichever splits the header into more known column names."""

    def known(delimiter: str) -> int:
        return sum(
            header_key(part.strip().strip('"')) in COLUMN_BY_HEADER_KEY
            for part in header_line.split(delimiter)
        )

    comma, semicolon = known(","), known(";")
    if semicolon > comma or (
        semicolon == comma and header_line.count(";") > header_line.count(",")
    ):
        return ";"
    return ","


# --- XLSX ------------------------------------------------------------------------------------


def _read_xlsx(
    data: bytes,
    name: str,
    *,
    max_rows: int,
    max_uncompressed_bytes: int,
    max_compression_ratio: int,
) -> pd.DataFrame:
    _require_workbook_container(
        data,
        name,
        max_uncompressed_bytes=max_uncompressed_bytes,
        max_compression_ratio=max_compression_ratio,
    )
    try:
        with warnings.catch_warnings():
            # openpyxl warns about features it drops (extensions, styles); values are unaffected.
            warnings.simplefilter("ignore")
            workbook = load_workbook(
                io.BytesIO(data), read_only=True, data_only=False, keep_links=False
            )
    except Exception as error:
        raise FileRejected(
            f"'{name}' could not be opened as an Excel workbook ({type(error).__name__}). "
            "Open it in Excel, save it again as .xlsx, and upload that."
        ) from None
    try:
        return _sheet_table(workbook, name, max_rows=max_rows)
    except FileRejected:
        raise
    except Exception as error:
        raise FileRejected(
            f"'{name}' could not be read ({type(error).__name__}: {error}). "
            "Open it in Excel, save it again as .xlsx, and upload that."
        ) from None
    finally:
        workbook.close()


def _require_workbook_container(
    data: bytes, name: str, *, max_uncompressed_bytes: int, max_compression_ratio: int
) -> None:
    """Check the zip directory before anything is decompressed, then the OOXML content types."""
    if data.startswith(_OLE2_MAGIC):
        raise FileRejected(
            f"'{name}' is an old-style Excel file (.xls) or a password-protected workbook. "
            "Save it as an .xlsx workbook without a password and upload that.",
            rule="file_type",
        )
    if not data.startswith((_ZIP_MAGIC, _EMPTY_ZIP_MAGIC)):
        try:
            data[:4096].decode("utf-8")
            hint = " It looks like text: if it is CSV, name it .csv."
        except UnicodeDecodeError:
            hint = ""
        raise FileRejected(
            f"'{name}' is not an Excel workbook: an .xlsx file is a zip archive, and this "
            f"one does not start like one (first bytes {data[:4].hex(' ').upper()}).{hint}",
            rule="file_type",
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise FileRejected(
            f"'{name}' is not a readable Excel workbook: its zip structure is damaged."
        ) from None
    with archive:
        entries = archive.infolist()
        if len(entries) > _MAX_ZIP_ENTRIES:
            raise FileRejected(
                f"'{name}' holds {len(entries):,} parts; an Excel workbook of sales lines has a few dozen.",
                rule="zip_bomb",
            )
        # Sizes come from the central directory, so nothing is inflated to judge them;
        # Python's zipfile then stops any entry at its declared size (and fails its CRC),
        # so a directory that understates a size cannot smuggle more bytes through.
        total = sum(entry.file_size for entry in entries)
        if total > max_uncompressed_bytes:
            raise FileRejected(
                f"'{name}' would unpack to {_size(total)}; the limit is "
                f"{_size(max_uncompressed_bytes)}. Split the claim or upload it as CSV.",
                rule="zip_bomb",
            )
        compressed = sum(entry.compress_size for entry in entries)
        for entry in entries:
            ratio = entry.file_size / max(entry.compress_size, 1)
            if entry.file_size >= _RATIO_FLOOR_BYTES and ratio > max_compression_ratio:
                raise FileRejected(
                    f"'{name}' was refused unopened: its part '{entry.filename}' would unpack "
                    f"from {_size(entry.compress_size)} to {_size(entry.file_size)} "
                    f"({ratio:,.0f} times; at most {max_compression_ratio} is accepted). "
                    "Files built to expand like this are a known attack.",
                    rule="zip_bomb",
                )
        if total >= _RATIO_FLOOR_BYTES and total / max(compressed, 1) > max_compression_ratio:
            raise FileRejected(
                f"'{name}' was refused unopened: it would unpack from {_size(compressed)} to "
                f"{_size(total)} ({total / max(compressed, 1):,.0f} times; at most "
                f"{max_compression_ratio} is accepted).",
                rule="zip_bomb",
            )
        try:
            info = archive.getinfo("[Content_Types].xml")
        except KeyError:
            info = None
        if info is None or info.file_size > _MAX_CONTENT_TYPES_BYTES:
            raise FileRejected(
                f"'{name}' is a zip archive but not an Excel workbook (it has no Office "
                "content types). Upload the sales lines as .xlsx or .csv.",
                rule="file_type",
            )
        try:
            content_types = archive.read(info)
        except (zipfile.BadZipFile, OSError, RuntimeError, ValueError, NotImplementedError):
            raise FileRejected(
                f"'{name}' is not a readable Excel workbook: its zip structure is damaged."
            ) from None
    if _MACRO_CONTENT_TYPE in content_types:
        raise FileRejected(
            f"'{name}' is a macro-enabled workbook. Save it as a plain Excel workbook "
            "(.xlsx) and upload that.",
            rule="file_type",
        )
    if _SHEET_CONTENT_TYPE not in content_types:
        raise FileRejected(
            f"'{name}' is an Office file but not an Excel workbook (it may be a Word or "
            "PowerPoint file renamed). Upload the sales lines as .xlsx or .csv.",
            rule="file_type",
        )


def _sheet_table(workbook, name: str, *, max_rows: int) -> pd.DataFrame:
    """The first worksheet as strings, header included as row 0; index = sheet row - 1."""
    if not workbook.worksheets:
        raise FileRejected(f"'{name}' has no worksheet.")
    sheet = workbook.worksheets[0]
    # The stored dimensions may be missing or wrong (deliberately, even); reading without
    # them visits every row and cell the sheet really holds.
    sheet.reset_dimensions()
    rows: list[list[str]] = []
    labels: list[int] = []
    data_rows = 0
    for sheet_row, cells in enumerate(sheet.iter_rows(), start=1):
        values = []
        for cell in cells:
            if cell.data_type == "f":
                raise FileRejected(
                    f"Sheet '{sheet.title}' cell {cell.coordinate} holds a formula "
                    f"({_shorten(str(cell.value))}). Formulas are not accepted: paste the "
                    "sheet as values only (Paste Special > Values) and upload again.",
                    rule="formula",
                )
            values.append(_cell_text(cell.value))
        if sheet_row > 1 and not any(text.strip() for text in values):
            continue
        if sheet_row > 1:
            data_rows += 1
            if data_rows > max_rows:
                raise FileRejected(
                    f"'{name}' has more than {max_rows:,} sales lines; at most {max_rows:,} "
                    "may be uploaded at once.",
                    rule="row_limit",
                )
        rows.append(values)
        labels.append(sheet_row - 1)
    if not rows:
        raise FileRejected(
            f"Sheet '{sheet.title}' of '{name}' is empty: row 1 must be the header.",
            rule="no_lines",
        )
    width = max(len(row) for row in rows)
    columns = {
        position: [row[position] if position < len(row) else "" for row in rows]
        for position in range(width)
    }
    return pd.DataFrame(columns, index=pd.Index(labels, dtype="int64"), dtype=object)


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _cell_text(value: object) -> str:
    """A cell's value as the text the firm sees, without rounding anything."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # repr is the shortest text that reads back as the same double, so a cell typed
        # as 0.1 reads "0.1"; Decimal then writes 1e+16 as plain digits.
        return format(Decimal(repr(value)), "f")
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


# --- header ----------------------------------------------------------------------------------


def _apply_header(table: pd.DataFrame, name: str) -> pd.DataFrame:
    """Match row 0 against the dictionary; return the data rows under the dictionary's names."""
    header = [str(value) for value in table.iloc[0].tolist()]
    body = table.iloc[1:]
    found = _match_header(header, body, name)
    return _named_lines(body, found)


def _match_header(header: list[str], body: pd.DataFrame, name: str) -> dict[str, int]:
    """Each dictionary column's position in the header, or FileRejected; `body` holds data rows."""
    found: dict[str, int] = {}
    unknown: list[str] = []
    duplicated: list[str] = []
    for position, text in enumerate(header):
        key = header_key(text)
        if not key:
            # A nameless column is harmless when empty (Excel often leaves a few).
            if (body[body.columns[position]].str.strip() != "").any():
                unknown.append(
                    f"an unnamed column {get_column_letter(position + 1)} holding values"
                )
            continue
        if key == header_key(ANNOTATION_COLUMN):
            continue  # the portal's own notes on a refused file, handed back to be fixed
        column = COLUMN_BY_HEADER_KEY.get(key)
        if column is None:
            unknown.append(f"'{text.strip()}'")
        elif column.name in found:
            duplicated.append(column.name)
        else:
            found[column.name] = position
    missing = [
        column.name for column in COLUMNS if column.header_required and column.name not in found
    ]
    if missing or unknown or duplicated:
        problems = []
        if missing:
            problems.append("missing required columns: " + ", ".join(missing))
        if unknown:
            problems.append("unknown columns: " + ", ".join(unknown))
        if duplicated:
            problems.append("columns given twice: " + ", ".join(duplicated))
        raise FileRejected(
            f"The header row of '{name}' does not match the sales-claim template: "
            + "; ".join(problems)
            + ". Headers are matched ignoring case, spaces and underscores; the expected "
            "columns are " + ", ".join(HEADER) + ".",
            rule="columns",
        )
    return found


def _named_lines(body: pd.DataFrame, found: dict[str, int]) -> pd.DataFrame:
    """The data rows under the dictionary's names, labelled from 0, wholly blank rows dropped."""
    frame = pd.DataFrame(
        {
            column.name: (
                body[body.columns[found[column.name]]]
                if column.name in found
                else pd.Series("", index=body.index, dtype=object)
            )
            for column in COLUMNS
        },
        index=body.index,
    )
    frame.index = frame.index - 1  # sheet/record row 2 becomes label 0
    return _drop_blank_rows(frame)


def _drop_blank_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop rows whose every cell is blank or spaces, keeping the other rows' labels."""
    if frame.empty:
        return frame
    # Only a row whose invoice number is blank or spaces can be blank throughout (rare):
    # the other cells are looked at only there.
    numbers = frame["invoice_number"]
    if pd.api.types.infer_dtype(numbers, skipna=False) == "string":
        stripped = text_ops.stripped(numbers).to_numpy()  # all text, as a CSV's cells are
    else:
        stripped = numbers.str.strip().to_numpy()
    candidates = frame.index[stripped == ""]
    if not len(candidates):
        return frame
    subset = frame.loc[candidates]
    spaces = pd.Series(True, index=candidates)
    for name in HEADER:
        spaces &= subset[name].str.strip() == ""
    if spaces.any():
        frame = frame.loc[~frame.index.isin(candidates[spaces.to_numpy()])]
    return frame
