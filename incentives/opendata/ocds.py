"""The tender's OCDS release run on past the award: a contract per award, its milestones and payments.

bidding.ocds builds tender, bids and awards; this adds what happens after (it may read incentives,
bidding may not). Everything is cut at `now` by its own timestamp, as bidding.ocds cuts its part,
so a release built for an earlier moment shows only what was public then.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from bidding import ocds as tender_ocds
from bidding import selectors as bidding_selectors
from bidding.models import Award, Tender
from incentives.capital import engine as capital_engine
from incentives.capital import selectors as capital_selectors
from incentives.gestation.models import Milestone, Plant
from incentives.models import Payment
from incentives.sli import selectors as sli_selectors
from repm_portal.fiscal import add_months

BUYER = {"id": tender_ocds.BUYER_ID, "name": "Ministry of Heavy Industries, Government of India"}
# A milestone is public as met once the ministry has verified it (accepted follows verified).
MET = {Milestone.Status.VERIFIED, Milestone.Status.ACCEPTED}


def _day(day: dt.date) -> str:
    """A calendar date as an OCDS date-time: its start in India."""
    return f"{day.isoformat()}T00:00:00+05:30"


def _by(moment: dt.datetime | None, now: dt.datetime) -> bool:
    return moment is not None and moment <= now


def _awards(tender: Tender, now: dt.datetime) -> list[Award]:
    if tender.status != Tender.Status.AWARDED or not _by(tender.awarded_at, now):
        return []
    return list(
        tender.awards.select_related("bid__firm", "letter", "rule_set")
        .prefetch_related("bid__participants__firm", "rule_set__slabs")
        .order_by("rank")
    )


def _most_payable(award: Award) -> Decimal:
    """The most the scheme can pay the award: its cumulative SLI cap plus its capital-subsidy slab cap."""
    rules = award.rule_set
    slabs = capital_selectors.slabs_of(rules)
    capital = capital_engine.slab_for(award.allocated_mtpa, slabs).cap if slabs else Decimal(0)
    return sli_selectors.award_cap(award, rules) + capital


def _milestones(plant: Plant | None, now: dt.datetime) -> list[dict[str, Any]]:
    if plant is None or not _by(plant.created_at, now):
        return []
    rows = []
    for m in plant.milestones.all():
        met = m.status in MET and _by(m.verified_at, now)
        row: dict[str, Any] = {
            "id": f"milestone-{m.pk}",
            "title": m.get_kind_display(),
            "type": "delivery",  # every gestation step delivers the plant
            "status": "met" if met else "scheduled",
            "dueDate": _day(m.planned_on),
        }
        if met and m.actual_on is not None:
            row["dateMet"] = _day(m.actual_on)
            row["dateModified"] = tender_ocds._iso(m.verified_at)
            if m.kind == Milestone.Kind.COMMISSIONING and m.commissioned_mtpa:
                row["description"] = f"{m.commissioned_mtpa:,} MTPA commissioned"
        rows.append(row)
    return rows


def _transactions(award: Award, payee: dict[str, str], now: dt.datetime) -> list[dict[str, Any]]:
    # Paid amounts and dates; never the UTR or any bank detail. (`source` would name the letter,
    # but OCDS wants a URI there and a sanction letter has no public one.)
    payments = Payment.objects.filter(letter__award=award, recorded_at__lte=now).order_by(
        "paid_on", "pk"
    )
    return [
        {
            "id": f"payment-{p.pk}",
            "date": _day(p.paid_on),
            "value": {"amount": tender_ocds._number(p.amount), "currency": "INR"},
            "payer": BUYER,
            "payee": payee,
        }
        for p in payments
    ]


def _contract(tender: Tender, award: Award, letter, now: dt.datetime) -> dict[str, Any]:
    rules = award.rule_set
    start = timezone.localdate(award.awarded_at)
    end = add_months(start, rules.gestation_months + rules.sli_months)
    payee = {
        "id": tender_ocds.party_id(award.bid.firm),
        "name": award.bid.firm.legal_name,
    }
    plant = (
        Plant.objects.filter(award=award)
        .prefetch_related(Prefetch("milestones", queryset=Milestone.objects.order_by("sequence")))
        .first()
    )
    contract: dict[str, Any] = {
        "id": f"{tender_ocds.ocid(tender)}-contract-{award.rank}",
        "awardID": f"{tender_ocds.ocid(tender)}-award-{award.rank}",
        "title": f"{award.label}: {award.allocated_mtpa:,} MTPA under Letter of Award {letter.number}",
        "description": (
            f"{rules.gestation_months} months of gestation, then {rules.sli_months} months of "
            "sales-linked incentive; the value is the most payable: the cumulative SLI cap "
            "(quoted rate x capacity x 1,000 kg x SLI years) plus the capital-subsidy cap of the "
            f"award's capacity slab (rule set v{rules.version})."
        ),
        "status": "active",
        "period": {"startDate": tender_ocds._iso(award.awarded_at), "endDate": _day(end)},
        "value": {"amount": tender_ocds._number(_most_payable(award)), "currency": "INR"},
        "dateSigned": tender_ocds._iso(letter.rendered_at),
        "relatedBids": [str(award.bid_id)],
        "documents": [
            {
                "id": f"loa-{letter.pk}",
                "documentType": "contractNotice",
                "title": f"Letter of Award {letter.number}",
                "description": f"SHA-256 {letter.sha256}",
                "datePublished": tender_ocds._iso(letter.rendered_at),
                "format": "application/pdf",
            }
        ],
    }
    implementation: dict[str, Any] = {}
    milestones = _milestones(plant, now)
    if milestones:
        implementation["milestones"] = milestones
    transactions = _transactions(award, payee, now)
    if transactions:
        implementation["transactions"] = transactions
    if implementation:
        contract["implementation"] = implementation
    return contract


def build_release(tender: Tender, *, base_url: str, now: dt.datetime) -> dict[str, Any]:
    """The tender's release at `now`, from tender to the last payment recorded by then."""
    release = tender_ocds.build_release(tender, base_url=base_url, now=now)
    contracts = []
    for award in _awards(tender, now):
        letter = tender_ocds.issued_letter(award, now)
        if letter is not None:
            contracts.append(_contract(tender, award, letter, now))
    if not contracts:
        return release
    release["contracts"] = contracts
    if "contract" not in release["tag"]:
        release["tag"] = [*release["tag"], "contract"]
    paid = [c for c in contracts if c.get("implementation")]
    if paid and "implementation" not in release["tag"]:
        release["tag"] = [*release["tag"], "implementation"]
    parties = {p["id"]: p for p in release["parties"]}
    payees = {t["payee"]["id"] for c in paid for t in c["implementation"].get("transactions", [])}
    if payees:
        buyer = parties[tender_ocds.BUYER_ID]
        if "payer" not in buyer["roles"]:
            buyer["roles"].append("payer")
        for party_id in payees:
            if party_id in parties and "payee" not in parties[party_id]["roles"]:
                parties[party_id]["roles"].append("payee")
    return release


def public_tenders():
    """The tenders with a public OCDS record: published ones (drafts have none)."""
    return bidding_selectors.public_tenders()
