"""Navigation and the officials' dashboard panel: recoveries awaiting a second official, and what is outstanding."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Sum, Window

from incentives.recovery import selectors
from repm_portal.roles import Role
from repm_portal.ui import first_and_count, register_nav, register_panel


def _officer_context(user: Any) -> dict[str, Any]:
    waiting = selectors.awaiting_confirmation(user)
    first_waiting, waiting_count = first_and_count(waiting, 8)
    # The first eight confirmed carry the total outstanding and the count of all (windows).
    outstanding = list(
        selectors.confirmed(user).annotate(
            outstanding_total=Window(Sum("outstanding_now")), confirmed_count=Window(Count("pk"))
        )[:8]
    )
    first = outstanding[0] if outstanding else None
    return {
        "waiting": first_waiting,
        "count": waiting_count,
        "outstanding": outstanding,
        "outstanding_total": (first.outstanding_total if first else None) or selectors.ZERO,
        "confirmed_count": first.confirmed_count if first else 0,
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
