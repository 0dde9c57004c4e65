"""Rendering an issued document once: the PDF made outside any transaction, then stored with its hash."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.files.base import ContentFile
from django.db import transaction

from repm_portal import clock
from repm_portal.models import DOCUMENT_PIPELINE, IssuedDocument
from repm_portal.pipeline import transition

D = TypeVar("D", bound=IssuedDocument)


def render_and_issue(
    model: type[D],
    pk: int,
    *,
    template: str,
    context: Callable[[D], dict[str, Any]],
    filename: Callable[[D, str], str],
    label: Callable[[D], str],
    action: str,
    now: dt.datetime | None = None,
) -> D:
    """Render a pending document's PDF from its stored content and issue it; an issued one is left alone.

    The slow rendering holds no lock; the row is locked only to store the file, and a render
    that lost a race to another worker is thrown away. A rendering error propagates, so the
    document's job records it and tries again. `filename(doc, sha256)` names the file.
    """
    from repm_portal.pdf import render_pdf

    # An abstract model's subclasses have no typed `objects`; the default manager is the same one.
    document = model._default_manager.get(pk=pk)
    if document.status == IssuedDocument.Status.ISSUED:
        return document
    pdf = render_pdf(template, context(document))
    digest = hashlib.sha256(pdf).hexdigest()
    moment = clock.now(now)
    with transaction.atomic():
        locked = model._default_manager.select_for_update().get(pk=pk)
        if locked.status == IssuedDocument.Status.ISSUED:
            return locked
        locked.rendered_at = moment
        locked.file.save(filename(locked, digest), ContentFile(pdf), save=False)
        transition(
            locked,
            IssuedDocument.Status.ISSUED,
            pipeline=DOCUMENT_PIPELINE,
            actor=None,
            now=moment,
            label=label(locked),
            extra={"file": locked.file, "sha256": digest, "size": len(pdf), "rendered_at": moment},
            action=action,
            audit_new={"sha256": digest, "size": len(pdf)},
        )
    return locked


__all__ = ["render_and_issue"]
