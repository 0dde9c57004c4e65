"""Navigation of payment runs for the finance wing and auditors, and the finance wing's dashboard panel."""

from __future__ import annotations

from typing import Any

from django.db.models import F, Window
from django.db.models.functions import RowNumber

from incentives.payments import selectors
from incentives.payments.models import PaymentRun
from repm_portal.ui import count_of, register_nav, register_panel


def _context(user: Any) -> dict[str, Any]:
    # One query: the latest eight runs of each status shown (a row number within the status,
    # in the runs' own order), each carrying the count of failed instructions to re-issue.
    shown = [PaymentRun.Status.PREPARED, PaymentRun.Status.RELEASED]
    failed = selectors.failed_awaiting_reissue(user)
    runs = list(
        selectors.runs_visible_to(user)
        .filter(status__in=shown)
        .annotate(
            nth=Window(
                RowNumber(),
                partition_by=F("status"),
                order_by=[F("prepared_at").desc(), F("id").desc()],
            ),
            failed_to_reissue=count_of(failed),
        )
        .filter(nth__lte=8)
        .order_by("-prepared_at", "-id")
    )
    return {
        "to_release": [r for r in runs if r.status == PaymentRun.Status.PREPARED],
        "at_bank": [r for r in runs if r.status == PaymentRun.Status.RELEASED],
        "failed": runs[0].failed_to_reissue if runs else failed.count(),
        "user_id": user.pk,
    }


def register() -> None:
    register_nav("Payment runs", "payment_run_list", selectors.READERS, order=66)
    register_panel(
        "Payment runs", "payments/panels/runs.html", selectors.RELEASERS, _context, order=42
    )
