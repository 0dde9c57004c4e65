"""Navigation and dashboard panels of the sales-linked incentive: the firm's position, and for
staff the quarter queue and the SLI pool."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from incentives.claims.selectors import claims_read
from incentives.gestation import selectors as gestation
from incentives.sli import selectors
from repm_portal.fiscal import Quarter
from repm_portal.roles import READ_ALL_ROLES, Role
from repm_portal.ui import register_nav, register_panel


def _firm_context(user: Any) -> dict[str, Any]:
    # The panel shows each award's balances against its cap, not its claims or true-ups; its
    # awards (awards_visible_to, in its order) are those of the plants the other panels read.
    awards = gestation.commissioned_awards(gestation.plants_with_awards(user))
    awards.sort(key=lambda a: (a.tender.reference, a.rank, a.pk))
    positions = selectors.award_positions(
        user, today=timezone.localdate(), detail=False, awards=awards
    )
    return {"positions": positions}


def _staff_context(user: Any) -> dict[str, Any]:
    # The user's claims read once for the page (shared with the sales-claims panel): the waiting
    # ones, by id, serve both the quarter counts and the approved ones committed in the pool;
    # the panel shows no pool history.
    claims = [c for c in claims_read(user) if c.status in selectors.WAITING]
    waiting = [
        (Quarter.for_date(period_end).label, period_end, verified, approved)
        for period_end, verified, approved in selectors.waiting_counts(user, among=claims)
    ]
    return {
        "waiting": waiting[:6],
        "pool": selectors.sli_pool(user, today=timezone.localdate(), history=False, among=claims),
    }


def register() -> None:
    register_nav("Sales-linked incentive", "sli_home", [Role.FIRM_USER], order=55)
    register_nav("SLI queue", "sli_queue", READ_ALL_ROLES, order=55)
    register_nav("SLI pool", "sli_pool", READ_ALL_ROLES, order=56)
    register_panel(
        "Sales-linked incentive", "sli/panels/firm.html", [Role.FIRM_USER], _firm_context, order=35
    )
    register_panel(
        "Sales-linked incentive: queue and pool",
        "sli/panels/staff.html",
        READ_ALL_ROLES,
        _staff_context,
        order=35,
    )
