"""Celery tasks of the money core: thin, taking ids, idempotent."""

from __future__ import annotations

from celery import shared_task

from incentives import sanctions


@shared_task(acks_late=True, max_retries=5, default_retry_delay=30)
def issue_sanction(request_id: int) -> str | None:
    """Sanction one request and render its letter; a second run finds the letter and does nothing."""
    letter = sanctions.issue(request_id)
    return letter.number if letter else None


@shared_task
def sweep_sanctions() -> dict[str, int]:
    """Pick up requests whose task was lost (broker down at commit) and letters whose rendering failed."""
    requests = sanctions.pending_request_ids()
    for request_id in requests:
        issue_sanction.delay(request_id)
    letters = sanctions.unrendered_letter_ids()
    for letter_id in letters:
        render_sanction_letter.delay(letter_id)
    return {"requests": len(requests), "letters": len(letters)}


@shared_task(acks_late=True)
def render_sanction_letter(letter_id: int) -> str:
    return sanctions.render(letter_id).status
