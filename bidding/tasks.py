"""Celery tasks of the bidding phase: ids in, a service called, nothing else."""

from __future__ import annotations

from celery import shared_task

from bidding import services


@shared_task(name="bidding.tasks.render_award_letter", acks_late=True)
def render_award_letter(letter_id: int) -> str | None:
    letter = services.render_award_letter(letter_id=letter_id)
    return None if letter is None else letter.status


@shared_task(name="bidding.tasks.render_pending_award_letters")
def render_pending_award_letters() -> int:
    """Sweep: letters whose queued rendering never ran (broker down, worker lost) are rendered."""
    ids = services.pending_letter_ids()
    for letter_id in ids:
        services.render_award_letter(letter_id=letter_id)
    return len(ids)


@shared_task(name="bidding.tasks.notify_firms_of_tender_version")
def notify_firms_of_tender_version(version_id: int) -> int:
    return services.notify_firms_of_tender_version(version_id=version_id)


@shared_task(name="bidding.tasks.send_pbg_expiry_reminders")
def send_pbg_expiry_reminders() -> int:
    return services.send_pbg_expiry_reminders()


@shared_task(name="bidding.tasks.flag_expired_guarantees")
def flag_expired_guarantees() -> int:
    return services.flag_expired_guarantees()
