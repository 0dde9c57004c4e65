"""Navigation and dashboard panels of the capital subsidy: the firm's claims, and the claims waiting for staff."""

from __future__ import annotations

from incentives.capital import selectors
from repm_portal.roles import READ_ALL_ROLES, Role
from repm_portal.ui import first_and_count, register_nav, register_panel


def _firm_context(user) -> dict:
    return {"rows": selectors.claimable_awards(user)}


def _waiting_context(user) -> dict:
    # The panel names each claim's bidder: not its documents, letter or people.
    waiting = (
        selectors.waiting_for(user)
        .select_related(None)
        .select_related("award__bid__firm", "award__bid__consortium")
    )
    first, count = first_and_count(waiting, 8)
    return {"waiting": first, "count": count}


def register() -> None:
    register_nav(
        "Capital subsidy", "capital_claim_list", [Role.FIRM_USER, *READ_ALL_ROLES], order=40
    )
    register_panel(
        "Capital subsidy",
        "capital/panels/firm.html",
        [Role.FIRM_USER],
        _firm_context,
        order=30,
    )
    register_panel(
        "Capital subsidy claims waiting for you",
        "capital/panels/waiting.html",
        [Role.VERIFIER, Role.APPROVER],
        _waiting_context,
        order=20,
    )
