"""Celery tasks of the bidding phase: ids in, each run as its Job (repm_portal.jobs), a service called."""

from __future__ import annotations

from celery import shared_task

from bidding import services
from bidding.models import AwardLetter
from repm_portal import jobs


@shared_task(name=AwardLetter.RENDER_TASK, acks_late=True)
def render_award_letter(letter_id: int) -> str | None:
    """Render a Letter of Award once; returns the letter's status, whichever delivery rendered it."""
    jobs.run(
        render_award_letter.name,
        letter_id,
        lambda run: services.render_award_letter(letter_id=letter_id),
    )
    return AwardLetter.objects.filter(pk=letter_id).values_list("status", flat=True).first()


@shared_task(name=services.NOTIFY_TASK, acks_late=True)
def notify_firms_of_tender_version(version_id: int) -> int | None:
    return jobs.run(
        notify_firms_of_tender_version.name,
        version_id,
        lambda run: services.notify_firms_of_tender_version(version_id=version_id),
    )


@shared_task(name="bidding.tasks.send_pbg_expiry_reminders")
def send_pbg_expiry_reminders() -> int:
    return services.send_pbg_expiry_reminders()


@shared_task(name="bidding.tasks.flag_expired_guarantees")
def flag_expired_guarantees() -> int:
    return services.flag_expired_guarantees()
