"""Every write of a recovery: propose, confirm (maker-checker), withdraw, record a repayment, settle.

A recovery's figure is frozen at proposal from the award's payments (`engine.interest_due`); the
second official confirms exactly that figure, and confirmation posts it to the ledger as one
RECOVERY entry (source key `recovery:<id>`) and, when asked, invokes the award's guarantee through
bidding's lifecycle. From then on the ledger settles it two ways: later SLI payouts net it in the
sanction pipeline (which should call `settle_cleared` for the award in its transaction), and the
firm's repayments net it here. Either way, once nothing is outstanding the recovery is settled.

Invoking the guarantee calls on the bank; what the bank remits is money the firm owes no more
only once it arrives, so it is recorded as a repayment with the remittance's UTR, like any other.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from beneficiaries.models import User
from bidding.models import Award
from bidding.services import invoke_pbg
from incentives import ledger
from incentives.models import EntryKind, Payment, Pool
from incentives.recovery import engine, selectors
from incentives.recovery.models import (
    REASON_MIN_CHARS,
    REASON_MIN_WORDS,
    Grounds,
    Recovery,
    Repayment,
)
from repm_portal import audit, clock
from repm_portal.models import RuleSet
from repm_portal.money import format_inr, to_money
from repm_portal.pipeline import transition
from repm_portal.roles import AnyUser, has_role, require_role
from repm_portal.selectors import rule_set_in_force
from repm_portal.text import control_problems

Status = Recovery.Status
PIPELINE: dict[str, set[str]] = {
    Status.PROPOSED: {Status.CONFIRMED, Status.WITHDRAWN},
    Status.CONFIRMED: {Status.SETTLED},
    Status.SETTLED: set(),
    Status.WITHDRAWN: set(),
}
UTR_PATTERN = re.compile(r"^[A-Z0-9]{12,22}$")

__all__ = [
    "PIPELINE",
    "can_act",
    "confirm_recovery",
    "propose_recovery",
    "record_repayment",
    "settle_cleared",
    "settle_if_cleared",
    "withdraw_recovery",
]


def _require_officer(actor: User, action: str) -> None:
    require_role(actor, *selectors.OFFICERS, action=action)


# The reason-too-short message, one whole sentence per thing a reason is asked for.
_SAY_WHY = {
    "the award refunds": gettext_lazy(
        "Say in a sentence why the award refunds (at least %(words)s words and %(chars)s "
        "characters)."
    ),
    "the recovery is withdrawn": gettext_lazy(
        "Say in a sentence why the recovery is withdrawn (at least %(words)s words and "
        "%(chars)s characters)."
    ),
}
_SAY_WHY_ANYTHING = gettext_lazy(
    "Say in a sentence why %(what)s (at least %(words)s words and %(chars)s characters)."
)


def clean_reason(text: str, *, field: str = "reason", what: str = "the award refunds") -> str:
    """A reason on record: at least a sentence (four words, twenty characters), no control characters."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    problems = control_problems(text)
    if problems:
        raise ValidationError({field: problems})
    if len(text.split()) < REASON_MIN_WORDS or len(text) < REASON_MIN_CHARS:
        raise ValidationError(
            {
                field: [
                    _SAY_WHY.get(what, _SAY_WHY_ANYTHING)
                    % {"what": what, "words": REASON_MIN_WORDS, "chars": REASON_MIN_CHARS}
                ]
            }
        )
    return text


def _label(recovery: Recovery) -> str:
    """The recovery as the ledger, the audit trail and stored reasons name it: always English."""
    return f"Recovery {recovery.pk}"


def _shown(recovery: Recovery) -> str:
    """The recovery as an error message names it, in the reader's language."""
    return gettext("Recovery %(pk)s") % {"pk": recovery.pk}


def _locked(recovery: Recovery) -> Recovery:
    return (
        Recovery.objects.select_for_update(of=("self",))
        .select_related("award__bid", "award__tender", "rule_set", "proposed_by")
        .get(pk=recovery.pk)
    )


def _pools(pools: Iterable[str]) -> list[str]:
    chosen = {str(pool) for pool in pools or ()}
    unknown = chosen - set(Pool.values)
    if not chosen or unknown:
        raise ValidationError(
            {
                "pools": [
                    gettext(
                        "Choose the pools whose payments are recovered: SLI, capital subsidy "
                        "or both."
                    )
                ]
            }
        )
    return [pool for pool in Pool.values if pool in chosen]


def _working_lines(payments: list[Payment], working: engine.RecoveryWorking) -> list[dict]:
    """The engine's lines with the payment each came from (id, letter, pool), for the reader."""
    by_utr = {p.utr: p for p in payments}
    lines = []
    for line in working.lines:
        payment = by_utr[line.reference]
        lines.append(
            line.as_dict()
            | {
                "payment_id": payment.pk,
                "letter": payment.letter.number,
                "pool": payment.letter.pool,
            }
        )
    return lines


# The maker


@transaction.atomic
def propose_recovery(
    *,
    actor: User,
    award: Award,
    grounds: str,
    reason: str,
    pools: Iterable[str],
    as_of: dt.date,
    invoke_guarantee: bool,
    now: dt.datetime | None = None,
) -> Recovery:
    """Propose that the award refund its payments in `pools` with interest to `as_of`; nothing is posted yet."""
    _require_officer(actor, "propose a recovery")
    now = clock.now(now)
    errors: dict[str, list[str]] = {}
    if grounds not in Grounds.values:
        errors.setdefault("grounds", []).append(
            "Say whether the beneficiary exits or is ineligible."
        )
    try:
        reason = clean_reason(reason)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        chosen = _pools(pools)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        chosen = []
    if not isinstance(as_of, dt.date) or isinstance(as_of, dt.datetime):
        errors.setdefault("as_of", []).append(gettext("Give the date interest runs to."))
    elif as_of > timezone.localdate(now):
        errors.setdefault("as_of", []).append(
            "Interest runs to a date that has come, not a future one."
        )
    if errors:
        raise ValidationError(errors)
    # One proposal per award at a time: the award's row is the lock, the unique constraint the backstop.
    award = (
        Award.objects.select_for_update(of=("self",))
        .select_related("bid", "tender")
        .get(pk=award.pk)
    )
    live = Recovery.objects.filter(award=award, status__in=Recovery.LIVE_STATUSES).first()
    if live is not None:
        raise ValidationError(
            gettext(
                "%(recovery)s of this award is %(status)s; the same payments are not recovered "
                "twice."
            )
            % {"recovery": _shown(live), "status": gettext(live.get_status_display()).lower()}
        )
    payments = list(selectors.payments_of(award, chosen))
    if not payments:
        raise ValidationError(
            {"pools": [gettext("Nothing was paid to this award in the pools chosen.")]}
        )
    late = [p for p in payments if p.paid_on > as_of]
    if late:
        raise ValidationError(
            {
                "as_of": [
                    gettext(
                        "Payment %(utr)s was made on %(paid)s, after %(as_of)s: interest runs "
                        "to a date on or after every payment."
                    )
                    % {
                        "utr": late[0].utr,
                        "paid": f"{late[0].paid_on:%d %b %Y}",
                        "as_of": f"{as_of:%d %b %Y}",
                    }
                ]
            }
        )
    try:
        rule_set = rule_set_in_force(on=as_of)
    except RuleSet.DoesNotExist as exc:
        raise ValidationError({"as_of": [str(exc)]}) from None
    if invoke_guarantee and selectors.active_guarantee(award) is None:
        raise ValidationError(
            {"invoke_guarantee": [gettext("The award has no active guarantee to invoke.")]}
        )
    working = engine.interest_due(
        [(p.paid_on, p.amount, p.utr) for p in payments], as_of, rule_set.recovery_interest_pct
    )
    stored = working.as_dict() | {
        "lines": _working_lines(payments, working),
        "rule_set": rule_set.version,
        "pools": chosen,
    }
    recovery = Recovery.objects.create(
        award=award,
        grounds=grounds,
        reason=reason,
        pools=chosen,
        as_of=as_of,
        working=stored,
        principal=working.principal,
        interest=working.interest,
        total=working.total,
        rule_set=rule_set,
        interest_pct=rule_set.recovery_interest_pct,
        invoke_guarantee=bool(invoke_guarantee),
        proposed_by=actor,
        proposed_at=now,
    )
    audit.record(
        actor=actor,
        action="recovery.proposed",
        obj=recovery,
        new={
            "award_id": award.pk,
            "grounds": grounds,
            "reason": reason,
            "pools": chosen,
            "as_of": as_of,
            "rule_set": rule_set.version,
            "interest_pct": rule_set.recovery_interest_pct,
            "payments": [p.pk for p in payments],
            "principal": recovery.principal,
            "interest": recovery.interest,
            "total": recovery.total,
            "invoke_guarantee": recovery.invoke_guarantee,
        },
    )
    return recovery


# The checker


@transaction.atomic
def confirm_recovery(
    *, actor: User, recovery: Recovery, now: dt.datetime | None = None
) -> Recovery:
    """A second official confirms the figure as proposed: one RECOVERY entry of the total, and the
    guarantee invoked for min(total, its amount) when the proposal asked for it."""
    _require_officer(actor, "confirm a recovery")
    now = clock.now(now)
    recovery = _locked(recovery)
    if recovery.status != Status.PROPOSED:
        raise ValidationError(
            gettext("%(recovery)s is %(status)s; only a proposed recovery is confirmed.")
            % {
                "recovery": _shown(recovery),
                "status": gettext(recovery.get_status_display()).lower(),
            }
        )
    if recovery.proposed_by_id == actor.pk:
        raise PermissionDenied(
            gettext(
                "The official who proposed a recovery may not confirm it; a second official must."
            )
        )
    proposed = sorted(line["payment_id"] for line in recovery.working["lines"])
    current = sorted(
        selectors.payments_of(recovery.award, recovery.pools).values_list("pk", flat=True)
    )
    if proposed != current:
        raise ValidationError(
            gettext(
                "The award's payments have changed since %(recovery)s was proposed; withdraw "
                "it and propose it again on the payments as they now stand."
            )
            % {"recovery": _shown(recovery)}
        )
    entry = ledger.post(
        kind=EntryKind.RECOVERY,
        pool=recovery.ledger_pool,
        award=recovery.award,
        amount=recovery.total,
        source_key=f"recovery:{recovery.pk}",
        rule_set=recovery.rule_set,
        document_ref=f"Recovery {recovery.pk} ({recovery.get_grounds_display().lower()})",
        narration=(
            f"Recovery of {format_inr(recovery.principal)} paid, with "
            f"{format_inr(recovery.interest)} interest at {recovery.interest_pct.normalize()} % "
            f"a year to {recovery.as_of:%d %b %Y}: {recovery.reason}"
        ),
        actor=actor,
        now=now,
        claim_type="recovery",
        claim_id=recovery.pk,
    )
    if entry is None:
        raise ValidationError(
            gettext("%(recovery)s was posted to the ledger before.")
            % {"recovery": _shown(recovery)}
        )
    extra: dict[str, object] = {
        "confirmed_by_id": actor.pk,
        "confirmed_at": now,
        "entry_id": entry.pk,
    }
    if recovery.invoke_guarantee:
        guarantee = selectors.active_guarantee(recovery.award)
        if guarantee is None:
            raise ValidationError(
                gettext(
                    "%(recovery)s asks for the guarantee to be invoked, but the award has no "
                    "active guarantee now; withdraw it and propose it again without invocation."
                )
                % {"recovery": _shown(recovery)}
            )
        amount = min(recovery.total, to_money(guarantee.amount))
        guarantee = invoke_pbg(
            actor=actor,
            guarantee=guarantee,
            amount=amount,
            # The recovery is itself maker-checker: its proposer proposed the invocation too.
            proposed_by=recovery.proposed_by,
            reason=f"{_label(recovery)} ({recovery.get_grounds_display().lower()}): {recovery.reason}",
            now=now,
        )
        extra |= {"guarantee_id": guarantee.pk, "guarantee_invoked": amount}
    transition(
        recovery,
        Status.CONFIRMED,
        pipeline=PIPELINE,
        actor=actor,
        now=now,
        label=_label(recovery),
        extra=extra,
        audit_new={"entry_id": entry.pk, "total": recovery.total},
    )
    return recovery


@transaction.atomic
def withdraw_recovery(
    *, actor: User, recovery: Recovery, reason: str, now: dt.datetime | None = None
) -> Recovery:
    """Withdraw a proposed recovery (before confirmation), with the reason on record."""
    _require_officer(actor, "withdraw a recovery")
    now = clock.now(now)
    reason = clean_reason(reason, what="the recovery is withdrawn")
    recovery = _locked(recovery)
    if recovery.status != Status.PROPOSED:
        raise ValidationError(
            gettext("%(recovery)s is %(status)s; only a proposed recovery can be withdrawn.")
            % {
                "recovery": _shown(recovery),
                "status": gettext(recovery.get_status_display()).lower(),
            }
        )
    transition(
        recovery,
        Status.WITHDRAWN,
        pipeline=PIPELINE,
        actor=actor,
        now=now,
        label=_label(recovery),
        extra={"withdrawn_by_id": actor.pk, "withdrawn_at": now, "withdrawal_reason": reason},
        reason=reason,
    )
    return recovery


# Settling


@transaction.atomic
def record_repayment(
    *,
    actor: User,
    recovery: Recovery,
    amount: Decimal | str,
    paid_on: dt.date,
    utr: str,
    now: dt.datetime | None = None,
) -> Repayment:
    """Record money the firm paid back, net it against the recovery, and settle it when cleared."""
    _require_officer(actor, "record a repayment")
    now = clock.now(now)
    # The award's deductions lock first, then the recovery's row: the order a payout that nets the
    # recovery takes them in (the ledger's trigger, then `settle_cleared`), so the two never deadlock.
    ledger.lock_deductions(recovery.award)
    recovery = _locked(recovery)
    if recovery.status != Status.CONFIRMED:
        raise ValidationError(
            gettext(
                "%(recovery)s is %(status)s; repayments are recorded against a confirmed recovery."
            )
            % {
                "recovery": _shown(recovery),
                "status": gettext(recovery.get_status_display()).lower(),
            }
        )
    errors: dict[str, list[str]] = {}
    try:
        amount = to_money(amount)
    except (ValueError, ArithmeticError, TypeError) as exc:
        raise ValidationError(
            {
                "amount": [
                    gettext("Give the amount in rupees, e.g. 1250000.00 (%(error)s).")
                    % {"error": exc}
                ]
            }
        ) from None
    utr = (utr or "").strip().upper()
    if amount <= 0:
        errors.setdefault("amount", []).append(gettext("The amount repaid must be more than zero."))
    if not isinstance(paid_on, dt.date) or isinstance(paid_on, dt.datetime):
        errors.setdefault("paid_on", []).append(gettext("Give the date of the repayment."))
    elif paid_on > timezone.localdate(now):
        errors.setdefault("paid_on", []).append(
            gettext("The repayment date cannot be in the future.")
        )
    elif paid_on < recovery.as_of:
        errors.setdefault("paid_on", []).append(
            gettext("Interest runs to %(as_of)s; a repayment is on or after that date.")
            % {"as_of": f"{recovery.as_of:%d %b %Y}"}
        )
    if not UTR_PATTERN.fullmatch(utr):
        errors.setdefault("utr", []).append(
            gettext("A UTR is 12 to 22 letters and digits (NEFT 16, RTGS 22).")
        )
    elif Repayment.objects.filter(utr=utr).exists() or Payment.objects.filter(utr=utr).exists():
        errors.setdefault("utr", []).append(
            gettext("UTR %(utr)s is already recorded.") % {"utr": utr}
        )
    if errors:
        raise ValidationError(errors)
    award = recovery.award
    left = selectors.outstanding(recovery)
    if amount > left:
        raise ValidationError(
            {
                "amount": [
                    gettext(
                        "Only %(left)s of %(recovery)s is outstanding; %(amount)s cannot be "
                        "recorded against it."
                    )
                    % {
                        "left": format_inr(left),
                        "recovery": _shown(recovery),
                        "amount": format_inr(amount),
                    }
                ]
            }
        )
    entries = ledger.net(
        award=award,
        amount=amount,
        source_key=f"repayment:{utr}",
        rule_set=recovery.rule_set,
        document_ref=f"Repaid by UTR {utr}",
        narration=f"Repayment of {_label(recovery)} received on {paid_on:%d %b %Y}",
        pool=recovery.ledger_pool,
        actor=actor,
        now=now,
        claim_type="recovery",
        claim_id=recovery.pk,
        accounts=(EntryKind.RECOVERY,),
    )
    if len(entries) != 1 or entries[0].account != EntryKind.RECOVERY:
        raise ValidationError(
            gettext("The ledger did not net the repayment against %(recovery)s.")
            % {"recovery": _shown(recovery)}
        )
    repayment = Repayment.objects.create(
        recovery=recovery,
        entry=entries[0],
        amount=amount,
        paid_on=paid_on,
        utr=utr,
        recorded_by=actor,
        recorded_at=now,
    )
    audit.record(
        actor=actor,
        action="repayment.recorded",
        obj=repayment,
        new={
            "recovery_id": recovery.pk,
            "amount": amount,
            "paid_on": paid_on,
            "utr": utr,
            "entry_id": entries[0].pk,
            "outstanding_after": left - amount,
        },
    )
    settle_if_cleared(recovery=recovery, actor=actor, now=now)
    return repayment


@transaction.atomic
def settle_if_cleared(
    *, recovery: Recovery, actor: User | None = None, now: dt.datetime | None = None
) -> bool:
    """Settle a confirmed recovery once nothing of it is outstanding; True if it was settled now.

    Call it after anything that nets the award's recoveries: a repayment here, or a payout that
    netted them in the sanction pipeline (or call `settle_cleared` for the award there).
    """
    now = clock.now(now)
    recovery = _locked(recovery)
    if recovery.status != Status.CONFIRMED or selectors.outstanding(recovery) > 0:
        return False
    transition(
        recovery,
        Status.SETTLED,
        pipeline=PIPELINE,
        actor=actor,
        now=now,
        label=_label(recovery),
        extra={"settled_at": now},
        audit_new={"repaid": selectors.repaid(recovery)},
    )
    return True


@transaction.atomic
def settle_cleared(
    *, award: Award, actor: User | None = None, now: dt.datetime | None = None
) -> list[Recovery]:
    """Settle the award's confirmed recoveries that nothing is outstanding of: for the SLI pipeline
    to call in the transaction that netted a payout, which knows the award but not the recovery."""
    settled = []
    for recovery in Recovery.objects.filter(award=award, status=Status.CONFIRMED).order_by("pk"):
        if settle_if_cleared(recovery=recovery, actor=actor, now=now):
            settled.append(recovery)
    return settled


def can_act(user: AnyUser, recovery: Recovery) -> dict[str, bool]:
    """What the user may do to the recovery now, for pages and the API to offer."""
    officer = has_role(user, *selectors.OFFICERS)
    proposed = recovery.status == Status.PROPOSED
    return {
        "confirm": officer and proposed and user is not None and recovery.proposed_by_id != user.pk,
        "own_proposal": officer
        and proposed
        and user is not None
        and recovery.proposed_by_id == user.pk,
        "withdraw": officer and proposed,
        "repay": officer and recovery.status == Status.CONFIRMED,
    }
