"""Navigation and dashboard panels of the bidding phase."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from bidding import selectors, services
from bidding.models import PerformanceBankGuarantee, Tender
from repm_portal import clock
from repm_portal.roles import READ_ALL_ROLES, Role
from repm_portal.ui import register_nav, register_panel


def _guarantees(now, *, firm_user=None) -> tuple[list, list]:
    """The active guarantees expiring within 90 days, and those expired while their award still
    owes something: one read of the active guarantees up to 90 days ahead serves both."""
    today = timezone.localdate(clock.now(now))
    active = (
        PerformanceBankGuarantee.objects.filter(
            status=PerformanceBankGuarantee.Status.ACTIVE,
            valid_until__lte=today + dt.timedelta(days=90),
        )
        .select_related("award__tender", "award__bid__firm", "award__rule_set")
        .order_by("valid_until", "pk")
    )
    if firm_user is not None:  # a firm's own only (none for a firm user without a firm)
        active = active.filter(award__bid__firm_id=firm_user.firm_id)
    rows = list(active)
    expiring = [g for g in rows if g.valid_until >= today]
    return expiring, services.expired_guarantees_with_obligations(now=now, among=rows)


def _staff_context(user) -> dict:
    now = timezone.now()
    active = selectors.tenders_visible_to(user).exclude(
        status__in=[Tender.Status.AWARDED, Tender.Status.CANCELLED]
    )
    expiring, expired = _guarantees(now)
    return {
        "rows": [(t, selectors.phase(t, now=now)) for t in active[:8]],
        "expiring": expiring[:5],
        "expired": expired[:5],
    }


def _firm_context(user) -> dict:
    now = timezone.now()
    open_tenders = [
        t
        for t in selectors.tenders_visible_to(user).filter(status=Tender.Status.PUBLISHED)
        if now < t.bids_due
    ]
    # The panel shows the bids' tenders and the awards' labels and tenders: not the versions,
    # members, guarantees, bidders or letters the selectors also read (a DISTINCT over those
    # wide rows is most of the panel's time).
    expiring, expired = _guarantees(now, firm_user=user)
    return {
        "open_tenders": open_tenders[:5],
        "bids": list(
            selectors.bids_visible_to(user)
            .prefetch_related(None)
            .select_related(None)
            .select_related("tender")
            .order_by("-created_at")[:8]
        ),
        "awards": list(
            selectors.awards_visible_to(user)
            .prefetch_related(None)
            .select_related(None)
            .select_related("tender")[:5]
        ),
        "expiring": expiring,
        "expired": expired,
    }


def register() -> None:
    register_nav("Tenders", "tender_list", [Role.FIRM_USER, *READ_ALL_ROLES], order=20)
    register_nav("Awards", "award_list", [Role.FIRM_USER, *READ_ALL_ROLES], order=25)
    register_nav(
        "Public tender pages", "public_tender_list", [Role.FIRM_USER, *READ_ALL_ROLES], order=85
    )
    register_panel(
        "Tenders in progress",
        "bidding/panels/tenders.html",
        READ_ALL_ROLES,
        _staff_context,
        order=30,
    )
    register_panel(
        "Tenders and your bids",
        "bidding/panels/my_bids.html",
        [Role.FIRM_USER],
        _firm_context,
        order=10,
    )
