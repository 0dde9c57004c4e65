"""Demo of the bidding phase, replayed in the past through the services (each takes `now`).

A main tender with eight bidders: a corrigendum, an answered query, a modified bid, one bidder
disqualified, a tie on rate broken by the rule set, two bids on the waitlist, five awards with
their Letters of Award and guarantees; and a re-tender of forfeited capacity open for bids today.
Idempotent: a tender that exists is left alone.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile
from django.utils import timezone

from beneficiaries import services as firm_services
from beneficiaries.demo import indian_firm
from beneficiaries.models import Consortium, User
from bidding import services
from bidding.models import AwardLetter, Bid, Criterion, MemberOpeningKey, Stage, Tender
from repm_portal import jobs
from repm_portal.money import crore
from repm_portal.pdf import render_pdf

IST = ZoneInfo("Asia/Kolkata")
MAIN_REFERENCE = "MHI/REPM/GTE/2026/01"
RETENDER_REFERENCE = "MHI/REPM/GTE/2026/02"
START = dt.datetime(2026, 6, 1, 10, 0, tzinfo=IST)
# Each demo committee member's opening-key passphrase (README, demo credentials): only with two
# of them does a financial opening rebuild the tender's key and open the sealed covers.
DEMO_OPENING_PASSPHRASES = {
    "official": "official-opening-key-2026",
    "approver": "approver-opening-key-2026",
    "evaluator2": "evaluator2-opening-key-2026",
}

# Five more Indian firms, registered the way any firm registers.
MORE_FIRMS = [
    (
        "Kaveri Magnetics Limited",
        "AAECK2468L",
        "U27100KA2022PLC161718",
        "29",
        "Bengaluru",
        "kaveri",
        "CNRB0000411",
        "41100200300",
    ),
    (
        "Vidarbha Rare Earth Industries Limited",
        "AAFCV1357N",
        "U24100MH2021PLC353535",
        "27",
        "Nagpur",
        "vidarbha",
        "BARB0NAGPUR",
        "52200300400",
    ),
    (
        "Ganga NdFeB Works Limited",
        "AAGCG8642P",
        "U27200UP2020PLC131313",
        "09",
        "Kanpur",
        "ganga",
        "PUNB0123400",
        "63300400500",
    ),
    (
        "Coromandel Sintered Alloys Limited",
        "AAHCC9753Q",
        "U27300TN2019PLC121212",
        "33",
        "Chennai",
        "coromandel",
        "IOBA0000123",
        "74400500600",
    ),
    (
        "Aravalli Magnet Technologies Limited",
        "AAJCA1122R",
        "U27100RJ2023PLC171717",
        "08",
        "Jaipur",
        "aravalli",
        "UBIN0531234",
        "85500600700",
    ),
]

# (username, bids through consortium?, capacity, rate, net worth crore, accepts partial)
MAIN_BIDS = [
    ("neomag", True, 1200, "1845.50", 420, False),
    ("bharatre", False, 1000, "1910.00", 330, False),
    (
        "deccan",
        False,
        800,
        "1910.00",
        260,
        False,
    ),  # ties with bharatre: larger capacity ranks first
    ("kaveri", False, 1200, "1962.75", 400, True),
    ("vidarbha", False, 1100, "1998.00", 380, False),
    ("ganga", False, 900, "2035.40", 315, True),
    ("coromandel", False, 700, "2080.00", 250, False),
    ("aravalli", False, 600, "1890.00", 190, False),  # disqualified on its DPR
]
DISQUALIFIED = {
    "aravalli": "The DPR covers sintering only; it has no oxide-to-metal stage, so the plant is not integrated as the RFP requires."
}


def _user(username: str) -> User:
    return User.objects.get(username=username)


def _document(
    title: str, owner: str, paragraphs: list[str], name: str, title_hi: str = ""
) -> ContentFile:
    pdf = render_pdf(
        "bidding/pdf/demo_document.html",
        {"title": title, "title_hi": title_hi, "owner": owner, "paragraphs": paragraphs},
    )
    return ContentFile(pdf, name=name)


def _register_more_firms() -> None:
    for name, pan, cin, state, city, username, ifsc, account in MORE_FIRMS:
        if not User.objects.filter(username=username).exists():
            firm_services.register_firm(
                **indian_firm(name, pan, cin, state, city, username, ifsc, account)
            )
    # The ministry verifies each new firm's payout account, as for the first firms.
    from beneficiaries.demo import verify_payout_accounts

    verify_payout_accounts()


def _timeline(start: dt.datetime) -> dict[str, dt.datetime]:
    return {
        "queries_due": start + dt.timedelta(days=10),
        "prebid_meeting_at": start + dt.timedelta(days=12),
        "replies_due": start + dt.timedelta(days=15),
        "bids_due": start + dt.timedelta(days=30, hours=7),
        "technical_opening_at": start + dt.timedelta(days=31, hours=1),
        "financial_opening_at": start + dt.timedelta(days=45, hours=1),
    }


def _committee() -> list[User]:
    return [_user("official"), _user("approver"), _user("evaluator2")]


def _set_up_opening_keys(now: dt.datetime) -> None:
    """Each committee member sets up their own opening key, as on their 'Opening key' page."""
    for member in _committee():
        if not MemberOpeningKey.objects.filter(user=member).exists():
            passphrase = DEMO_OPENING_PASSPHRASES[member.username]
            services.set_up_opening_key(
                actor=member, passphrase=passphrase, passphrase_again=passphrase, now=now
            )


def _bid(
    username: str,
    tender: Tender,
    capacity: int,
    rate: str,
    net_worth: int,
    partial: bool,
    consortium: Consortium | None,
    now: dt.datetime,
):
    user = _user(username)
    firm = user.firm
    return services.submit_bid(
        actor=user,
        tender=tender,
        capacity_mtpa=capacity,
        accepts_partial=partial,
        net_worth=crore(net_worth),
        net_worth_as_of=dt.date(2026, 3, 31),
        quoted_rate=rate,
        consortium=consortium,
        dpr=_document(
            "Detailed Project Report",
            firm.legal_name,
            [
                f"Integrated plant of {capacity:,} MTPA: oxide to metal, alloy, and sintered NdFeB magnets.",
                "Site, process flow, equipment, schedule of the 24-month gestation, and financing plan.",
            ],
            "dpr.pdf",
            "विस्तृत परियोजना रिपोर्ट",
        ),
        eligibility_documents=[
            _document(
                "Audited financial statements and net worth certificate",
                firm.legal_name,
                [
                    f"Net worth as on 31 March 2026: Rs {net_worth} crore, certified by the statutory auditor."
                ],
                "net-worth-certificate.pdf",
            ),
        ],
        now=now,
    )


def _main_tender(official: User) -> Tender:
    timeline = _timeline(START)
    _set_up_opening_keys(START - dt.timedelta(days=3))
    tender = services.create_tender(
        actor=official,
        reference=MAIN_REFERENCE,
        title="Manufacturing of sintered rare earth permanent magnets: 6,000 MTPA in five slots",
        description="Global Tender Enquiry under S.O. 5800(E): integrated capacity from oxide to sintered NdFeB magnet.",
        capacity_mtpa=6000,
        slots=5,
        timeline=timeline,
        prebid_meeting_place="Conference Hall, Udyog Bhawan, New Delhi",
        committee=_committee(),
        documents=[
            (
                "Request for Proposal",
                _document(
                    "Request for Proposal",
                    "Ministry of Heavy Industries",
                    [
                        "Eligibility, the two covers, the Least Cost System and the award conditions."
                    ],
                    "rfp.pdf",
                    "प्रस्ताव हेतु अनुरोध",
                ),
            )
        ],
        now=START - dt.timedelta(days=2),
    )
    services.publish_tender(actor=official, tender=tender, now=START)
    query = services.ask_query(
        actor=_user("deccan"),
        tender=tender,
        question="May the metal stage be located at a second site of the same company?",
        now=START + dt.timedelta(days=3),
    )
    services.answer_query(
        actor=official,
        query=query,
        answer="Yes, if both sites are owned by the beneficiary and are commissioned within the gestation period.",
        now=START + dt.timedelta(days=14),
    )
    moved = {
        name: value + dt.timedelta(days=7)
        for name, value in timeline.items()
        if name in ("bids_due", "technical_opening_at", "financial_opening_at")
    }
    rfp = tender.documents.get()
    services.issue_corrigendum(
        actor=official,
        tender=tender,
        summary="Bid due date extended by a week on requests at the pre-bid meeting; RFP clause 4.2 clarified.",
        timeline=moved,
        documents=[
            (
                "Request for Proposal, revision 1",
                _document(
                    "Request for Proposal, revision 1",
                    "Ministry of Heavy Industries",
                    [
                        "Clause 4.2: the integrated plant may span two sites of the same beneficiary."
                    ],
                    "rfp-r1.pdf",
                    "प्रस्ताव हेतु अनुरोध",
                ),
                rfp,
            )
        ],
        now=START + dt.timedelta(days=14, hours=2),
    )
    tender.refresh_from_db()
    return tender


def _run_main_tender(tender: Tender) -> None:
    official = _user("official")
    consortium = Consortium.objects.filter(lead__users__username="neomag").first()
    submitted = START + dt.timedelta(days=20)
    for n, (username, via_consortium, capacity, rate, net_worth, partial) in enumerate(MAIN_BIDS):
        first_rate = "1999.00" if username == "kaveri" else rate
        _bid(
            username,
            tender,
            capacity,
            first_rate,
            net_worth,
            partial,
            consortium if via_consortium else None,
            submitted + dt.timedelta(hours=3 * n),
        )
    # Kaveri sharpens its rate the day before the due date: version 2 counts.
    _bid("kaveri", tender, 1200, "1962.75", 400, True, None, tender.bids_due - dt.timedelta(days=1))

    committee = _committee()
    for member, minutes in ((committee[0], 2), (committee[1], 9)):
        services.confirm_opening(
            actor=member,
            tender=tender,
            stage=Stage.TECHNICAL,
            now=tender.technical_opening_at + dt.timedelta(minutes=minutes),
        )
    evaluator, approver = _user("evaluator"), _user("evaluator2")
    evaluated = tender.technical_opening_at + dt.timedelta(days=3)
    for bid in (
        tender.bids.filter(status=Bid.Status.SUBMITTED).select_related("firm").order_by("pk")
    ):
        username = bid.firm.users.order_by("pk").first().username
        results = dict.fromkeys(
            Criterion.values, (True, "Meets the RFP requirement; documents verified.")
        )
        if username in DISQUALIFIED:
            results[Criterion.DPR] = (False, DISQUALIFIED[username])
        evaluation = services.record_evaluation(
            actor=evaluator, bid=bid, results=results, now=evaluated
        )
        services.approve_evaluation(
            actor=approver, evaluation=evaluation, now=evaluated + dt.timedelta(hours=4)
        )
    for member, minutes in ((committee[1], 1), (committee[2], 6)):
        services.confirm_opening(
            actor=member,
            tender=tender,
            stage=Stage.FINANCIAL,
            passphrase=DEMO_OPENING_PASSPHRASES[member.username],
            now=tender.financial_opening_at + dt.timedelta(minutes=minutes),
        )
    awarded_at = tender.financial_opening_at + dt.timedelta(days=5)
    awards = services.award_tender(actor=official, tender=tender, now=awarded_at)
    for award in awards:  # as the worker would: through each letter's job
        jobs.run(
            AwardLetter.RENDER_TASK,
            award.letter.pk,
            lambda run, pk=award.letter.pk: services.render_award_letter(
                letter_id=pk, now=awarded_at + dt.timedelta(minutes=5)
            ),
        )
    # Every winner's guarantee: the last-ranked one's is what the recovery demo invokes on its exit.
    for award, bank in zip(
        awards,
        ("State Bank of India", "Bank of Baroda", "Canara Bank", "Punjab National Bank",
         "Bank of India"),
        strict=False,
    ):  # fmt: skip
        winner = award.bid.firm.users.order_by("pk").first()
        services.record_pbg(
            actor=winner,
            award=award,
            amount=award.pbg_amount_required,
            bank_name=bank,
            guarantee_number=f"PBG/{award.tender_id}/{award.rank}/2026",
            issued_on=timezone.localdate(awarded_at) + dt.timedelta(days=20),
            valid_until=award.pbg_valid_until_required,
            now=awarded_at + dt.timedelta(days=21),
        )


def _retender(parent: Tender) -> Tender:
    """The capacity the last-ranked winner frees when it exits (the recovery demo), re-tendered:
    open for bids by today's clock."""
    official = _user("official")
    start = timezone.now() - dt.timedelta(days=2)
    freed = parent.awards.order_by("-rank").first()
    tender = services.create_tender(
        actor=official,
        reference=RETENDER_REFERENCE,
        title=f"Re-tender of {freed.allocated_mtpa:,} MTPA of forfeited capacity",
        description=(
            f"Capacity freed by the exit of {freed.label} under {parent.reference}, offered "
            "again in one slot."
        ),
        kind=Tender.Kind.RETENDER,
        parent=parent,
        capacity_mtpa=freed.allocated_mtpa,
        slots=1,
        oxide_mtpa=Decimal(0),
        timeline=_timeline(start),
        prebid_meeting_place="Udyog Bhawan, New Delhi (and online)",
        committee=_committee(),
        documents=[
            (
                "Request for Proposal (re-tender)",
                _document(
                    "Request for Proposal (re-tender)",
                    "Ministry of Heavy Industries",
                    [
                        f"{freed.allocated_mtpa:,} MTPA in one slot; partial awards as in the main tender."
                    ],
                    "rfp-retender.pdf",
                    "प्रस्ताव हेतु अनुरोध",
                ),
            )
        ],
        now=start - dt.timedelta(hours=2),
    )
    services.publish_tender(actor=official, tender=tender, now=start)
    _bid("ganga", tender, 1200, "1988.00", 380, True, None, timezone.now() - dt.timedelta(hours=5))
    return tender


def seed() -> list[str]:
    _register_more_firms()
    lines = []
    main = Tender.objects.filter(reference=MAIN_REFERENCE).first()
    if main is None:
        main = _main_tender(_user("official"))
        _run_main_tender(main)
        main.refresh_from_db()
    retender = Tender.objects.filter(reference=RETENDER_REFERENCE).first() or _retender(main)
    rankings = list(main.rankings.select_related("bid__firm", "bid__consortium").order_by("rank"))
    lines.append(
        f"{main.reference}: {main.get_status_display().lower()}; {main.bids.count()} bidders, "
        f"{main.bids.filter(status=Bid.Status.DISQUALIFIED).count()} disqualified, "
        f"{main.awards.count()} awards, {sum(1 for r in rankings if r.outcome == 'waitlisted')} waitlisted"
    )
    for ranking in rankings:
        lines.append(
            f"  {ranking.label} {ranking.bid.bidder_name}: Rs {ranking.quoted_rate}/kg, "
            + (
                f"{ranking.allocated_mtpa} MTPA"
                if ranking.allocated_mtpa
                else f"waitlist ({ranking.waitlist_reason})"
            )
        )
    lines.append(
        f"{retender.reference}: open for bids until {timezone.localtime(retender.bids_due):%d %b %Y %H:%M} IST"
    )
    lines.append(
        f"Public page /public/tenders/{main.pk}/ · OCDS /api/tenders/{main.pk}/ocds/ · statement /tenders/{main.pk}/statement/"
    )
    version = main.bids.get(firm__users__username="kaveri").versions.order_by("number").last()
    lines.append(f"A receipt (log in as kaveri): /receipts/{version.pk}/ (.json, .pdf)")
    return lines
