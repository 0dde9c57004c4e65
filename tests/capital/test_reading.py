"""Reading and checking a ledger file: every structural error by row, column, value and rule."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from incentives.capital import columns, reading
from incentives.capital.reading import LedgerRejected

TODAY = dt.date(2028, 9, 1)
FROM = dt.date(2025, 4, 1)
HEADER = "item,head,vendor,invoice_number,invoice_date,amount\n"


def check(text: str | bytes, name: str = "ledger.csv"):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return reading.check_ledger(reading.read_ledger(data, name), today=TODAY, eligible_from=FROM)


def rejected(data: bytes, name: str) -> list[reading.RowError]:
    with pytest.raises(LedgerRejected) as caught:
        check(data, name)
    return caught.value.errors


def xlsx(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_a_good_csv_reads_every_layout_and_grouping():
    lines, errors = check(
        HEADER
        + 'Furnace,Plant & Machinery,Shanti,A/1,2027-03-14,"12,45,00,000.00"\n'
        + "Licence,technology transfer,Tokyo Magnet,TT-9,14/03/2027,1234567.5\n"
        + 'Lab press,R&D,Lab Co,B2,3-7-2026,"1,234,567"\n'
    )

    assert errors == []
    assert lines.index.tolist() == [2, 3, 4]
    assert lines["head"].tolist() == ["plant_machinery", "technology_transfer", "rnd"]
    assert lines["amount"].tolist() == [
        Decimal("124500000.00"),
        Decimal("1234567.5"),
        Decimal("1234567"),
    ]
    assert lines["invoice_date"].tolist() == [
        dt.date(2027, 3, 14),
        dt.date(2027, 3, 14),
        dt.date(2026, 7, 3),
    ]


def test_headers_match_in_any_order_case_and_spacing_and_blank_rows_are_skipped():
    lines, errors = check(
        "Amount;Invoice Date;INVOICE-NUMBER;Vendor;Head;Item\n"
        "100;2027-01-01;X1;V;other;Land\n"
        ";;;;;\n"
        "200;2027-01-02;X2;V;other;Road\n"
    )

    assert errors == []
    assert lines.index.tolist() == [2, 4]  # row 3 was blank; rows keep their file numbers


def test_a_good_xlsx_reads_dates_and_numbers_as_typed():
    data = xlsx(
        [
            list(columns.HEADER),
            [
                "Furnace",
                "plant and machinery",
                "Shanti",
                "A1",
                dt.datetime(2027, 3, 14),  # noqa: DTZ001 - Excel dates carry no zone
                124500000.25,
            ],
        ]
    )
    lines, errors = check(data, "ledger.xlsx")

    assert errors == []
    assert lines.iloc[0]["invoice_date"] == dt.date(2027, 3, 14)
    assert lines.iloc[0]["amount"] == Decimal("124500000.25")


def test_wrong_columns_are_named_and_nothing_is_read():
    errors = rejected(
        b"item,category,vendor,invoice,invoice_date,amount\nA,B,C,D,2027-01-01,5\n", "l.csv"
    )
    rules = {(e.rule, e.column) for e in errors}

    assert ("unknown_column", "category") in rules
    assert ("missing_column", "head") in rules
    assert ("missing_column", "invoice_number") in rules
    assert all(e.row == 1 for e in errors)


def test_a_column_given_twice_is_an_error():
    errors = rejected((HEADER.strip() + ",Amount\nA,other,V,1,2027-01-01,5,6\n").encode(), "l.csv")

    assert any(e.rule == "column_twice" and e.column == "amount" for e in errors)


@pytest.mark.parametrize(
    ("amount", "rule"),
    [
        ("-500", "negative"),
        ("(500)", "negative"),
        ("0", "zero"),
        ("0.00", "zero"),
        ("12.345", "decimals"),
        ("five lakh", "not_a_number"),
        ("1e6", "not_a_number"),
        ("1,2,3", "not_a_number"),
        ("9999999999999", "too_large"),
    ],
)
def test_a_bad_amount_is_an_error_at_its_row_and_column(amount, rule):
    _, errors = check(HEADER + f'Furnace,other,V,1,2027-01-01,"{amount}"\n')

    assert [(e.row, e.column, e.value, e.rule) for e in errors] == [(2, "amount", amount, rule)]


@pytest.mark.parametrize(
    ("date", "rule"),
    [
        ("2027-02-30", "bad_date"),
        ("02/30/2027", "bad_date"),  # month first is never read
        ("14 March 2027", "bad_date"),
        ("2028-09-02", "future_date"),  # the day after the upload
        ("2015-03-31", "implausible_date"),  # more than ten years before 1 Apr 2025
    ],
)
def test_a_date_outside_range_or_unreadable_is_an_error(date, rule):
    _, errors = check(HEADER + f"Furnace,other,V,1,{date},5\n")

    assert [(e.row, e.column, e.rule) for e in errors] == [(2, "invoice_date", rule)]


def test_the_upload_day_and_an_old_but_plausible_date_are_read():
    lines, errors = check(HEADER + "A,other,V,1,2028-09-01,5\nB,other,V,2,2015-04-01,5\n")

    assert errors == []
    assert len(lines) == 2


def test_every_error_of_every_row_is_reported_in_row_order():
    _, errors = check(
        HEADER
        + ",machines,V,1,2027-01-01,-5\nOK,other,V,2,2027-01-01,5\n"
        + "X,other,,3,2030-01-01,abc\n"
    )

    assert [(e.row, e.column, e.rule) for e in errors] == [
        (2, "item", "required"),
        (2, "head", "unknown_head"),
        (2, "amount", "negative"),
        (4, "vendor", "required"),
        (4, "invoice_date", "future_date"),
        (4, "amount", "not_a_number"),
    ]


def test_a_zero_byte_file_is_refused():
    errors = rejected(b"", "ledger.csv")

    assert errors[0].rule == "file" and "empty (0 bytes)" in errors[0].message


def test_a_renamed_binary_is_refused_by_its_content():
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    as_csv = rejected(png, "ledger.csv")
    as_xlsx = rejected(b"%PDF-1.4 not a workbook", "ledger.xlsx")

    assert "It looks like a PNG image" in as_csv[0].message
    assert "is not an Excel workbook" in as_xlsx[0].message


def test_a_word_file_renamed_xlsx_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            "<Types><Override ContentType='application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml'/></Types>",
        )
    errors = rejected(buffer.getvalue(), "ledger.xlsx")

    assert "not an Excel workbook" in errors[0].message
    assert "sales" not in errors[0].message  # the ledger's own words, not the sales claim's


def test_a_formula_in_a_workbook_is_refused():
    data = xlsx([list(columns.HEADER), ["A", "other", "V", "1", "2027-01-01", "=1+1"]])

    errors = rejected(data, "ledger.xlsx")

    assert "formula" in errors[0].message


def test_another_extension_is_refused():
    assert "not a .csv or .xlsx" in rejected(b"a,b", "ledger.txt")[0].message


def test_a_header_without_lines_is_refused():
    assert "no investment lines" in rejected(HEADER.encode(), "ledger.csv")[0].message


def test_duplicate_keys_ignore_case_and_spacing():
    lines, _ = check(
        HEADER
        + "A,other,Shanti  Thermal,inv 1,2027-01-01,5\nB,other,shanti thermal ,INV1,2027-01-01,5\n"
    )

    assert lines["duplicate_key"].nunique() == 1


def test_the_templates_read_back_as_the_dictionary():
    header_csv = columns.template_csv().decode("utf-8-sig").strip().split(",")
    sheet = load_workbook(io.BytesIO(columns.template_xlsx())).worksheets[0]

    assert header_csv == list(columns.HEADER)
    assert [cell.value for cell in sheet[1]] == list(columns.HEADER)
    assert "no investment lines" in rejected(columns.template_xlsx(), "t.xlsx")[0].message
