"""Navigation of payment runs for the finance wing and auditors, and the finance wing's dashboard panel."""

from __future__ import annotations

from typing import Any

from incentives.payments import selectors
from incentives.payments.models import PaymentRun
from repm_portal.ui import register_nav, register_panel


def _context(user: Any) -> dict[str, Any]:
    runs = selectors.runs_visible_to(user)
    return {
        "to_release": list(runs.filter(status=PaymentRun.Status.PREPARED)[:8]),
        "at_bank": list(runs.filter(status=PaymentRun.Status.RELEASED)[:8]),
        "failed": selectors.failed_awaiting_reissue(user).count(),
        "user_id": user.pk,
    }


def register() -> None:
    register_nav("Payment runs", "payment_run_list", selectors.READERS, order=66)
    register_panel(
        "Payment runs", "payments/panels/runs.html", selectors.RELEASERS, _context, order=42
    )
