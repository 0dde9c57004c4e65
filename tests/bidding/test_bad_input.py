"""A bid's numbers are bounded by their columns, and a refused bid leaves no file (issue 12, hole 7).

The reproduction: a net worth of 9999999999.99 crore overflowed the net worth column and
answered 500, and the DPR and eligibility documents it uploaded stayed on disk with no row.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DataError, transaction
from django.test import Client
from django.utils import timezone

from bidding.models import Bid, BidDocument
from repm_portal import uploads
from tests.bidding import builders
from tests.bidding.builders import bid_post, make_bidder

pytestmark = pytest.mark.django_db


@pytest.fixture
def live_tender(staff):
    start = timezone.now() - dt.timedelta(days=1)
    return builders.make_tender(staff, reference="LIVE/2026/07", now=start)


def files_under(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def client_for(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "field, value",
    [
        ("net_worth_crore", "9999999999.99"),
        ("net_worth_crore", "-5"),
        ("capacity_mtpa", str(2**31)),
        ("capacity_mtpa", str(2**63)),
    ],
)
def test_an_out_of_range_bid_through_the_api_is_a_400_and_leaves_no_file(
    live_tender, media_root, field, value
):
    client = client_for(make_bidder())
    before = files_under(media_root) if media_root.exists() else []

    response = client.post(f"/api/tenders/{live_tender.pk}/bid/", bid_post(**{field: value}))

    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Bid.objects.exists()
    assert (files_under(media_root) if media_root.exists() else []) == before


def test_an_out_of_range_net_worth_on_the_page_is_refused_with_the_field_named(
    live_tender, media_root
):
    client = client_for(make_bidder())
    response = client.post(
        f"/tenders/{live_tender.pk}/bid/", bid_post(net_worth_crore="9999999999.99")
    )
    assert response.status_code == 200
    assert "Ensure that there are no more than" in response.content.decode()
    assert not Bid.objects.exists()


def test_a_bid_the_database_refuses_leaves_no_file(live_tender, media_root):
    """The documents are stored before the row; the column's refusal removes them again."""
    bidder = make_bidder()
    before = files_under(media_root)
    with uploads.removed_unless_committed(), pytest.raises(DataError):
        builders.submit(bidder, live_tender, net_worth_crore=10**10, now=timezone.now())
    assert not BidDocument.objects.exists()
    assert files_under(media_root) == before


def test_a_file_stored_in_a_committed_or_open_transaction_is_kept(media_root):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    with uploads.removed_unless_committed():
        with transaction.atomic():
            kept = default_storage.save("kept.txt", ContentFile(b"row written"))
        with pytest.raises(RuntimeError), transaction.atomic():
            gone = default_storage.save("gone.txt", ContentFile(b"row refused"))
            raise RuntimeError("the row is refused")
    assert default_storage.exists(kept)
    assert not default_storage.exists(gone)
