"""Reading sales-claim uploads: encodings, headers, refused files, XLSX cells and the templates."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import openpyxl
import pandas as pd
import pytest

from incentives.ingest import reading
from incentives.ingest.columns import (
    COLUMNS,
    HEADER,
    RELATED_PARTY_NO,
    RELATED_PARTY_YES,
    header_key,
    template_csv,
    template_xlsx,
)
from incentives.ingest.reading import read_upload
from incentives.ingest.validate import validate
from tests.claims.ingest_lines import (
    BUYER_GSTIN,
    CONTEXT,
    VALID_LINES,
    excel_datetime,
    lines,
    make_csv,
    make_xlsx,
    rejection,
    reported,
)

# --- reading: encodings, delimiters, headers -------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({}, id="utf8"),
        pytest.param({"bom": True}, id="utf8-bom"),
        pytest.param({"delimiter": ";"}, id="semicolon"),
        pytest.param({"delimiter": ";", "bom": True}, id="semicolon-bom"),
        pytest.param({"newline": "\n"}, id="lf"),
    ],
)
def test_encoding_and_delimiter_variants_read_the_same(options):
    baseline, _ = read_upload(make_csv(VALID_LINES), "claim.csv")
    frame, offset = read_upload(make_csv(VALID_LINES, **options), "claim.csv")

    pd.testing.assert_frame_equal(frame, baseline)
    assert offset == 2
    assert list(frame.columns) == list(HEADER)
    assert frame.loc[0, "invoice_number"] == "INV/27-28/0001"  # no BOM left on the first cell


def test_values_are_read_as_text_untouched():
    records = lines(
        (0, "hsn_code", "085051110"),
        (0, "quantity_kg", " 1250.500 "),
        (1, "buyer_name", "NA"),
        (2, "buyer_name", "null"),
    )
    frame, _ = read_upload(make_csv(records), "claim.csv")

    assert frame.loc[0, "hsn_code"] == "085051110"
    assert frame.loc[0, "quantity_kg"] == " 1250.500 "
    assert frame.loc[1, "buyer_name"] == "NA"
    assert frame.loc[2, "buyer_name"] == "null"
    assert all(frame[name].map(type).eq(str).all() for name in frame.columns)


def test_unicode_text_survives():
    records = lines((0, "buyer_name", "भारत मोटर्स — Müller & Söhne, “Ltd”"))
    frame, _ = read_upload(make_csv(records, delimiter=";"), "claim.csv")
    assert frame.loc[0, "buyer_name"] == "भारत मोटर्स — Müller & Söhne, “Ltd”"


def test_headers_match_ignoring_case_and_spaces():
    header = [" Invoice Number", "INVOICE_DATE", "Buyer name", "buyer-gstin", *HEADER[4:]]
    data = make_csv(
        [{h: VALID_LINES[0][name] for h, name in zip(header, HEADER, strict=True)}],
        header=header,
    )
    frame, _ = read_upload(data, "claim.csv")
    assert list(frame.columns) == list(HEADER)
    assert frame.loc[0, "buyer_gstin"] == BUYER_GSTIN


def test_missing_and_unknown_columns_are_named_in_one_message():
    header = [name for name in HEADER if name not in ("invoice_date", "plant")]
    header += ["Invoice Dt", "GST No"]
    message = rejection(make_csv(VALID_LINES, header=header), "claim.csv")

    assert message == (
        "The header row of 'claim.csv' does not match the sales-claim template: missing required "
        "columns: invoice_date, plant; unknown columns: 'Invoice Dt', 'GST No'. Headers are "
        "matched ignoring case, spaces and underscores; the expected columns are "
        + ", ".join(HEADER)
        + "."
    )


def test_a_column_given_twice_is_refused():
    header = [*HEADER, "Plant"]
    message = rejection(make_csv(VALID_LINES, header=header), "claim.csv")
    assert "columns given twice: plant" in message


def test_optional_columns_may_be_left_out():
    header = [name for name in HEADER if name not in ("export_country", "credit_note_ref")]
    frame, _ = read_upload(make_csv([VALID_LINES[0]], header=header), "claim.csv")

    assert list(frame.columns) == list(HEADER)
    assert frame.loc[0, "export_country"] == ""
    assert validate(frame, CONTEXT).ok


def test_blank_lines_are_skipped_but_row_numbers_stay_true():
    data = make_csv(lines((2, "plant", ""))).replace(b"\r\nCN/", b"\r\n\r\n,,,,,,,,,,,\r\n CN/", 1)
    frame, _ = read_upload(data, "claim.csv")

    assert len(frame) == 3
    result = validate(frame, CONTEXT)
    assert reported(result) == [
        {"row": 6, "column": "plant", "value": "", "rule": "required_value"}
    ]


def test_empty_trailing_column_is_ignored_but_a_nameless_one_with_values_is_not():
    data = make_csv(VALID_LINES).replace(b"\r\n", b",\r\n")
    frame, _ = read_upload(data, "claim.csv")
    assert list(frame.columns) == list(HEADER)

    data = (
        make_csv(VALID_LINES).replace(b"Pune-1\r\n", b"Pune-1,x\r\n").replace(b"plant", b"plant,")
    )
    assert "an unnamed column M holding values" in rejection(data, "claim.csv")


def test_a_tab_separated_file_is_refused_with_a_hint():
    data = make_csv(VALID_LINES, delimiter="\t")
    assert rejection(data, "claim.csv") == (
        "'claim.csv' is separated by tabs. Save the sheet as 'CSV UTF-8 (comma delimited)' and "
        "upload that."
    )


def test_a_line_with_too_many_cells_is_named():
    data = make_csv(VALID_LINES).replace(b"Sakura Magnetics KK", b"Sakura, Magnetics KK")
    message = rejection(data, "claim.csv")
    assert message.startswith("Line 3 of 'claim.csv' has 13 cells but the header has 12.")


# --- reading: what is refused ----------------------------------------------------------------


@pytest.mark.parametrize("filename", ["claim.csv", "claim.xlsx"])
def test_an_empty_file_is_refused(filename):
    assert rejection(b"", filename) == f"'{filename}' is empty (0 bytes)."


def test_a_header_without_lines_is_refused():
    assert rejection(template_csv(), "claim.csv") == (
        "'claim.csv' has a header row but no sales lines below it."
    )


def test_other_extensions_are_refused():
    message = rejection(make_csv(VALID_LINES), "claim.txt")
    assert message.startswith("'claim.txt' is not a .csv or .xlsx file")


def test_a_png_named_csv_is_refused_at_its_first_byte():
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
    message = rejection(png, "claim.csv")
    assert message == (
        "'claim.csv' is not CSV text: the byte at offset 0 (0x89) is not valid UTF-8. It looks "
        "like a PNG image. Save the sheet as 'CSV UTF-8 (comma delimited)' and upload that."
    )


def test_a_nul_byte_in_csv_is_named_by_offset():
    data = make_csv(VALID_LINES)
    position = data.index(b"Sakura")
    data = data[:position] + b"\x00" + data[position + 1 :]
    message = rejection(data, "claim.csv")
    assert f"the byte at offset {position} is a NUL byte (0x00)" in message


def test_latin1_csv_is_refused_at_the_first_bad_byte_counting_the_bom():
    data = make_csv(lines((1, "buyer_name", "Müller")), bom=True)
    data = data.replace("ü".encode(), b"\xfc")
    offset = data.index(b"\xfc")
    message = rejection(data, "claim.csv")
    assert f"the byte at offset {offset} (0xFC) is not valid UTF-8" in message


def test_an_xlsx_named_csv_is_refused():
    message = rejection(make_xlsx([list(HEADER)]), "claim.csv")
    assert "It looks like a zip archive, such as an .xlsx workbook." in message


def test_a_csv_named_xlsx_is_refused():
    message = rejection(make_csv(VALID_LINES), "claim.xlsx")
    assert message == (
        "'claim.xlsx' is not an Excel workbook: an .xlsx file is a zip archive, and this one "
        "does not start like one (first bytes 69 6E 76 6F). It looks like text: if it is CSV, "
        "name it .csv."
    )


def test_an_old_xls_or_encrypted_workbook_is_refused():
    message = rejection(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), "claim.xlsx")
    assert "old-style Excel file (.xls) or a password-protected workbook" in message


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_a_zip_that_is_not_a_workbook_is_refused():
    docx = _zip(
        {
            "[Content_Types].xml": b'<Types><Override ContentType="application/vnd.openxmlformats-'
            b'officedocument.wordprocessingml.document.main+xml"/></Types>'
        }
    )
    assert "not an Excel workbook (it may be a Word" in rejection(docx, "claim.xlsx")
    assert "no Office content types" in rejection(_zip({"a.txt": b"hello"}), "claim.xlsx")


def test_a_macro_enabled_workbook_is_refused():
    xlsm = _zip(
        {
            "[Content_Types].xml": b'<Types><Override ContentType="application/vnd.ms-excel.sheet'
            b'.macroEnabled.main+xml"/></Types>'
        }
    )
    assert "macro-enabled workbook" in rejection(xlsm, "claim.xlsx")


def test_a_zip_bomb_is_refused_before_anything_is_decompressed(monkeypatch):
    bomb = _zip(
        {
            "[Content_Types].xml": b"<Types/>",
            "xl/worksheets/sheet1.xml": b"<c>" + b"0" * (40 * 1024 * 1024) + b"</c>",
        }
    )
    assert len(bomb) < 100_000

    def refuse(*args, **kwargs):
        raise AssertionError("the archive was decompressed")

    monkeypatch.setattr(zipfile.ZipFile, "open", refuse)
    monkeypatch.setattr(reading, "load_workbook", refuse)
    message = rejection(bomb, "claim.xlsx")

    assert message.startswith(
        "'claim.xlsx' was refused unopened: its part 'xl/worksheets/sheet1.xml' would unpack from"
    )
    assert "at most 100 is accepted" in message


def test_a_workbook_too_big_unpacked_is_refused_before_decompression(monkeypatch):
    workbook = make_xlsx([list(HEADER), list(VALID_LINES[0].values())])
    monkeypatch.setattr(reading, "load_workbook", lambda *a, **k: pytest.fail("opened"))
    message = rejection(workbook, "claim.xlsx", max_uncompressed_bytes=1000)
    assert "would unpack to" in message and "the limit is 1,000 bytes" in message


def test_a_formula_is_refused_with_its_cell():
    rows = [list(HEADER), list(VALID_LINES[0].values()), list(VALID_LINES[1].values())]
    rows[2][7] = "=100*3"  # quantity_kg of the second line: cell H3
    message = rejection(make_xlsx(rows), "claim.xlsx")
    assert message == (
        "Sheet 'Sheet' cell H3 holds a formula (=100*3). Formulas are not accepted: paste the "
        "sheet as values only (Paste Special > Values) and upload again."
    )


def test_size_and_row_limits_are_parameters():
    data = make_csv(VALID_LINES)
    assert rejection(data, "claim.csv", max_bytes=100) == (
        f"'claim.csv' is {len(data):,} bytes; the limit for one upload is 100 bytes."
    )
    assert rejection(data, "claim.csv", max_rows=2) == (
        "'claim.csv' has 3 sales lines; at most 2 may be uploaded at once."
    )
    workbook = make_xlsx([list(HEADER)] + [list(line.values()) for line in VALID_LINES])
    assert "more than 2 sales lines" in rejection(workbook, "claim.xlsx", max_rows=2)


# --- XLSX -----------------------------------------------------------------------------------


def test_xlsx_typed_cells_read_as_the_text_the_firm_sees():
    line = dict(VALID_LINES[0])
    row = [line[name] for name in HEADER]
    row[HEADER.index("invoice_date")] = excel_datetime(2027, 4, 5)
    row[HEADER.index("hsn_code")] = 85051110
    row[HEADER.index("quantity_kg")] = 0.1
    row[HEADER.index("net_sales_value")] = 12345678.9
    row[HEADER.index("related_party")] = False
    frame, offset = read_upload(make_xlsx([list(HEADER), row]), "claim.xlsx")

    assert offset == 2
    assert frame.loc[0, "invoice_date"] == "2027-04-05"
    assert frame.loc[0, "hsn_code"] == "85051110"
    assert frame.loc[0, "quantity_kg"] == "0.1"
    assert frame.loc[0, "net_sales_value"] == "12345678.9"
    assert frame.loc[0, "related_party"] == "FALSE"
    result = validate(frame, CONTEXT)
    assert result.ok, reported(result)
    assert result.clean["quantity_g"].tolist() == [100]
    assert result.clean["net_sales_value_paise"].tolist() == [1_234_567_890]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (0.1, "0.1"),
        (1e16, "10000000000000000"),
        (1.5e-05, "0.000015"),
        (85051110, "85051110"),
        (True, "TRUE"),
        (excel_datetime(2027, 4, 5), "2027-04-05"),
        (excel_datetime(2027, 4, 5, 10, 30), "2027-04-05 10:30:00"),
        (dt.time(10, 30), "10:30:00"),
    ],
)
def test_xlsx_cell_values_become_text_without_rounding(value, text):
    assert reading._cell_text(value) == text


def test_xlsx_blank_rows_are_skipped_and_rows_keep_their_sheet_numbers():
    rows = [list(HEADER), list(VALID_LINES[0].values()), [None] * 12, list(VALID_LINES[1].values())]
    rows[3][HEADER.index("plant")] = None
    frame, _ = read_upload(make_xlsx(rows), "claim.xlsx")

    assert frame.index.tolist() == [0, 2]
    result = validate(frame, CONTEXT)
    assert reported(result) == [
        {"row": 4, "column": "plant", "value": "", "rule": "required_value"}
    ]


def test_a_filled_in_xlsx_template_validates():
    workbook = openpyxl.load_workbook(io.BytesIO(template_xlsx()))
    sheet = workbook["Sales lines"]
    for line in VALID_LINES:
        sheet.append([line[name] for name in HEADER])
    buffer = io.BytesIO()
    workbook.save(buffer)

    frame, _ = read_upload(buffer.getvalue(), "claim.xlsx")
    assert validate(frame, CONTEXT).ok


# --- templates and the dictionary -----------------------------------------------------------


def test_the_dictionary_describes_every_column_once():
    assert [column.name for column in COLUMNS] == [
        "invoice_number",
        "invoice_date",
        "buyer_name",
        "buyer_gstin",
        "export_country",
        "hsn_code",
        "magnet_grade",
        "quantity_kg",
        "net_sales_value",
        "credit_note_ref",
        "related_party",
        "plant",
    ]
    for column in COLUMNS:
        assert column.label and column.type and column.format and column.description
        assert column.example, column.name
    assert len({header_key(column.name) for column in COLUMNS}) == len(COLUMNS)
    assert not RELATED_PARTY_YES & RELATED_PARTY_NO


def test_the_templates_carry_the_header():
    assert template_csv() == ("\ufeff" + ",".join(HEADER) + "\r\n").encode()
    workbook = openpyxl.load_workbook(io.BytesIO(template_xlsx()))
    assert workbook.sheetnames == ["Sales lines", "Column dictionary"]
    assert [cell.value for cell in workbook["Sales lines"][1]] == list(HEADER)
    dictionary = list(workbook["Column dictionary"].values)
    assert [row[0] for row in dictionary[1:]] == list(HEADER)
