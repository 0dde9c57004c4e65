"""Fixtures for gestation tests: uploads in a temporary media folder, an award with its plant."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from bidding import services as bidding_services
from incentives.gestation import services
from repm_portal.roles import Role
from tests.awards import make_award
from tests.factories import FirmUserFactory, UserFactory

IST = ZoneInfo("Asia/Kolkata")
# Awarded 15 Feb 2026: gestation ends 15 Feb 2028, so the first days of delay cross 29 Feb 2028.
AWARDED_AT = dt.datetime(2026, 2, 15, 11, 0, tzinfo=IST)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def at(day: dt.date, hour: int = 11) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=IST)


def pdf(name: str = "certificate.pdf", extra: bytes = b"") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF + extra, content_type="application/pdf")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def private_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture
def people(users):
    """The ministry's people, plus a second verifier and approver for maker-checker cases."""
    return {
        **users,
        "verifier2": UserFactory(role=Role.VERIFIER, username="the_verifier2"),
        "approver2": UserFactory(role=Role.APPROVER, username="the_approver2"),
    }


@pytest.fixture
def award(rules):
    return make_award(allocated_mtpa=800, awarded_at=AWARDED_AT)


@pytest.fixture
def firm_user(award):
    return award.bid.firm.users.order_by("pk").first()


@pytest.fixture
def other_firm_user(db):
    return FirmUserFactory(username="someone_else")


@pytest.fixture
def guarantee(award, people):
    return bidding_services.record_pbg(
        actor=people[Role.OFFICIAL],
        award=award,
        amount=Decimal("400000000.00"),
        bank_name="Canara Bank",
        guarantee_number="CNRB/PBG/1",
        issued_on=dt.date(2026, 3, 1),
        valid_until=award.pbg_valid_until_required,
        now=at(dt.date(2026, 3, 2)),
    )


@pytest.fixture
def plant(award, people):
    return services.open_gestation(
        actor=people[Role.OFFICIAL], award=award, now=at(dt.date(2026, 3, 1))
    )


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
