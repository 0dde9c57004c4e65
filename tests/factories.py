"""factory_boy factories: people per role, firms with valid Indian KYC, and the rows after bidding.

Tenders, bids and awards here are real rows without the tender flow (tests of the flow itself
drive the services: tests/bidding/builders.py); an award comes with its tender, bid, sole
participant, firm user, bank account and rule set, as an award from the flow does.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import factory

from beneficiaries.models import BankAccount, Firm, User
from beneficiaries.validators import gstin_check_character
from bidding.models import Award, Bid, BidParticipant, Tender
from incentives.gestation.models import Plant
from repm_portal.models import RuleSet
from repm_portal.money import crore
from repm_portal.roles import Role

IST = ZoneInfo("Asia/Kolkata")
AWARDED_AT = dt.datetime(2026, 4, 15, 11, 0, tzinfo=IST)

PASSWORD = "correct-horse-battery-staple"


def pan_for(n: int) -> str:
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    a, b = letters[n % 24], letters[(n // 24) % 24]
    return f"AA{a}C{b}{n % 10000:04d}F"


def gstin_for(pan: str, state: str = "27") -> str:
    body = f"{state}{pan}1Z"
    return body + gstin_check_character(body)


class FirmFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Firm

    legal_name = factory.Sequence(lambda n: f"Magnet Firm {n} Limited")
    country = "IN"
    pan = factory.Sequence(pan_for)
    gstin = factory.LazyAttribute(lambda o: gstin_for(o.pan))
    cin = factory.Sequence(lambda n: f"U27100MH2024PLC{n % 1000000:06d}")
    registered_address = "Plot 1, MIDC, Pune"
    signatory_name = "A. Signatory"
    signatory_designation = "Director"
    signatory_email = factory.Sequence(lambda n: f"director{n}@firm.example.in")
    signatory_phone = "+91 20 1234 5678"


class ForeignFirmFactory(FirmFactory):
    country = "JP"
    pan = ""
    gstin = ""
    cin = ""
    foreign_registration_number = factory.Sequence(lambda n: f"JP-{n:08d}")


class BankAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BankAccount

    firm = factory.SubFactory(FirmFactory)
    account_holder = factory.LazyAttribute(lambda o: o.firm.legal_name)
    account_number = factory.Sequence(lambda n: f"{100000000 + n}")
    ifsc = "SBIN0000300"
    bank_name = "State Bank of India"
    branch = "Pune"
    # A payout account as the ministry leaves it: verified and in use.
    status = BankAccount.Status.VERIFIED
    is_primary = True


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.in")
    role = Role.OFFICIAL
    firm = None
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class FirmUserFactory(UserFactory):
    role = Role.FIRM_USER
    firm = factory.SubFactory(FirmFactory)


def _days(n: int):
    """A tender date `n` days after the tender was created (opened for queries)."""
    return factory.LazyAttribute(lambda o: o.created_at + dt.timedelta(days=n))


class TenderFactory(factory.django.DjangoModelFactory):
    """A tender already awarded on `awarded_at`, its timeline run in the 90 days before."""

    class Meta:
        model = Tender

    reference = factory.Sequence(lambda n: f"TEST/REPM/{n + 1:04d}")
    title = "Sintered NdFeB magnet manufacturing capacity"
    rule_set = factory.LazyFunction(lambda: RuleSet.objects.order_by("-version").first())
    capacity_mtpa = 6000
    slots = 5
    oxide_mtpa = Decimal("500.000")
    status = Tender.Status.AWARDED
    awarded_at = AWARDED_AT
    created_at = factory.LazyAttribute(lambda o: o.awarded_at - dt.timedelta(days=90))
    created_by = factory.SubFactory(UserFactory, role=Role.OFFICIAL)
    published_at = factory.SelfAttribute("created_at")
    queries_due = factory.SelfAttribute("created_at")
    prebid_meeting_at = _days(2)
    replies_due = _days(5)
    bids_due = _days(30)
    technical_opening_at = _days(31)
    technical_opened_at = _days(31)
    technical_evaluated_at = _days(40)
    financial_opening_at = _days(45)
    financial_opened_at = _days(45)


class BidParticipantFactory(factory.django.DjangoModelFactory):
    """A firm in a bid; pass `bid`. A consortium member unless told otherwise."""

    class Meta:
        model = BidParticipant

    tender = factory.SelfAttribute("bid.tender")
    firm = factory.SubFactory(FirmFactory)
    role = BidParticipant.Role.MEMBER
    equity_pct = None


class BidFactory(factory.django.DjangoModelFactory):
    """A winning bid by one firm alone, which is its sole participant."""

    class Meta:
        model = Bid
        skip_postgeneration_save = True

    tender = factory.SubFactory(TenderFactory)
    firm = factory.SubFactory(FirmFactory)
    status = Bid.Status.AWARDED
    created_at = factory.SelfAttribute("tender.created_at")
    participant = factory.RelatedFactory(
        BidParticipantFactory,
        factory_related_name="bid",
        firm=factory.SelfAttribute("..firm"),
        role=BidParticipant.Role.SOLE,
    )


class AwardFactory(factory.django.DjangoModelFactory):
    """An award of `allocated_mtpa` at `quoted_rate`, each on a tender of its own unless `tender`
    is given; its firm (`firm`, new by default) gets a firm user and a bank account if it has none.
    `commissioned=True` adds a plant commissioned at the full allocation (`plant__...` to adjust).
    """

    class Meta:
        model = Award
        skip_postgeneration_save = True

    class Params:
        firm = factory.SubFactory(FirmFactory)
        commissioned = factory.Trait(
            plant=factory.RelatedFactory(
                "tests.factories.PlantFactory", factory_related_name="award", commissioned=True
            )
        )

    awarded_at = AWARDED_AT
    tender = factory.SubFactory(TenderFactory, awarded_at=factory.SelfAttribute("..awarded_at"))
    bid = factory.SubFactory(
        BidFactory, tender=factory.SelfAttribute("..tender"), firm=factory.SelfAttribute("..firm")
    )
    rank = factory.LazyAttribute(lambda o: o.tender.awards.count() + 1)
    quoted_rate = Decimal("2150.00")
    allocated_mtpa = 1200
    is_partial = False
    oxide_mtpa = Decimal("100.000")
    rule_set = factory.SelfAttribute("tender.rule_set")
    awarded_by = factory.SelfAttribute("tender.created_by")
    pbg_amount_required = factory.LazyAttribute(
        lambda o: o.rule_set.pbg_per_100_mtpa * o.allocated_mtpa / 100 or crore(1)
    )
    pbg_valid_until_required = factory.LazyAttribute(
        lambda o: (o.awarded_at + dt.timedelta(days=365 * 8)).date()
    )

    @factory.post_generation
    def firm_people(obj, create, extracted, **kwargs):
        firm = obj.bid.firm
        if create and not firm.users.exists():
            FirmUserFactory(firm=firm)
        if create and not firm.bank_accounts.exists():
            BankAccountFactory(firm=firm)


class PlantFactory(factory.django.DjangoModelFactory):
    """The plant of an award, in gestation for two years from the award date.

    `commissioned=True`: commissioned at the award's full allocation, on the last day of gestation
    unless `commissioned_on` says otherwise.
    """

    class Meta:
        model = Plant

    class Params:
        commissioned = factory.Trait(
            commissioned_on=factory.SelfAttribute("gestation_ends_on"),
            commissioned_mtpa=factory.SelfAttribute("award.allocated_mtpa"),
        )

    award = factory.SubFactory(AwardFactory)
    name = factory.LazyAttribute(lambda o: f"Plant of {o.award.bid.firm.legal_name}")
    gestation_starts_on = factory.LazyAttribute(lambda o: o.award.awarded_at.date())
    gestation_ends_on = factory.LazyAttribute(
        lambda o: o.gestation_starts_on.replace(year=o.gestation_starts_on.year + 2)
    )
    commissioned_on = None
    commissioned_mtpa = None
    created_at = factory.SelfAttribute("award.awarded_at")


def pdf_bytes(text: str = "Bank letter") -> bytes:
    from repm_portal.pdf import plain_pdf

    return plain_pdf(text)


def pdf_upload(name: str = "document.pdf", text: str = "Bank letter"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, pdf_bytes(text), content_type="application/pdf")


def png_bytes(width: int = 4, height: int = 4) -> bytes:
    """A real PNG (uploads are opened with Pillow, so fake magic bytes are refused)."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (90, 110, 130)).save(out, "PNG")
    return out.getvalue()
