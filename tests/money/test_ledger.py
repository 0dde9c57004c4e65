"""The ledger: append-only, balances as sums, one posting per source event, limits held by the database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from incentives import ledger
from incentives.models import EntryKind, LedgerEntry, Pool
from repm_portal.models import AuditEvent
from repm_portal.money import crore
from tests.factories import AwardFactory

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2028, 9, 1, 12, 0, tzinfo=dt.UTC)


def _sanction(award, amount, key, **extra):
    with transaction.atomic():
        return ledger.post(
            kind=EntryKind.SANCTION, pool=Pool.CAPITAL_SUBSIDY, award=award, amount=amount,
            source_key=key, rule_set=award.rule_set, document_ref="test", narration="test",
            now=NOW, **extra,
        )  # fmt: skip


def _fill_pool_to(award, left: Decimal) -> None:
    """Spend the capital pool down to `left` with one big sanction to another award."""
    limit = ledger.pool_limit(award.rule_set, Pool.CAPITAL_SUBSIDY)
    _sanction(AwardFactory(), limit - left, "fill")


def test_a_sanction_is_posted_audited_and_counted(award):
    entry = _sanction(award, "75,00,00,000.00".replace(",", ""), "cs:1")
    assert entry.amount == crore(75)
    assert ledger.balances(award=award).sanctioned == crore(75)
    assert ledger.sanctioned(Pool.CAPITAL_SUBSIDY) == crore(75)
    event = AuditEvent.objects.get(action="ledger.sanction")
    assert event.object_id == str(entry.pk) and event.new_values["source_key"] == "cs:1"


def test_a_repeated_source_event_posts_nothing(award):
    assert _sanction(award, crore(1), "cs:same") is not None
    assert _sanction(award, crore(1), "cs:same") is None
    assert LedgerEntry.objects.count() == 1
    assert AuditEvent.objects.filter(action="ledger.sanction").count() == 1


def test_zero_and_negative_amounts_are_refused(award):
    with pytest.raises(ValidationError):
        _sanction(award, 0, "zero")
    with pytest.raises(ValidationError):
        _sanction(award, "-5", "neg")
    # and the database refuses a zero even when the service is bypassed
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(
            kind="penalty", account="penalty", pool="sli", award=award, amount=0,
            rule_set=award.rule_set, document_ref="x", source_key="raw-zero", narration="x",
            posted_at=NOW,
        )  # fmt: skip


def test_entries_are_never_updated_or_deleted(award):
    entry = _sanction(award, crore(2), "cs:immutable")
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=crore(3))
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).delete()
    entry.refresh_from_db()
    assert entry.amount == crore(2)


def test_a_correction_is_a_reversing_entry_and_balances_net(award):
    entry = _sanction(award, crore(10), "cs:rev")
    with transaction.atomic():
        reversal = ledger.reverse(entry, source_key="cs:rev:reversal", reason="wrong slab", now=NOW)
    assert reversal.amount == -crore(10) and reversal.account == EntryKind.SANCTION
    assert ledger.balances(award=award).sanctioned == 0
    with pytest.raises(ValidationError, match="already reversed"), transaction.atomic():
        ledger.reverse(entry, source_key="cs:rev:again", reason="twice", now=NOW)
    with pytest.raises(ValidationError, match="not itself reversed"), transaction.atomic():
        ledger.reverse(reversal, source_key="cs:rev:rev", reason="x", now=NOW)


def test_the_pool_limit_holds_in_the_service(award):
    _fill_pool_to(award, crore(5))
    with pytest.raises(ledger.LimitExceeded, match="past its limit"):
        _sanction(award, crore(5) + Decimal("0.01"), "over")
    assert _sanction(award, crore(5), "exactly") is not None
    assert ledger.pool_headroom(award.rule_set, Pool.CAPITAL_SUBSIDY) == 0


def test_the_pool_limit_holds_in_the_database_when_the_service_is_bypassed(award):
    _fill_pool_to(award, crore(1))
    with pytest.raises(IntegrityError, match="past its limit"), transaction.atomic():
        LedgerEntry.objects.create(
            kind="sanction", account="sanction", pool=Pool.CAPITAL_SUBSIDY, award=award,
            amount=crore(2), rule_set=award.rule_set, document_ref="x", source_key="raw-over",
            narration="bypassing the service", posted_at=NOW,
        )  # fmt: skip


def test_an_award_cap_holds_in_the_service_and_the_database(award):
    cap = crore(75)
    _sanction(award, crore(70), "cap:1", award_cap=cap)
    with pytest.raises(ledger.LimitExceeded, match="past its cap"):
        _sanction(award, crore(6), "cap:2", award_cap=cap)
    with pytest.raises(IntegrityError, match="past its cap"), transaction.atomic():
        LedgerEntry.objects.create(
            kind="sanction", account="sanction", pool=Pool.CAPITAL_SUBSIDY, award=award,
            amount=crore(6), rule_set=award.rule_set, document_ref="x", source_key="raw-cap",
            narration="bypassing the service", posted_at=NOW, award_cap=cap,
        )  # fmt: skip
    assert ledger.sanctioned(Pool.CAPITAL_SUBSIDY, award) == crore(70)


@pytest.mark.django_db(transaction=True)
def test_posting_outside_a_transaction_is_refused(award):
    assert not connection.in_atomic_block
    with pytest.raises(RuntimeError, match="inside a transaction"):
        ledger.post(
            kind=EntryKind.PENALTY, pool=Pool.SLI, award=award, amount=1, source_key="x",
            rule_set=award.rule_set, document_ref="x", narration="x",
        )  # fmt: skip


def test_balances_sum_every_account(award):
    with transaction.atomic():
        ledger.post(
            kind=EntryKind.PENALTY, pool=Pool.SLI, award=award, amount="12345.67",
            source_key="pen", rule_set=award.rule_set, document_ref="d", narration="n", now=NOW,
        )  # fmt: skip
    _sanction(award, crore(1), "s")
    b = ledger.balances(award=award)
    assert (b.sanctioned, b.paid, b.penalties, b.deductions) == (
        crore(1), 0, Decimal("12345.67"), Decimal("12345.67"),
    )  # fmt: skip
    assert ledger.balances_for_firm(award.bid.firm_id) == b


def test_a_guarantee_is_not_released_while_a_deduction_is_outstanding(award):
    from bidding.services import open_obligations

    after_the_term = dt.date(2040, 1, 1)
    assert not any("netted" in o for o in open_obligations(award, after_the_term))
    with transaction.atomic():
        ledger.post(
            kind=EntryKind.PENALTY, pool=Pool.SLI, award=award, amount="304000.00",
            source_key="pen:obl", rule_set=award.rule_set, document_ref="d", narration="n", now=NOW,
        )  # fmt: skip
    owed = open_obligations(award, after_the_term)
    assert "Rs 3,04,000.00 of penalties and recoveries is still to be netted or recovered" in owed
