"""Background work of Open data: keep the releases of what was audited since the last sweep."""

from __future__ import annotations

from celery import shared_task

from incentives.opendata import services


@shared_task(name="incentives.opendata.tasks.keep_releases")
def keep_releases() -> int:
    return len(services.keep_releases())
