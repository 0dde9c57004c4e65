"""Twelve quarter claims of three awards approved and issued at once, against award caps and a pool nearly spent."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connections, transaction

from incentives import ledger, sanctions
from incentives.claims.models import Claim
from incentives.models import EntryKind, LedgerEntry, Pool, SanctionLetter, SanctionRequest
from incentives.sli import selectors
from incentives.sli.models import SliComputation
from tests.claims.sales import sales_award
from tests.sli.money import Q1, Q2, Q3, Q4, RELEASE, after, approve, quarter_claim

pytestmark = pytest.mark.django_db(transaction=True)
NOW = after(Q4[1], 20)
CLAIMS = 12


def _race(work, n: int) -> list:
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
        t.join(timeout=180)
    return outcomes


def _sanction_to(award, amount: Decimal, key: str) -> None:
    with transaction.atomic():
        ledger.post(
            kind=EntryKind.SANCTION, pool=Pool.SLI, award=award, amount=amount, source_key=key,
            rule_set=award.rule_set, document_ref="earlier", narration="earlier SLI", now=NOW,
        )  # fmt: skip


def test_concurrent_sli_sanctions_hold_the_caps_and_the_pool_and_number_without_gaps(
    rules, users, media_root, private_cache
):
    # given three awards with Rs 15 lakh left under their caps, and Rs 40 lakh left in the pool
    awards = [sales_award() for _ in range(3)]
    caps = {award.pk: selectors.award_cap(award, rules) for award in awards}
    for award in awards:
        _sanction_to(award, caps[award.pk] - Decimal("1500000.00"), f"earlier:{award.pk}")
    limit = ledger.pool_limit(rules, Pool.SLI)
    _sanction_to(sales_award(), limit - ledger.sanctioned(Pool.SLI) - Decimal("4000000.00"), "rest")
    # and four verified quarter claims of each, each worth Rs 8,54,250 alone
    claims = [quarter_claim(award, period) for award in awards for period in (Q1, Q2, Q3, Q4)]
    assert len(claims) == CLAIMS

    # when all twelve are approved and issued at once
    def approve_and_issue(i: int):
        request = approve(claims[i], users["approver"], now=NOW)
        return sanctions._sanction(request.pk, now=NOW)

    outcomes = _race(approve_and_issue, CLAIMS)

    # then nothing failed: the engine caps each figure under the pool's lock, so none is refused
    assert all(o is None or isinstance(o, SanctionLetter) for o in outcomes), outcomes
    letters = [o for o in outcomes if isinstance(o, SanctionLetter)]
    # and no award passed its cap, nor the pool its limit
    for award in awards:
        assert ledger.sanctioned(Pool.SLI, award) <= caps[award.pk]
    assert ledger.sanctioned(Pool.SLI) <= limit
    assert min(letter.amount for letter in letters) < RELEASE  # the caps did bite
    # and the letters are numbered 1..n without a gap
    serials = sorted(SanctionLetter.objects.values_list("serial", flat=True))
    assert serials == list(range(1, len(letters) + 1))
    # and each claim has exactly one request, one figure of record and at most one sanction
    for claim in claims:
        key = str(claim.pk)
        assert SanctionRequest.objects.filter(claim_type="sli_quarter", claim_id=key).count() == 1
        assert SliComputation.objects.filter(claim=claim, purpose="sanction").count() == 1
        sanctioned = LedgerEntry.objects.filter(
            kind=EntryKind.SANCTION, claim_type="sli_quarter", claim_id=key
        )
        assert sanctioned.count() <= 1
        status = Claim.objects.get(pk=claim.pk).status
        assert status == ("sanctioned" if sanctioned.exists() else "nil")
    # and the figures of record add up to what the ledger sanctioned
    released = sum(
        SliComputation.objects.filter(purpose="sanction").values_list("release", flat=True),
        start=Decimal("0.00"),
    )
    assert released == sum((letter.amount for letter in letters), start=Decimal("0.00"))
    assert Decimal(4000000) - (limit - ledger.sanctioned(Pool.SLI)) == released
