"""Return files and runs raced against PostgreSQL: one file applies once, a letter goes in one run."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connections

from incentives.models import Payment
from incentives.payments import returns, services
from incentives.payments.models import BankReturnFile, PaymentInstruction, PaymentRun
from tests.payments.files import failure, return_csv, success

pytestmark = pytest.mark.django_db(transaction=True)
NOW = dt.datetime(2028, 9, 2, 12, 0, tzinfo=dt.UTC)
THREADS = 4


def _race(work, n: int = THREADS) -> list:
    """Run `work(i)` in n threads released together; each thread has its own connection."""
    barrier = threading.Barrier(n)
    outcomes: list = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait()
            outcomes[i] = work(i)
        except Exception as exc:  # the outcome under test
            outcomes[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return outcomes


def test_the_same_return_file_sent_at_once_applies_once(users, second_official, letters):
    run = services.prepare_run(actor=users["official"], letters=letters, now=NOW)
    services.release_run(actor=second_official, run=run, now=NOW)
    first, second = run.instructions.order_by("position")
    data = return_csv(
        [success(first, "SBIN228245000001", "2028-09-02"), failure(second, date="2028-09-02")]
    )

    def send(i: int) -> returns.Applied:
        return returns.import_return_file(
            actor=users["official"], run=run, data=data, filename="bank.csv",
            now=NOW + dt.timedelta(hours=1),
        )  # fmt: skip

    outcomes = _race(send)

    applied = [o for o in outcomes if isinstance(o, returns.Applied)]
    refused = [o for o in outcomes if isinstance(o, returns.ReturnFileRefused)]
    assert len(applied) == 1 and len(refused) == THREADS - 1, outcomes
    assert all("a run released to the bank" in " ".join(r.messages) for r in refused)
    assert Payment.objects.count() == 1 and BankReturnFile.objects.count() == 1
    assert PaymentRun.objects.get().status == PaymentRun.Status.CLOSED


def test_a_letter_raced_into_two_runs_goes_into_one(users, letters):
    outcomes = _race(
        lambda i: services.prepare_run(actor=users["official"], letters=letters, now=NOW)
    )
    made = [o for o in outcomes if isinstance(o, PaymentRun)]
    assert len(made) == 1, outcomes
    assert all(isinstance(o, ValidationError) for o in outcomes if o not in made)
    assert PaymentInstruction.objects.count() == 2
    assert PaymentRun.objects.get().reference.endswith("/0001")  # numbers stay gap-free
