"""Fixtures for sales-claim tests: a commissioned award, its firm user, files of valid lines."""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from beneficiaries.validators import gstin_check_character
from incentives.claims import services
from incentives.gestation.models import Plant
from incentives.ingest.columns import HEADER
from tests.awards import make_award

IST = ZoneInfo("Asia/Kolkata")
COMMISSIONED_ON = dt.date(2027, 5, 10)
Q1_START = COMMISSIONED_ON  # the first, partial period: 10 May to 30 Jun 2027
Q2_START = dt.date(2027, 7, 1)
Q3_START = dt.date(2027, 10, 1)
# Inside each period's window (the quarter has ended, 90 days have not passed).
AFTER_Q1 = dt.datetime(2027, 7, 10, 11, 0, tzinfo=IST)
AFTER_Q2 = dt.datetime(2027, 10, 8, 11, 0, tzinfo=IST)
AFTER_Q3 = dt.datetime(2028, 1, 9, 11, 0, tzinfo=IST)
BUYER_GSTIN = "27AAPFU0939F1ZV"
OTHER_BUYER_GSTIN = "33AACCM9093R1ZP"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def private_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def commission(award, *, on: dt.date = COMMISSIONED_ON) -> Plant:
    awarded = award.awarded_at.date()
    return Plant.objects.create(
        award=award,
        name="Pune-1",
        gestation_starts_on=awarded,
        gestation_ends_on=awarded.replace(year=awarded.year + 2),
        commissioned_on=on,
        commissioned_mtpa=award.allocated_mtpa,
        created_at=award.awarded_at,
    )


@pytest.fixture
def award(rules):
    """An award of 15 Apr 2026 whose plant was commissioned on 10 May 2027 (early: gestation runs to 2028)."""
    award = make_award()
    commission(award)
    return award


@pytest.fixture
def firm_user(award):
    return award.bid.firm.users.get()


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


def valid_gstin(state: str = "29", pan: str = "AABCT1234Q") -> str:
    head = f"{state}{pan}1Z"
    return head + gstin_check_character(head)
