"""Technical evaluation: an evaluator records each criterion, a second official approves or returns it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from beneficiaries.models import User
from bidding.models import (
    Bid,
    Criterion,
    CriterionResult,
    TechnicalEvaluation,
    Tender,
)
from bidding.services._common import (
    EVALUATION_APPROVERS,
    _add_error,
    _final_versions,
    _lock_tender,
    _transition_bid,
    _transition_tender,
)
from repm_portal import audit, clock
from repm_portal.pipeline import transition
from repm_portal.roles import Role, require_role
from repm_portal.text import clean_reason, reason_problems

EVALUATION_PIPELINE: dict[str, set[str]] = {
    TechnicalEvaluation.Status.RECORDED: {
        TechnicalEvaluation.Status.APPROVED,
        TechnicalEvaluation.Status.RETURNED,
    },
    TechnicalEvaluation.Status.RETURNED: {TechnicalEvaluation.Status.RECORDED},
    TechnicalEvaluation.Status.APPROVED: set(),
}


def _transition_evaluation(
    evaluation: TechnicalEvaluation,
    to: str,
    *,
    actor: User | None,
    now: dt.datetime,
    extra: dict[str, Any] | None = None,
    reason: str = "",
    action: str | None = None,
) -> None:
    transition(
        evaluation, to, pipeline=EVALUATION_PIPELINE, actor=actor, now=now,
        label=f"The evaluation of bid {evaluation.bid_id}", extra=extra, reason=reason,
        action=action,
    )  # fmt: skip


def _check_criteria(results: dict[str, tuple[bool, str]]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    unknown = set(results) - set(Criterion.values)
    if unknown:
        _add_error(
            errors,
            "results",
            _("Unknown criteria: %(names)s.") % {"names": ", ".join(sorted(unknown))},
        )
    for criterion in Criterion:
        if criterion.value not in results:
            _add_error(
                errors,
                criterion.value,
                _("Record pass or fail on %(label)s.") % {"label": criterion.label.lower()},
            )
            continue
        passed, reason = results[criterion.value]
        if not isinstance(passed, bool):
            _add_error(errors, criterion.value, _("Record pass or fail."))
        if not (reason or "").strip():
            _add_error(
                errors,
                criterion.value,
                _("Give the reason for the result on %(label)s.")
                % {"label": criterion.label.lower()},
            )
        elif passed is False:  # a failed criterion disqualifies the bid: the platform's rule
            for problem in reason_problems(
                reason, what=f"reason the bid fails on {criterion.label.lower()}"
            ):
                _add_error(errors, criterion.value, problem)
    return errors


@transaction.atomic
def record_evaluation(
    *, actor: User, bid: Bid, results: dict[str, tuple[bool, str]], now: dt.datetime | None = None
) -> TechnicalEvaluation:
    """An evaluator records pass or fail, with reasons, on each criterion of a bid's final cover."""
    require_role(actor, Role.EVALUATOR, action="record a technical evaluation")
    tender = _lock_tender(bid.tender_id)
    bid = Bid.objects.select_for_update().get(pk=bid.pk)
    now = clock.now(now)
    if tender.status != Tender.Status.TECHNICAL_OPENED:
        raise ValidationError(
            _(
                "Technical evaluation is recorded after the technical opening and "
                "before its approval is complete."
            )
        )
    if bid.status != Bid.Status.SUBMITTED:
        raise ValidationError(
            _("Bid %(bid)s is %(status)s; it is not under evaluation.")
            % {"bid": bid.pk, "status": _(bid.get_status_display()).lower()}
        )
    errors = _check_criteria(results)
    if errors:
        raise ValidationError(errors)
    version = _final_versions([bid])[bid.pk]
    qualified = all(passed for passed, _ in results.values())
    evaluation = TechnicalEvaluation.objects.select_for_update().filter(bid=bid).first()
    old = None
    if evaluation is not None:
        if evaluation.status == TechnicalEvaluation.Status.APPROVED:
            raise ValidationError(_("This evaluation is approved; it can no longer change."))
        old = {"evaluated_by": evaluation.evaluated_by.get_username(), "qualified": evaluation.qualified,
               "results": {r.criterion: [r.passed, r.reason] for r in evaluation.results.all()}}  # fmt: skip
        evaluation.results.all().delete()
        evaluation.qualified = qualified
        evaluation.evaluated_by = actor
        evaluation.evaluated_at = now
        evaluation.return_reason = ""
        evaluation.bid_version = version
        evaluation.save(
            update_fields=[
                "qualified",
                "evaluated_by",
                "evaluated_at",
                "return_reason",
                "bid_version",
            ]
        )
        if evaluation.status == TechnicalEvaluation.Status.RETURNED:
            _transition_evaluation(
                evaluation, TechnicalEvaluation.Status.RECORDED, actor=actor, now=now
            )
    else:
        evaluation = TechnicalEvaluation.objects.create(
            bid=bid, bid_version=version, qualified=qualified, evaluated_by=actor, evaluated_at=now
        )
    CriterionResult.objects.bulk_create(
        CriterionResult(
            evaluation=evaluation, criterion=c, passed=results[c][0], reason=results[c][1].strip()
        )
        for c in Criterion.values
    )
    audit.record(
        actor=actor,
        action="evaluation.recorded",
        obj=evaluation,
        old=old,
        new={
            "bid": bid.pk,
            "version": version.number,
            "qualified": qualified,
            "results": {c: [results[c][0], results[c][1].strip()] for c in Criterion.values},
        },
    )
    return evaluation


@transaction.atomic
def approve_evaluation(
    *, actor: User, evaluation: TechnicalEvaluation, now: dt.datetime | None = None
) -> TechnicalEvaluation:
    """A second official approves; the bid is then qualified or disqualified for good."""
    require_role(actor, *EVALUATION_APPROVERS, action="approve a technical evaluation")
    tender = _lock_tender(evaluation.bid.tender_id)
    bid = Bid.objects.select_for_update().get(pk=evaluation.bid_id)
    evaluation = TechnicalEvaluation.objects.select_for_update().get(pk=evaluation.pk)
    now = clock.now(now)
    if evaluation.evaluated_by_id == actor.pk:
        raise ValidationError(
            _("You recorded this evaluation; a second official must approve it (four eyes).")
        )
    if evaluation.status != TechnicalEvaluation.Status.RECORDED:
        raise ValidationError(
            _("This evaluation is %(status)s; only a recorded one can be approved.")
            % {"status": _(evaluation.get_status_display()).lower()}
        )
    # `qualified` is saved unchanged, so the approval's audit row says what was approved.
    _transition_evaluation(
        evaluation, TechnicalEvaluation.Status.APPROVED, actor=actor, now=now,
        action="evaluation.approved",
        extra={"approved_by_id": actor.pk, "approved_at": now, "qualified": evaluation.qualified},
    )  # fmt: skip
    _transition_bid(
        bid,
        Bid.Status.QUALIFIED if evaluation.qualified else Bid.Status.DISQUALIFIED,
        actor=actor,
        now=now,
    )
    pending = tender.bids.filter(status=Bid.Status.SUBMITTED).exists()
    if not pending:
        _transition_tender(
            tender,
            Tender.Status.TECHNICAL_EVALUATED,
            actor=actor,
            now=now,
            extra={"technical_evaluated_at": now},
        )
    return evaluation


@transaction.atomic
def return_evaluation(
    *, actor: User, evaluation: TechnicalEvaluation, reason: str, now: dt.datetime | None = None
) -> TechnicalEvaluation:
    """The second official sends an evaluation back with a reason, to be recorded again."""
    require_role(actor, *EVALUATION_APPROVERS, action="return a technical evaluation")
    _lock_tender(evaluation.bid.tender_id)
    evaluation = TechnicalEvaluation.objects.select_for_update().get(pk=evaluation.pk)
    now = clock.now(now)
    if evaluation.evaluated_by_id == actor.pk:
        raise ValidationError(_("You recorded this evaluation; a second official must review it."))
    if evaluation.status != TechnicalEvaluation.Status.RECORDED:
        raise ValidationError(_("Only a recorded evaluation can be returned."))
    reason = clean_reason(reason, what="reason the evaluation is returned")
    _transition_evaluation(
        evaluation, TechnicalEvaluation.Status.RETURNED, actor=actor, now=now,
        action="evaluation.returned", reason=reason,
        extra={"return_reason": reason},
    )  # fmt: skip
    return evaluation
