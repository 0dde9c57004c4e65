"""Payments against a sanction letter: paid never exceeds sanctioned; each is a ledger entry."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from incentives import ledger, sanctions, selectors, services
from incentives.models import EntryKind, LedgerEntry, Payment
from repm_portal.models import AuditEvent
from repm_portal.money import crore

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2028, 9, 1, 12, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(days=10)


@pytest.fixture
def letter(grants, users, award):
    grants.add("pay", award, crore(10))
    with transaction.atomic():
        request = sanctions.request_sanction(
            claim_type=grants.code, claim_id="pay", actor=users["approver"], now=NOW
        )
    return sanctions.issue(request.pk, now=NOW)


def _pay(users, letter, amount, utr, paid_on=dt.date(2028, 9, 5), role="official"):
    return services.record_payment(
        actor=users[role], letter=letter, amount=amount, paid_on=paid_on, utr=utr, now=LATER
    )


def test_a_payment_is_posted_and_the_position_moves(users, letter):
    payment = _pay(users, letter, crore(4), "SBIN228245123456")
    assert payment.entry.kind == EntryKind.PAYMENT and payment.entry.letter == letter
    position = selectors.payment_position(letter, today=dt.date(2028, 9, 11))
    assert (position.paid, position.pending, position.state) == (crore(4), crore(6), "part-paid")
    assert ledger.balances(award=letter.award).paid == crore(4)
    assert AuditEvent.objects.filter(action="payment.recorded").count() == 1


def test_paid_may_never_exceed_sanctioned(users, letter):
    _pay(users, letter, crore(9), "SBIN228245000001")
    with pytest.raises(ValidationError) as caught:
        _pay(users, letter, crore(1) + Decimal("0.01"), "SBIN228245000002")
    assert "at most Rs 1,00,00,000.00 can be paid" in str(caught.value)
    _pay(users, letter, crore(1), "SBIN228245000003")
    assert selectors.payment_position(letter).state == "paid"
    assert Payment.objects.count() == 2


def test_the_database_refuses_an_overpayment_that_skips_the_service(users, letter):
    with pytest.raises(IntegrityError, match="past its amount"), transaction.atomic():
        LedgerEntry.objects.create(
            kind="payment", account="payment", pool=letter.pool, award=letter.award,
            amount=crore(11), rule_set=letter.rule_set, letter=letter, document_ref="raw",
            source_key="raw-pay", narration="raw", posted_at=NOW,
        )  # fmt: skip


@pytest.mark.parametrize(
    ("amount", "utr", "paid_on", "field", "message"),
    [
        ("0", "SBIN228245000009", dt.date(2028, 9, 5), "amount", "more than zero"),
        ("100", "SB-1", dt.date(2028, 9, 5), "utr", "12 to 22 letters and digits"),
        ("100", "SBIN228245000009", dt.date(2028, 12, 1), "paid_on", "cannot be in the future"),
        ("100", "SBIN228245000009", dt.date(2028, 8, 1), "paid_on", "cannot precede the sanction"),
    ],
)
def test_bad_payments_are_refused_with_a_reason(
    users, letter, amount, utr, paid_on, field, message
):
    with pytest.raises(ValidationError) as caught:
        _pay(users, letter, amount, utr, paid_on=paid_on)
    assert message in " ".join(caught.value.message_dict[field])
    assert not Payment.objects.exists()


def test_a_utr_is_recorded_once(users, letter):
    _pay(users, letter, crore(1), "SBIN228245000010")
    with pytest.raises(ValidationError, match="already recorded"):
        _pay(users, letter, crore(1), "sbin228245000010")


@pytest.mark.parametrize("role", ["firm_user", "verifier", "approver", "auditor", "evaluator"])
def test_only_officials_record_payments(users, letter, role):
    with pytest.raises(PermissionDenied):
        _pay(users, letter, crore(1), "SBIN228245000011", role=role)


def test_days_are_counted_against_the_payment_service_level(users, letter):
    sla = letter.rule_set.payment_sla_days
    on_time = selectors.payment_position(letter, today=letter.dated + dt.timedelta(days=sla))
    late = selectors.payment_position(letter, today=letter.dated + dt.timedelta(days=sla + 1))
    assert (on_time.overdue, late.overdue, late.days) == (False, True, sla + 1)
    _pay(users, letter, crore(10), "SBIN228245000012")
    settled = selectors.payment_position(letter, today=letter.dated + dt.timedelta(days=400))
    assert (settled.state, settled.days) == ("paid", 4)


def test_a_corrected_letter_takes_no_payment(users, letter, grants):
    grants.add("pay", letter.award, crore(8))
    request = sanctions.request_correction(
        letter=letter, actor=users["approver"], reason="The letter quoted the wrong slab."
    )
    sanctions.issue(request.pk, now=NOW)
    with pytest.raises(ValidationError, match="corrected by a later letter"):
        _pay(users, letter, crore(1), "SBIN228245000013")
