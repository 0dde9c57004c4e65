"""The annual true-up: a balance sanctioned, an excess recovered and netted, approval maker-checker."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from incentives import ledger, sanctions
from incentives.claims.models import Claim
from incentives.models import EntryKind, LedgerEntry, Pool, SanctionRequest
from incentives.sli import services
from incentives.sli.models import SliComputation, TrueUp
from repm_portal.services import amend_rule_set
from tests.sli.money import NEXT_Q1, Q1, Q4, RELEASE, S, after, quarter_claim, sanction

pytestmark = pytest.mark.django_db
# Every window of FY 2027-28 has closed (90 days after 31 Mar 2028).
YEAR_CLOSED = dt.datetime(2028, 7, 15, 11, 0, tzinfo=dt.UTC)


def _halve_the_turnover_cap(users, *, effective_from=dt.date(2028, 1, 1)):
    return amend_rule_set(
        actor=users["official"], effective_from=effective_from, notification="S.O. 4826(E)",
        notified_on=effective_from - dt.timedelta(days=20), summary="Turnover cap 20 %",
        changes={"turnover_cap_pct": Decimal("20.00")},
    )  # fmt: skip


def test_a_year_is_trued_up_only_once_every_period_of_it_is_settled(award, users):
    claim = quarter_claim(award, Q1)
    with pytest.raises(ValidationError, match="is draft"):
        services.compute_true_up(award=award, financial_year="2027-28", now=YEAR_CLOSED)
    sanction(claim, users["approver"], now=after(Q1[1], 20))
    # windows of Q2-Q4 still open in May 2028
    with pytest.raises(ValidationError, match="window for Q4 FY 2027-28 is open"):
        services.compute_true_up(
            award=award, financial_year="2027-28", now=dt.datetime(2028, 5, 1, tzinfo=dt.UTC)
        )
    assert not TrueUp.objects.exists()


def test_a_positive_true_up_sanctions_the_balance(award, users):
    # given the year's one claim (Q1; Q2-Q4 never claimed), released at 85 %
    claim = quarter_claim(award, Q1)
    sanction(claim, users["approver"], now=after(Q1[1], 20))
    # when the daily sweep computes the year's true-up
    (true_up,) = services.compute_due_true_ups(now=YEAR_CLOSED)
    assert services.compute_due_true_ups(now=YEAR_CLOSED) == []
    # then the year's figure less the quarter's release is the balance: the other 15 %
    assert (true_up.status, true_up.financial_year) == ("computed", "2027-28")
    assert (true_up.period_start, true_up.period_end) == Q1
    assert (true_up.balance, true_up.recovery) == (Decimal("150750.00"), 0)
    computed = true_up.computation
    assert (computed.kind, computed.purpose) == ("true_up", "preview")
    assert computed.inputs["released_in_year"] == f"{RELEASE:f}"
    assert computed.inputs["award_sanctioned_before"] == "0.00"
    # when an approver approves it, the balance is sanctioned through the pipeline
    services.approve_true_up(true_up=true_up, actor=users["approver"], now=YEAR_CLOSED)
    request = SanctionRequest.objects.get(claim_type="sli_true_up")
    letter = sanctions._sanction(request.pk, now=YEAR_CLOSED)
    assert letter.number == "REPM/SLI/2028-29/0001"
    assert (letter.amount, letter.payable) == (Decimal("150750.00"), Decimal("150750.00"))
    true_up.refresh_from_db()
    assert (true_up.status, true_up.letter) == ("sanctioned", letter)
    record = SliComputation.objects.get(letter=letter)
    assert (record.true_up, record.purpose) == (true_up, "sanction")
    assert true_up.computation == record
    # and the year's SLI is now its whole figure: 40 % of the year's sales value
    assert ledger.sanctioned(Pool.SLI, award) == Decimal("1005000.00")


def test_a_negative_true_up_is_recovered_then_netted_from_the_next_quarter(award, users):
    # given Q1 released under the 40 % cap and Q4 under an amendment of 20 % from 1 Jan 2028
    q1 = quarter_claim(award, Q1)
    sanction(q1, users["approver"], now=after(Q1[1], 20))
    v2 = _halve_the_turnover_cap(users)
    q4 = quarter_claim(award, Q4)
    assert q4.rule_set == v2
    sanction(q4, users["approver"], now=after(Q4[1], 20))
    released = RELEASE + Decimal("427125.00")  # 85 % of 20 % of Rs 25,12,500
    assert ledger.sanctioned(Pool.SLI, award) == released
    # when the year is trued up under the version in force on its last day (20 %)
    true_up = services.compute_true_up(award=award, financial_year="2027-28", now=YEAR_CLOSED)
    year_figure = Decimal("1005000.00")  # 20 % of the year's Rs 50,25,000
    assert (true_up.balance, true_up.recovery) == (0, released - year_figure)
    # then the system's computation may be approved by any approver, who posts the recovery
    services.approve_true_up(true_up=true_up, actor=users["approver"], now=YEAR_CLOSED)
    true_up.refresh_from_db()
    assert true_up.status == "recovered"
    entry = true_up.recovery_entry
    assert (entry.kind, entry.amount, entry.source_key) == (
        EntryKind.RECOVERY, Decimal("276375.00"), f"true-up:{award.pk}:2027-28",
    )  # fmt: skip
    assert not SanctionRequest.objects.filter(claim_type="sli_true_up").exists()
    # and the next quarter's letter nets it
    nxt = quarter_claim(award, NEXT_Q1)
    letter = sanction(nxt, users["approver"], now=after(NEXT_Q1[1], 20))
    assert (letter.amount, letter.deducted) == (Decimal("427125.00"), Decimal("276375.00"))
    assert letter.payable == Decimal("150750.00")
    assert ledger.outstanding_deductions(award)["recovery"] == 0
    assert Claim.objects.get(pk=nxt.pk).status == S.SANCTIONED


def test_whoever_computed_a_true_up_may_not_approve_it(award, users):
    claim = quarter_claim(award, Q1)
    sanction(claim, users["approver"], now=after(Q1[1], 20))
    true_up = services.compute_true_up(
        award=award, financial_year="2027-28", actor=users["approver"], now=YEAR_CLOSED
    )
    with pytest.raises(PermissionDenied, match="maker-checker"):
        services.approve_true_up(true_up=true_up, actor=users["approver"], now=YEAR_CLOSED)
    with pytest.raises(PermissionDenied):
        services.approve_true_up(true_up=true_up, actor=users["verifier"], now=YEAR_CLOSED)
    assert TrueUp.objects.get().status == "computed"
    assert not LedgerEntry.objects.filter(kind=EntryKind.RECOVERY).exists()
