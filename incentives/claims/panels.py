"""Navigation and dashboard panels of sales claims."""

from __future__ import annotations

from django.utils import timezone

from incentives.claims import selectors
from incentives.claims.models import ClaimUpload
from repm_portal.roles import READ_ALL_ROLES, Role
from repm_portal.ui import register_nav, register_panel


def _context(user) -> dict:
    now = timezone.now()
    open_periods = []
    awards = list(selectors.commissioned_awards_visible_to(user))
    rows_of = selectors.period_rows_of(awards, now=now)
    for award in awards:
        for row in rows_of[award.pk]:
            if row.state == "open" and (row.claim is None or row.claim.status == "draft"):
                open_periods.append((award, row))
    overdue = selectors.overdue_verifications(user, now=now)
    return {
        "open_periods": open_periods[:8],
        "recent": selectors.with_jobs(
            selectors.uploads_visible_to(user).order_by("-uploaded_at", "-id")[:6]
        ),
        "active": selectors.uploads_visible_to(user)
        .filter(status=ClaimUpload.Status.RECEIVED)
        .count(),
        # Officials see verifications past their service level (SCHEME.md section 5).
        "overdue": overdue[:8],
        "overdue_count": len(overdue),
    }


def register() -> None:
    register_nav("Sales claims", "claim_list", [Role.FIRM_USER, *READ_ALL_ROLES], order=40)
    register_panel(
        "Sales claims",
        "claims/panels/claims.html",
        [Role.FIRM_USER, *READ_ALL_ROLES],
        _context,
        order=40,
    )
