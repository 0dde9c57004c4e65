"""Navigation of the exports page, shown to the roles that may export."""

from __future__ import annotations

from incentives.oversight.selectors import EXPORTERS
from repm_portal.ui import register_nav


def register() -> None:
    register_nav("Exports", "oversight_home", EXPORTERS, order=90)
