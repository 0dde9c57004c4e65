"""The whole demo, seeded once for this module: the SLI years with their letters, true-ups and
payments, Deccan's penalty netted, an excess recovered from the next quarter, L5's exit and
recovery; every sanctioned figure replays, and seeding twice adds nothing."""

from __future__ import annotations

import datetime as dt
import importlib
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from bidding.models import Award, PerformanceBankGuarantee, Tender
from incentives import ledger
from incentives.claims.models import Claim, ClaimUpload, LineAdjustment
from incentives.models import EntryKind, LedgerEntry, Payment, Pool, SanctionLetter
from incentives.recovery import demo as recovery_demo
from incentives.recovery.models import Recovery
from incentives.sli.models import QUARTER_CLAIM_TYPE, SliComputation, TrueUp
from incentives.sli.replay import recompute
from repm_portal.audit import verify_chain
from repm_portal.demo_clock import DEMO_AS_OF
from repm_portal.models import AuditEvent, CapacitySlab, RuleSet, Scheme

pytestmark = pytest.mark.django_db
S = Claim.Status
_loader = importlib.import_module("repm_portal.migrations.0003_load_repm_scheme")
LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """`seed_demo` once, in a transaction of its own that is rolled back after the module's tests."""
    media = tmp_path_factory.mktemp("demo-media")
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=media, CACHES=LOCMEM),
        transaction.atomic(),
    ):
        if not RuleSet.objects.filter(scheme__code="REPM", version=1).exists():
            _loader.load_scheme(Scheme, RuleSet, CapacitySlab)
        out = io.StringIO()
        call_command("seed_demo", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


def _awards() -> dict[int, Award]:
    return {a.rank: a for a in Award.objects.filter(tender__reference="MHI/REPM/GTE/2026/01")}


def test_every_award_has_sanctioned_quarters_with_letters(demo):
    for rank, award in _awards().items():
        sanctioned = Claim.objects.filter(award=award, status__in=[S.SANCTIONED, S.PAID])
        assert sanctioned.count() >= 7, rank
        for claim in sanctioned:
            figure = SliComputation.objects.get(claim=claim, purpose="sanction")
            assert figure.letter is not None and figure.letter.status == "issued"
            assert figure.letter.created_at < DEMO_AS_OF
    # the officials' queues are not empty: one claim waits for the verifier, one for the approver
    assert Claim.objects.filter(status=S.SUBMITTED).count() == 1
    assert Claim.objects.filter(status=S.VERIFIED).count() == 1
    assert "every one identical" in demo


def test_the_caps_bind_where_the_sales_were_shaped_to(demo):
    bound = {
        (figure.claim.award.rank, figure.claim.quarter_label, step["name"])
        for figure in SliComputation.objects.filter(
            purpose="sanction", claim__isnull=False
        ).select_related("claim__award")
        for step in figure.working["steps"]
        if step["binding"]
    }
    assert (1, "Q3 FY 2030-31", "capped_kg") in bound  # NeoMag sold past its capacity
    assert (4, "Q4 FY 2028-29", "after_turnover_cap") in bound  # Kaveri's cheap quarter, 40 %
    kaveri = Claim.objects.get(award=_awards()[4], quarter_label="Q4 FY 2028-29")
    assert kaveri.rule_set.turnover_cap_pct == Decimal("40.0000")


def test_deccans_penalty_is_netted_from_its_first_letter(demo):
    deccan = _awards()[3]
    penalty = LedgerEntry.objects.get(kind=EntryKind.PENALTY, award=deccan).amount
    first = SanctionLetter.objects.filter(award=deccan, pool=Pool.SLI).order_by("created_at")[0]
    assert first.deducted == min(penalty, first.amount)
    assert first.payable == first.amount - first.deducted
    # what the release could not take is carried: nothing, here, as the release covered it
    assert ledger.outstanding_deductions(deccan)[EntryKind.PENALTY] == penalty - first.deducted


def test_a_positive_true_up_is_sanctioned_and_a_negative_one_recovered_from_the_next_quarter(demo):
    assert set(TrueUp.objects.values_list("financial_year", flat=True)) == {
        "2028-29", "2029-30", "2030-31",
    }  # fmt: skip
    positive = TrueUp.objects.filter(status="sanctioned", balance__gt=0)
    assert positive.exists() and all(t.letter.amount > 0 for t in positive)
    negative = TrueUp.objects.get(status="recovered")
    assert negative.recovery > 0 and negative.recovery_entry.amount == negative.recovery
    after = (
        SanctionLetter.objects.filter(
            award=negative.award, claim_type=QUARTER_CLAIM_TYPE, created_at__gt=negative.settled_at
        )
        .order_by("created_at")
        .first()
    )
    assert after.deducted == negative.recovery
    assert ledger.outstanding_deductions(negative.award)[EntryKind.RECOVERY] == 0


def test_payments_leave_one_letter_unpaid_past_the_service_level_and_one_part_paid(demo):
    letters = SanctionLetter.objects.filter(pool=Pool.SLI, status="issued")
    paid = {letter.pk: sum(p.amount for p in letter.payments.all()) for letter in letters}
    overdue = [
        letter for letter in letters
        if not paid[letter.pk] and letter.payable and (DEMO_AS_OF.date() - letter.dated).days > 30
    ]  # fmt: skip
    assert len(overdue) == 1
    assert len([letter for letter in letters if 0 < paid[letter.pk] < letter.payable]) == 1
    assert Payment.objects.values("utr").distinct().count() == Payment.objects.count()


def test_the_claims_show_the_workflow(demo):
    assert AuditEvent.objects.filter(action="claim.returned").count() == 1
    returned = Claim.objects.get(pk=AuditEvent.objects.get(action="claim.returned").object_id)
    assert returned.status in (S.SANCTIONED, S.PAID)
    kinds = {a.kind: a.reason for a in LineAdjustment.objects.all()}
    assert set(kinds) == {"exclude", "correct"} and all(kinds.values())
    assert ClaimUpload.objects.filter(status="rejected").count() == 1
    assert all(12 <= c.line_count <= 30 for c in Claim.objects.all())


def test_the_exiting_award_refunds_what_it_was_paid(demo):
    award = _awards()[recovery_demo.EXITING_RANK]
    recovery = Recovery.objects.get(award=award)
    assert recovery.status == "confirmed" and recovery.grounds == "exit"
    assert recovery.confirmed_by_id != recovery.proposed_by_id
    assert {recovery.proposed_by.username, recovery.confirmed_by.username} == {
        "official", "official2",
    }  # fmt: skip
    assert sorted(recovery.pools) == ["capital_subsidy", "sli"]
    assert recovery.principal == sum(p.amount for p in Payment.objects.filter(letter__award=award))
    assert recovery.interest > 0
    assert recovery.guarantee.status == PerformanceBankGuarantee.Status.INVOKED
    repaid = sum(r.amount for r in recovery.repayments.all())
    assert 0 < repaid < recovery.total
    # no claim after its exit; its capacity is what the open re-tender offers
    assert all(c.created_at.date() < recovery_demo.EXIT_ON for c in award.sales_claims.all())
    retender = Tender.objects.get(reference=recovery_demo.RETENDER_REFERENCE)
    assert retender.capacity_mtpa == award.allocated_mtpa and retender.status == "published"


def test_every_sanctioned_figure_replays_identically(demo):
    figures = SliComputation.objects.filter(purpose="sanction")
    assert figures.filter(true_up__isnull=False).count() >= 10
    for figure in figures:
        ref = str(figure.claim_id) if figure.claim_id else f"true-up:{figure.true_up_id}"
        assert recompute(ref).identical, ref


def test_a_payment_run_goes_out_and_comes_back_with_one_failure_reissued(demo):
    from incentives.payments.models import PaymentInstruction, PaymentRun
    from incentives.sli.demo import BANK_RUN

    first, again = PaymentRun.objects.order_by("pk")
    assert (first.status, again.status) == ("closed", "closed")
    assert first.released_by_id != first.prepared_by_id and first.released_at < DEMO_AS_OF
    failed = first.instructions.get(status="failed")
    (reissued,) = again.instructions.all()
    assert reissued.reissues == failed and reissued.status == "paid"
    assert failed.failure_reason and failed.letter.award.rank == 3
    assert first.instructions.filter(status="paid").count() == len(BANK_RUN) - 1
    # every letter left to the run is paid in full, and the ledger agrees with the bank
    for instruction in PaymentInstruction.objects.filter(status="paid"):
        assert (
            instruction.payment.letter.payable == instruction.amount == instruction.payment.amount
        )
    paid = sum(i.amount for i in PaymentInstruction.objects.filter(status="paid"))
    assert (
        paid == sum(p.amount for p in Payment.objects.filter(instruction__isnull=False))
        and paid > 0
    )
    assert "re-issued as" in demo


def test_seeding_again_adds_nothing(demo):
    counts = [m.objects.count() for m in (AuditEvent, LedgerEntry, ClaimUpload, SanctionLetter)]
    call_command("seed_demo", stdout=io.StringIO())
    assert [
        m.objects.count() for m in (AuditEvent, LedgerEntry, ClaimUpload, SanctionLetter)
    ] == counts
    assert verify_chain().intact
    assert dt.date(2031, 7, 20) == DEMO_AS_OF.date()


# The checks other apps make on the whole demo run here, on this module's one seeding: seeding
# it costs minutes, so it is done once for all of them.
from tests.forecast import demo_checks as forecast_checks  # noqa: E402

test_the_demo_years_and_awards_show_in_the_forecast = (
    forecast_checks.test_the_demo_years_and_awards_show_in_the_forecast
)
from tests.monitor import demo_checks as monitor_checks  # noqa: E402

test_the_demos_sli_years_are_in_the_monitor = (
    monitor_checks.test_the_demos_sli_years_are_in_the_monitor
)
test_the_demos_public_monitor_publishes_the_years_quarters = (
    monitor_checks.test_the_demos_public_monitor_publishes_the_years_quarters
)
from tests.opendata import demo_checks as opendata_checks  # noqa: E402

test_the_demo_tender_runs_from_tender_to_its_last_payment = (
    opendata_checks.test_the_demo_tender_runs_from_tender_to_its_last_payment
)
test_seeding_again_keeps_nothing = opendata_checks.test_seeding_again_keeps_nothing
from tests.sampling import demo_checks as sampling_checks  # noqa: E402

test_the_demo_draws_one_sample_of_the_last_year_with_its_findings = (
    sampling_checks.test_the_demo_draws_one_sample_of_the_last_year_with_its_findings
)
test_seeding_again_draws_nothing_more = sampling_checks.test_seeding_again_draws_nothing_more
