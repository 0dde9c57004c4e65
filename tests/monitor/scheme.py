"""Builders for the monitor's tests. A small scheme: three awards (commissioned, under construction, no plant
yet), quarters of sales claims through the real workflow (one paid, one sanctioned and unpaid, one
verified with a line excluded), and a guarantee expiring soon."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from bidding.models import Award, PerformanceBankGuarantee
from incentives import services as money_services
from incentives.claims import services as claim_services
from incentives.claims.models import Claim
from incentives.models import SanctionLetter
from repm_portal.roles import Role
from tests.claims.sales import IST, sales_award
from tests.factories import AwardFactory, PlantFactory, UserFactory
from tests.sli.money import Q1, Q2, Q3, after, quarter_claim, sanction, walk

S = Claim.Status
# The monitor's date in these tests: Q3 FY 2027-28 verified, Q2's letter unpaid past 30 days.
AS_OF = dt.date(2028, 1, 25)
MOMENT = dt.datetime(2028, 1, 25, 12, 0, tzinfo=IST)
GUARANTEE_BANK = "Monitor Test Bank of Pune"
GUARANTEE_NUMBER = "PBG-MON-000417"
QUOTED_RATE = Decimal("1987.65")  # the commissioned award's rate: never on the public page
UTR = "SBIN028011500417"


@dataclass
class Scheme:
    commissioned: Award
    building: Award
    no_plant: Award
    paid: SanctionLetter
    unpaid: SanctionLetter
    verified: Claim
    official: object


def build_scheme() -> Scheme:
    """Needs the rule set, a media folder and a private cache (the `scheme` fixture gives them)."""
    official = UserFactory(role=Role.OFFICIAL, username="monitor_official")
    approver = UserFactory(role=Role.APPROVER, username="monitor_approver")
    commissioned = sales_award(quoted_rate=QUOTED_RATE)
    building = AwardFactory(allocated_mtpa=600, quoted_rate=Decimal("2010.00"))
    PlantFactory(award=building)
    no_plant = AwardFactory(allocated_mtpa=800, quoted_rate=Decimal("2100.00"))

    paid = sanction(quarter_claim(commissioned, Q1), approver, now=after(Q1[1], 15), render=True)
    money_services.record_payment(
        actor=official, letter=paid, amount=paid.payable, paid_on=paid.dated + dt.timedelta(days=10),
        utr=UTR, now=dt.datetime.combine(paid.dated + dt.timedelta(days=10), dt.time(15), tzinfo=IST),
    )  # fmt: skip
    unpaid = sanction(quarter_claim(commissioned, Q2), approver, now=after(Q2[1], 15))

    verified = quarter_claim(commissioned, Q3)
    walk(verified, S.UNDER_VERIFICATION, now=after(Q3[1], 12))
    verifier = Claim.objects.get(pk=verified.pk).verification_started_by
    claim_services.adjust_line(
        actor=verifier, claim=Claim.objects.get(pk=verified.pk), row=2, kind="exclude",
        reason="Invoice not in the GST returns.", now=after(Q3[1], 13),
    )  # fmt: skip
    # The excluded line leaves 402 kg sold against the oxide declared for 502.5 kg: the verifier
    # accepts the feedstock mismatch with its reason (the stock is sold next quarter).
    claim_services.verify_claim(
        actor=verifier, claim=Claim.objects.get(pk=verified.pk), now=after(Q3[1], 14),
        feedstock_note="The excluded invoice's magnets were made from this oxide and are still in stock.",
    )  # fmt: skip
    verified = Claim.objects.get(pk=verified.pk)

    PerformanceBankGuarantee.objects.create(
        award=commissioned, amount=Decimal("600000000.00"), bank_name=GUARANTEE_BANK,
        guarantee_number=GUARANTEE_NUMBER, issued_on=dt.date(2026, 5, 1),
        valid_until=AS_OF + dt.timedelta(days=40), recorded_by=official,
        recorded_at=dt.datetime(2026, 5, 2, 11, 0, tzinfo=IST),
    )  # fmt: skip
    return Scheme(
        commissioned=commissioned,
        building=building,
        no_plant=no_plant,
        paid=SanctionLetter.objects.get(pk=paid.pk),
        unpaid=SanctionLetter.objects.get(pk=unpaid.pk),
        verified=verified,
        official=official,
    )
