"""Verification of a sales claim by the project management agency: start, adjust lines, return, reject, verify."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from beneficiaries.models import User
from incentives.claims import feedstock, selectors
from incentives.claims.models import (
    KG,
    MONEY,
    Claim,
    ClaimLine,
    FeedstockConclusion,
    LineAdjustment,
)
from incentives.claims.services.settling import CLAIM_PIPELINE, label_of
from incentives.claims.services.submitting import sentence
from repm_portal import audit, clock, pipeline
from repm_portal.roles import Role, require_role
from repm_portal.text import clean_reason

S = Claim.Status
Kind = LineAdjustment.Kind


def _reason(text: str, what: str) -> str:
    return clean_reason(text, what=f"reason {what}")


def _locked(claim: Claim) -> Claim:
    return Claim.objects.select_for_update(of=("self",)).select_related("award").get(pk=claim.pk)


def _require_verification(claim: Claim, what: str) -> None:
    if claim.status != S.UNDER_VERIFICATION:
        raise ValidationError(
            gettext("%(claim)s is %(status)s; %(what)s only while it is under verification.")
            % {
                "claim": label_of(claim),
                "status": gettext(claim.get_status_display()).lower(),
                "what": what,
            }
        )


@transaction.atomic
def start_verification(*, actor: User, claim: Claim, now: dt.datetime | None = None) -> Claim:
    """The verifier takes up a submitted claim."""
    require_role(actor, Role.VERIFIER, action="verify a sales claim")
    now = clock.now(now)
    claim = _locked(claim)
    if claim.status != S.SUBMITTED:
        raise ValidationError(
            gettext("%(claim)s is %(status)s; only a submitted claim is taken up for verification.")
            % {"claim": label_of(claim), "status": gettext(claim.get_status_display()).lower()}
        )
    pipeline.transition(
        claim, S.UNDER_VERIFICATION, pipeline=CLAIM_PIPELINE, actor=actor, now=now,
        label=label_of(claim),
        extra={
            "verification_started_by_id": actor.pk, "verification_started_at": now,
            "updated_at": now,
        },
    )  # fmt: skip
    return claim


def _amount(value: Decimal | str | None, *, field: str, places: int, digits: int) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationError({field: [f"'{value}' is not a number."]}) from None
    if not amount.is_finite():
        raise ValidationError({field: [f"'{value}' is not a number."]})
    if amount != amount.quantize(Decimal(1).scaleb(-places)):
        raise ValidationError({field: [f"{amount} has more than {places} decimals."]})
    if abs(amount) >= Decimal(10) ** (digits - places):
        raise ValidationError({field: [f"{amount} is too large."]})
    return amount.quantize(Decimal(1).scaleb(-places))


@transaction.atomic
def adjust_line(
    *,
    actor: User,
    claim: Claim,
    row: int,
    kind: str,
    reason: str,
    quantity_kg: Decimal | str | None = None,
    net_sales_value: Decimal | str | None = None,
    now: dt.datetime | None = None,
) -> LineAdjustment:
    """The verifier excludes a line, corrects its kg and/or net value, or restores it as filed.

    Kept as a new `LineAdjustment` (the history is append-only; the latest per line counts),
    with its reason, maker and time, and audited on the claim.
    """
    require_role(actor, Role.VERIFIER, action="adjust a sales claim's lines")
    now = clock.now(now)
    claim = _locked(claim)
    _require_verification(claim, gettext("its lines are adjusted"))
    if kind not in Kind.values:
        raise ValidationError({"kind": [f"'{kind}' is not one of exclude, correct, restore."]})
    reason = _reason(reason, f"row {row} is adjusted")
    line = ClaimLine.objects.filter(claim=claim, row=row).first()
    if line is None:
        raise ValidationError(
            {
                "row": [
                    gettext("Row %(row)s is not a line of this claim's current upload.")
                    % {"row": row}
                ]
            }
        )
    kg = _amount(
        quantity_kg, field="quantity_kg", places=KG["decimal_places"], digits=KG["max_digits"]
    )
    value = _amount(
        net_sales_value, field="net_sales_value", places=MONEY["decimal_places"],
        digits=MONEY["max_digits"],
    )  # fmt: skip
    previous = selectors.latest_adjustment(claim, row)
    if kind == Kind.CORRECT:
        if kg is None and value is None:
            raise ValidationError(
                {
                    "quantity_kg": [
                        gettext("Give the corrected kg, the corrected net value, or both.")
                    ]
                }
            )
        sign, must = (
            (
                -1,
                gettext(
                    "Row %(row)s: %(amount)s must be negative on a credit note; exclude the line "
                    "to count nothing."
                ),
            )
            if line.is_credit_note
            else (
                1,
                gettext(
                    "Row %(row)s: %(amount)s must be positive on an invoice; exclude the line to "
                    "count nothing."
                ),
            )
        )
        for field, amount in (("quantity_kg", kg), ("net_sales_value", value)):
            if amount is not None and amount * sign <= 0:
                raise ValidationError({field: [must % {"row": row, "amount": amount}]})
    elif kg is not None or value is not None:
        raise ValidationError(
            {"kind": [f"An adjustment that will {kind} a line takes no amounts; choose correct."]}
        )
    if kind == Kind.RESTORE and (previous is None or previous.kind == Kind.RESTORE):
        raise ValidationError(
            {
                "row": [
                    gettext("Row %(row)s is counted as filed; there is nothing to undo.")
                    % {"row": row}
                ]
            }
        )
    adjustment = LineAdjustment.objects.create(
        claim=claim, upload_id=claim.current_upload_id, row=row, kind=kind, quantity_kg=kg,
        net_sales_value=value, reason=reason, made_by=actor, made_at=now,
    )  # fmt: skip
    audit.record(
        actor=actor,
        action="claim.line_adjusted",
        obj=claim,
        old=None if previous is None else {
            "adjustment": previous.pk, "kind": previous.kind,
            "quantity_kg": previous.quantity_kg, "net_sales_value": previous.net_sales_value,
        },
        new={
            "adjustment": adjustment.pk, "upload": claim.current_upload_id, "row": row,
            "invoice_number": line.invoice_number, "kind": kind,
            "filed_kg": line.quantity_kg, "filed_value": line.net_sales_value,
            "quantity_kg": kg, "net_sales_value": value, "reason": reason, "at": now,
        },
    )  # fmt: skip
    return adjustment


@transaction.atomic
def return_claim(
    *, actor: User, claim: Claim, reason: str, now: dt.datetime | None = None
) -> Claim:
    """Back to the firm for correction, with the reasons: it may upload again and resubmit."""
    require_role(actor, Role.VERIFIER, action="return a sales claim")
    now = clock.now(now)
    reason = _reason(reason, "the claim is returned")
    claim = _locked(claim)
    _require_verification(claim, gettext("it is returned"))
    pipeline.transition(
        claim, S.RETURNED, pipeline=CLAIM_PIPELINE, actor=actor, now=now, label=label_of(claim),
        reason=reason, extra={"decision_reason": reason, "updated_at": now},
    )  # fmt: skip
    return claim


@transaction.atomic
def reject_claim(
    *, actor: User, claim: Claim, reason: str, now: dt.datetime | None = None
) -> Claim:
    require_role(actor, Role.VERIFIER, action="reject a sales claim")
    now = clock.now(now)
    reason = _reason(reason, "the claim is rejected")
    claim = _locked(claim)
    _require_verification(claim, gettext("it is rejected"))
    pipeline.transition(
        claim, S.REJECTED, pipeline=CLAIM_PIPELINE, actor=actor, now=now, label=label_of(claim),
        reason=reason, extra={"decision_reason": reason, "updated_at": now},
    )  # fmt: skip
    return claim


@transaction.atomic
def verify_claim(
    *,
    actor: User,
    claim: Claim,
    remarks: str = "",
    feedstock_note: str = "",
    now: dt.datetime | None = None,
) -> Claim:
    """The verifier's word is given: the claim counts at its verified totals (adjustments applied).

    With it, the verifier's conclusion on the feedstock check (`feedstock.check_of`): consistent
    when the declared oxide makes the magnets sold within the tolerance; outside it, the claim
    is verified only with `feedstock_note` saying in a sentence why the mismatch is accepted
    (else return the claim). The check's figures are kept on the claim and in the audit row.
    """
    require_role(actor, Role.VERIFIER, action="verify a sales claim")
    now = clock.now(now)
    claim = _locked(claim)
    _require_verification(claim, gettext("it is verified"))
    kg, value = selectors.verified_totals(claim)
    check = feedstock.check_of(claim, verified_kg=kg)
    if not check.declared:
        raise ValidationError(
            gettext(
                "%(claim)s has no feedstock declaration; return it to the firm to declare the "
                "oxide it used."
            )
            % {"claim": label_of(claim)}
        )
    note = (feedstock_note or "").strip()
    if check.within:
        conclusion = FeedstockConclusion.CONSISTENT
    else:
        deviation = (
            gettext("nothing sold") if check.deviation_pct is None else f"{check.deviation_pct} %"
        )
        note = sentence(
            note, field="feedstock_note",
            what=(
                gettext(
                    "the feedstock mismatch is accepted: the declared %(oxide)s t of oxide make "
                    "%(magnet)s t of magnet against %(sold)s t sold (%(deviation)s, beyond the "
                    "%(tolerance)s %% tolerance); or return the claim"
                )
                % {
                    "oxide": check.oxide_tonnes, "magnet": check.magnet_equivalent_tonnes,
                    "sold": check.sold_tonnes, "deviation": deviation,
                    "tolerance": check.tolerance_pct,
                }
            ),
        )  # fmt: skip
        conclusion = FeedstockConclusion.MISMATCH_ACCEPTED
    record = check.as_record()
    pipeline.transition(
        claim, S.VERIFIED, pipeline=CLAIM_PIPELINE, actor=actor, now=now, label=label_of(claim),
        extra={
            "verified_by_id": actor.pk, "verified_at": now,
            "verification_remarks": (remarks or "").strip(), "updated_at": now,
            "feedstock_conclusion": conclusion, "feedstock_check": record,
            "feedstock_note": note if conclusion == FeedstockConclusion.MISMATCH_ACCEPTED else "",
        },
        audit_new={
            "verified_kg": kg, "verified_value": value,
            "adjusted_lines": selectors.adjusted_line_count(claim),
        },
    )  # fmt: skip
    return claim


__all__ = ["adjust_line", "reject_claim", "return_claim", "start_verification", "verify_claim"]
