"""Celery tasks of gestation: thin, calling a service."""

from __future__ import annotations

from celery import shared_task

from incentives.gestation import services


@shared_task(name="incentives.gestation.tasks.open_missing_gestations")
def open_missing_gestations() -> int:
    """Daily: an award that has no plant yet gets one, with its milestones planned."""
    return len(services.open_missing_gestations())
