"""A sales claim's lifecycle after its check, and how the money core settles it: sanctioned, nil, paid.

The sales-linked incentive's claim kind (`incentives.sli`) calls `mark_sanctioned` from its
sanction's `on_result` and `mark_paid` from `on_paid`; the workflow's own moves (submit, verify,
return, approve...) use the same `CLAIM_PIPELINE`.
"""

from __future__ import annotations

import datetime as dt

from incentives.claims.models import Claim
from incentives.models import SanctionLetter
from repm_portal import clock
from repm_portal.pipeline import transition

S = Claim.Status
CLAIM_PIPELINE: dict[str, set[str]] = {
    S.DRAFT: {S.SUBMITTED, S.LAPSED},
    S.LAPSED: {S.DRAFT},  # reopened once by an official, with a reason
    S.SUBMITTED: {S.UNDER_VERIFICATION},
    S.UNDER_VERIFICATION: {S.VERIFIED, S.RETURNED, S.REJECTED},
    S.RETURNED: {S.SUBMITTED},
    S.VERIFIED: {S.APPROVED, S.UNDER_VERIFICATION},
    S.APPROVED: {S.SANCTIONED, S.NIL},
    S.SANCTIONED: {S.PAID},
    S.PAID: set(),
    S.NIL: set(),
    S.REJECTED: set(),
}


def label_of(claim: Claim) -> str:
    """The claim as an error message names it."""
    return f"Sales claim {claim.quarter_label} of {claim.award}"


_label = label_of


def mark_sanctioned(
    claim_id: str, letter: SanctionLetter | None, *, now: dt.datetime | None = None
) -> Claim:
    """In the issuing transaction: the claim's letter is numbered (sanctioned), or nothing is payable (nil)."""
    claim = Claim.objects.select_for_update().get(pk=claim_id)
    to = S.SANCTIONED if letter is not None else S.NIL
    transition(
        claim, to, pipeline=CLAIM_PIPELINE, actor=None, now=clock.now(now), label=_label(claim),
        extra={"updated_at": clock.now(now)},
        audit_new={"letter": letter.number if letter is not None else None},
    )  # fmt: skip
    return claim


def mark_paid(claim_id: str, letter: SanctionLetter, *, now: dt.datetime | None = None) -> Claim:
    """The letter's payable is paid in full (or was all netted): the claim is paid."""
    claim = Claim.objects.select_for_update().get(pk=claim_id)
    transition(
        claim, S.PAID, pipeline=CLAIM_PIPELINE, actor=None, now=clock.now(now), label=_label(claim),
        extra={"updated_at": clock.now(now)}, audit_new={"letter": letter.number},
    )  # fmt: skip
    return claim


__all__ = ["CLAIM_PIPELINE", "label_of", "mark_paid", "mark_sanctioned"]
