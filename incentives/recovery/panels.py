"""Navigation and the officials' dashboard panel: recoveries awaiting a second official, and what is outstanding."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, Count, F, Q, Sum, When, Window
from django.db.models.functions import RowNumber

from incentives.recovery import selectors
from incentives.recovery.models import Recovery
from repm_portal.roles import Role, has_role
from repm_portal.ui import register_nav, register_panel

Status = Recovery.Status


def _officer_context(user: Any) -> dict[str, Any]:
    # One query for both lists: the proposed recoveries another officer may confirm
    # (selectors.awaiting_confirmation) and the confirmed ones (selectors.confirmed), the first
    # eight of each in its own order, each row carrying its status's count and outstanding total.
    if has_role(user, *selectors.OFFICERS):
        waiting = Q(status=Status.PROPOSED) & ~Q(proposed_by=user)
    else:  # nothing to confirm (as selectors.awaiting_confirmation)
        waiting = Q(pk__in=[])
    in_order = [
        Case(When(status=Status.CONFIRMED, then=F("confirmed_at")), default=F("proposed_at")),
        F("id"),
    ]
    by_status = {"partition_by": F("status")}
    rows = sorted(
        selectors.with_outstanding(
            selectors.recoveries_visible_to(user)
            .filter(waiting | Q(status=Status.CONFIRMED))
            # The panel names the bidder and the proposer only.
            .select_related(None)
            .select_related("award__bid__firm", "award__bid__consortium", "proposed_by")
        )
        .annotate(
            nth=Window(RowNumber(), order_by=in_order, **by_status),
            of_status=Window(Count("pk"), **by_status),
            outstanding_total=Window(Sum("outstanding_now"), **by_status),
        )
        .filter(nth__lte=8),
        key=lambda r: r.nth,
    )
    proposed = [r for r in rows if r.status == Status.PROPOSED]
    outstanding = [r for r in rows if r.status == Status.CONFIRMED]
    return {
        "waiting": proposed,
        "count": proposed[0].of_status if proposed else 0,
        "outstanding": outstanding,
        "outstanding_total": (outstanding[0].outstanding_total if outstanding else None)
        or selectors.ZERO,
        "confirmed_count": outstanding[0].of_status if outstanding else 0,
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
