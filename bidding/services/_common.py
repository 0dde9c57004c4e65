"""What the bidding services share: who may act, the tender and bid pipelines, locks and small helpers."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from beneficiaries.models import User
from bidding.models import (
    Bid,
    BidVersion,
    Tender,
)
from repm_portal.money import format_indian_number
from repm_portal.pipeline import transition
from repm_portal.roles import Role

logger = logging.getLogger("bidding.services")

TENDER_MANAGERS = (Role.OFFICIAL, Role.ADMIN)
COMMITTEE_ROLES = (Role.OFFICIAL, Role.EVALUATOR, Role.APPROVER, Role.ADMIN)
EVALUATION_APPROVERS = (Role.EVALUATOR, Role.OFFICIAL, Role.APPROVER)

TENDER_PIPELINE: dict[str, set[str]] = {
    Tender.Status.DRAFT: {Tender.Status.PUBLISHED, Tender.Status.CANCELLED},
    Tender.Status.PUBLISHED: {Tender.Status.TECHNICAL_OPENED, Tender.Status.CANCELLED},
    Tender.Status.TECHNICAL_OPENED: {Tender.Status.TECHNICAL_EVALUATED},
    Tender.Status.TECHNICAL_EVALUATED: {Tender.Status.FINANCIAL_OPENED},
    Tender.Status.FINANCIAL_OPENED: {Tender.Status.AWARDED},
    Tender.Status.AWARDED: set(),
    Tender.Status.CANCELLED: set(),
}
BID_PIPELINE: dict[str, set[str]] = {
    Bid.Status.SUBMITTED: {
        Bid.Status.WITHDRAWN,
        Bid.Status.QUALIFIED,
        Bid.Status.DISQUALIFIED,
        Bid.Status.EXCLUDED,
    },
    Bid.Status.QUALIFIED: {Bid.Status.AWARDED, Bid.Status.WAITLISTED, Bid.Status.EXCLUDED},
    Bid.Status.WITHDRAWN: set(),
    Bid.Status.DISQUALIFIED: set(),
    Bid.Status.EXCLUDED: set(),
    Bid.Status.AWARDED: set(),
    Bid.Status.WAITLISTED: set(),
}


def _when(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%d %b %Y %H:%M:%S %Z")


def _mtpa(value: int) -> str:
    return f"{format_indian_number(value)} MTPA"


def _lock_tender(tender: Tender | int) -> Tender:
    pk = tender.pk if isinstance(tender, Tender) else tender
    # of=("self",): lock the tender only, never the shared rule-set row it joins.
    return Tender.objects.select_for_update(of=("self",)).select_related("rule_set").get(pk=pk)


def _transition_tender(
    tender: Tender, to: str, *, actor: User | None, now: dt.datetime,
    extra: dict[str, Any] | None = None, reason: str = "",
) -> None:  # fmt: skip
    transition(
        tender, to, pipeline=TENDER_PIPELINE, actor=actor, now=now,
        label=f"Tender {tender.reference}", extra=extra, reason=reason,
    )  # fmt: skip


def _transition_bid(
    bid: Bid, to: str, *, actor: User | None, now: dt.datetime,
    extra: dict[str, Any] | None = None, reason: str = "",
) -> None:  # fmt: skip
    transition(
        bid, to, pipeline=BID_PIPELINE, actor=actor, now=now, label=f"Bid {bid.pk}",
        extra=extra, reason=reason,
    )  # fmt: skip


def _add_error(errors: dict[str, list[str]], field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _final_versions(bids: Iterable[Bid]) -> dict[int, BidVersion]:
    ids = [b.pk for b in bids]
    versions = (
        BidVersion.objects.filter(bid_id__in=ids)
        .select_related("bid__tender")
        .prefetch_related("documents")
        .order_by("bid_id", "-number")
    )
    final: dict[int, BidVersion] = {}
    for version in versions:
        final.setdefault(version.bid_id, version)
    return final
