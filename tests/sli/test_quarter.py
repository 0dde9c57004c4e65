"""A quarter claim's SLI through the money core: inputs from the database, letter, netting, nil, paid."""

from __future__ import annotations

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import InternalError, ProgrammingError, transaction

from incentives import ledger, services
from incentives.claims.models import Claim
from incentives.models import EntryKind, LedgerEntry, Pool, SanctionRequest
from incentives.sli import preview, selectors
from incentives.sli.models import PreviewRun, SliComputation
from incentives.sli.tasks import preview_quarter
from tests.claims.sales import sales_award
from tests.sli.money import (
    Q1,
    Q2,
    RELEASE,
    S,
    after,
    penalty,
    quarter_claim,
    sanction,
    spend_pool,
    walk,
)

pytestmark = pytest.mark.django_db


def test_the_sanctioned_figure_is_sli_compute_on_the_stored_input(award, users, tmp_path):
    # given an approved quarter claim of 502.5 kg worth Rs 25,12,500
    claim = quarter_claim(award, Q1)
    # when its sanction is issued
    letter = sanction(claim, users["approver"], now=after(Q1[1], 20))
    # then the letter sanctions 85 % of the turnover-capped figure, from the REPM/SLI series
    assert letter.number == "REPM/SLI/2027-28/0001"
    assert (letter.amount, letter.deducted, letter.payable) == (RELEASE, 0, RELEASE)
    assert ledger.sanctioned(Pool.SLI, award) == RELEASE
    # and every engine step is a line of the letter, naming the rule-set field it read
    lines = letter.content["lines"]
    assert [line["label"][:2] for line in lines] == ["1.", "2.", "3.", "4.", "5.", "6.", "7.", "8."]
    assert "[rule set: turnover_cap_pct]" in lines[2]["note"]
    assert letter.content["award"]["quoted_rate"] == "2150.00"
    # and the stored figure is what sli_compute prints for the stored input
    stored = SliComputation.objects.get(letter=letter)
    assert (stored.kind, stored.purpose, stored.claim, stored.rule_set) == (
        "quarter", "sanction", claim, claim.rule_set,
    )  # fmt: skip
    path = tmp_path / "period.json"
    path.write_text(json.dumps(stored.inputs))
    out = StringIO()
    call_command("sli_compute", str(path), stdout=out)
    assert json.loads(out.getvalue()) == {**stored.working, "input": stored.inputs}
    assert stored.working["release"] == f"{letter.amount:f}"
    # and the inputs are the database's: scheme year 1 (early), the award's rate and capacity
    assert stored.inputs["scheme_year"] == 1
    assert (stored.inputs["rate"], stored.inputs["capacity_mtpa"]) == ("2150.00", 1200)
    assert (stored.inputs["eligible_kg"], stored.inputs["net_sales_value"]) == (
        "502.500", "2512500.00",
    )  # fmt: skip
    assert stored.inputs["rules"]["award_cap_years"] == 5
    claim.refresh_from_db()
    assert claim.status == S.SANCTIONED


def test_a_delay_penalty_is_netted_from_the_first_letter_and_the_rest_carried(award, users):
    # given a delay penalty of Rs 10 lakh on the award
    penalty(award, Decimal("1000000.00"))
    first, second = quarter_claim(award, Q1), quarter_claim(award, Q2)
    # when the first quarter is sanctioned, all of its release is kept back
    letter = sanction(first, users["approver"], now=after(Q1[1], 20))
    assert (letter.amount, letter.deducted, letter.payable) == (RELEASE, RELEASE, 0)
    # and, nothing being left to pay, the claim is paid at issue
    assert Claim.objects.get(pk=first.pk).status == S.PAID
    working = SliComputation.objects.get(letter=letter).working
    assert (working["deduction_applied"], working["deduction_carried"]) == (
        "854250.00", "145750.00",
    )  # fmt: skip
    # then the rest is netted from the next quarter's letter
    letter2 = sanction(second, users["approver"], now=after(Q2[1], 20))
    assert (letter2.deducted, letter2.payable) == (Decimal("145750.00"), Decimal("708500.00"))
    assert ledger.outstanding_deductions(award) == {"penalty": 0, "recovery": 0}
    # and the award's SLI sanctioned counts both releases whole
    assert ledger.sanctioned(Pool.SLI, award) == 2 * RELEASE


def test_nothing_left_in_the_pool_is_nil(award, users):
    spend_pool(sales_award(), leave=Decimal("0.00"), now=after(Q1[1]))
    claim = quarter_claim(award, Q1)
    assert sanction(claim, users["approver"], now=after(Q1[1], 20)) is None
    assert Claim.objects.get(pk=claim.pk).status == S.NIL
    assert SanctionRequest.objects.get().status == SanctionRequest.Status.NIL
    stored = SliComputation.objects.get(claim=claim)
    assert (stored.letter, stored.release, stored.working["after_pool"]) == (None, 0, "0.00")
    assert not LedgerEntry.objects.filter(award=award).exists()


def test_paying_the_letter_in_full_moves_the_claim_to_paid(award, users):
    claim = quarter_claim(award, Q1)
    letter = sanction(claim, users["approver"], now=after(Q1[1], 20), render=True)
    services.record_payment(
        actor=users["official"], letter=letter, amount=letter.payable - 1,
        paid_on=letter.dated, utr="SBIN0000000000001", now=after(Q1[1], 25),
    )  # fmt: skip
    assert Claim.objects.get(pk=claim.pk).status == S.SANCTIONED
    services.record_payment(
        actor=users["official"], letter=letter, amount=1, paid_on=letter.dated,
        utr="SBIN0000000000002", now=after(Q1[1], 25),
    )  # fmt: skip
    assert Claim.objects.get(pk=claim.pk).status == S.PAID


def test_a_stored_figure_never_changes(award, users):
    claim = quarter_claim(award, Q1)
    sanction(claim, users["approver"], now=after(Q1[1], 20))
    stored = SliComputation.objects.get()
    with (
        pytest.raises((InternalError, ProgrammingError), match="append-only"),
        transaction.atomic(),
    ):
        SliComputation.objects.filter(pk=stored.pk).update(payable=0)
    with (
        pytest.raises((InternalError, ProgrammingError), match="append-only"),
        transaction.atomic(),
    ):
        SliComputation.objects.filter(pk=stored.pk).delete()


def test_the_quarter_preview_computes_in_claim_order_and_posts_nothing(award, users):
    # given two verified claims of the same quarter (two awards) and a pool with Rs 15 lakh left
    other = sales_award()
    spend_pool(sales_award(), leave=Decimal("1500000.00"), now=after(Q1[1]))
    first, second = quarter_claim(award, Q1), quarter_claim(other, Q1)
    for claim in (first, second):
        walk(claim, S.VERIFIED, now=after(Q1[1], 12))
    entries = LedgerEntry.objects.count()
    # when the quarter-close preview runs through its job
    with transaction.atomic():
        run = preview.request_quarter_preview(period_end=Q1[1], now=after(Q1[1], 15))
    assert preview.request_quarter_preview(period_end=Q1[1], now=after(Q1[1], 15)) == run
    assert preview_quarter(run.pk) == 2
    # then each claim has a preview figure, the second seeing what the first would take
    one, two = SliComputation.objects.filter(preview_run=run).order_by("id")
    assert (one.claim, two.claim, one.purpose) == (first, second, "preview")
    assert one.release == RELEASE
    assert Decimal(two.inputs["pool_sanctioned_before"]) == (
        Decimal(one.inputs["pool_sanctioned_before"]) + RELEASE
    )
    assert two.release == Decimal("548887.50")  # 85 % of the Rs 6,45,750 left
    # and nothing is posted, nothing sanctioned; a repeat delivery computes nothing more
    assert LedgerEntry.objects.count() == entries
    assert preview_quarter(run.pk) is None
    assert PreviewRun.objects.count() == 1
    # and the pages' one-claim preview is sli_compute's output for the claim now
    shown = preview.preview(Claim.objects.get(pk=second.pk))
    assert shown["input"] == {
        **two.inputs, "pool_sanctioned_before": one.inputs["pool_sanctioned_before"],
    }  # fmt: skip
    assert shown["release"] == "854250.00"
    assert SliComputation.objects.count() == 2
    assert selectors.sli_sanctioned() == ledger.sanctioned(Pool.SLI)
    assert not LedgerEntry.objects.filter(kind=EntryKind.SANCTION, award=award).exists()
