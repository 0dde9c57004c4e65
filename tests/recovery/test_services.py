"""Proposing, confirming (maker-checker), withdrawing, repaying and settling a recovery."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from bidding.models import PerformanceBankGuarantee
from bidding.services import open_obligations
from incentives import ledger
from incentives.models import EntryKind, LedgerEntry, Pool
from incentives.recovery import selectors, services
from incentives.recovery.models import Recovery, Repayment
from repm_portal.models import AuditEvent
from repm_portal.money import lakh
from tests.factories import AwardFactory
from tests.recovery.payouts import (
    AS_OF,
    CS_DUE,
    NOW,
    REASON,
    SLI_DUE,
    SLI_PAID_ON,
    TOTAL,
    guarantee,
)  # fmt: skip

pytestmark = pytest.mark.django_db
LATER = NOW + dt.timedelta(days=20)


def _propose(users, award, **changes):
    given = {
        "actor": users["official"], "award": award, "grounds": "ineligible", "reason": REASON,
        "pools": [Pool.SLI, Pool.CAPITAL_SUBSIDY], "as_of": AS_OF, "invoke_guarantee": False,
        "now": NOW,
    } | changes  # fmt: skip
    return services.propose_recovery(**given)


def _confirmed(users, award, checker, **changes):
    recovery = _propose(users, award, **changes)
    return services.confirm_recovery(actor=checker, recovery=recovery, now=NOW)


def _repay(users, recovery, amount, utr, paid_on=dt.date(2028, 6, 15)):
    return services.record_repayment(
        actor=users["official"], recovery=recovery, amount=amount, paid_on=paid_on, utr=utr,
        now=LATER,
    )  # fmt: skip


def _counts() -> dict[str, int]:
    return {
        "recoveries": Recovery.objects.count(),
        "confirmed": Recovery.objects.exclude(status="proposed").count(),
        "repayments": Repayment.objects.count(),
        "entries": LedgerEntry.objects.count(),
        "audit": AuditEvent.objects.count(),
        "invoked": PerformanceBankGuarantee.objects.filter(status="invoked").count(),
    }


# Proposing and confirming


def test_a_proposal_freezes_the_working_and_posts_nothing(users, paid_award):
    recovery = _propose(users, paid_award)

    assert recovery.status == "proposed"
    assert (recovery.principal, recovery.interest, recovery.total) == (
        lakh(20),
        TOTAL - lakh(20),
        TOTAL,
    )
    assert recovery.rule_set.version == 1 and recovery.interest_pct == Decimal("8.0000")
    lines = recovery.working["lines"]
    assert [(x["paid_on"], x["pool"], x["years"], x["days"], x["due"]) for x in lines] == [
        ("2026-06-01", "sli", 2, 0, str(SLI_DUE)),
        ("2027-03-20", "capital_subsidy", 1, 73, str(CS_DUE)),
    ]
    assert recovery.working["total"] == str(TOTAL)
    assert ledger.outstanding_deductions(paid_award)[EntryKind.RECOVERY] == 0
    assert (
        AuditEvent.objects.filter(action="recovery.proposed", object_id=str(recovery.pk)).count()
        == 1
    )


def test_confirmation_posts_exactly_the_total_once_so_later_payouts_net_it(
    users, paid_award, second_official
):
    recovery = _confirmed(users, paid_award, second_official)

    entry = LedgerEntry.objects.get(kind=EntryKind.RECOVERY)
    assert (entry.amount, entry.pool, entry.source_key) == (
        TOTAL,
        Pool.SLI,
        f"recovery:{recovery.pk}",
    )
    assert recovery.entry == entry and recovery.status == "confirmed"
    assert (recovery.confirmed_by, recovery.confirmed_at) == (second_official, NOW)
    assert ledger.outstanding_deductions(paid_award)[EntryKind.RECOVERY] == TOTAL
    assert selectors.outstanding(recovery) == TOTAL
    moved = AuditEvent.objects.get(action="recovery.confirmed", object_id=str(recovery.pk))
    assert (moved.old_values, moved.new_values["total"]) == ({"status": "proposed"}, str(TOTAL))


def test_capital_subsidy_payments_alone_are_posted_to_the_capital_subsidy_pool(
    users, paid_award, second_official
):
    recovery = _confirmed(users, paid_award, second_official, pools=[Pool.CAPITAL_SUBSIDY])

    assert recovery.total == CS_DUE
    assert (recovery.entry.pool, recovery.entry.amount) == (Pool.CAPITAL_SUBSIDY, CS_DUE)


def test_the_proposer_cannot_confirm_and_nothing_changes(users, paid_award):
    recovery = _propose(users, paid_award)
    before = _counts()

    with pytest.raises(PermissionDenied, match="second official"):
        services.confirm_recovery(actor=users["official"], recovery=recovery, now=NOW)

    assert _counts() == before
    recovery.refresh_from_db()
    assert recovery.status == "proposed" and recovery.entry is None


def test_the_database_refuses_a_confirmation_by_the_proposer(users, paid_award, second_official):
    # given a recovery confirmed properly, so it has its entry
    recovery = _confirmed(users, paid_award, second_official)
    # when its checker is rewritten to be its maker, skipping the service
    with pytest.raises(IntegrityError, match="recovery_maker_checker"), transaction.atomic():
        Recovery.objects.filter(pk=recovery.pk).update(confirmed_by=recovery.proposed_by)


def test_the_database_refuses_a_confirmation_without_its_checker_or_entry(users, paid_award):
    recovery = _propose(users, paid_award)
    with pytest.raises(IntegrityError, match="recovery_maker_checker"), transaction.atomic():
        Recovery.objects.filter(pk=recovery.pk).update(status="confirmed", confirmed_at=NOW)


@pytest.mark.parametrize(
    ("field", "value", "constraint"),
    [
        ("reason", "Too short.", "recovery_reason_a_sentence"),
        ("reason", "The firm exits the scheme\x07 entirely today.", "recovery_reason_a_sentence"),
        ("pools", [], "recovery_pools_known"),
        ("pools", ["bonus"], "recovery_pools_known"),
        ("interest", Decimal("1.00"), "recovery_amounts_sane"),
    ],
)
def test_the_database_refuses_a_bad_row(users, paid_award, field, value, constraint):
    recovery = _propose(users, paid_award)
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        Recovery.objects.filter(pk=recovery.pk).update(**{field: value})


def test_the_guarantee_is_invoked_for_the_total_when_it_is_smaller(
    users, paid_award, second_official
):
    pbg = guarantee(users, paid_award)  # Rs 60 crore for 1,200 MTPA: more than the total

    recovery = _confirmed(users, paid_award, second_official, invoke_guarantee=True)

    pbg.refresh_from_db()
    assert (pbg.status, pbg.invoked_amount, pbg.closed_by) == ("invoked", TOTAL, second_official)
    assert REASON in pbg.closing_reason
    assert (recovery.guarantee, recovery.guarantee_invoked) == (pbg, TOTAL)


def test_the_guarantee_is_invoked_for_its_amount_when_the_total_is_larger(
    payouts, users, rules, second_official
):
    award = AwardFactory(pbg_amount_required=lakh(5))
    payouts.pay(users, award, Pool.SLI, lakh(10), on=SLI_PAID_ON, utr="SBIN260000000077")
    pbg = guarantee(users, award)

    recovery = _confirmed(users, award, second_official, pools=[Pool.SLI], invoke_guarantee=True)

    pbg.refresh_from_db()
    assert (pbg.status, pbg.invoked_amount) == ("invoked", lakh(5))
    assert (recovery.total, recovery.guarantee_invoked) == (SLI_DUE, lakh(5))
    # the recovery still asks the whole total: the bank's remittance is recorded as a repayment
    assert selectors.outstanding(recovery) == SLI_DUE


def test_the_guarantee_is_left_alone_unless_asked(users, paid_award, second_official):
    pbg = guarantee(users, paid_award)
    _confirmed(users, paid_award, second_official)
    pbg.refresh_from_db()
    assert pbg.status == "active"


def test_a_guarantee_gone_by_confirmation_refuses_it_and_changes_nothing(
    users, paid_award, second_official
):
    pbg = guarantee(users, paid_award)
    recovery = _propose(users, paid_award, invoke_guarantee=True)
    PerformanceBankGuarantee.objects.filter(pk=pbg.pk).delete()
    before = _counts()

    with pytest.raises(ValidationError, match="no active guarantee"):
        services.confirm_recovery(actor=second_official, recovery=recovery, now=NOW)

    assert _counts() == before


def test_payments_recorded_after_the_proposal_refuse_its_confirmation(
    payouts, users, paid_award, second_official
):
    recovery = _propose(users, paid_award)
    payouts.pay(users, paid_award, Pool.SLI, lakh(1), on=AS_OF, utr="SBIN280000000099")
    before = _counts()

    with pytest.raises(ValidationError, match="payments have changed"):
        services.confirm_recovery(actor=second_official, recovery=recovery, now=NOW)

    assert _counts() == before


def test_a_proposal_keeps_the_guarantee_until_it_is_decided(users, paid_award):
    _propose(users, paid_award)
    owed = open_obligations(paid_award, dt.date(2040, 1, 1))
    assert any("is proposed and awaits a second official" in line for line in owed)


# Withdrawing


def test_a_withdrawn_proposal_posts_nothing_and_frees_the_award(users, paid_award):
    recovery = _propose(users, paid_award)

    services.withdraw_recovery(
        actor=users["admin"], recovery=recovery, now=NOW,
        reason="The firm's appeal was upheld by the ministry on review.",
    )  # fmt: skip

    recovery.refresh_from_db()
    assert (recovery.status, recovery.withdrawn_by) == ("withdrawn", users["admin"])
    assert not LedgerEntry.objects.filter(kind=EntryKind.RECOVERY).exists()
    assert _propose(users, paid_award).status == "proposed"


def test_a_confirmed_recovery_cannot_be_withdrawn(users, paid_award, second_official):
    recovery = _confirmed(users, paid_award, second_official)
    before = _counts()
    with pytest.raises(ValidationError, match="only a proposed recovery"):
        services.withdraw_recovery(
            actor=users["official"], recovery=recovery, now=NOW,
            reason="Changed our minds about this recovery entirely.",
        )  # fmt: skip
    assert _counts() == before


# Repayments and settling


def test_repayments_net_the_recovery_and_the_last_settles_it(users, paid_award, second_official):
    recovery = _confirmed(users, paid_award, second_official)

    first = _repay(users, recovery, lakh(10), "SBIN28REPAID0001")
    recovery.refresh_from_db()
    assert recovery.status == "confirmed" and selectors.outstanding(recovery) == TOTAL - lakh(10)
    assert (first.entry.kind, first.entry.account, first.entry.amount) == (
        EntryKind.NETTING, EntryKind.RECOVERY, -lakh(10),
    )  # fmt: skip
    assert first.entry.document_ref == "Repaid by UTR SBIN28REPAID0001"
    assert first.entry.letter is None

    _repay(users, recovery, TOTAL - lakh(10), "sbin28repaid0002")

    recovery.refresh_from_db()
    assert (recovery.status, recovery.settled_at) == ("settled", LATER)
    assert ledger.outstanding_deductions(paid_award)[EntryKind.RECOVERY] == 0
    assert Repayment.objects.filter(utr="SBIN28REPAID0002").exists()
    assert AuditEvent.objects.filter(action="repayment.recorded").count() == 2
    assert AuditEvent.objects.filter(action="recovery.settled").count() == 1


def test_more_than_is_outstanding_is_refused_and_changes_nothing(
    users, paid_award, second_official
):
    recovery = _confirmed(users, paid_award, second_official)
    _repay(users, recovery, lakh(20), "SBIN28REPAID0003")
    before = _counts()

    with pytest.raises(ValidationError, match=r"Only Rs 2,63,680\.00 .* is outstanding"):
        _repay(users, recovery, Decimal("263680.01"), "SBIN28REPAID0004")

    assert _counts() == before


def test_a_utr_is_recorded_once(users, paid_award, second_official):
    recovery = _confirmed(users, paid_award, second_official)
    _repay(users, recovery, lakh(1), "SBIN28REPAID0005")
    before = _counts()

    with pytest.raises(ValidationError, match="already recorded"):
        _repay(users, recovery, lakh(1), "SBIN28REPAID0005")
    # nor may a repayment reuse the UTR of a payment the award received
    payment_utr = f"SBIN26{paid_award.pk:010d}"
    with pytest.raises(ValidationError, match="already recorded"):
        _repay(users, recovery, lakh(1), payment_utr)

    assert _counts() == before


def test_the_database_refuses_a_repeated_utr(users, paid_award, second_official):
    recovery = _confirmed(users, paid_award, second_official)
    repayment = _repay(users, recovery, lakh(1), "SBIN28REPAID0006")
    with pytest.raises(IntegrityError, match="utr"), transaction.atomic():
        Repayment.objects.create(
            recovery=recovery, entry=recovery.entry, amount=lakh(1), paid_on=AS_OF,
            utr=repayment.utr, recorded_by=users["official"], recorded_at=NOW,
        )  # fmt: skip


def test_a_repayment_reaches_the_recovery_even_while_a_penalty_is_outstanding(
    users, paid_award, second_official
):
    recovery = _confirmed(users, paid_award, second_official)
    with transaction.atomic():
        ledger.post(
            kind=EntryKind.PENALTY, pool=Pool.SLI, award=paid_award, amount=lakh(1),
            source_key="penalty:test", rule_set=paid_award.rule_set,
            document_ref="Milestone acceptance", narration="delay penalty",
        )  # fmt: skip
    owed = ledger.outstanding_deductions(paid_award)

    repayment = _repay(users, recovery, lakh(1), "SBIN28REPAID0007")

    # the repayment settles the recovery it names; the penalty waits for a payout
    assert repayment.entry.account == EntryKind.RECOVERY
    after = ledger.outstanding_deductions(paid_award)
    assert after[EntryKind.PENALTY] == owed[EntryKind.PENALTY] == lakh(1)
    assert after[EntryKind.RECOVERY] == owed[EntryKind.RECOVERY] - lakh(1)


def test_netting_from_a_later_payout_settles_the_recovery(
    payouts, users, paid_award, second_official
):
    recovery = _confirmed(users, paid_award, second_official)
    # when a later SLI letter keeps the whole recovery back from its payout
    letter = payouts.letter(users, paid_award, Pool.SLI, lakh(30), on=dt.date(2028, 7, 1),
                            deduction=TOTAL)  # fmt: skip
    assert letter.deducted == TOTAL
    # then the sanction pipeline's call settles it
    with transaction.atomic():
        settled = services.settle_cleared(award=paid_award, now=LATER)

    recovery.refresh_from_db()
    assert settled == [recovery] and recovery.status == "settled"
    assert selectors.position(recovery).netted_from_payouts == TOTAL


def test_settle_if_cleared_leaves_a_recovery_still_owed(users, paid_award, second_official):
    recovery = _confirmed(users, paid_award, second_official)
    assert services.settle_if_cleared(recovery=recovery, now=LATER) is False
    recovery.refresh_from_db()
    assert recovery.status == "confirmed"


# Every bad input changes nothing


@pytest.mark.parametrize(
    ("changes", "refusal"),
    [
        ({"grounds": "bankrupt"}, "exits or is ineligible"),
        ({"reason": "Ineligible."}, "in a sentence"),
        ({"reason": "   "}, "in a sentence"),
        (
            {"reason": "The firm left the scheme\x00 without notice to anyone."},
            "U\\+0000",
        ),
        ({"reason": "The firm left the scheme \u202ewithout notice to anyone."}, "U\\+202E"),
        ({"pools": []}, "Choose the pools"),
        ({"pools": ["bonus"]}, "Choose the pools"),
        ({"as_of": dt.date(2028, 6, 3)}, "not a future one"),
        ({"as_of": dt.date(2027, 1, 1)}, "after 01 Jan 2027"),
        ({"invoke_guarantee": True}, "no active guarantee"),
    ],
)
def test_a_bad_proposal_is_refused_and_changes_nothing(users, paid_award, changes, refusal):
    before = _counts()
    with pytest.raises(ValidationError, match=refusal):
        _propose(users, paid_award, **changes)
    assert _counts() == before


def test_an_award_never_paid_has_nothing_to_recover(users, award):
    before = _counts()
    with pytest.raises(ValidationError, match="Nothing was paid"):
        _propose(users, award)
    assert _counts() == before


def test_the_same_payments_are_not_recovered_twice(users, paid_award, second_official):
    _confirmed(users, paid_award, second_official)
    before = _counts()
    with pytest.raises(ValidationError, match="not recovered twice"):
        _propose(users, paid_award, actor=second_official)
    assert _counts() == before


@pytest.mark.parametrize("role", ["firm_user", "evaluator", "verifier", "approver", "auditor"])
def test_only_officials_act_and_others_change_nothing(users, paid_award, second_official, role):
    proposed = _propose(users, paid_award)
    before = _counts()

    with pytest.raises(PermissionDenied):
        _propose(users, paid_award, actor=users[role])
    with pytest.raises(PermissionDenied):
        services.confirm_recovery(actor=users[role], recovery=proposed, now=NOW)
    with pytest.raises(PermissionDenied):
        services.withdraw_recovery(actor=users[role], recovery=proposed, reason=REASON, now=NOW)

    assert _counts() == before
    confirmed = services.confirm_recovery(actor=second_official, recovery=proposed, now=NOW)
    before = _counts()
    with pytest.raises(PermissionDenied):
        services.record_repayment(
            actor=users[role], recovery=confirmed, amount=lakh(1), paid_on=AS_OF,
            utr="SBIN28REPAID0008", now=LATER,
        )  # fmt: skip
    assert _counts() == before


@pytest.mark.parametrize(
    ("amount", "paid_on", "utr", "refusal"),
    [
        ("0", dt.date(2028, 6, 15), "SBIN28REPAID0009", "more than zero"),
        ("-5", dt.date(2028, 6, 15), "SBIN28REPAID0009", "more than zero"),
        ("ten lakh", dt.date(2028, 6, 15), "SBIN28REPAID0009", "amount in rupees"),
        ("100", dt.date(2028, 7, 1), "SBIN28REPAID0009", "cannot be in the future"),
        ("100", dt.date(2028, 5, 31), "SBIN28REPAID0009", "on or after that date"),
        ("100", dt.date(2028, 6, 15), "SBIN-28", "12 to 22 letters"),
    ],
)
def test_a_bad_repayment_is_refused_and_changes_nothing(
    users, paid_award, second_official, amount, paid_on, utr, refusal
):
    recovery = _confirmed(users, paid_award, second_official)
    before = _counts()
    with pytest.raises(ValidationError, match=refusal):
        _repay(users, recovery, amount, utr, paid_on=paid_on)
    assert _counts() == before


def test_a_repayment_against_a_proposal_is_refused(users, paid_award):
    recovery = _propose(users, paid_award)
    before = _counts()
    with pytest.raises(ValidationError, match="against a confirmed recovery"):
        _repay(users, recovery, lakh(1), "SBIN28REPAID0010")
    assert _counts() == before
