"""A tender as an OCDS 1.1 release package: tender, lot, bids (with the bid-opening log) and awards.

What the package shows follows what the public page shows at the same moment: bid details only
from the due date, bidders' names from the technical opening, quoted rates only from the
financial opening. Extensions: bids, bidOpening (with location, which it needs), lots (with
submissionTerms, whose definition lots refers to).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.urls import reverse

from beneficiaries.models import Firm
from bidding import selectors
from bidding.models import Bid, OpenedCover, Stage, Tender
from repm_portal import clock

# A publisher's prefix is registered with the OCDS helpdesk; this one stands until MHI has its own.
OCID_PREFIX = getattr(settings, "OCDS_OCID_PREFIX", "ocds-repm00")
LOT_ID = "capacity"
BUYER_ID = "IN-MHI"
EXTENSIONS = [
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/master/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bidOpening_extension/master/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_location_extension/master/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_lots_extension/master/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_submissionTerms_extension/master/extension.json",
]
TENDER_STATUS = {
    Tender.Status.DRAFT: "planning",
    Tender.Status.PUBLISHED: "active",
    Tender.Status.TECHNICAL_OPENED: "active",
    Tender.Status.TECHNICAL_EVALUATED: "active",
    Tender.Status.FINANCIAL_OPENED: "active",
    Tender.Status.AWARDED: "complete",
    Tender.Status.CANCELLED: "cancelled",
}
BID_STATUS = {
    Bid.Status.SUBMITTED: "pending",
    Bid.Status.WITHDRAWN: "withdrawn",
    Bid.Status.QUALIFIED: "valid",
    Bid.Status.AWARDED: "valid",
    Bid.Status.WAITLISTED: "valid",
    Bid.Status.DISQUALIFIED: "disqualified",
    Bid.Status.EXCLUDED: "disqualified",
}


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _number(value: Decimal | int) -> float | int:
    return value if isinstance(value, int) else float(value)


def ocid(tender: Tender) -> str:
    return f"{OCID_PREFIX}-{tender.pk:06d}"


def _party_id(firm: Firm) -> str:
    if firm.cin:
        return f"IN-MCA-{firm.cin}"
    return f"{firm.country}-REG-{firm.foreign_registration_number}"


def _party(firm: Firm, roles: list[str]) -> dict[str, Any]:
    identifier = (
        {"scheme": "IN-MCA", "id": firm.cin, "legalName": firm.legal_name}
        if firm.cin
        else {"id": firm.foreign_registration_number, "legalName": firm.legal_name}
    )
    return {
        "id": _party_id(firm),
        "name": firm.legal_name,
        "identifier": identifier,
        "address": {"countryName": firm.country},
        "roles": roles,
    }


def _buyer() -> dict[str, Any]:
    return {
        "id": BUYER_ID,
        "name": "Ministry of Heavy Industries, Government of India",
        "address": {
            "streetAddress": "Udyog Bhawan",
            "locality": "New Delhi",
            "postalCode": "110011",
            "countryName": "India",
        },
        "roles": ["buyer", "procuringEntity"],
    }


def _url(base: str, path: str) -> str:
    return f"{base.rstrip('/')}{path}"


def release_package(
    tender: Tender, *, base_url: str, now: dt.datetime | None = None
) -> dict[str, Any]:
    now = clock.now(now)
    release = _release(tender, base_url=base_url, now=now)
    return {
        "uri": _url(base_url, reverse("tender-ocds", args=[tender.pk])),
        "version": "1.1",
        "extensions": EXTENSIONS,
        "publishedDate": _iso(now),
        "publisher": {"name": "Ministry of Heavy Industries, Government of India (REPM Portal)"},
        "license": "https://data.gov.in/government-open-data-license-india",
        "publicationPolicy": _url(base_url, reverse("public_tender", args=[tender.pk])),
        "releases": [release],
    }


def _release(tender: Tender, *, base_url: str, now: dt.datetime) -> dict[str, Any]:
    versions = selectors.versions_of(tender)
    corrigenda = [v for v in versions if v.is_corrigendum]
    opened = tender.status in selectors.OPENED_STATUSES
    ranked = tender.status in selectors.RANKED_STATUSES
    due = selectors.commitments_published(tender, now=now)

    tags = ["tender"]
    if corrigenda:
        tags.append("tenderAmendment")
    if tender.status == Tender.Status.CANCELLED:
        tags = ["tenderCancellation"]
    awards = selectors.public_awards(tender)
    if awards:
        tags.append("award")
    moments = [
        tender.created_at,
        tender.published_at,
        tender.technical_opened_at,
        tender.financial_opened_at,
        tender.awarded_at,
    ]
    moments += [v.issued_at for v in versions]
    date = max(m for m in moments if m is not None)

    bids = list(selectors._bid_base().filter(tender=tender).order_by("pk")) if due else []
    parties: dict[str, dict[str, Any]] = {BUYER_ID: _buyer()}
    if opened:
        for bid in bids:
            for participant in bid.participants.all():
                entry = parties.setdefault(
                    _party_id(participant.firm), _party(participant.firm, [])
                )
                if "tenderer" not in entry["roles"]:
                    entry["roles"].append("tenderer")
        for award in awards:
            for participant in award.bid.participants.all():
                entry = parties[_party_id(participant.firm)]
                if "supplier" not in entry["roles"]:
                    entry["roles"].append("supplier")

    release: dict[str, Any] = {
        "ocid": ocid(tender),
        "id": f"{ocid(tender)}-{tender.status}-{len(versions)}",
        "date": _iso(date),
        "tag": tags,
        "initiationType": "tender",
        "language": "en",
        "parties": list(parties.values()),
        "buyer": {"id": BUYER_ID, "name": parties[BUYER_ID]["name"]},
        "tender": _tender(
            tender, versions, corrigenda, bids, opened=opened, due=due, base_url=base_url
        ),
    }
    if due:
        release["bids"] = _bids(tender, bids, opened=opened, ranked=ranked, now=now)
    if awards:
        release["awards"] = [_award(tender, a, base_url=base_url) for a in awards]
    return release


def _tender(
    tender, versions, corrigenda, bids, *, opened: bool, due: bool, base_url: str
) -> dict[str, Any]:
    rules = tender.rule_set
    documents = []
    for document in selectors.documents_of(tender):
        documents.append(
            {
                "id": f"doc-{document.pk}",
                "documentType": "tenderNotice"
                if document.version is None or not document.version.is_corrigendum
                else "clarifications",
                "title": document.title,
                "url": _url(base_url, reverse("tender_document", args=[tender.pk, document.pk])),
                "datePublished": _iso(document.uploaded_at),
                "format": document.content_type,
                "relatedLots": [LOT_ID],
            }
        )
    data: dict[str, Any] = {
        "id": tender.reference,
        "title": tender.title,
        "description": tender.description or tender.title,
        "status": TENDER_STATUS[tender.status],
        "procuringEntity": {
            "id": BUYER_ID,
            "name": "Ministry of Heavy Industries, Government of India",
        },
        "procurementMethod": "open",
        "procurementMethodDetails": "Global Tender Enquiry; two covers (technical, financial); Least Cost System",
        "mainProcurementCategory": "goods",
        "awardCriteria": "priceOnly",
        "awardCriteriaDetails": (
            f"Qualified bids ranked by quoted SLI rate (Rs/kg, ceiling Rs {rules.sli_ceiling_rate}); "
            f"ties by {', '.join(rules.tie_break)}; rule set v{rules.version} ({rules.notification})."
        ),
        "submissionMethod": ["electronicSubmission"],
        "tenderPeriod": {"startDate": _iso(tender.published_at), "endDate": _iso(tender.bids_due)},
        "enquiryPeriod": {
            "startDate": _iso(tender.published_at),
            "endDate": _iso(tender.queries_due),
        },
        "awardPeriod": {
            "startDate": _iso(tender.financial_opening_at),
            "endDate": _iso(tender.awarded_at),
        },
        "documents": documents,
        "lots": [
            {
                "id": LOT_ID,
                "title": "Integrated sintered NdFeB magnet manufacturing capacity",
                "description": (
                    f"{tender.capacity_mtpa:,} MTPA in up to {tender.slots} award(s) of "
                    f"{rules.min_capacity_mtpa:,}-{rules.max_capacity_mtpa:,} MTPA (steps of "
                    f"{rules.capacity_step_mtpa}), with {tender.oxide_mtpa} MTPA of IREL NdPr oxide."
                ),
                "status": TENDER_STATUS[tender.status],
                "tenderPeriod": {
                    "startDate": _iso(tender.published_at),
                    "endDate": _iso(tender.bids_due),
                },
            }
        ],
        "lotDetails": {"maximumLotsBidPerSupplier": 1, "maximumLotsAwardedPerSupplier": 1},
        "submissionTerms": {
            "electronicSubmissionPolicy": "required",
            "multipleBidsAllowed": False,
            "depositsGuarantees": (
                f"Performance bank guarantee of Rs {rules.pbg_per_100_mtpa} per 100 MTPA awarded, valid to "
                f"the award plus {rules.gestation_months + rules.sli_months} months plus "
                f"{rules.pbg_validity_extra_months} months."
            ),
        },
        "bidOpening": {
            "date": _iso(tender.technical_opening_at),
            "description": (
                f"Technical covers open at {_iso(tender.technical_opening_at)}, financial covers of "
                f"qualified bids at {_iso(tender.financial_opening_at)}, each on the confirmation of "
                f"{tender.opening_quorum} members of the bid-opening committee."
            ),
        },
        "amendments": [
            {
                "id": f"corrigendum-{v.number - 1}",
                "date": _iso(v.issued_at),
                "rationale": v.summary,
                "description": "; ".join(
                    f"{what}: {was} -> {now}" for what, was, now in v.change_list
                )
                or "Documents issued or revised.",
            }
            for v in corrigenda
        ],
    }
    if due:
        data["numberOfTenderers"] = len(bids)
    if opened:
        data["tenderers"] = [
            {"id": _party_id(p.firm), "name": p.firm.legal_name}
            for bid in bids
            for p in bid.participants.all()
        ]
    return data


def _bids(
    tender: Tender, bids: list[Bid], *, opened: bool, ranked: bool, now: dt.datetime
) -> dict[str, Any]:
    rates = {}
    if ranked:
        rates = {
            c.bid_version.bid_id: c.quoted_rate
            for c in OpenedCover.objects.filter(
                opening__tender=tender, opening__stage=Stage.FINANCIAL
            ).select_related("bid_version")
        }
    rankings = {r.bid_id: r for r in selectors.rankings_of(tender)}
    details = []
    for bid in bids:
        versions = list(bid.versions.all())
        final = versions[-1]
        detail: dict[str, Any] = {
            "id": str(bid.pk),
            "date": _iso(final.submitted_at),
            "status": BID_STATUS[bid.status],
            "relatedLots": [LOT_ID],
            "identifiers": [{"id": final.commitment, "scheme": "SHA-256 bid commitment"}],
            "items": [
                {
                    "id": "capacity",
                    "description": "Integrated sintered NdFeB magnet capacity bid",
                    "quantity": final.capacity_mtpa,
                    "unit": {"name": "MTPA"},
                    "relatedLot": LOT_ID,
                }
            ],
        }
        if opened:
            detail["tenderers"] = [
                {"id": _party_id(p.firm), "name": p.firm.legal_name} for p in bid.participants.all()
            ]
            detail["countriesOfOrigin"] = sorted({p.firm.country for p in bid.participants.all()})
        if bid.pk in rates:
            detail["items"].append(
                {
                    "id": "sli-rate",
                    "description": "Quoted sales-linked incentive rate",
                    "quantity": 1,
                    "unit": {
                        "name": "kilogram",
                        "scheme": "UNCEFACT",
                        "id": "KGM",
                        "value": {"amount": _number(rates[bid.pk]), "currency": "INR"},
                    },
                }
            )
        if bid.pk in rankings:
            detail["hasRank"] = True
            detail["rank"] = rankings[bid.pk].rank
        details.append(detail)
    valid = sum(1 for b in bids if BID_STATUS[b.status] == "valid")
    disqualified = sum(1 for b in bids if BID_STATUS[b.status] == "disqualified")
    statistics = [
        {"id": "bids", "measure": "bids", "value": len(bids), "date": _iso(tender.bids_due)},
        {"id": "bidders", "measure": "bidders", "value": len(bids), "date": _iso(tender.bids_due)},
    ]
    if tender.technical_evaluated_at:
        statistics += [
            {
                "id": "validBids",
                "measure": "validBids",
                "value": valid,
                "date": _iso(tender.technical_evaluated_at),
            },
            {
                "id": "disqualifiedBids",
                "measure": "disqualifiedBids",
                "value": disqualified,
                "date": _iso(tender.technical_evaluated_at),
            },
        ]
    if rates:
        statistics += [
            {
                "id": "lowestValidBidValue",
                "measure": "lowestValidBidValue",
                "value": _number(min(rates.values())),
                "currency": "INR",
                "date": _iso(tender.financial_opened_at),
            },
            {
                "id": "highestValidBidValue",
                "measure": "highestValidBidValue",
                "value": _number(max(rates.values())),
                "currency": "INR",
                "date": _iso(tender.financial_opened_at),
            },
        ]
    return {"statistics": statistics, "details": details}


def _award(tender: Tender, award, *, base_url: str) -> dict[str, Any]:
    letter = getattr(award, "letter", None)
    documents = []
    if letter is not None and letter.status == "issued":
        documents.append(
            {
                "id": f"loa-{letter.pk}",
                "documentType": "awardNotice",
                "title": f"Letter of Award {letter.number}",
                "description": f"SHA-256 {letter.sha256}",
                "datePublished": _iso(letter.rendered_at),
                "format": "application/pdf",
            }
        )
    return {
        "id": f"{ocid(tender)}-award-{award.rank}",
        "title": f"{award.label}: {award.allocated_mtpa:,} MTPA{' (partial)' if award.is_partial else ''}",
        "status": "active",
        "date": _iso(award.awarded_at),
        "suppliers": [
            {"id": _party_id(p.firm), "name": p.firm.legal_name}
            for p in award.bid.participants.all()
        ],
        "items": [
            {
                "id": "capacity",
                "description": "Capacity awarded",
                "quantity": award.allocated_mtpa,
                "unit": {"name": "MTPA"},
                "relatedLot": LOT_ID,
            },
            {
                "id": "sli-rate",
                "description": "Sales-linked incentive rate",
                "quantity": 1,
                "unit": {
                    "name": "kilogram",
                    "scheme": "UNCEFACT",
                    "id": "KGM",
                    "value": {"amount": _number(award.quoted_rate), "currency": "INR"},
                },
            },
        ],
        "relatedBids": [str(award.bid_id)],
        "relatedLots": [LOT_ID],
        "documents": documents,
    }
