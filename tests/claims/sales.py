"""Builders for sales claims: the commissioned award they are made on, invoice lines, files of them,
and an upload checked at once, as the worker would."""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile

from bidding.models import Award
from incentives.claims import services
from incentives.ingest.columns import HEADER
from tests.factories import AwardFactory

IST = ZoneInfo("Asia/Kolkata")
COMMISSIONED_ON = dt.date(2027, 5, 10)
Q1_START = COMMISSIONED_ON  # the first, partial period: 10 May to 30 Jun 2027
Q2_START = dt.date(2027, 7, 1)
# Inside each period's window (the quarter has ended, 90 days have not passed).
AFTER_Q1 = dt.datetime(2027, 7, 10, 11, 0, tzinfo=IST)
AFTER_Q2 = dt.datetime(2027, 10, 8, 11, 0, tzinfo=IST)
BUYER_GSTIN = "27AAPFU0939F1ZV"


def sales_award(**fields) -> Award:
    """An award of 15 Apr 2026 whose plant Pune-1 was commissioned on 10 May 2027 (early:
    gestation runs to 2028); `fields` go to AwardFactory."""
    return AwardFactory(
        commissioned=True, plant__name="Pune-1", plant__commissioned_on=COMMISSIONED_ON, **fields
    )


def line(number: int, day: dt.date, **changes) -> dict:
    """One valid invoice line of 100.5 kg at Rs 5,000/kg."""
    values = {
        "invoice_number": f"INV/{day:%y%m}/{number:05d}",
        "invoice_date": day.isoformat(),
        "buyer_name": "Bharat Motors Ltd",
        "buyer_gstin": BUYER_GSTIN,
        "export_country": "",
        "hsn_code": "85051110",
        "magnet_grade": "N42SH",
        "quantity_kg": "100.500",
        "net_sales_value": "502500.00",
        "credit_note_ref": "",
        "related_party": "N",
        "plant": "Pune-1",
    }
    values.update(changes)
    return values


def lines_for(start: dt.date, count: int = 5, *, first: int = 1) -> list[dict]:
    return [line(first + n, start + dt.timedelta(days=n % 20)) for n in range(count)]


def csv_bytes(
    records: list[dict], *, delimiter: str = ",", bom: bool = False, header=HEADER
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    for record in records:
        writer.writerow([record.get(name, "") for name in header])
    return ("\ufeff" if bom else "").encode() + buffer.getvalue().encode("utf-8")


def uploaded(data: bytes, name: str = "sales.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


def submit(award, user, data: bytes, *, period_start=Q1_START, now=AFTER_Q1, name="sales.csv"):
    """Upload and process at once, as the worker would; returns the upload, refreshed."""
    received = services.receive_upload(
        actor=user, award=award, period_start=period_start, upload=uploaded(data, name),
        now=now, enqueue=False,
    )  # fmt: skip
    services.process_upload(upload_id=received.upload.pk, now=now)
    received.upload.refresh_from_db()
    return received.upload
