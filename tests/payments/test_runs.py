"""A payment run goes out and comes back; a failure is re-issued in a new run; paid equals succeeded."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from incentives import ledger
from incentives import selectors as money_selectors
from incentives import services as money_services
from incentives.models import EntryKind, LedgerEntry, Payment
from incentives.payments import returns, selectors, services
from incentives.payments.models import BankReturnFile, PaymentInstruction, PaymentRun
from repm_portal.audit import verify_chain
from repm_portal.models import AuditEvent
from repm_portal.money import crore
from tests.payments.files import failure, return_csv, return_xlsx, success

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2028, 9, 1, 12, 0, tzinfo=dt.UTC)
PREPARED = NOW + dt.timedelta(days=1)
RELEASED = NOW + dt.timedelta(days=2)
RETURNED = NOW + dt.timedelta(days=5)
IS = PaymentInstruction.Status


def _out(users, second, letters):
    run = services.prepare_run(actor=users["official"], letters=letters, now=PREPARED)
    return services.release_run(actor=second, run=run, now=RELEASED)


def _import(users, run, data, name="return.csv", when=RETURNED):
    return returns.import_return_file(
        actor=users["official"], run=run, data=data, filename=name, now=when
    )


def _paid_instructions_total():
    return selectors.succeeded_total()


def test_a_run_goes_out_and_comes_back_with_one_success_and_one_failure(
    users, second_official, letters
):
    run = services.prepare_run(actor=users["official"], letters=letters, now=PREPARED)
    first, second = run.instructions.order_by("position")
    assert (run.status, run.total, run.instruction_count) == ("prepared", crore(5), 2)
    assert run.reference == "REPM/PAY/2028-29/0001"
    assert first.instruction_id == "RP28290001001"
    account = letters[0].award.bid.firm.primary_bank_account
    assert (first.account_number, first.ifsc, first.amount) == (
        account.account_number, account.ifsc, crore(2),
    )  # fmt: skip
    services.release_run(actor=second_official, run=run, now=RELEASED)
    assert set(run.instructions.values_list("status", flat=True)) == {IS.SENT}
    data = return_csv([success(first, "SBIN228245000001"), failure(second, "Account closed")])

    applied = _import(users, run, data)

    assert (applied.succeeded, applied.failed, applied.closed) == (1, 1, True)
    first.refresh_from_db()
    second.refresh_from_db()
    run.refresh_from_db()
    assert first.status == IS.PAID and first.payment.utr == "SBIN228245000001"
    assert first.payment.entry.kind == EntryKind.PAYMENT and first.payment.amount == crore(2)
    assert (second.status, second.failure_reason, second.payment) == (
        IS.FAILED, "Account closed", None,
    )  # fmt: skip
    assert run.status == PaymentRun.Status.CLOSED
    stored = BankReturnFile.objects.get()
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.file.read() == data
    assert ledger.balances().paid == crore(2) == _paid_instructions_total()
    assert money_selectors.payment_position(letters[0]).state == "paid"
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "payment_run.prepared", "paymentrun.released", "paymentinstruction.sent",
        "paymentinstruction.paid", "paymentinstruction.failed", "paymentrun.closed",
        "payment_return.applied", "payment.recorded",
    } <= actions  # fmt: skip
    assert verify_chain().intact


def test_the_failed_instruction_is_reissued_and_paid_in_a_second_run(
    users, second_official, letters
):
    run = _out(users, second_official, letters)
    first, second = run.instructions.order_by("position")
    _import(users, run, return_csv([success(first, "SBIN228245000001"), failure(second)]))
    assert list(selectors.failed_awaiting_reissue(users["official"])) == [second]
    # The letter is not paid afresh beside its failure: the failure is re-issued.
    with pytest.raises(ValidationError, match="re-issue it"):
        services.prepare_run(actor=users["official"], letters=[letters[1]], now=RETURNED)

    again = services.prepare_run(actor=users["official"], reissue=[second], now=RETURNED)
    services.release_run(actor=second_official, run=again, now=RETURNED)
    (reissued,) = again.instructions.all()
    assert (reissued.reissues, reissued.amount, reissued.letter) == (second, crore(3), letters[1])
    assert reissued.instruction_id != second.instruction_id
    assert not selectors.failed_awaiting_reissue(users["official"]).exists()
    with pytest.raises(ValidationError, match="already re-issued"):
        services.prepare_run(actor=users["official"], reissue=[second], now=RETURNED)

    _import(users, again, return_csv([success(reissued, "SBIN228245000002", "2028-09-07")]),
            when=RETURNED + dt.timedelta(days=2))  # fmt: skip

    second.refresh_from_db()
    reissued.refresh_from_db()
    assert (second.status, second.failure_reason) == (IS.FAILED, "Account closed")
    assert reissued.status == IS.PAID
    # Sums: the ledger's paid equals the instructions that succeeded, letter by letter and in all.
    assert ledger.balances().paid == crore(5) == _paid_instructions_total()
    for letter in letters:
        paid = sum(i.amount for i in letter.payment_instructions.filter(status=IS.PAID))
        assert ledger.balance(EntryKind.PAYMENT, letter=letter) == paid == letter.payable
    assert selectors.payable_letters(users["official"]) == []


def _unchanged(run):
    assert not Payment.objects.exists()
    assert not LedgerEntry.objects.filter(kind=EntryKind.PAYMENT).exists()
    assert not BankReturnFile.objects.exists()
    assert set(run.instructions.values_list("status", flat=True)) == {IS.SENT}
    run.refresh_from_db()
    assert run.status == PaymentRun.Status.RELEASED


def test_a_utr_repeated_in_the_file_refuses_the_whole_file(users, second_official, letters):
    run = _out(users, second_official, letters)
    first, second = run.instructions.order_by("position")
    data = return_csv([success(first, "SBIN228245000001"), success(second, "sbin228245000001")])
    with pytest.raises(returns.ReturnFileRefused) as refused:
        _import(users, run, data)
    assert [str(p) for p in refused.value.problems] == [
        "row 3, column B (utr): UTR SBIN228245000001 is repeated in the file (first in row 2)."
    ]
    _unchanged(run)


def test_a_utr_already_recorded_refuses_the_whole_file(users, second_official, letters, payouts):
    from tests.factories import AwardFactory

    other = payouts.issue(AwardFactory(), crore(1), actor=users["approver"], claim_id="3")
    money_services.record_payment(
        actor=users["official"], letter=other, amount=crore(1), paid_on=dt.date(2028, 9, 2),
        utr="HDFC228245999999", now=RELEASED,
    )  # fmt: skip
    run = _out(users, second_official, letters)
    first, second = run.instructions.order_by("position")
    data = return_csv([success(first, "SBIN228245000001"), success(second, "HDFC228245999999")])
    with pytest.raises(returns.ReturnFileRefused) as refused:
        _import(users, run, data)
    assert [(p.row, p.column) for p in refused.value.problems] == [(3, "utr")]
    assert "already recorded" in refused.value.problems[0].message
    assert Payment.objects.count() == 1
    assert not BankReturnFile.objects.exists()
    assert set(run.instructions.values_list("status", flat=True)) == {IS.SENT}


def test_a_row_for_an_instruction_already_final_is_refused_and_nothing_changes(
    users, second_official, letters
):
    run = _out(users, second_official, letters)
    first, second = run.instructions.order_by("position")
    _import(users, run, return_csv([success(first, "SBIN228245000001")]))
    run.refresh_from_db()
    assert run.status == PaymentRun.Status.RELEASED  # the second awaits the bank
    data = return_csv([failure(first, "Reversed by the bank"), success(second, "SBIN228245000002")])
    with pytest.raises(returns.ReturnFileRefused) as refused:
        _import(users, run, data, when=RETURNED + dt.timedelta(days=1))
    assert [(p.row, p.column) for p in refused.value.problems] == [(2, "instruction_id")]
    assert "already final" in refused.value.problems[0].message
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.failure_reason, second.status) == (IS.PAID, "", IS.SENT)
    assert BankReturnFile.objects.count() == 1 and Payment.objects.count() == 1
    # The database refuses too: a final instruction never changes.
    with pytest.raises(IntegrityError, match="final"), transaction.atomic():
        PaymentInstruction.objects.filter(pk=first.pk).update(failure_reason="edited")


@pytest.mark.parametrize(
    ("cells", "column", "message"),
    [
        ({"instruction_id": "RP99990001001"}, "instruction_id", "Unknown instruction"),
        ({"amount": "20000000.01"}, "amount", "was for Rs 2,00,00,000.00"),
        ({"amount": "two crore"}, "amount", "not an amount"),
        ({"date": "2028-13-01"}, "date", "not a date"),
        ({"date": "2028-09-30"}, "date", "in the future"),
        ({"date": "2028-08-30"}, "date", "before the run was released"),
        ({"utr": ""}, "utr", "needs its UTR"),
        ({"status": "PENDING"}, "status", "neither SUCCESS nor FAILED"),
        ({"status": "FAILED", "utr": ""}, "reason", "needs the bank's reason"),
    ],
)
def test_every_bad_cell_is_named_by_row_and_column(
    users, second_official, letters, cells, column, message
):
    run = _out(users, second_official, letters)
    first, second = run.instructions.order_by("position")
    row = dict(zip(["instruction_id", "utr", "amount", "date", "status", "reason"],
                   success(first, "SBIN228245000001"), strict=True))  # fmt: skip
    row.update(cells)
    data = return_csv([success(second, "SBIN228245000002"), list(row.values())])
    with pytest.raises(returns.ReturnFileRefused) as refused:
        _import(users, run, data)
    (problem,) = refused.value.problems
    assert (problem.row, problem.column) == (3, column)
    assert message in problem.message
    _unchanged(run)


def test_an_xlsx_return_file_is_read_like_a_csv(users, second_official, letters):
    run = _out(users, second_official, letters)
    first, second = run.instructions.order_by("position")
    data = return_xlsx([
        [first.instruction_id, "SBIN228245000001", first.amount, dt.date(2028, 9, 4), "SUCCESS", None],
        [second.instruction_id, None, float(second.amount), "04/09/2028", "Failed", "Invalid IFSC"],
    ])  # fmt: skip
    applied = _import(users, run, data, name="bank-return.xlsx")
    assert (applied.succeeded, applied.failed) == (1, 1)
    second.refresh_from_db()
    assert (second.failure_reason, second.bank_date) == ("Invalid IFSC", dt.date(2028, 9, 4))


def test_a_file_with_a_wrong_header_is_refused_whole(users, second_official, letters):
    run = _out(users, second_official, letters)
    data = return_csv([["x", "y"]], header=["instruction", "reference"])
    with pytest.raises(
        returns.ReturnFileRefused, match="missing columns: utr, amount, date, status"
    ):
        _import(users, run, data)
    _unchanged(run)


def test_the_preparer_cannot_release_and_the_database_agrees(users, letters):
    run = services.prepare_run(actor=users["official"], letters=letters, now=PREPARED)
    with pytest.raises(PermissionDenied, match="a second official must release it"):
        services.release_run(actor=users["official"], run=run, now=RELEASED)
    run.refresh_from_db()
    assert run.status == PaymentRun.Status.PREPARED
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentRun.objects.filter(pk=run.pk).update(
            released_by=users["official"], released_at=RELEASED
        )


@pytest.mark.parametrize("role", ["approver", "auditor", "verifier", "firm_user"])
def test_only_the_finance_wing_prepares_and_releases(users, letters, role):
    with pytest.raises(PermissionDenied):
        services.prepare_run(actor=users[role], letters=letters, now=PREPARED)
    run = services.prepare_run(actor=users["official"], letters=letters, now=PREPARED)
    with pytest.raises(PermissionDenied):
        services.release_run(actor=users[role], run=run, now=RELEASED)


def test_a_letter_whose_firm_has_no_bank_account_is_refused(users, letters):
    firm = letters[1].award.bid.firm
    firm.bank_accounts.update(is_primary=False)
    assert selectors.payable_letters(users["official"])[1].blocked
    with pytest.raises(ValidationError) as refused:
        services.prepare_run(actor=users["official"], letters=letters, now=PREPARED)
    assert refused.value.messages == [
        f"Letter {letters[1].number}: {firm.legal_name} has no primary bank account on record; "
        "add one on the firm's page before it can be paid."
    ]
    assert not PaymentRun.objects.exists()


def test_a_letter_is_in_one_live_instruction_at_a_time(users, second_official, letters):
    services.prepare_run(actor=users["official"], letters=letters[:1], now=PREPARED)
    with pytest.raises(ValidationError, match="already in instruction"):
        services.prepare_run(actor=users["official"], letters=letters, now=PREPARED)
    assert [c.letter for c in selectors.payable_letters(users["official"])] == [letters[1]]


def test_a_cancelled_run_frees_its_letters_and_keeps_its_instructions(users, letters):
    run = services.prepare_run(actor=users["official"], letters=letters, now=PREPARED)
    for reason in ("Mistake", "Wrong letters\x00 chosen"):
        with pytest.raises(ValidationError, match="reason the run is cancelled"):
            services.cancel_run(actor=users["official"], run=run, reason=reason, now=RELEASED)
    run.refresh_from_db()
    assert run.status != PaymentRun.Status.CANCELLED and IS.CANCELLED not in set(
        run.instructions.values_list("status", flat=True)
    )
    services.cancel_run(
        actor=users["official"], run=run, reason="Wrong letters chosen", now=RELEASED
    )
    assert set(run.instructions.values_list("status", flat=True)) == {IS.CANCELLED}
    again = services.prepare_run(actor=users["official"], letters=letters, now=RELEASED)
    assert again.reference == "REPM/PAY/2028-29/0002" and again.total == crore(5)


def test_a_payment_by_hand_after_preparation_stops_the_release(users, second_official, letters):
    run = services.prepare_run(actor=users["official"], letters=letters, now=PREPARED)
    money_services.record_payment(
        actor=users["official"], letter=letters[0], amount=crore(1), paid_on=dt.date(2028, 9, 2),
        utr="HDFC228245000077", now=PREPARED,
    )  # fmt: skip
    with pytest.raises(ValidationError, match="has been paid since the run was prepared"):
        services.release_run(actor=second_official, run=run, now=RELEASED)


def test_the_utr_of_a_failed_transfer_is_not_taken_again(users, second_official, letters):
    run = _out(users, second_official, letters)
    first, second = run.instructions.order_by("position")
    returned = failure(second, "Account closed")
    returned[1] = "SBIN228245000055"  # the bank named the failed transfer
    _import(users, run, return_csv([success(first, "SBIN228245000001"), returned]))
    again = services.prepare_run(actor=users["official"], reissue=[second], now=RETURNED)
    services.release_run(actor=second_official, run=again, now=RETURNED)
    (reissued,) = again.instructions.all()
    with pytest.raises(returns.ReturnFileRefused, match="already recorded"):
        _import(users, again, return_csv([success(reissued, "SBIN228245000055", "2028-09-06")]))
    reissued.refresh_from_db()
    assert reissued.status == IS.SENT
