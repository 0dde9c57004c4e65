"""Navigation of payment runs for the finance wing and the auditors."""

from __future__ import annotations

from incentives.payments.selectors import READERS
from repm_portal.ui import register_nav


def register() -> None:
    register_nav("Payment runs", "payment_run_list", READERS, order=66)
