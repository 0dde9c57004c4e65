"""Celery tasks of the money core: thin, taking ids, each run as its Job (repm_portal.jobs)."""

from __future__ import annotations

import contextlib

from celery import shared_task

from incentives import ledger, sanctions
from incentives.models import SanctionLetter
from repm_portal import jobs


@shared_task(name=sanctions.ISSUE_TASK, acks_late=True)
def issue_sanction(request_id: int) -> str | None:
    """Sanction one request and render its letter; a second delivery finds the job done and does nothing.

    Returns the request's letter number, whichever delivery issued it.
    """

    def work(run: jobs.Run) -> None:
        # A refusal is recorded on the request: not worth a retry.
        with contextlib.suppress(ledger.LimitExceeded):
            sanctions.issue(request_id)

    jobs.run(issue_sanction.name, request_id, work)
    return (
        SanctionLetter.objects.filter(request_id=request_id)
        .values_list("number", flat=True)
        .first()
    )


@shared_task(name=sanctions.RENDER_TASK, acks_late=True)
def render_sanction_letter(letter_id: int) -> str | None:
    """Render a numbered letter's PDF; a failure is retried by the letter's job with backoff."""
    letter = jobs.run(
        render_sanction_letter.name, letter_id, lambda run: sanctions.render(letter_id)
    )
    return letter.status if letter else None
