"""Invoking or releasing a guarantee takes two officials: one proposes, another confirms.

The proposal is checked as the act itself would be (the amount, the reason, what the award
still owes), so the second official confirms something that can be carried out; at the
confirmation every check runs again on the guarantee as it is then.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from beneficiaries.models import User
from bidding.models import PbgClosure, PerformanceBankGuarantee
from bidding.services._common import TENDER_MANAGERS
from bidding.services.guarantees import (
    _invoke_checks,
    _lock_active_guarantee,
    _official_emails,
    _release_checks,
    invoke_pbg,
    release_pbg,
)
from repm_portal import audit, clock
from repm_portal.money import format_inr
from repm_portal.pipeline import transition
from repm_portal.roles import require_role
from repm_portal.text import clean_reason

CLOSURE_PIPELINE: dict[str, set[str]] = {
    PbgClosure.Status.PROPOSED: {PbgClosure.Status.CONFIRMED, PbgClosure.Status.CANCELLED},
}


def _tell_officials(closure: PbgClosure, proposer: User) -> None:
    recipients = [e for e in _official_emails() if e != proposer.email]
    if not recipients:
        return
    guarantee = closure.guarantee
    # In the e-mails' language (the default: no user keeps a language preference), never the
    # language of the proposer's page.
    with translation.override(settings.LANGUAGE_CODE):
        what = _(closure.get_action_display()).lower()
        amount = (
            _(" for %(amount)s") % {"amount": format_inr(closure.amount)} if closure.amount else ""
        )
        subject = _("[REPM] Confirm or cancel: %(what)s guarantee %(number)s") % {
            "what": what,
            "number": guarantee.guarantee_number,
        }
        body = _(
            "%(proposer)s proposes to %(what)s the performance bank guarantee %(number)s of "
            "%(bank)s%(amount)s: %(reason)s\n"
            "It is carried out only when a second official confirms it on the award's page."
        ) % {
            "proposer": proposer,
            "what": what,
            "number": guarantee.guarantee_number,
            "bank": guarantee.bank_name,
            "amount": amount,
            "reason": closure.reason,
        }
    transaction.on_commit(lambda: send_mail(subject, body, None, recipients))


@transaction.atomic
def propose_pbg_closure(
    *,
    actor: User,
    guarantee: PerformanceBankGuarantee,
    action: str,
    reason: str,
    amount: Decimal | None = None,
    now: dt.datetime | None = None,
) -> PbgClosure:
    """An official proposes to invoke (with the amount) or release the guarantee."""
    require_role(actor, *TENDER_MANAGERS, action="propose closing a performance bank guarantee")
    guarantee = _lock_active_guarantee(guarantee)
    now = clock.now(now)
    if action == PbgClosure.Action.INVOKE:
        checked_amount, reason = _invoke_checks(guarantee, amount, reason)
        closure_amount: Decimal | None = checked_amount
    elif action == PbgClosure.Action.RELEASE:
        reason = _release_checks(guarantee, reason, timezone.localdate(now))
        closure_amount = None
    else:
        raise ValidationError({"action": [_("Choose to invoke or to release the guarantee.")]})
    try:
        with transaction.atomic():
            closure = PbgClosure.objects.create(
                guarantee=guarantee,
                action=action,
                amount=closure_amount,
                reason=reason,
                proposed_by=actor,
                proposed_at=now,
            )
    except IntegrityError as exc:
        raise ValidationError(
            _(
                "Guarantee %(guarantee_number)s already has a proposal waiting for a "
                "second official; confirm or cancel that one first."
            )
            % {"guarantee_number": guarantee.guarantee_number}
        ) from exc
    audit.record(
        actor=actor,
        action=f"pbg.{action}_proposed",
        obj=guarantee,
        new={
            "closure_id": closure.pk,
            "action": action,
            "amount": closure_amount,
            "reason": reason,
        },
    )
    _tell_officials(closure, actor)
    return closure


def _lock(closure: PbgClosure) -> PbgClosure:
    locked = (
        PbgClosure.objects.select_for_update(of=("self",))
        .select_related("guarantee", "proposed_by")
        .get(pk=closure.pk)
    )
    if locked.status != PbgClosure.Status.PROPOSED:
        raise ValidationError(
            _("This proposal is %(status)s already.")
            % {"status": _(locked.get_status_display()).lower()}
        )
    return locked


@transaction.atomic
def confirm_pbg_closure(
    *, actor: User, closure: PbgClosure, now: dt.datetime | None = None
) -> PerformanceBankGuarantee:
    """A second official confirms; the guarantee is invoked or released now."""
    require_role(actor, *TENDER_MANAGERS, action="confirm closing a performance bank guarantee")
    closure = _lock(closure)
    if closure.proposed_by_id == actor.pk:
        raise PermissionDenied(
            _("The official who proposed it cannot confirm it; a second official must.")
        )
    now = clock.now(now)
    if closure.action == PbgClosure.Action.INVOKE:
        guarantee = invoke_pbg(
            actor=actor,
            guarantee=closure.guarantee,
            amount=closure.amount,
            reason=closure.reason,
            proposed_by=closure.proposed_by,
            now=now,
        )
    else:
        guarantee = release_pbg(
            actor=actor,
            guarantee=closure.guarantee,
            reason=closure.reason,
            proposed_by=closure.proposed_by,
            now=now,
        )
    transition(
        closure,
        PbgClosure.Status.CONFIRMED,
        pipeline=CLOSURE_PIPELINE,
        actor=actor,
        now=now,
        label=str(closure),
        extra={"decided_by_id": actor.pk, "decided_at": now},
    )
    return guarantee


@transaction.atomic
def cancel_pbg_closure(
    *, actor: User, closure: PbgClosure, note: str, now: dt.datetime | None = None
) -> PbgClosure:
    """The proposer or another official cancels the proposal, saying why; the guarantee stays."""
    require_role(actor, *TENDER_MANAGERS, action="cancel a guarantee proposal")
    closure = _lock(closure)
    note = clean_reason(note, field="note", what="reason for cancelling")
    now = clock.now(now)
    transition(
        closure,
        PbgClosure.Status.CANCELLED,
        pipeline=CLOSURE_PIPELINE,
        actor=actor,
        now=now,
        label=str(closure),
        reason=note,
        extra={"decided_by_id": actor.pk, "decided_at": now, "decision_note": note},
    )
    return closure


def open_closure(guarantee: PerformanceBankGuarantee) -> PbgClosure | None:
    return (
        guarantee.closures.filter(status=PbgClosure.Status.PROPOSED)
        .select_related("proposed_by")
        .first()
    )


__all__ = [
    "CLOSURE_PIPELINE",
    "cancel_pbg_closure",
    "confirm_pbg_closure",
    "open_closure",
    "propose_pbg_closure",
]
