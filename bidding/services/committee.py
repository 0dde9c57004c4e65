"""A tender's bid-opening committee changes, and with it the split of the tender's key."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from beneficiaries.models import User
from bidding.models import CommitteeMember, Tender
from bidding.services._common import TENDER_MANAGERS, _lock_tender, _when
from bidding.services.opening_keys import issue_tender_key
from bidding.services.tenders import _validate_committee
from repm_portal import audit, clock
from repm_portal.roles import require_role
from repm_portal.text import clean_reason


@transaction.atomic
def change_committee(
    *,
    actor: User,
    tender: Tender,
    committee: Sequence[User],
    reason: str,
    now: dt.datetime | None = None,
) -> Tender:
    """Replace the committee of a draft, or of a published tender that has no bid yet.

    A published tender gets a fresh key pair split among the new committee; no cover was
    sealed to the old one, whose shares are deleted and open nothing. Once a bid is sealed the
    committee is fixed: re-splitting would mean rebuilding the key, which only an opening may do.
    """
    require_role(actor, *TENDER_MANAGERS, action="change a bid-opening committee")
    tender = _lock_tender(tender)
    now = clock.now(now)
    reason = clean_reason(reason, what="the committee change")
    if tender.status not in (Tender.Status.DRAFT, Tender.Status.PUBLISHED):
        raise ValidationError(
            _("Tender %(reference)s is %(status)s; its committee can no longer change.")
            % {"reference": tender.reference, "status": _(tender.get_status_display()).lower()}
        )
    if tender.status == Tender.Status.PUBLISHED:
        if now >= tender.bids_due:
            raise ValidationError(
                _("Bids were due %(bids_due)s; the committee can no longer change.")
                % {"bids_due": _when(tender.bids_due)}
            )
        if tender.bids.exists():
            raise ValidationError(
                _(
                    "A bid is already sealed to this tender's key, so its committee is "
                    "fixed: the key could be split again only by rebuilding it, which only "
                    "the opening does."
                )
            )
    errors: dict[str, list[str]] = {}
    _validate_committee(committee, tender.opening_quorum, errors)
    if errors:
        raise ValidationError(errors)
    old = sorted(m.user.get_username() for m in tender.committee_members.select_related("user"))
    tender.committee_members.all().delete()
    CommitteeMember.objects.bulk_create(
        CommitteeMember(tender=tender, user=m) for m in {m.pk: m for m in committee}.values()
    )
    audit.record(
        actor=actor,
        action="tender.committee_changed",
        obj=tender,
        old={"committee": old},
        new={"committee": sorted(m.get_username() for m in committee), "reason": reason},
    )
    if tender.status == Tender.Status.PUBLISHED:
        issue_tender_key(actor=actor, tender=tender, now=now)
    return tender
