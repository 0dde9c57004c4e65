"""Navigation and the officials' dashboard panel: recoveries awaiting a second official, and what is outstanding."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Sum

from incentives.recovery import selectors
from repm_portal.roles import Role
from repm_portal.ui import first_and_count, register_nav, register_panel


def _officer_context(user: Any) -> dict[str, Any]:
    waiting = selectors.awaiting_confirmation(user)
    first_waiting, waiting_count = first_and_count(waiting, 8)
    confirmed = selectors.confirmed(user)
    sums = confirmed.aggregate(total=Sum("outstanding_now"), count=Count("pk"))
    return {
        "waiting": first_waiting,
        "count": waiting_count,
        "outstanding": list(confirmed[:8]),
        "outstanding_total": sums["total"] or selectors.ZERO,
        "confirmed_count": sums["count"],
    }


def register() -> None:
    register_nav("Recoveries", "recovery_list", [Role.FIRM_USER, *selectors.READERS], order=45)
    register_panel(
        "Recoveries",
        "recovery/panels/officer.html",
        selectors.OFFICERS,
        _officer_context,
        order=45,
    )
