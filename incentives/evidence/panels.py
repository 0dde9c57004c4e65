"""The evidence bundles' place in the staff navigation."""

from __future__ import annotations

from incentives.evidence.services import BUNDLE_MAKERS
from repm_portal.ui import register_nav


def register() -> None:
    register_nav("Evidence bundles", "evidence_bundles", BUNDLE_MAKERS, order=90)
