"""Navigation and dashboard panels of the bidding phase."""

from __future__ import annotations

from django.utils import timezone

from bidding import selectors, services
from bidding.models import Tender
from repm_portal.roles import READ_ALL_ROLES, Role
from repm_portal.ui import register_nav, register_panel


def _staff_context(user) -> dict:
    now = timezone.now()
    active = selectors.tenders_visible_to(user).exclude(
        status__in=[Tender.Status.AWARDED, Tender.Status.CANCELLED]
    )
    return {
        "rows": [(t, selectors.phase(t, now=now)) for t in active[:8]],
        "expiring": list(selectors.guarantees_expiring(within_days=90, now=now)[:5]),
        "expired": services.expired_guarantees_with_obligations(now=now)[:5],
    }


def _firm_context(user) -> dict:
    now = timezone.now()
    open_tenders = [
        t
        for t in selectors.tenders_visible_to(user).filter(status=Tender.Status.PUBLISHED)
        if now < t.bids_due
    ]
    return {
        "open_tenders": open_tenders[:5],
        "bids": list(selectors.bids_visible_to(user).order_by("-created_at")[:8]),
        "awards": list(selectors.awards_visible_to(user)[:5]),
        "expiring": list(
            selectors.guarantees_expiring(within_days=90, now=now).filter(
                award__bid__firm_id=user.firm_id
            )
        ),
        "expired": [
            (g, owed)
            for g, owed in services.expired_guarantees_with_obligations(now=now)
            if g.award.bid.firm_id == user.firm_id
        ],
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
