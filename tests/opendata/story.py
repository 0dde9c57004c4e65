"""A tender walked from publication to a payment, one public step at a time, for the open-data tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from bidding import services as bidding_services
from bidding.models import Award, Stage, Tender
from incentives import sanctions
from incentives import services as money_services
from incentives.gestation import services as gestation_services
from incentives.models import Pool
from repm_portal.money import format_inr, to_money
from tests.bidding.builders import (
    FIN_TIME,
    IST,
    TECH_TIME,
    Staff,
    evaluate,
    make_bidder,
    make_consortium,
    make_tender,
    open_stage,
    submit,
)

AWARD_TIME = FIN_TIME + dt.timedelta(days=1)
LETTER_TIME = FIN_TIME + dt.timedelta(days=2)
GESTATION_TIME = FIN_TIME + dt.timedelta(days=3)
MILESTONE_DAY = dt.date(2026, 5, 4)
SANCTION_TIME = dt.datetime(2026, 6, 1, 11, 0, tzinfo=IST)
PAYMENT_TIME = dt.datetime(2026, 6, 10, 11, 0, tzinfo=IST)
RETENDER_TIME = dt.datetime(2026, 7, 1, 10, 0, tzinfo=IST)
RATES = ("1877.21", "1911.09", "1999.99")
from tests.factories import pdf_bytes  # noqa: E402

PDF = pdf_bytes("Title deed")


class Grants:
    """A claim kind of the tests' own in one pool: claim id -> (award, amount)."""

    def __init__(self, pool: str = Pool.SLI) -> None:
        self.pool = pool
        self.code = f"opendata_{pool}"
        self.claims: dict[str, tuple[Award, Decimal]] = {}

    def kind(self) -> sanctions.ClaimKind:
        return sanctions.ClaimKind(
            code=self.code, title="Test grant", title_hi="परीक्षण अनुदान", pool=self.pool,
            letter_prefix=f"REPM/OD{self.pool[:2].upper()}", compute=self.compute,
            on_result=lambda *args: None,
        )  # fmt: skip

    def compute(self, claim_id: str) -> sanctions.Computation:
        award, amount = self.claims[claim_id]
        return sanctions.Computation(
            award=award, rule_set=award.rule_set, amount=amount,
            lines=[sanctions.Line("Sanctioned", format_inr(amount))],
            subject=f"test grant {claim_id}", claim_ref=f"OD-{claim_id}",
        )  # fmt: skip

    def sanction(self, claim_id: str, award: Award, amount, *, approver, now):
        self.claims[claim_id] = (award, to_money(amount))
        with transaction.atomic():
            request = sanctions.request_sanction(
                claim_type=self.code, claim_id=claim_id, actor=approver, now=now
            )
        return sanctions.issue(request.pk, now=now)


class Story:
    """One tender, stepped on by the test; each step is a public event."""

    def __init__(self, staff: Staff, grants: Grants, users) -> None:
        self.staff, self.grants, self.users = staff, grants, users
        self.tender: Tender | None = None
        self.failing = None

    def publish(self) -> Tender:
        self.tender = make_tender(self.staff)
        return self.tender

    def bid_and_open(self) -> None:
        lead, partner = make_bidder("Lead Magnetics Limited"), make_bidder("Partner Sinter K.K.")
        consortium = make_consortium(lead, partner.firm)
        submit(lead, self.tender, capacity=1200, rate=RATES[0], consortium=consortium)
        submit(make_bidder("Second Magnets Limited"), self.tender, capacity=800, rate=RATES[1])
        self.failing = submit(
            make_bidder("Third Alloys Limited"), self.tender, capacity=600, rate=RATES[2]
        )
        open_stage(self.tender, self.staff, Stage.TECHNICAL, TECH_TIME)

    def evaluate_and_rank(self) -> None:
        evaluate(self.tender, self.staff, fail={self.failing.bid_id: "No DPR for the metal stage."})
        open_stage(self.tender, self.staff, Stage.FINANCIAL, FIN_TIME)

    def award(self) -> list[Award]:
        awards = bidding_services.award_tender(
            actor=self.staff.official, tender=self.tender, now=AWARD_TIME
        )
        self.tender.refresh_from_db()
        return awards

    def issue_letters(self) -> None:
        for award in self.tender.awards.select_related("letter").order_by("rank"):
            bidding_services.render_award_letter(letter_id=award.letter.pk, now=LETTER_TIME)

    @property
    def first_award(self) -> Award:
        return self.tender.awards.select_related("bid__firm").order_by("rank").first()

    def verify_a_milestone(self):
        award = self.first_award
        plant = gestation_services.open_gestation(
            actor=self.users["official"], award=award, now=GESTATION_TIME
        )
        milestone = plant.milestones.order_by("sequence").first()
        firm_user = award.bid.firm.users.order_by("pk").first()
        when = dt.datetime.combine(MILESTONE_DAY, dt.time(11), tzinfo=IST)
        gestation_services.submit_milestone(
            actor=firm_user, milestone=milestone, actual_on=MILESTONE_DAY,
            files=[SimpleUploadedFile("deed.pdf", PDF, content_type="application/pdf")],
            commissioned_mtpa=None, now=when,
        )  # fmt: skip
        return gestation_services.verify_milestone(
            actor=self.users["verifier"], milestone=milestone, now=when + dt.timedelta(days=1)
        )

    def pay(self, amount="25000000.00", utr="SBIN226161000001", *, grants=None, sanctioned=None):
        """Sanction `sanctioned` (default: `amount`) to the first award and pay `amount` of it."""
        letter = (grants or self.grants).sanction(
            f"q1-{utr}", self.first_award, sanctioned or amount, approver=self.users["approver"],
            now=SANCTION_TIME,
        )  # fmt: skip
        return money_services.record_payment(
            actor=self.users["official"], letter=letter, amount=to_money(amount),
            paid_on=dt.date(2026, 6, 9), utr=utr, now=PAYMENT_TIME,
        )  # fmt: skip

    def retender(self) -> Tender:
        return make_tender(
            self.staff, reference="MHI/REPM/GTE/2026/02", capacity_mtpa=1200, slots=1,
            kind=Tender.Kind.RETENDER, parent=self.tender, now=RETENDER_TIME,
        )  # fmt: skip
