"""Races, with real threads on PostgreSQL: the tender row is the lock, so no check-then-act slips."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from bidding import services
from bidding.models import Bid, BidVersion, CoverOpening, OpeningConfirmation, Stage, Tender
from tests.bidding import builders
from tests.bidding.builders import TECH_TIME, make_bidder, submit


def run_together(*calls):
    """Start every call at once on its own thread and connection; return results or exceptions."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:  # the test inspects what each thread met
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_members_confirming_at_once_open_the_covers_exactly_once(staff):
    tender = builders.make_tender(staff)
    submit(make_bidder(), tender)
    members = staff.committee[:2]

    results = run_together(
        *[
            lambda m=m: services.confirm_opening(
                actor=m, tender=tender, stage=Stage.TECHNICAL, now=TECH_TIME
            )
            for m in members
        ]
    )

    assert not any(isinstance(r, Exception) for r in results), results
    assert OpeningConfirmation.objects.filter(tender=tender).count() == 2
    assert CoverOpening.objects.filter(tender=tender).count() == 1
    assert sum(r is not None for r in results) == 1  # one of the two calls did the opening
    assert Tender.objects.get(pk=tender.pk).status == Tender.Status.TECHNICAL_OPENED


@pytest.mark.django_db(transaction=True)
def test_two_submissions_by_one_firm_at_once_make_one_bid_with_two_versions(staff):
    tender = builders.make_tender(staff)
    first_user = make_bidder()
    from tests.factories import FirmUserFactory

    second_user = FirmUserFactory(firm=first_user.firm)

    results = run_together(
        lambda: submit(first_user, tender, rate="1900.00").number,
        lambda: submit(second_user, tender, rate="1950.00").number,
    )

    assert sorted(results) == [1, 2], results
    assert Bid.objects.filter(tender=tender).count() == 1
    assert BidVersion.objects.filter(bid__tender=tender).count() == 2
