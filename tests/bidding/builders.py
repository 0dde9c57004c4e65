"""Builders for bidding tests: a tender on a fixed timeline, bidders and bids, via the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile

from beneficiaries.models import Consortium, ConsortiumMember
from bidding import services
from bidding.models import Bid, BidVersion, Criterion, MemberOpeningKey, Stage, Tender
from repm_portal.money import crore
from repm_portal.roles import Role
from tests.factories import FirmFactory, FirmUserFactory, UserFactory, pdf_bytes

IST = ZoneInfo("Asia/Kolkata")
T0 = dt.datetime(2026, 1, 5, 10, 0, tzinfo=IST)
PDF_BYTES = pdf_bytes("Bid document")


def timeline(start: dt.datetime = T0) -> dict[str, dt.datetime]:
    return {
        "queries_due": start + dt.timedelta(days=10),
        "prebid_meeting_at": start + dt.timedelta(days=12),
        "replies_due": start + dt.timedelta(days=15),
        "bids_due": start + dt.timedelta(days=30, hours=7),
        "technical_opening_at": start + dt.timedelta(days=31, hours=1),
        "financial_opening_at": start + dt.timedelta(days=45, hours=1),
    }


TL = timeline()
BEFORE_DUE = TL["bids_due"] - dt.timedelta(days=1)
AFTER_DUE = TL["bids_due"] + dt.timedelta(minutes=1)
TECH_TIME = TL["technical_opening_at"] + dt.timedelta(minutes=5)
FIN_TIME = TL["financial_opening_at"] + dt.timedelta(minutes=5)


# Every test committee member's opening-key passphrase (a cheap Scrypt cost in test settings).
PASSPHRASE = "committee-opening-passphrase"


def give_opening_keys(users, passphrase: str = PASSPHRASE) -> None:
    """Each user sets up their own opening key, as on their 'Opening key' page."""
    for user in users:
        if not MemberOpeningKey.objects.filter(user=user).exists():
            services.set_up_opening_key(
                actor=user, passphrase=passphrase, passphrase_again=passphrase, now=T0
            )


def pdf(name: str = "document.pdf", salt: str = "") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, pdf_bytes(f"Bid document {salt}".strip()), content_type="application/pdf"
    )


class Staff:
    """The ministry people a tender needs."""

    def __init__(self) -> None:
        self.official = UserFactory(role=Role.OFFICIAL, username="t_official")
        self.official2 = UserFactory(role=Role.OFFICIAL, username="t_official2")
        self.evaluator = UserFactory(role=Role.EVALUATOR, username="t_evaluator")
        self.evaluator2 = UserFactory(role=Role.EVALUATOR, username="t_evaluator2")
        self.approver = UserFactory(role=Role.APPROVER, username="t_approver")
        self.auditor = UserFactory(role=Role.AUDITOR, username="t_auditor")
        self.admin = UserFactory(
            role=Role.ADMIN, username="t_admin", is_staff=True, is_superuser=True
        )
        self.committee = [self.official2, self.evaluator2, self.approver]


def make_tender(
    staff: Staff,
    *,
    reference: str = "MHI/REPM/GTE/2026/01",
    capacity_mtpa: int = 6000,
    slots: int = 5,
    kind: str = Tender.Kind.MAIN,
    parent: Tender | None = None,
    publish: bool = True,
    now: dt.datetime = T0,
) -> Tender:
    tender = services.create_tender(
        actor=staff.official,
        reference=reference,
        title="Sintered NdFeB magnet manufacturing capacity",
        description="Global Tender Enquiry under the REPM scheme.",
        kind=kind,
        parent=parent,
        capacity_mtpa=capacity_mtpa,
        slots=slots,
        timeline=timeline(now),
        prebid_meeting_place="Udyog Bhawan, New Delhi",
        committee=staff.committee,
        documents=[("Request for proposal", pdf("rfp.pdf", reference))],
        now=now,
    )
    give_opening_keys(staff.committee)
    if publish:
        services.publish_tender(
            actor=staff.official, tender=tender, now=now + dt.timedelta(hours=1)
        )
        tender.refresh_from_db()
    return tender


def make_bidder(name: str | None = None):
    firm = FirmFactory(legal_name=name) if name else FirmFactory()
    return FirmUserFactory(firm=firm)


def make_consortium(lead_user, partner_firm, lead_pct: str = "74") -> Consortium:
    """A consortium every partner has accepted (formed), ready to bid."""
    consortium = Consortium.objects.create(
        name=f"{lead_user.firm.legal_name} Consortium",
        lead=lead_user.firm,
        status=Consortium.Status.FORMED,
    )
    accepted = ConsortiumMember.Status.ACCEPTED
    ConsortiumMember.objects.create(
        consortium=consortium, firm=lead_user.firm, equity_pct=Decimal(lead_pct), status=accepted
    )
    ConsortiumMember.objects.create(
        consortium=consortium,
        firm=partner_firm,
        equity_pct=Decimal(100) - Decimal(lead_pct),
        status=accepted,
    )
    return consortium


def submit(
    user,
    tender: Tender,
    *,
    capacity: int = 1000,
    rate: str = "1987.43",
    net_worth_crore: int = 400,
    partial: bool = False,
    consortium: Consortium | None = None,
    now: dt.datetime = BEFORE_DUE,
    documents: bool = True,
) -> BidVersion:
    return services.submit_bid(
        actor=user,
        tender=tender,
        capacity_mtpa=capacity,
        accepts_partial=partial,
        net_worth=crore(net_worth_crore),
        net_worth_as_of=dt.date(2025, 3, 31),
        quoted_rate=rate,
        consortium=consortium,
        dpr=pdf("dpr.pdf", f"dpr-{user.pk}-{capacity}") if documents else None,
        eligibility_documents=[pdf("eligibility.pdf", f"elig-{user.pk}")] if documents else [],
        now=now,
    )


def open_stage(tender: Tender, staff: Staff, stage: str, now: dt.datetime):
    secret = PASSPHRASE if stage == Stage.FINANCIAL else ""
    services.confirm_opening(
        actor=staff.committee[0], tender=tender, stage=stage, passphrase=secret, now=now
    )
    opening = services.confirm_opening(
        actor=staff.committee[1],
        tender=tender,
        stage=stage,
        passphrase=secret,
        now=now + dt.timedelta(minutes=1),
    )
    tender.refresh_from_db()
    return opening


def all_pass(reason: str = "Meets the RFP requirement.") -> dict[str, tuple[bool, str]]:
    return dict.fromkeys(Criterion.values, (True, reason))


def evaluate(tender: Tender, staff: Staff, *, fail: dict[int, str] | None = None, now=TECH_TIME):
    fail = fail or {}
    for bid in tender.bids.filter(status=Bid.Status.SUBMITTED).order_by("pk"):
        results = all_pass()
        if bid.pk in fail:
            results[Criterion.DPR] = (False, fail[bid.pk])
        evaluation = services.record_evaluation(
            actor=staff.evaluator, bid=bid, results=results, now=now + dt.timedelta(hours=2)
        )
        services.approve_evaluation(
            actor=staff.evaluator2, evaluation=evaluation, now=now + dt.timedelta(hours=3)
        )
    tender.refresh_from_db()


def run_to_financial(tender: Tender, staff: Staff, *, fail: dict[int, str] | None = None):
    open_stage(tender, staff, Stage.TECHNICAL, TECH_TIME)
    evaluate(tender, staff, fail=fail)
    return open_stage(tender, staff, Stage.FINANCIAL, FIN_TIME)


def bid_post(**overrides):
    """The bid form's fields as a firm posts them, with `overrides`."""
    data = {
        "consortium": "",
        "capacity_mtpa": "1000",
        "accepts_partial": "on",
        "net_worth_crore": "400",
        "net_worth_as_of": "2025-03-31",
        "quoted_rate": "1987.43",
        "dpr": pdf("dpr.pdf", "page"),
        "eligibility_documents": [pdf("e1.pdf", "1"), pdf("e2.pdf", "2")],
    }
    data.update(overrides)
    return data


def rebuild_tender_key(tender: Tender, members, passphrase: str = PASSPHRASE):
    """What k members could do together: unlock their shares and rebuild the tender's key."""
    from bidding import threshold
    from bidding.services.opening_keys import SHARE_CONTEXT, current_key, locked, share_aad

    opening_key = current_key(tender)
    shares = []
    for member in members:
        private = threshold.unlock_member_key(
            member.pk, locked(MemberOpeningKey.objects.get(user=member)), passphrase
        )
        share = opening_key.shares.get(member=member)
        shares.append(
            threshold.parse_share(
                threshold.hpke_open(
                    private,
                    bytes(share.sealed_share),
                    context=SHARE_CONTEXT,
                    aad=share_aad(tender, opening_key.generation, member.pk),
                )
            )
        )
    return threshold.tender_private_key(threshold.combine_shares(shares), tender.reference)
