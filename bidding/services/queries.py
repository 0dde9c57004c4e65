"""Pre-bid queries: firms ask before the deadline, officials answer all bidders."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from beneficiaries.models import User
from bidding.models import (
    PreBidQuery,
    Tender,
)
from bidding.services._common import TENDER_MANAGERS, _lock_tender, _when
from repm_portal import audit, clock
from repm_portal.roles import Role, require_role


@transaction.atomic
def ask_query(
    *, actor: User, tender: Tender, question: str, now: dt.datetime | None = None
) -> PreBidQuery:
    """A firm asks before the query deadline; other firms and the public never learn who asked."""
    require_role(actor, Role.FIRM_USER, action="ask a pre-bid query")
    if actor.firm_id is None:
        raise PermissionDenied(_("Only a user of a registered firm may ask a pre-bid query."))
    tender = _lock_tender(tender)
    now = clock.now(now)
    if tender.status != Tender.Status.PUBLISHED:
        raise ValidationError(_("Queries are taken only on a published tender."))
    if now > tender.queries_due:
        raise ValidationError(
            _("Pre-bid queries closed at %(queries_due)s; it is now %(now)s.")
            % {"queries_due": _when(tender.queries_due), "now": _when(now)}
        )
    if not question.strip():
        raise ValidationError({"question": _("Write the question.")})
    query = PreBidQuery.objects.create(
        tender=tender,
        firm_id=actor.firm_id,
        asked_by=actor,
        asked_at=now,
        question=question.strip(),
    )
    audit.record(
        actor=actor,
        action="query.asked",
        obj=query,
        new={"tender": tender.reference, "question": query.question},
    )
    return query


@transaction.atomic
def answer_query(
    *, actor: User, query: PreBidQuery, answer: str, now: dt.datetime | None = None
) -> PreBidQuery:
    """An official publishes the answer to all bidders; an answer once published stands."""
    require_role(actor, *TENDER_MANAGERS, action="answer pre-bid queries")
    tender = _lock_tender(query.tender_id)
    query = PreBidQuery.objects.select_for_update().get(pk=query.pk)
    now = clock.now(now)
    if query.answered_at is not None:
        raise ValidationError(
            _("This query is already answered; issue a corrigendum to change the answer.")
        )
    if now >= tender.bids_due:
        raise ValidationError(
            _("Bids were due at %(bids_due)s; queries can no longer be answered.")
            % {"bids_due": _when(tender.bids_due)}
        )
    if not answer.strip():
        raise ValidationError({"answer": _("Write the answer.")})
    query.answer, query.answered_by, query.answered_at = answer.strip(), actor, now
    query.save(update_fields=["answer", "answered_by", "answered_at"])
    audit.record(
        actor=actor,
        action="query.answered",
        obj=query,
        old={"answer": ""},
        new={"answer": query.answer},
    )
    return query
