"""Reads of the bidding phase, scoped to the asker: a firm sees only its own bids.

Staff see a tender's bids only from the technical opening on; until then nobody but the bidder
knows who bid. Quoted rates come only from opened financial covers, so nothing here can show a
rate before the financial opening.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

# Words the pages translate when they show them (gettext_noop marks them for the catalogue);
# the CSV and XLSX statements and the API keep them in English.
from django.utils.translation import gettext_noop

from beneficiaries.models import User
from bidding.models import (
    Award,
    AwardLetter,
    Bid,
    BidDocument,
    BidParticipant,
    BidRanking,
    BidVersion,
    CoverOpening,
    OpenedCover,
    OpeningConfirmation,
    PerformanceBankGuarantee,
    PreBidQuery,
    Stage,
    TechnicalEvaluation,
    Tender,
    TenderDocument,
    TenderVersion,
)
from bidding.sealing import COMMITMENT_DOMAIN
from repm_portal import clock, scoping
from repm_portal.roles import READ_ALL_ROLES, AnyUser, Role, has_role

# From these statuses on, the technical covers are open and staff may see who bid.
OPENED_STATUSES = frozenset(
    {
        Tender.Status.TECHNICAL_OPENED,
        Tender.Status.TECHNICAL_EVALUATED,
        Tender.Status.FINANCIAL_OPENED,
        Tender.Status.AWARDED,
    }
)
RANKED_STATUSES = frozenset({Tender.Status.FINANCIAL_OPENED, Tender.Status.AWARDED})


# Tenders


def tenders_visible_to(user: AnyUser) -> QuerySet[Tender]:
    """Staff see every tender, drafts included; everyone else sees published ones."""
    base = Tender.objects.select_related("rule_set", "parent").order_by("-created_at", "-id")
    if has_role(user, *READ_ALL_ROLES):
        return base
    return base.exclude(status=Tender.Status.DRAFT)


def tender_for(user: AnyUser, tender_id: int) -> Tender:
    tender = tenders_visible_to(user).filter(pk=tender_id).first()
    if tender is None:
        raise Http404("No such tender")
    return tender


def public_tenders() -> QuerySet[Tender]:
    return tenders_visible_to(None)


def public_tender(tender_id: int) -> Tender:
    """A published tender with its allocation (None if none) and `disqualified_count`, in one query."""
    tender = (
        tenders_visible_to(None)
        .select_related("allocation")
        .annotate(disqualified_count=Count("bids", filter=Q(bids__status=Bid.Status.DISQUALIFIED)))
        .filter(pk=tender_id)
        .first()
    )
    if tender is None:
        raise Http404("No such tender")
    return tender


def phase(tender: Tender, *, now: dt.datetime | None = None) -> str:
    """Where the tender stands, in words, by the server's clock."""
    now = clock.now(now)
    if tender.status != Tender.Status.PUBLISHED:
        return tender.get_status_display()
    if now <= tender.queries_due:
        return gettext_noop("Open for bids and pre-bid queries")
    if now < tender.bids_due:
        return gettext_noop("Open for bids")
    if now < tender.technical_opening_at:
        return gettext_noop("Bids closed; awaiting the technical opening")
    return gettext_noop("Bids closed; technical opening due")


def is_open_for_bids(tender: Tender, *, now: dt.datetime | None = None) -> bool:
    return tender.status == Tender.Status.PUBLISHED and clock.now(now) < tender.bids_due


def versions_of(tender: Tender) -> list[TenderVersion]:
    return list(
        tender.versions.select_related("issued_by")
        .prefetch_related(Prefetch("documents", queryset=TenderDocument.objects.order_by("id")))
        .order_by("number")
    )


def documents_of(tender: Tender) -> list[TenderDocument]:
    return list(
        tender.documents.select_related("version", "supersedes", "superseded_by").order_by("id")
    )


def document_for(user: AnyUser, tender_id: int, document_id: int) -> TenderDocument:
    tender = tender_for(user, tender_id)
    document = tender.documents.filter(pk=document_id).first()
    if document is None:
        raise Http404("No such document")
    return document


def committee_of(tender: Tender) -> list[User]:
    return [m.user for m in tender.committee_members.select_related("user").order_by("id")]


# Pre-bid queries


def answered_queries(tender: Tender) -> QuerySet[PreBidQuery]:
    """Published answers, for everyone: the question and the answer, never who asked."""
    return tender.queries.exclude(answered_at=None).order_by("answered_at", "id")


def queries_for(user: AnyUser, tender: Tender) -> QuerySet[PreBidQuery]:
    """Officials see every query; a firm sees its own (answered or not); others see answers."""
    if has_role(user, *READ_ALL_ROLES):
        return tender.queries.select_related("firm", "answered_by").order_by("asked_at", "id")
    if has_role(user, Role.FIRM_USER) and user.firm_id is not None:
        return tender.queries.filter(firm_id=user.firm_id).order_by("asked_at", "id")
    return answered_queries(tender)


def query_for(user: AnyUser, query_id: int) -> PreBidQuery:
    query = PreBidQuery.objects.select_related("tender").filter(pk=query_id).first()
    if query is None or not has_role(user, Role.OFFICIAL, Role.ADMIN):
        raise Http404("No such query")
    return query


# Bids


def _participants(lookup: str) -> Prefetch:
    """A bid's participants with their firms, in one query for every bid."""
    return Prefetch(lookup, queryset=BidParticipant.objects.select_related("firm"))


def _bid_base() -> QuerySet[Bid]:
    return Bid.objects.select_related("tender", "firm", "consortium").prefetch_related(
        Prefetch("versions", queryset=BidVersion.objects.order_by("number")),
        _participants("participants"),
    )


def bids_visible_to(user: AnyUser) -> QuerySet[Bid]:
    """A firm sees the bids it takes part in; staff see a tender's bids once its technical covers are open."""
    base = _bid_base()
    if has_role(user, Role.FIRM_USER) and user.firm_id is not None:
        return base.filter(participants__firm_id=user.firm_id).distinct()
    if has_role(user, *READ_ALL_ROLES):
        return base.filter(tender__status__in=OPENED_STATUSES)
    return base.none()


def bid_for(user: AnyUser, bid_id: int) -> Bid:
    bid = bids_visible_to(user).filter(pk=bid_id).first()
    if bid is None:
        # Same answer whether the bid is missing, sealed or someone else's.
        raise PermissionDenied("No such bid, or it is not yours to see.")
    return bid


def my_bid(user: AnyUser, tender: Tender) -> Bid | None:
    if not has_role(user, Role.FIRM_USER):
        return None
    return bids_visible_to(user).filter(tender=tender).first()


def can_change_bid(user: AnyUser, bid: Bid) -> bool:
    return has_role(user, Role.FIRM_USER) and user.firm_id == bid.firm_id


def final_version(bid: Bid) -> BidVersion | None:
    versions = list(bid.versions.all())
    return versions[-1] if versions else None


def version_for(user: AnyUser, version_id: int) -> BidVersion:
    version = (
        BidVersion.objects.select_related(
            "bid__tender", "bid__firm", "bid__consortium", "submitted_by"
        )
        .prefetch_related("documents")
        .filter(pk=version_id, bid__in=bids_visible_to(user))
        .first()
    )
    if version is None:
        raise PermissionDenied("No such receipt, or it is not yours to see.")
    return version


def bid_document_for(user: AnyUser, bid_id: int, document_id: int) -> BidDocument:
    bid = bid_for(user, bid_id)
    document = bid.documents.filter(pk=document_id).first()
    if document is None:
        raise Http404("No such document")
    return document


def evaluation_for_bid(user: AnyUser, bid: Bid) -> TechnicalEvaluation | None:
    """Staff see evaluations as they are recorded; the bidder sees its own once approved."""
    evaluation = (
        TechnicalEvaluation.objects.select_related("evaluated_by", "approved_by")
        .prefetch_related("results")
        .filter(bid=bid)
        .first()
    )
    if evaluation is None:
        return None
    if has_role(user, *READ_ALL_ROLES):
        return evaluation
    if evaluation.status == TechnicalEvaluation.Status.APPROVED:
        return evaluation
    return None


def evaluation_for(user: AnyUser, evaluation_id: int) -> TechnicalEvaluation:
    if not has_role(user, *READ_ALL_ROLES):
        raise PermissionDenied("Only ministry staff handle technical evaluations.")
    evaluation = (
        TechnicalEvaluation.objects.select_related("bid__tender", "evaluated_by", "approved_by")
        .prefetch_related("results")
        .filter(pk=evaluation_id)
        .first()
    )
    if evaluation is None:
        raise Http404("No such evaluation")
    return evaluation


# Receipts and commitments


def receipt(version: BidVersion) -> dict[str, Any]:
    """What a bidder's receipt says: when, what it committed to, and how to check it. No rate."""
    bid = version.bid
    tender = bid.tender
    latest = bid.versions.order_by("-number").values_list("number", flat=True).first()
    return {
        "receipt_number": version.receipt_number,
        "tender": {"id": tender.pk, "reference": tender.reference, "title": tender.title},
        "bid": bid.pk,
        "bidder": bid.bidder_name,
        "version": version.number,
        "submitted_at": timezone.localtime(version.submitted_at).isoformat(),
        "submitted_by": version.submitted_by.get_username(),
        "bid_capacity_mtpa": version.capacity_mtpa,
        "accepts_partial": version.accepts_partial,
        "documents": [
            {"kind": d.kind, "name": d.original_name, "sha256": d.sha256, "size": d.size}
            for d in version.documents.all()
        ],
        "technical_digest": version.technical_digest,
        "financial_digest": version.financial_digest,
        "commitment": version.commitment,
        "counts": version.number == latest and bid.status != Bid.Status.WITHDRAWN,
        "scheme": (
            f'commitment = SHA-256("{COMMITMENT_DOMAIN}\\n" + technical_digest + "\\n" + '
            "financial_digest); the financial digest covers the sealed rate and a secret "
            "nonce, both published at the financial opening."
        ),
        "verify_at": reverse("public_tender", args=[tender.pk])
        + f"?commitment={version.commitment}",
    }


@dataclass
class CommitmentRow:
    bid_id: int
    version: int
    submitted_at: dt.datetime
    commitment: str
    state: str  # counts, superseded, withdrawn
    bidder: str = ""
    technical: OpenedCover | None = None
    financial: OpenedCover | None = None


def commitments_published(tender: Tender, *, now: dt.datetime | None = None) -> bool:
    return tender.status != Tender.Status.DRAFT and clock.now(now) >= tender.bids_due


def commitments(
    tender: Tender,
    *,
    now: dt.datetime | None = None,
    opened_views: list[OpeningView] | None = None,
) -> list[CommitmentRow] | None:
    """Every commitment received, published from the due date (None before it).

    Bidders are named once the technical covers are open; until then a row is only a bid number.
    A page that shows `openings(tender)` too passes them as `opened_views`: their covers are used.
    """
    if not commitments_published(tender, now=now):
        return None
    named = tender.status in OPENED_STATUSES
    if opened_views is None:
        covers = list(OpenedCover.objects.filter(opening__tender=tender).select_related("opening"))
    else:
        covers = [c for view in opened_views for c in view.covers]
    opened = {(c.bid_version_id, c.opening.stage): c for c in covers}
    rows = []
    bids = _bid_base().filter(tender=tender).order_by("pk")
    for bid in bids:
        versions = list(bid.versions.all())
        for version in versions:
            if bid.status == Bid.Status.WITHDRAWN:
                state = gettext_noop("withdrawn")
            elif version.number == versions[-1].number:
                state = gettext_noop("counts")
            else:
                state = gettext_noop("superseded")
            rows.append(
                CommitmentRow(
                    bid_id=bid.pk,
                    version=version.number,
                    submitted_at=version.submitted_at,
                    commitment=version.commitment,
                    state=state,
                    bidder=bid.bidder_name if named else "",
                    technical=opened.get((version.pk, Stage.TECHNICAL)),
                    financial=opened.get((version.pk, Stage.FINANCIAL)),
                )
            )
    return rows


def verify_commitment(
    tender: Tender, commitment: str, *, now: dt.datetime | None = None
) -> dict[str, Any]:
    """What the public record says about a commitment from a receipt."""
    value = (commitment or "").strip().lower()
    if len(value) != 64 or any(ch not in "0123456789abcdef" for ch in value):
        return {"found": False, "message": "A commitment is 64 hexadecimal characters."}
    rows = commitments(tender, now=now)
    if rows is None:
        return {
            "found": False,
            "message": f"Commitments are published when bids fall due ({timezone.localtime(tender.bids_due):%d %b %Y %H:%M}).",
        }
    for row in rows:
        if row.commitment == value:
            return {"found": True, "row": row, "message": _verdict(row)}
    return {
        "found": False,
        "message": "This commitment is not among the bids received on this tender.",
    }


def _verdict(row: CommitmentRow) -> str:
    parts = [f"Listed: bid {row.bid_id}, version {row.version}"]
    parts.append(
        {
            "counts": "the version that counts",
            "superseded": "superseded by a later version",
            "withdrawn": "the bid was withdrawn",
        }[row.state]
    )
    for cover in (row.technical, row.financial):
        if cover is not None:
            result = "matched" if cover.matches_commitment else "did NOT match"
            parts.append(f"{cover.opening.get_stage_display().lower()} cover {result} at opening")
    return "; ".join(parts) + "."


# Openings


@dataclass
class OpeningView:
    stage: str
    label: str
    scheduled_at: dt.datetime
    opening: CoverOpening | None
    confirmations: list[OpeningConfirmation] = field(default_factory=list)
    covers: list[OpenedCover] = field(default_factory=list)


def openings(tender: Tender) -> list[OpeningView]:
    """Both openings: who confirmed, when, and which covers were opened with what result."""
    done = {
        o.stage: o
        for o in tender.openings.prefetch_related(
            Prefetch(
                "covers",
                queryset=OpenedCover.objects.select_related(
                    "bid_version__bid__firm", "bid_version__bid__consortium"
                ).order_by("bid_version__bid_id"),
            )
        )
    }
    confirmations: dict[str, list[OpeningConfirmation]] = {}
    for c in tender.confirmations.select_related("member").order_by("confirmed_at", "id"):
        confirmations.setdefault(c.stage, []).append(c)
    return [
        OpeningView(
            stage=stage.value,
            label=stage.label,
            scheduled_at=getattr(tender, f"{stage.value}_opening_at"),
            opening=done.get(stage.value),
            confirmations=confirmations.get(stage.value, []),
            covers=list(done[stage.value].covers.all()) if stage.value in done else [],
        )
        for stage in Stage
    ]


def sealed_to_committee(tender: Tender) -> bool:
    """Whether the tender's covers open only with its committee's shares (issue 13)."""
    return tender.opening_keys.exists()


def is_committee_member(user: AnyUser, tender: Tender) -> bool:
    if user is None or not user.is_authenticated or user.pk is None:
        return False
    return tender.committee_members.filter(user_id=user.pk).exists()


# Evaluation, ranking, comparative statement


def evaluation_queue(user: AnyUser, tender: Tender) -> list[tuple[Bid, TechnicalEvaluation | None]]:
    if not has_role(user, *READ_ALL_ROLES) or tender.status not in OPENED_STATUSES:
        return []
    bids = (
        _bid_base()
        .filter(tender=tender)
        .exclude(status=Bid.Status.WITHDRAWN)
        .select_related("evaluation__evaluated_by", "evaluation__approved_by")
        .order_by("pk")
    )
    return [(bid, getattr(bid, "evaluation", None)) for bid in bids]


@dataclass
class StatementRow:
    bid_id: int
    bidder: str
    members: str
    country: str
    capacity_mtpa: int
    accepts_partial: bool
    net_worth: Decimal
    submitted_at: dt.datetime
    versions: int
    status: str
    technical: str
    technical_reasons: str
    quoted_rate: Decimal | None
    rank: int | None
    outcome: str
    allocated_mtpa: int | None
    is_partial: bool
    oxide_mtpa: Decimal | None
    note: str

    @property
    def rank_label(self) -> str:
        return f"L{self.rank}" if self.rank else ""


STATEMENT_SORTS = {
    "rank": lambda r: (r.rank is None, r.rank or 0, r.bid_id),
    "rate": lambda r: (r.quoted_rate is None, r.quoted_rate or 0, r.bid_id),
    "bidder": lambda r: (r.bidder.lower(), r.bid_id),
    "capacity": lambda r: (r.capacity_mtpa, r.bid_id),
    "net_worth": lambda r: (r.net_worth, r.bid_id),
    "submitted": lambda r: (r.submitted_at, r.bid_id),
    "bid": lambda r: (r.bid_id,),
}


def comparative_statement(
    user: AnyUser, tender: Tender, *, sort: str = "rank"
) -> list[StatementRow]:
    """Every bid with its evaluation, and from the financial opening its rate, rank and allocation."""
    if not has_role(user, *READ_ALL_ROLES):
        raise PermissionDenied("The comparative statement is for ministry staff.")
    if tender.status not in OPENED_STATUSES:
        raise PermissionDenied(
            "The comparative statement exists once the technical covers are open."
        )
    ranked = tender.status in RANKED_STATUSES
    rates = {}
    if ranked:
        rates = {
            c.bid_version.bid_id: c.quoted_rate
            for c in OpenedCover.objects.filter(
                opening__tender=tender, opening__stage=Stage.FINANCIAL
            ).select_related("bid_version")
        }
    rankings = {r.bid_id: r for r in BidRanking.objects.filter(tender=tender)} if ranked else {}
    rows = []
    bids = (
        _bid_base()
        .filter(tender=tender)
        .select_related("evaluation")
        .prefetch_related("evaluation__results")
        .order_by("pk")
    )
    for bid in bids:
        versions = list(bid.versions.all())
        final = versions[-1]
        evaluation = getattr(bid, "evaluation", None)
        if evaluation is None:
            technical, reasons = gettext_noop("pending"), ""
        elif evaluation.status == TechnicalEvaluation.Status.APPROVED:
            technical = (
                gettext_noop("qualified") if evaluation.qualified else gettext_noop("disqualified")
            )
        else:
            technical = (
                gettext_noop("qualified (not yet approved)")
                if evaluation.qualified
                else gettext_noop("disqualified (not yet approved)")
            )
        if evaluation is not None:
            reasons = "; ".join(
                f"{r.get_criterion_display()}: {r.reason}"
                for r in evaluation.results.all()
                if not r.passed
            )
        ranking = rankings.get(bid.pk)
        rows.append(
            StatementRow(
                bid_id=bid.pk,
                bidder=bid.bidder_name,
                members=", ".join(
                    f"{p.firm.legal_name} ({p.equity_pct} %)"
                    if p.equity_pct is not None
                    else p.firm.legal_name
                    for p in bid.participants.all()
                ),
                country=bid.firm.country,
                capacity_mtpa=final.capacity_mtpa,
                accepts_partial=final.accepts_partial,
                net_worth=final.net_worth,
                submitted_at=final.submitted_at,
                versions=len(versions),
                status=bid.get_status_display(),
                technical=technical,
                technical_reasons=reasons,
                quoted_rate=rates.get(bid.pk),
                rank=ranking.rank if ranking else None,
                outcome=ranking.get_outcome_display() if ranking else "",
                allocated_mtpa=ranking.allocated_mtpa if ranking else None,
                is_partial=ranking.is_partial if ranking else False,
                oxide_mtpa=ranking.oxide_mtpa if ranking else None,
                note=(ranking.waitlist_reason or ranking.tie_note) if ranking else "",
            )
        )
    key = sort.lstrip("-")
    rows.sort(key=STATEMENT_SORTS.get(key, STATEMENT_SORTS["rank"]), reverse=sort.startswith("-"))
    return rows


def rankings_of(tender: Tender) -> list[BidRanking]:
    if tender.status not in RANKED_STATUSES:
        return []
    return list(tender.rankings.select_related("bid__firm", "bid__consortium").order_by("rank"))


# Awards


def awards_visible_to(user: AnyUser) -> QuerySet[Award]:
    base = Award.objects.select_related(
        "tender", "bid__firm", "bid__consortium", "letter", "rule_set"
    ).prefetch_related(
        Prefetch(
            "guarantees",
            queryset=PerformanceBankGuarantee.objects.order_by("-recorded_at").prefetch_related(
                "extensions"
            ),
        )
    )
    if has_role(user, *READ_ALL_ROLES):
        return base
    if has_role(user, Role.FIRM_USER) and user.firm_id is not None:
        return base.filter(bid__participants__firm_id=user.firm_id).distinct()
    return base.none()


def award_for(user: AnyUser, award_id: int) -> Award:
    award = awards_visible_to(user).filter(pk=award_id).first()
    if award is None:
        raise PermissionDenied("No such award, or it is not yours to see.")
    return award


def public_awards(tender: Tender) -> list[Award]:
    if tender.status != Tender.Status.AWARDED:
        return []
    return list(
        tender.awards.select_related("bid__firm", "bid__consortium", "letter")
        .prefetch_related(_participants("bid__participants"))
        .order_by("rank")
    )


def letter_for(user: AnyUser, award_id: int) -> AwardLetter:
    award = award_for(user, award_id)
    letter = getattr(award, "letter", None)
    if letter is None:
        raise Http404("No letter for this award")
    return letter


def guarantees_expiring(
    *, within_days: int = 90, now: dt.datetime | None = None
) -> QuerySet[PerformanceBankGuarantee]:
    today = timezone.localdate(clock.now(now))
    return (
        PerformanceBankGuarantee.objects.filter(
            status=PerformanceBankGuarantee.Status.ACTIVE,
            valid_until__gte=today,
            valid_until__lte=today + dt.timedelta(days=within_days),
        )
        .select_related("award__tender", "award__bid__firm")
        .order_by("valid_until", "pk")
    )


# Related fields and filters of the API offer only what these selectors let a user see.
scoping.register(Tender, tenders_visible_to)
scoping.register(Bid, bids_visible_to)
scoping.register(Award, awards_visible_to)
