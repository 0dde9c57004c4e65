"""Deductions netted from a payout: the letter fixes what it kept back, paid never passes payable."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, InternalError, connection, transaction

from incentives import ledger, sanctions, services
from incentives.models import EntryKind, LedgerEntry, Pool
from repm_portal.money import crore

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2028, 9, 1, 12, 0, tzinfo=dt.UTC)


def _penalty(award, amount, key="penalty:1"):
    with transaction.atomic():
        return ledger.post(
            kind=EntryKind.PENALTY, pool=Pool.SLI, award=award, amount=amount, source_key=key,
            rule_set=award.rule_set, document_ref="Milestone acceptance", narration="delay penalty",
        )  # fmt: skip


def _issue(grants, users, award, claim_id, amount, deduction):
    grants.add(claim_id, award, amount, deduction=deduction)
    with transaction.atomic():
        request = sanctions.request_sanction(
            claim_type=grants.code, claim_id=claim_id, actor=users["approver"], now=NOW
        )
    return sanctions.issue(request.pk, now=NOW)


def test_a_letter_nets_the_penalty_and_pays_only_the_rest(grants, users, award):
    _penalty(award, crore(3))
    # when a sanction of Rs 10 crore nets the Rs 3 crore penalty
    letter = _issue(grants, users, award, "n1", crore(10), crore(3))
    # then the letter fixes both figures and the payable
    assert (letter.amount, letter.deducted, letter.payable) == (crore(10), crore(3), crore(7))
    assert letter.content["payable_inr"] == "Rs 7,00,00,000.00"
    netting = LedgerEntry.objects.get(kind=EntryKind.NETTING)
    assert (netting.account, netting.amount, netting.letter) == ("penalty", -crore(3), letter)
    # and nothing is left to net; the award's sanctioned counts the whole release
    balances = ledger.balances(award=award)
    assert (balances.sanctioned, balances.penalties, balances.netted) == (crore(10), 0, crore(3))
    assert balances.pending == crore(7)
    # and a payment of more than the payable is refused, by the service and by the database
    with pytest.raises(ValidationError, match=r"at most Rs 7,00,00,000\.00"):
        services.record_payment(
            actor=users["official"], letter=letter, amount=crore(8), paid_on=NOW.date(),
            utr="SBIN0000000000001", now=NOW,
        )  # fmt: skip
    services.record_payment(
        actor=users["official"], letter=letter, amount=crore(7), paid_on=NOW.date(),
        utr="SBIN0000000000002", now=NOW,
    )  # fmt: skip
    with (
        pytest.raises(
            (IntegrityError, InternalError), match="past its amount less deductions netted"
        ),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO incentives_ledgerentry (kind, account, pool, award_id, amount,"
            " claim_type, claim_id, rule_set_id, letter_id, document_ref, source_key,"
            " narration, posted_at) VALUES ('payment', 'payment', 'sli', %s, 1, '', '', %s,"
            " %s, 'x', 'raw-payment', 'x', now())",
            [award.pk, award.rule_set_id, letter.pk],
        )


def test_a_deduction_larger_than_outstanding_is_refused(award):
    _penalty(award, Decimal("1000.00"))
    with pytest.raises(ValidationError, match=r"Only Rs 1,000\.00"), transaction.atomic():
        ledger.net(
            award=award, amount="1000.01", source_key="n", rule_set=award.rule_set,
            document_ref="x", narration="x",
        )  # fmt: skip
    # and the database refuses it too when the service is bypassed
    with (
        pytest.raises((IntegrityError, InternalError), match="below zero"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO incentives_ledgerentry (kind, account, pool, award_id, amount,"
            " claim_type, claim_id, rule_set_id, document_ref, source_key, narration,"
            " posted_at) VALUES ('netting', 'penalty', 'sli', %s, -1000.01, '', '', %s, 'x',"
            " 'raw-netting', 'x', now())",
            [award.pk, award.rule_set_id],
        )


def test_penalties_are_netted_before_recoveries_and_a_repeat_nets_nothing(award):
    _penalty(award, Decimal("100.00"))
    with transaction.atomic():
        ledger.post(
            kind=EntryKind.RECOVERY, pool=Pool.SLI, award=award, amount="50.00",
            source_key="recovery:1", rule_set=award.rule_set, document_ref="x", narration="x",
        )  # fmt: skip
        entries = ledger.net(
            award=award, amount="120.00", source_key="repaid:UTR1", rule_set=award.rule_set,
            document_ref="Repaid by UTR1", narration="repaid",
        )  # fmt: skip
        again = ledger.net(
            award=award, amount="120.00", source_key="repaid:UTR1", rule_set=award.rule_set,
            document_ref="Repaid by UTR1", narration="repaid",
        )  # fmt: skip
    assert [(e.account, e.amount) for e in entries] == [
        ("penalty", Decimal("-100.00")),
        ("recovery", Decimal("-20.00")),
    ]
    assert again == []
    assert ledger.outstanding_deductions(award) == {"penalty": 0, "recovery": Decimal("30.00")}
