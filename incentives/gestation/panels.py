"""Navigation and dashboard panels of gestation."""

from __future__ import annotations

from django.utils import timezone

from incentives.gestation import selectors
from repm_portal.roles import READ_ALL_ROLES, Role
from repm_portal.ui import register_nav, register_panel


def _rows(user) -> list:
    # The plants (no milestone evidence: the panels show none) are read once for the page's
    # panels; the sales-claims panel takes its commissioned awards from them too.
    now = timezone.now()
    return [selectors.plant_row(p, now=now) for p in selectors.plants_with_awards(user)]


def _staff_context(user) -> dict:
    # The awards without a plant are counted in the plants' own query, and the milestones
    # waiting for the user are sorted out of the plants' milestones already read.
    rows = _rows(user)
    return {
        "rows": rows,
        "commissioned": sum(1 for r in rows if r.plant.is_commissioned),
        "late": [r for r in rows if r.late],
        "accruing": [r for r in rows if not r.plant.is_commissioned and r.penalty.days],
        "awaiting": selectors.awaiting_among(user, rows)[:8],
        "without_plant": (
            rows[0].plant.without_plant if rows else selectors.awards_without_plant().count()
        ),
    }


def _firm_context(user) -> dict:
    rows = _rows(user)
    return {"rows": rows, "awaiting": selectors.awaiting_among(user, rows)[:5]}


def register() -> None:
    register_nav("Gestation", "gestation_timeline", [Role.FIRM_USER, *READ_ALL_ROLES], order=30)
    register_panel(
        "Gestation and commissioning",
        "gestation/panels/staff.html",
        READ_ALL_ROLES,
        _staff_context,
        order=35,
    )
    register_panel(
        "Your plant", "gestation/panels/firm.html", [Role.FIRM_USER], _firm_context, order=15
    )
