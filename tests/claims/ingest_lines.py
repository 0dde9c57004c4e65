"""The valid lines every sales-claim ingestion test starts from, and helpers that upload them."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest

from incentives.ingest.columns import HEADER
from incentives.ingest.reading import ROW_OFFSET, FileRejected, read_upload
from incentives.ingest.validate import ValidationContext, validate

FIRM_GSTIN = "29AAGCB7383J1Z4"
BUYER_GSTIN = "27AAPFU0939F1ZV"
OTHER_BUYER_GSTIN = "33AACCM9093R1ZP"
PRIOR_INVOICE = "OLD/26-27/0001"

CONTEXT = ValidationContext(
    period_start=dt.date(2027, 4, 1),
    period_end=dt.date(2027, 6, 30),
    unit_value_min=Decimal("1000.00"),
    unit_value_max=Decimal("20000.00"),
    firm_gstin=FIRM_GSTIN,
    registered_plant="Pune-1",
    prior_invoice_numbers=frozenset({PRIOR_INVOICE}),
)

# Three lines that break no rule: a domestic invoice, an export, and a credit note
# reversing part of the first. Each rule test changes one cell (or adds one line).
VALID_LINES = [
    {
        "invoice_number": "INV/27-28/0001",
        "invoice_date": "2027-04-05",
        "buyer_name": "Bharat Motors Ltd",
        "buyer_gstin": BUYER_GSTIN,
        "export_country": "",
        "hsn_code": "85051110",
        "magnet_grade": "N52",
        "quantity_kg": "1250.500",
        "net_sales_value": "6252500.00",
        "credit_note_ref": "",
        "related_party": "N",
        "plant": "Pune-1",
    },
    {
        "invoice_number": "INV/27-28/0002",
        "invoice_date": "15/05/2027",
        "buyer_name": "Sakura Magnetics KK",
        "buyer_gstin": "",
        "export_country": "JP",
        "hsn_code": "8505 11 90",
        "magnet_grade": "N42SH",
        "quantity_kg": "300",
        "net_sales_value": "1650000",
        "credit_note_ref": "",
        "related_party": "N",
        "plant": "Pune-1",
    },
    {
        "invoice_number": "CN/27-28/0001",
        "invoice_date": "20-06-2027",
        "buyer_name": "Bharat Motors Ltd",
        "buyer_gstin": BUYER_GSTIN,
        "export_country": "",
        "hsn_code": "85051110",
        "magnet_grade": "N52",
        "quantity_kg": "-50.5",
        "net_sales_value": "-252500.00",
        "credit_note_ref": "INV/27-28/0001",
        "related_party": "N",
        "plant": "Pune-1",
    },
]


def lines(*changes: tuple[int, str, str], extra: list[dict] | None = None) -> list[dict]:
    """The valid lines with (line index, column, new text) changes applied, plus extra lines."""
    result = [dict(line) for line in VALID_LINES]
    for index, column, value in changes:
        result[index][column] = value
    return result + [dict(line) for line in (extra or [])]


def make_csv(
    records: list[dict],
    *,
    delimiter: str = ",",
    bom: bool = False,
    header: list[str] | None = None,
    newline: str = "\r\n",
) -> bytes:
    names = header or list(HEADER)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline)
    writer.writerow(names)
    for record in records:
        writer.writerow([record.get(name, "") for name in names])
    return ("\ufeff" if bom else "").encode() + buffer.getvalue().encode("utf-8")


def excel_datetime(*parts: int) -> dt.datetime:
    """A spreadsheet date-time cell's value: Excel stores no time zone."""
    return dt.datetime(*parts)  # noqa: DTZ001


def make_xlsx(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def check(records: list[dict], context: ValidationContext = CONTEXT, **options):
    frame, offset = read_upload(make_csv(records, **options), "claim.csv")
    assert offset == ROW_OFFSET == 2
    return validate(frame, context)


def reported(result) -> list[dict]:
    return result.errors[["row", "column", "value", "rule"]].to_dict("records")


def rejection(data: bytes, filename: str, **limits) -> str:
    with pytest.raises(FileRejected) as caught:
        read_upload(data, filename, **limits)
    return caught.value.message
