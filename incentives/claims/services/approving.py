"""Approval of a verified sales claim by the ministry (never by its verifier), and its sanction request."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext

from beneficiaries.models import User
from incentives import sanctions
from incentives.claims import selectors
from incentives.claims.models import Claim
from incentives.claims.services.settling import CLAIM_PIPELINE, label_of
from repm_portal import clock, pipeline
from repm_portal.roles import Role, require_role

S = Claim.Status
# The claim kind of the sales-linked incentive (incentives.sli registers it).
CLAIM_TYPE = "sli_quarter"


@transaction.atomic
def approve_claim(*, actor: User, claim: Claim, now: dt.datetime | None = None) -> Claim:
    """Approve a verified claim and ask for its sanction letter, in one transaction (maker-checker)."""
    require_role(actor, Role.APPROVER, action="approve a sales claim")
    now = clock.now(now)
    claim = Claim.objects.select_for_update(of=("self",)).select_related("award").get(pk=claim.pk)
    if claim.status != S.VERIFIED:
        raise ValidationError(
            gettext("%(claim)s is %(status)s; only a verified claim is approved.")
            % {"claim": label_of(claim), "status": gettext(claim.get_status_display()).lower()}
        )
    if selectors.took_part_in_verification(actor, claim):
        raise PermissionDenied("The verifier of a claim may not approve it (maker-checker).")
    pipeline.transition(
        claim, S.APPROVED, pipeline=CLAIM_PIPELINE, actor=actor, now=now, label=label_of(claim),
        extra={"approved_by_id": actor.pk, "approved_at": now, "updated_at": now},
    )  # fmt: skip
    sanctions.request_sanction(claim_type=CLAIM_TYPE, claim_id=claim.pk, actor=actor, now=now)
    return claim


__all__ = ["CLAIM_TYPE", "approve_claim"]
