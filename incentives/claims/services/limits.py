"""The limits of one sales upload, from the settings: its size in bytes and its number of lines."""

from __future__ import annotations

from django.conf import settings

MiB = 1024 * 1024
DEFAULT_MAX_UPLOAD_BYTES = 200 * MiB
DEFAULT_MAX_ROWS = 1_000_000


def max_upload_bytes() -> int:
    """settings.CLAIM_UPLOAD_MAX_BYTES (from REPM_CLAIM_UPLOAD_MAX_MB), or 200 MB if it is unset."""
    return int(settings.CLAIM_UPLOAD_MAX_BYTES or DEFAULT_MAX_UPLOAD_BYTES)


def max_rows() -> int:
    """settings.CLAIM_UPLOAD_MAX_ROWS (from REPM_CLAIM_UPLOAD_MAX_ROWS), or 1,000,000 if it is unset."""
    return int(settings.CLAIM_UPLOAD_MAX_ROWS or DEFAULT_MAX_ROWS)
