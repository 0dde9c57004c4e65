"""Assert that a refused operation changed nothing: no rows, no audit events, no stored files."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.db import models

from repm_portal.models import AuditEvent


def _files() -> int:
    root = Path(settings.MEDIA_ROOT)
    return sum(1 for p in root.rglob("*") if p.is_file()) if root.exists() else 0


@contextlib.contextmanager
def unchanged(*model_classes: type[models.Model]) -> Iterator[None]:
    watched = [AuditEvent, *model_classes]
    before = {m: m.objects.count() for m in watched}
    files = _files()
    yield
    after = {m: m.objects.count() for m in watched}
    assert after == before, f"rows changed: {before} -> {after}"
    assert _files() == files, "files were stored by a refused operation"
