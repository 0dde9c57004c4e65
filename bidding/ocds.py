"""A tender as an OCDS 1.1 release package: tender, lot, bids (with the bid-opening log) and awards.

What the package shows follows what the public page shows at the same moment: bid details only
from the due date, bidders' names from the technical opening, quoted rates only from the
financial opening. Every stage is cut at `now` by its own timestamp, so a release built later
for an earlier moment shows only what was public then. Extensions: bids, bidOpening (with
location, which it needs), lots (with submissionTerms, whose definition lots refers to), each
pinned to the commit the schema tests validate against (/work/shared/ocds/SOURCES.md).
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
# Pinned to a commit, not `master`: an extension's master moves, and a reader must get the schema
# these releases were validated against. Bump a commit only with the schema files in the tests.
EXTENSION_COMMITS = {
    "ocds_bid_extension": "d62ff4b0ba393d823ca8113a9039b12edf7acb8f",
    "ocds_bidOpening_extension": "47c576527240c7cd4e1a0fa1b051a9fce2adf5e6",
    "ocds_location_extension": "fcd56abaea4214d7f4d712087be32141badbe60c",
    "ocds_lots_extension": "8d3b52eb26ce0f1a015c91b665c120b17ef619a0",
    "ocds_submissionTerms_extension": "449ade63333a50f1e8cd2b0704c0a3c5e329a8a8",
}
EXTENSIONS = [
    f"https://raw.githubusercontent.com/open-contracting-extensions/{name}/{commit}/extension.json"
    for name, commit in EXTENSION_COMMITS.items()
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


def package_meta(*, uri: str, base_url: str, tender: Tender, now: dt.datetime) -> dict[str, Any]:
    """The fields every package of ours shares (release and record packages alike)."""
    return {
        "uri": uri,
        "version": "1.1",
        "extensions": EXTENSIONS,
        "publishedDate": _iso(now),
        "publisher": {"name": "Ministry of Heavy Industries, Government of India (REPM Portal)"},
        "license": "https://data.gov.in/government-open-data-license-india",
        "publicationPolicy": _url(base_url, reverse("public_tender", args=[tender.pk])),
    }


def release_package(
    tender: Tender, *, base_url: str, now: dt.datetime | None = None
) -> dict[str, Any]:
    now = clock.now(now)
    release = build_release(tender, base_url=base_url, now=now)
    return {
        **package_meta(
            uri=_url(base_url, reverse("tender-ocds", args=[tender.pk])),
            base_url=base_url,
            tender=tender,
            now=now,
        ),
        "releases": [release],
    }


def _by(moment: dt.datetime | None, now: dt.datetime) -> bool:
    return moment is not None and moment <= now


class _Stage:
    """What of the tender was public at `now`: each step needs its status and its time passed."""

    def __init__(self, tender: Tender, now: dt.datetime) -> None:
        status = tender.status
        self.cancelled = status == Tender.Status.CANCELLED
        self.opened = status in selectors.OPENED_STATUSES and _by(tender.technical_opened_at, now)
        self.evaluated = self.opened and _by(tender.technical_evaluated_at, now)
        self.ranked = status in selectors.RANKED_STATUSES and _by(tender.financial_opened_at, now)
        self.awarded = status == Tender.Status.AWARDED and _by(tender.awarded_at, now)
        self.due = selectors.commitments_published(tender, now=now)
        if self.cancelled or self.awarded:
            self.ocds_status = TENDER_STATUS[status]
        elif _by(tender.published_at, now):
            self.ocds_status = "active"
        else:
            self.ocds_status = "planning"


# Bid statuses that only the technical evaluation (or the award after it) can give.
_DECIDED = {
    Bid.Status.QUALIFIED,
    Bid.Status.DISQUALIFIED,
    Bid.Status.AWARDED,
    Bid.Status.WAITLISTED,
}


def _bid_status(bid: Bid, stage: _Stage) -> str:
    if bid.status in _DECIDED and not stage.evaluated:
        return "pending"
    return BID_STATUS[bid.status]


def _tenderers(bids: list[Bid]) -> list[dict[str, str]]:
    """Every firm that bid, alone or in a consortium, once each: `numberOfTenderers` counts these."""
    seen: dict[str, dict[str, str]] = {}
    for bid in bids:
        for p in bid.participants.all():
            seen.setdefault(_party_id(p.firm), {"id": _party_id(p.firm), "name": p.firm.legal_name})
    return list(seen.values())


def related_processes(tender: Tender, *, base_url: str, now: dt.datetime) -> list[dict[str, Any]]:
    """A re-tender names the tender whose forfeited capacity it offers; that tender names its re-tenders."""

    def link(other: Tender, relationship: str) -> dict[str, Any]:
        return {
            "id": f"{relationship}-{ocid(other)}",
            "relationship": [relationship],
            "title": other.title,
            "scheme": "ocid",
            "identifier": ocid(other),
            "uri": _url(base_url, reverse("tender-ocds", args=[other.pk])),
        }

    links = []
    if tender.parent_id is not None:
        # "prior": this process replaces (part of) the related one.
        links.append(link(tender.parent, "prior"))
    for child in tender.retenders.filter(published_at__lte=now).order_by("pk"):
        # "replacementProcess": the related process replaces (part of) this one.
        links.append(link(child, "replacementProcess"))
    return links


def build_release(tender: Tender, *, base_url: str, now: dt.datetime) -> dict[str, Any]:
    """The tender's release as it stood at `now` (tender, bids, awards; contracts are added by incentives)."""
    stage = _Stage(tender, now)
    versions = [v for v in selectors.versions_of(tender) if _by(v.issued_at, now)]
    corrigenda = [v for v in versions if v.is_corrigendum]

    tags = ["tender"]
    if corrigenda:
        tags.append("tenderAmendment")
    if stage.cancelled:
        tags = ["tenderCancellation"]
    awards = selectors.public_awards(tender) if stage.awarded else []
    if awards:
        tags.append("award")
    moments = [
        tender.created_at,
        tender.published_at,
        tender.technical_opened_at,
        tender.technical_evaluated_at if stage.evaluated else None,
        tender.financial_opened_at,
        tender.awarded_at,
    ]
    moments += [v.issued_at for v in versions]
    date = max((m for m in moments if _by(m, now)), default=tender.created_at)

    bids = list(selectors._bid_base().filter(tender=tender).order_by("pk")) if stage.due else []
    parties: dict[str, dict[str, Any]] = {BUYER_ID: _buyer()}
    if stage.opened:
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
            tender, versions, corrigenda, bids, stage=stage, base_url=base_url, now=now
        ),
    }
    related = related_processes(tender, base_url=base_url, now=now)
    if related:
        release["relatedProcesses"] = related
    if stage.due:
        release["bids"] = _bids(tender, bids, stage=stage)
    if awards:
        release["awards"] = [_award(tender, a, base_url=base_url, now=now) for a in awards]
    return release


def _tender(
    tender, versions, corrigenda, bids, *, stage: _Stage, base_url: str, now: dt.datetime
) -> dict[str, Any]:
    rules = tender.rule_set
    documents = []
    for document in selectors.documents_of(tender):
        if not _by(document.uploaded_at, now):
            continue
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
        "status": stage.ocds_status,
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
            "endDate": _iso(tender.awarded_at) if stage.awarded else None,
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
                "status": stage.ocds_status,
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
    tenderers = _tenderers(bids)
    if stage.due:
        # Firms, not bids: a consortium's members are each a tenderer, as `tenderers` lists them.
        data["numberOfTenderers"] = len(tenderers)
    if stage.opened:
        data["tenderers"] = tenderers
    return data


def _bids(tender: Tender, bids: list[Bid], *, stage: _Stage) -> dict[str, Any]:
    opened = stage.opened
    rates = {}
    if stage.ranked:
        rates = {
            c.bid_version.bid_id: c.quoted_rate
            for c in OpenedCover.objects.filter(
                opening__tender=tender, opening__stage=Stage.FINANCIAL
            ).select_related("bid_version")
        }
    rankings = {r.bid_id: r for r in selectors.rankings_of(tender)} if stage.ranked else {}
    details = []
    for bid in bids:
        versions = list(bid.versions.all())
        final = versions[-1]
        detail: dict[str, Any] = {
            "id": str(bid.pk),
            "date": _iso(final.submitted_at),
            "status": _bid_status(bid, stage),
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
    valid = sum(1 for b in bids if _bid_status(b, stage) == "valid")
    disqualified = sum(1 for b in bids if _bid_status(b, stage) == "disqualified")
    statistics = [
        {"id": "bids", "measure": "bids", "value": len(bids), "date": _iso(tender.bids_due)},
        {"id": "bidders", "measure": "bidders", "value": len(bids), "date": _iso(tender.bids_due)},
    ]
    if stage.evaluated:
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


def issued_letter(award, now: dt.datetime):
    """The award's Letter of Award if it was issued (rendered) by `now`, else None."""
    letter = getattr(award, "letter", None)
    if letter is not None and letter.status == "issued" and _by(letter.rendered_at, now):
        return letter
    return None


def party_id(firm: Firm) -> str:
    return _party_id(firm)


def _award(tender: Tender, award, *, base_url: str, now: dt.datetime) -> dict[str, Any]:
    letter = issued_letter(award, now)
    documents = []
    if letter is not None:
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
