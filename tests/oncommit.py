"""The on-commit callbacks a test's own work queued, without the caches' bookkeeping."""

from __future__ import annotations

from repm_portal import public_cache, viewer_cache


def own(callbacks: list) -> list:
    """Callbacks but the public cache's version bump and the viewer cache's change count."""
    return [
        c
        for c in callbacks
        if c is not public_cache.bump and not isinstance(c, viewer_cache.ChangeMove)
    ]
