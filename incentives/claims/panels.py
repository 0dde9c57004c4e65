"""Navigation and dashboard panels of sales claims."""

from __future__ import annotations

from django.db.models import Count, Q, Window
from django.utils import timezone

from incentives.claims import selectors
from incentives.claims.models import ClaimUpload
from incentives.gestation import selectors as gestation
from repm_portal.roles import READ_ALL_ROLES, Role
from repm_portal.ui import register_nav, register_panel


def _context(user) -> dict:
    now = timezone.now()
    # The commissioned awards the user may see (commissioned_awards_visible_to, in its order:
    # the tenders newest first, then rank), from the plants the gestation panel reads too.
    awards = gestation.commissioned_awards(gestation.plants_with_awards(user))
    awards.sort(key=lambda a: a.rank)
    awards.sort(key=lambda a: (a.tender.created_at, a.tender.pk), reverse=True)
    # One read of the user's claims (shared with the SLI panel) serves both the periods open for
    # upload and the overdue verifications, listed by submission (none last).
    claims = sorted(
        selectors.claims_read(user), key=lambda c: (c.submitted_at is None, c.submitted_at or 0)
    )
    rows_of = selectors.period_rows_of(awards, now=now, claims=claims, uploads=False)
    open_periods = [
        (award, row)
        for award in awards
        for row in rows_of[award.pk]
        if row.state == "open" and (row.claim is None or row.claim.status == "draft")
    ]
    overdue = selectors.overdue_verifications(user, now=now, among=claims)
    # The uploads being checked are counted over the same rows as the latest six (a window).
    recent = selectors.with_jobs(
        selectors.uploads_visible_to(user)
        .select_related(None)  # the panel names the file only: no award, claim or uploader
        .annotate(active_total=Window(Count("pk", filter=Q(status=ClaimUpload.Status.RECEIVED))))
        .order_by("-uploaded_at", "-id")[:6]
    )
    return {
        "open_periods": open_periods[:8],
        "recent": recent,
        "active": recent[0].active_total if recent else 0,
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
