"""Checks every uploaded document passes: its type read from the first bytes, its size, its SHA-256."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError

# The type is read from the file's first bytes, never from the name or the browser.
PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
_MAGIC = ((b"%PDF-", PDF), (b"\x89PNG\r\n\x1a\n", PNG), (b"\xff\xd8\xff", JPEG))
MB = 1024 * 1024


def checked_upload(
    upload: Any, *, allowed: Sequence[str], max_bytes: int, what: str
) -> dict[str, Any]:
    """Type (from the first bytes), size and SHA-256 of an upload; raises a clear ValidationError."""
    if upload is None:
        raise ValidationError(f"Attach the {what}.")
    size = upload.size if upload.size is not None else 0
    if size == 0:
        raise ValidationError(f"The {what} is empty.")
    if size > max_bytes:
        raise ValidationError(
            f"The {what} is {size / MB:.1f} MB; at most {max_bytes // MB} MB is accepted."
        )
    upload.seek(0)
    head = upload.read(16)
    content_type = next((kind for magic, kind in _MAGIC if head.startswith(magic)), None)
    if content_type not in allowed:
        names = ", ".join(k.split("/")[1].upper() for k in allowed)
        raise ValidationError(f"The {what} must be a {names} file; this one is not.")
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return {
        "content_type": content_type,
        "size": size,
        "sha256": digest.hexdigest(),
        "original_name": (getattr(upload, "name", "") or what).rsplit("/", 1)[-1][:300],
    }


__all__ = ["JPEG", "MB", "PDF", "PNG", "checked_upload"]
