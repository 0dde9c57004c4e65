"""Many approvals at once against PostgreSQL: the pool's limit and an award's cap hold, numbers stay gap-free."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction

from incentives import ledger, sanctions
from incentives.models import EntryKind, LedgerEntry, Pool, SanctionLetter
from repm_portal.money import crore
from tests.factories import AwardFactory

pytestmark = pytest.mark.django_db(transaction=True)
NOW = dt.datetime(2028, 9, 1, 12, 0, tzinfo=dt.UTC)
THREADS = 16


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


def _fill(award, left: Decimal) -> None:
    limit = ledger.pool_limit(award.rule_set, Pool.CAPITAL_SUBSIDY)
    with transaction.atomic():
        ledger.post(
            kind=EntryKind.SANCTION, pool=Pool.CAPITAL_SUBSIDY, award=AwardFactory(),
            amount=limit - left, source_key="fill", rule_set=award.rule_set,
            document_ref="fill", narration="spend the pool down", now=NOW,
        )  # fmt: skip


def test_concurrent_sanctions_never_take_the_pool_past_its_limit(rules):
    awards = [AwardFactory() for _ in range(THREADS)]
    _fill(awards[0], crore(5))  # room for five sanctions of Rs 1 crore

    def approve(i: int):
        with transaction.atomic():
            return ledger.post(
                kind=EntryKind.SANCTION, pool=Pool.CAPITAL_SUBSIDY, award=awards[i],
                amount=crore(1), source_key=f"race:{i}", rule_set=rules,
                document_ref="race", narration="race", now=NOW,
            )  # fmt: skip

    outcomes = _race(approve)
    posted = [o for o in outcomes if isinstance(o, LedgerEntry)]
    refused = [o for o in outcomes if isinstance(o, ledger.LimitExceeded)]
    assert len(posted) == 5 and len(refused) == THREADS - 5, outcomes
    assert ledger.sanctioned(Pool.CAPITAL_SUBSIDY) == ledger.pool_limit(rules, Pool.CAPITAL_SUBSIDY)


def test_the_database_alone_holds_the_limit_when_services_race_without_their_lock(rules):
    # given writers that skip the service's check and lock entirely (raw inserts)
    awards = [AwardFactory() for _ in range(THREADS)]
    _fill(awards[0], crore(3))

    def insert(i: int):
        with transaction.atomic():
            return LedgerEntry.objects.create(
                kind="sanction", account="sanction", pool=Pool.CAPITAL_SUBSIDY, award=awards[i],
                amount=crore(1), rule_set=rules, document_ref="raw", source_key=f"raw:{i}",
                narration="raw", posted_at=NOW,
            )  # fmt: skip

    outcomes = _race(insert)
    assert sum(isinstance(o, LedgerEntry) for o in outcomes) == 3, outcomes
    assert ledger.sanctioned(Pool.CAPITAL_SUBSIDY) == ledger.pool_limit(rules, Pool.CAPITAL_SUBSIDY)


def test_concurrent_approvals_through_the_pipeline_hold_the_cap_and_number_without_gaps(
    grants, users
):
    # given one award with a cap of Rs 10 crore and sixteen claims of Rs 1.5 crore approved together
    award = AwardFactory()
    grants.award_cap = crore(10)
    grants.respect_headroom = False  # the claims ask for more than is left; the ledger must refuse
    requests = []
    for i in range(THREADS):
        grants.add(str(i), award, Decimal("15000000.00"))
        with transaction.atomic():
            requests.append(
                sanctions.request_sanction(
                    claim_type=grants.code, claim_id=str(i), actor=users["approver"], now=NOW
                )
            )
    assert not connection.in_atomic_block

    outcomes = _race(lambda i: sanctions._sanction(requests[i].pk, now=NOW))
    letters = [o for o in outcomes if isinstance(o, SanctionLetter)]
    # then six fit under the cap (9 crore), the rest are refused, and the six are numbered 1..6
    assert len(letters) == 6, outcomes
    assert all(isinstance(o, ledger.LimitExceeded) for o in outcomes if o not in letters)
    assert ledger.sanctioned(Pool.CAPITAL_SUBSIDY, award) == crore(9)
    serials = sorted(SanctionLetter.objects.values_list("serial", flat=True))
    assert serials == list(range(1, 7))
