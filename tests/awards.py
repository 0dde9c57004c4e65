"""Kept for bench/ingest_store.py (outside tests/, not ours to change): make_award over AwardFactory.

The suite builds awards with tests.factories; remove this once the bench does too.
"""

from __future__ import annotations

import itertools

from bidding.models import Award
from tests.factories import AwardFactory

# The bench resets this per process so tender references stay apart between its processes.
_counter = itertools.count(1)


def make_award(**fields) -> Award:
    """An award on a tender of its own (see AwardFactory for the fields)."""
    return AwardFactory(tender__reference=f"TEST/REPM/{next(_counter):04d}", **fields)
