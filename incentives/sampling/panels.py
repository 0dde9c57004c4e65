"""Navigation to the samples, and the officials' panel of findings that recommend a recovery."""

from __future__ import annotations

from typing import Any

from incentives.sampling import selectors
from repm_portal.ui import first_and_count, register_nav, register_panel


def _opener_context(user: Any) -> dict[str, Any]:
    # The panel links each finding's sample by id and names its bidder: not the sample itself
    # (its stored population) nor the tender.
    waiting = (
        selectors.findings_awaiting_recovery(user)
        .select_related(None)
        .select_related("claim__award__bid__firm", "claim__award__bid__consortium")
    )
    findings, count = first_and_count(waiting, 8)
    return {"findings": findings, "count": count}


def register() -> None:
    register_nav("Samples", "sample_list", selectors.READERS, order=47)
    register_panel(
        "Field-check findings",
        "sampling/panels/opener.html",
        selectors.OPENERS,
        _opener_context,
        order=47,
    )
