"""Navigation and the officials' dashboard panel: recoveries awaiting a second official, and what is outstanding."""

from __future__ import annotations

from typing import Any

from django.db.models import Sum

from incentives.recovery import selectors
from repm_portal.roles import Role
from repm_portal.ui import register_nav, register_panel


def _officer_context(user: Any) -> dict[str, Any]:
    waiting = selectors.awaiting_confirmation(user)
    confirmed = selectors.confirmed(user)
    return {
        "waiting": list(waiting[:8]),
        "count": waiting.count(),
        "outstanding": list(confirmed[:8]),
        "outstanding_total": confirmed.aggregate(total=Sum("outstanding_now"))["total"]
        or selectors.ZERO,
        "confirmed_count": confirmed.count(),
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
