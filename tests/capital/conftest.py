"""Fixtures for capital subsidy tests: media in a temporary folder, commissioned awards, ledgers as files."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from incentives.gestation.models import Plant
from tests.awards import make_award

IST = ZoneInfo("Asia/Kolkata")
NOW = dt.datetime(2028, 9, 1, 11, 0, tzinfo=IST)
HEADER = ["item", "head", "vendor", "invoice_number", "invoice_date", "amount"]
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def private_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def commissioned_award(
    *, allocated_mtpa: int = 1200, commissioned_on: dt.date | None = dt.date(2028, 5, 2), **kwargs
):
    """An award with its plant, commissioned on `commissioned_on` (None: still in gestation)."""
    award = make_award(allocated_mtpa=allocated_mtpa, **kwargs)
    start = award.awarded_at.date()
    Plant.objects.create(
        award=award,
        name=f"Plant of {award.bid.firm.legal_name}",
        gestation_starts_on=start,
        gestation_ends_on=start.replace(year=start.year + 2),
        commissioned_on=commissioned_on,
        commissioned_mtpa=allocated_mtpa if commissioned_on else None,
        created_at=award.awarded_at,
    )
    return award


def firm_user(award):
    return award.bid.firm.users.first()


def ledger_csv(rows, header=HEADER, name: str = "ledger.csv") -> SimpleUploadedFile:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode("utf-8"), content_type="text/csv")


def certificate(name: str = "ca-certificate.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


CRORE = Decimal(10_000_000)


def line(
    amount_crore="100",
    *,
    item="Sintering furnace",
    head="plant and machinery",
    vendor="Shanti Thermal",
    invoice=None,
    date="2027-03-14",
):
    """One ledger row; the amount in crore, written in rupees; a fresh invoice number each call."""
    line.counter += 1
    rupees = Decimal(str(amount_crore)) * CRORE
    return [item, head, vendor, invoice or f"INV-{line.counter:05d}", date, f"{rupees:.2f}"]


line.counter = 0


@pytest.fixture
def award(rules):
    return commissioned_award()
