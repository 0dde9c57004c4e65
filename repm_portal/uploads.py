"""Checks every uploaded document passes: its type read from the first bytes, its size, its SHA-256.

The first bytes only name the claimed type; the file must then open with a real reader of that
type (pypdf for a PDF, with at least one page; Pillow for PNG and JPEG), so HTML behind a
`%PDF-1.4` header is refused, not stored as a PDF.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.db import connection, transaction
from PIL import Image
from pypdf import PdfReader

# The type is read from the file's first bytes, never from the name or the browser.
PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
_MAGIC = ((b"%PDF-", PDF), (b"\x89PNG\r\n\x1a\n", PNG), (b"\xff\xd8\xff", JPEG))
MB = 1024 * 1024


def _pdf_pages(upload: Any) -> int:
    """How many pages the PDF has; raises when pypdf cannot read it at all."""
    pypdf_log = logging.getLogger("pypdf")
    level = pypdf_log.level
    pypdf_log.setLevel(logging.ERROR)  # a malformed upload is the user's, not a server warning
    try:
        return len(PdfReader(upload, strict=False).pages)
    finally:
        pypdf_log.setLevel(level)


def _opens(upload: Any, content_type: str, what: str) -> None:
    """Refuse an upload that its type's real reader cannot open."""
    name = content_type.split("/")[1].upper()
    upload.seek(0)
    try:
        if content_type == PDF:
            pages = _pdf_pages(upload)
        else:
            with Image.open(upload) as image:
                image.verify()
            pages = 1
    except Exception as exc:  # any reader error means: not a file of this type
        raise ValidationError(
            f"The {what} starts like a {name} file but does not open as a {name} "
            "(damaged, or another kind of file renamed); upload the original."
        ) from exc
    finally:
        upload.seek(0)
    if pages < 1:
        raise ValidationError(f"The {what} is a PDF with no page; upload the signed document.")


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
    if content_type is None or content_type not in allowed:
        names = ", ".join(k.split("/")[1].upper() for k in allowed)
        raise ValidationError(f"The {what} must be a {names} file; this one is not.")
    _opens(upload, content_type, what)
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


class _Stored:
    """One file stored inside a transaction; called on commit, which marks it as kept."""

    def __init__(self, storage: FileSystemStorage, name: str) -> None:
        self.storage, self.name, self.committed = storage, name, False

    def __call__(self) -> None:
        self.committed = True


_stored: ContextVar[list[_Stored] | None] = ContextVar("repm_stored_uploads", default=None)


class Storage(FileSystemStorage):
    """The media storage: a file stored in a transaction that rolls back is removed again.

    Services store uploads before their rows are written, inside `transaction.atomic`; when a
    later check or the database refuses the row, the file would stay on disk with no row. Within
    `removed_unless_committed()` (every request runs in it, see `UploadsOfFailedRequests`) each
    file stored in a transaction is remembered, and removed at the end if its transaction (or
    savepoint) rolled back.
    """

    def save(self, name: str | None, content: Any, max_length: int | None = None) -> str:
        name = super().save(name, content, max_length=max_length)
        stored = _stored.get()
        if stored is not None and connection.in_atomic_block:
            record = _Stored(self, name)
            transaction.on_commit(record)
            stored.append(record)
        return name


def _rolled_back(stored: list[_Stored]) -> list[_Stored]:
    """The files whose on-commit mark Django dropped: their transaction or savepoint rolled back."""
    # A mark still waiting belongs to a transaction that is still open (a test's, or the caller's).
    waiting = {id(entry[1]) for entry in connection.run_on_commit}
    return [s for s in stored if not s.committed and id(s) not in waiting]


@contextlib.contextmanager
def removed_unless_committed() -> Iterator[None]:
    """Remove, on leaving, every file stored within whose transaction rolled back."""
    stored: list[_Stored] = []
    token = _stored.set(stored)
    try:
        yield
    finally:
        _stored.reset(token)
        for record in _rolled_back(stored):
            record.storage.delete(record.name)


class UploadsOfFailedRequests:
    """Middleware: a request whose transaction rolled back leaves none of its uploads on disk."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        with removed_unless_committed():
            return self.get_response(request)


__all__ = [
    "JPEG",
    "MB",
    "PDF",
    "PNG",
    "Storage",
    "UploadsOfFailedRequests",
    "checked_upload",
    "removed_unless_committed",
]
