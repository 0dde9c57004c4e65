"""Builders for the sales claim's workflow: a certificate, a stand-in SLI claim kind, and a claim moved to a given status."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from incentives.claims import services
from incentives.claims.models import Claim
from repm_portal.roles import Role
from tests.claims.sales import AFTER_Q1, Q1_START, csv_bytes, lines_for, submit
from tests.factories import UserFactory, pdf_bytes

PDF_BYTES = pdf_bytes("CA certificate")
# Q1 FY 2027-28 ends 30 Jun 2027; its window closes 90 days later.
WINDOW_CLOSES = dt.date(2027, 9, 28)
SUBMITTED_AT = AFTER_Q1 + dt.timedelta(days=1)
STARTED_AT = SUBMITTED_AT + dt.timedelta(days=2)
VERIFIED_AT = STARTED_AT + dt.timedelta(days=10)
APPROVED_AT = VERIFIED_AT + dt.timedelta(days=3)
# Five lines of 100.5 kg at Rs 5,000 a kg (rows 2 to 6).
FILED_KG = "502.500"
FILED_VALUE = "2512500.00"


def certificate(data: bytes = PDF_BYTES, name: str = "ca-certificate.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def staff(role: str, **fields):
    return UserFactory(role=role, **fields)


def matching_feedstock(claim: Claim, kg: Decimal | None = None) -> list[dict]:
    """Rows of oxide that make exactly `kg` (the claim's filed kg) of magnet: 40 % IREL, 60 % from CN."""
    kg = claim.eligible_kg if kg is None else kg
    oxide = (kg / 1000 / claim.rule_set.magnet_per_tonne_oxide).quantize(Decimal("0.001"))
    irel = (oxide * Decimal("0.4")).quantize(Decimal("0.001"))
    return [
        {"source": "irel", "tonnes": irel},
        {"source": "imported", "country": "CN", "tonnes": oxide - irel},
    ]


def declare(claim: Claim, firm_user, *, kg: Decimal | None = None, now=None) -> Claim:
    """The firm declares oxide that matches `kg` of magnet (the claim's filed kg by default)."""
    services.declare_feedstock(
        actor=firm_user, claim=claim, rows=matching_feedstock(claim, kg),
        now=now or claim.updated_at,
    )  # fmt: skip
    return Claim.objects.get(pk=claim.pk)


def drafted(award, firm_user, *, count: int = 5, feedstock: bool = True) -> Claim:
    """A draft of `count` lines; with its feedstock declared (to match), unless told not to."""
    claim = submit(award, firm_user, csv_bytes(lines_for(Q1_START, count))).claim
    return declare(claim, firm_user) if feedstock else claim


def submitted(award, firm_user) -> Claim:
    claim = drafted(award, firm_user)
    return services.submit_claim(
        actor=firm_user, claim=claim, certificate=certificate(), declaration=True,
        now=SUBMITTED_AT,
    )  # fmt: skip


def under_verification(award, firm_user, verifier=None) -> Claim:
    claim = submitted(award, firm_user)
    verifier = verifier or staff(Role.VERIFIER)
    return services.start_verification(actor=verifier, claim=claim, now=STARTED_AT)


def verified(award, firm_user, verifier=None) -> Claim:
    verifier = verifier or staff(Role.VERIFIER)
    claim = under_verification(award, firm_user, verifier)
    return services.verify_claim(actor=verifier, claim=claim, now=VERIFIED_AT)


def lapsed(award, firm_user) -> Claim:
    claim = drafted(award, firm_user)
    services.lapse_overdue_claims(now=AFTER_Q1 + dt.timedelta(days=90))
    claim.refresh_from_db()
    assert claim.status == Claim.Status.LAPSED
    return claim
