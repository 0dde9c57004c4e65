"""Navigation and dashboard panels of the money core."""

from __future__ import annotations

from django.utils import timezone

from incentives import ledger, selectors
from incentives.models import SanctionRequest
from repm_portal.roles import READ_ALL_ROLES, Role
from repm_portal.ui import count_of, register_nav, register_panel


def _staff_context(user) -> dict:
    today = timezone.localdate()
    pending = selectors.letters_visible_to(user).exclude(status="issued")
    # The issued letters carry the count of those still being issued (a scalar subquery).
    # Every issued letter is read for its payment position: with only what that and the list
    # of overdue letters need (the rule set's service level, the bidder), not its content.
    letters = list(
        selectors.letters_visible_to(user)
        .filter(status="issued", reversed_by__isnull=True)
        .select_related(None)
        .select_related("award__bid__firm", "award__bid__consortium", "rule_set")
        .defer("content")
        .annotate(pending_letters=count_of(pending))
    )
    positions = [(letter, selectors.payment_position(letter, today=today)) for letter in letters]
    unpaid = [(letter, p) for letter, p in positions if p.pending > 0]
    return {
        "pools": selectors.pool_positions(),
        "overdue": [(letter, p) for letter, p in unpaid if p.overdue][:8],
        "unpaid": len(unpaid),
        "pending_letters": letters[0].pending_letters if letters else pending.count(),
        "refused": list(
            SanctionRequest.objects.filter(status=SanctionRequest.Status.REFUSED).order_by(
                "-requested_at"
            )[:5]
        ),
    }


def _firm_context(user) -> dict:
    firm_id = user.firm_id
    today = timezone.localdate()
    # The latest six letters with what their payment position reads (the rule set's service
    # level), not their content, award or reversals.
    letters = (
        selectors.letters_visible_to(user)
        .select_related(None)
        .select_related("rule_set")
        .defer("content")
        .order_by("-dated")[:6]
    )
    return {
        "balances": ledger.balances_for_firm(firm_id) if firm_id else None,
        "rows": [(letter, selectors.payment_position(letter, today=today)) for letter in letters],
    }


def register() -> None:
    register_nav("Sanctions", "sanction_list", [Role.FIRM_USER, *READ_ALL_ROLES], order=60)
    register_nav("Ledger", "ledger_list", [Role.FIRM_USER, *READ_ALL_ROLES], order=65)
    register_panel(
        "Budget and payments",
        "incentives/panels/budget.html",
        READ_ALL_ROLES,
        _staff_context,
        order=40,
    )
    register_panel(
        "What you are owed",
        "incentives/panels/owed.html",
        [Role.FIRM_USER],
        _firm_context,
        order=40,
    )
