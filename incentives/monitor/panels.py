"""Navigation of the scheme monitor: every staff role reads it."""

from __future__ import annotations

from repm_portal.roles import READ_ALL_ROLES
from repm_portal.ui import register_nav


def register() -> None:
    register_nav("Scheme monitor", "monitor", READ_ALL_ROLES, order=85)
