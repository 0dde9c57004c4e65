"""Builders for capital subsidy claims: investment ledgers as files, their lines, the CA certificate."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import pdf_bytes

IST = ZoneInfo("Asia/Kolkata")
NOW = dt.datetime(2028, 9, 1, 11, 0, tzinfo=IST)
HEADER = ["item", "head", "vendor", "invoice_number", "invoice_date", "amount"]
PDF_BYTES = pdf_bytes("CA certificate")
CRORE = Decimal(10_000_000)


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
