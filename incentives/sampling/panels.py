"""Navigation to the samples, and the officials' panel of findings that recommend a recovery."""

from __future__ import annotations

from typing import Any

from incentives.sampling import selectors
from repm_portal.ui import first_and_count, register_nav, register_panel


def _opener_context(user: Any) -> dict[str, Any]:
    waiting = selectors.findings_awaiting_recovery(user)
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
