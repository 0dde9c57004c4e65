"""Builders for gestation tests: IST moments, evidence files, a milestone walked through maker-checker."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile

from incentives.gestation import services
from tests.factories import pdf_bytes, png_bytes

IST = ZoneInfo("Asia/Kolkata")
# Awarded 15 Feb 2026: gestation ends 15 Feb 2028, so the first days of delay cross 29 Feb 2028.
AWARDED_AT = dt.datetime(2026, 2, 15, 11, 0, tzinfo=IST)
PDF = pdf_bytes("Milestone certificate")
PNG = png_bytes()


def at(day: dt.date, hour: int = 11) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=IST)


def pdf(name: str = "certificate.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def walk(milestone, *, firm_user, verifier, approver, actual_on, when, mtpa=None):
    """One milestone through the firm, the verifier and the approver."""
    services.submit_milestone(
        actor=firm_user, milestone=milestone, actual_on=actual_on, files=[pdf()],
        commissioned_mtpa=mtpa, now=when,
    )  # fmt: skip
    services.verify_milestone(actor=verifier, milestone=milestone, now=when + dt.timedelta(days=1))
    return services.accept_milestone(
        actor=approver, milestone=milestone, now=when + dt.timedelta(days=2)
    )
