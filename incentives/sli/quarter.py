"""The claim kind "sli_quarter": a sales claim's provisional SLI, sanctioned through the money core.

Approval (incentives.claims) asks for the sanction; the issuing job calls `compute` with the SLI
pool's lock held, so what the award and the pool have left is read once and spent at once. The
letter's amount is the release (what counts against the caps); the award's outstanding penalties
and recoveries are netted from it. `on_result` keeps the figure (its exact `sli_compute` input and
working) and moves the claim on; `on_paid` moves it to paid.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from incentives import sanctions
from incentives.claims import services as claim_services
from incentives.claims.models import Claim
from incentives.models import Pool, SanctionLetter, SanctionRequest
from incentives.recovery import services as recovery_services
from incentives.sli import figures, selectors
from incentives.sli.models import QUARTER_CLAIM_TYPE, SliComputation

S = Claim.Status
LETTER_PREFIX = "REPM/SLI"


def claim_ref(claim: Claim) -> str:
    return f"SLI-{claim.pk:06d} ({claim.quarter_label})"


def _claim(claim_id: str | int) -> Claim:
    return Claim.objects.select_related(
        "award__plant", "award__tender", "award__bid", "rule_set"
    ).get(pk=int(claim_id))


def compute(claim_id: str) -> sanctions.Computation:
    """The claim's figure from the database, with the SLI pool's lock held by the caller."""
    claim = _claim(claim_id)
    if claim.status not in (S.APPROVED, S.SANCTIONED, S.PAID):
        raise ValidationError(f"{claim} is not approved; it cannot be sanctioned.")
    mark = selectors.ledger_mark()
    figure = figures.figure_of(selectors.period_input(claim, as_of=mark))
    result = figure.result
    return sanctions.Computation(
        award=claim.award,
        rule_set=claim.rule_set,
        amount=result.released,
        lines=figures.letter_lines(figure),
        subject=(
            f"Sales-linked incentive for {claim.quarter_label}, "
            f"{claim.period_start:%d %b %Y} to {claim.period_end:%d %b %Y} "
            f"(provisional {claim.rule_set.provisional_share_pct.normalize():f} %)"
        ),
        claim_ref=claim_ref(claim),
        award_cap=selectors.award_cap(claim.award, claim.rule_set),
        deduction=result.deduction_applied,
        extra={"figure": figure, "ledger_mark": mark},
    )


def on_result(
    claim_id: str, letter: SanctionLetter | None, computation: sanctions.Computation
) -> None:
    """In the issuing transaction: keep the figure of record, then settle the claim."""
    claim = _claim(claim_id)
    if letter is not None:
        now = letter.created_at
    else:
        request = SanctionRequest.objects.get(key=f"{QUARTER_CLAIM_TYPE}:{claim.pk}")
        now = request.completed_at or timezone.now()
    figures.store(
        computation.extra["figure"],
        purpose=SliComputation.Purpose.SANCTION,
        award=claim.award,
        rule_set=computation.rule_set,
        ledger_mark=computation.extra["ledger_mark"],
        computed_at=now,
        claim=claim,
        letter=letter,
    )
    if letter is not None and letter.deducted > 0:
        # A recovery the payout has now cleared is settled in the same transaction.
        recovery_services.settle_cleared(award=claim.award, now=now)
    if letter is not None and letter.reverses_id is not None:
        return  # a correcting letter: the claim stays where it is, at the new letter's figure
    claim_services.mark_sanctioned(claim_id, letter, now=now)
    if letter is not None and letter.payable == 0:
        # Every rupee was kept back against deductions: nothing will ever be paid against it.
        claim_services.mark_paid(claim_id, letter, now=now)


def on_paid(claim_id: str, letter: SanctionLetter) -> None:
    claim_services.mark_paid(claim_id, letter)


def detail_url(claim_id: str) -> str:
    return reverse("claim_detail", args=[int(claim_id)])


def claim_kind() -> sanctions.ClaimKind:
    return sanctions.ClaimKind(
        code=QUARTER_CLAIM_TYPE,
        title="Sales-linked incentive",
        title_hi="बिक्री-आधारित प्रोत्साहन",
        pool=Pool.SLI,
        letter_prefix=LETTER_PREFIX,
        compute=compute,
        on_result=on_result,
        detail_url=detail_url,
        on_paid=on_paid,
    )


__all__ = ["LETTER_PREFIX", "claim_kind", "claim_ref", "compute", "on_paid", "on_result"]
