"""Query budgets: each main page makes a fixed number of queries, the same with 5 awards as with 50.

One module-scoped world (one awarded tender whose awards each have a commissioned plant, a bid
version, a sales upload and an issued sanction letter, its row written without rendering a PDF): every page is fetched once with 5 awards, then 45 more are added and
each test fetches its page again under `django_assert_max_num_queries`. Counts only, never timings.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bidding.models import BidVersion, Tender
from incentives.claims import services as claim_services
from incentives.models import LetterSeries, Pool, SanctionLetter, SanctionRequest
from repm_portal import pipeline
from repm_portal.models import CapacitySlab, RuleSet, Scheme
from repm_portal.roles import Role
from tests.claims.sales import AFTER_Q1, COMMISSIONED_ON, Q1_START, csv_bytes, lines_for, uploaded
from tests.factories import AwardFactory, FirmUserFactory, TenderFactory, UserFactory

pytestmark = pytest.mark.django_db
BUDGET = 12
# A dashboard rendered afresh is up to twelve panels, each one or two queries of its own (fixed,
# none per award); what several read (rule sets, pools, claims, plants) is read once for all
# (request_memo). These tests run inside a transaction, so the viewer cache never answers here;
# a returning viewer's dashboard is one query (tests/repm_portal/test_viewer_cache.py).
DASHBOARD_BUDGET = 22
# The public tender page reads each of its sections once (15 queries, none per award or bid);
# anonymous visitors get it from the cache (test_public_cache.py).
PAGE_BUDGETS = {"public tender": 16}
FEW, MANY = 5, 50
_loader = importlib.import_module("repm_portal.migrations.0003_load_repm_scheme")
LOCAL_CACHE = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

API_LISTS = [
    "rule-set",
    "audit-event",
    "firm",
    "consortium",
    "tender",
    "bid",
    "award",
    "guarantee",
    "sanction-letter",
    "payment",
    "ledger-entry",
    "capital-claim",
    "claim-upload",
    "sales-claim",
    "plant",
    "milestone",
    "payment-run",
    "recovery",
    "sample",
    "sli-computation",
    "sli-true-up",
]


def _pages(tender: Tender) -> dict[str, tuple[str | None, str]]:
    """Page name -> (role of the asker, or None for anonymous; URL)."""
    pages: dict[str, tuple[str | None, str]] = {
        f"dashboard:{role}": (role, reverse("dashboard")) for role in Role.values
    }
    pages |= {
        "tender list": (Role.OFFICIAL, reverse("tender_list")),
        "comparative statement": (Role.OFFICIAL, reverse("statement", args=[tender.pk])),
        "ledger": (Role.OFFICIAL, reverse("ledger_list")),
        "ledger:firm": (Role.FIRM_USER, reverse("ledger_list")),
        "sanctions": (Role.OFFICIAL, reverse("sanction_list")),
        "claims": (Role.OFFICIAL, reverse("claim_list")),
        "claims:firm": (Role.FIRM_USER, reverse("claim_list")),
        "public tender": (None, reverse("public_tender", args=[tender.pk])),
        "ocds": (None, reverse("tender-ocds", args=[tender.pk])),
        "ocds index": (None, reverse("ocds-index")),
    }
    pages |= {f"api:{name}": (Role.AUDITOR, reverse(f"{name}-list")) for name in API_LISTS}
    return pages


# The tender reopens for the builder only: the database takes a bid version while it is published.
_REOPEN = {
    Tender.Status.AWARDED: {Tender.Status.PUBLISHED},
    Tender.Status.PUBLISHED: {Tender.Status.AWARDED},
}


def _move(tender: Tender, official, to: str) -> None:
    pipeline.transition(
        tender, to, pipeline=_REOPEN, actor=official, now=tender.awarded_at, label="Test tender"
    )


def _letter(award, official, *, serial: int) -> SanctionLetter:
    """An issued sanction letter for the award, its row written directly (no PDF is rendered)."""
    series, _ = LetterSeries.objects.get_or_create(prefix="BUDGET", financial_year="2027-28")
    request = SanctionRequest.objects.create(
        key=f"budget:{award.pk}",
        claim_type="budget",
        claim_id=str(award.pk),
        status=SanctionRequest.Status.SANCTIONED,
        requested_by=official,
        requested_at=AFTER_Q1,
        completed_at=AFTER_Q1,
    )
    return SanctionLetter.objects.create(
        request=request,
        series=series,
        serial=serial,
        number=f"BUDGET/2027-28/{serial}",
        financial_year="2027-28",
        dated=AFTER_Q1.date(),
        claim_type="budget",
        claim_id=str(award.pk),
        award=award,
        pool=Pool.SLI,
        rule_set=award.rule_set,
        amount=1_00_000,
        content={"lines": [], "subject": "Budget test", "amount_inr": "1,00,000.00"},
        signatory=official,
        created_at=AFTER_Q1,
        status=SanctionLetter.Status.ISSUED,
        file=f"incentives/letters/budget-{serial}.pdf",
        sha256=hashlib.sha256(str(serial).encode()).hexdigest(),
        size=1,
        rendered_at=AFTER_Q1,
    )


def _grow(tender: Tender, official, count: int) -> None:
    """Add awards to the tender until it has `count`, each with a bid version, plant and upload."""
    _move(tender, official, Tender.Status.PUBLISHED)
    while tender.awards.count() < count:
        award = AwardFactory(
            tender=tender,
            commissioned=True,
            plant__name="Pune-1",
            plant__commissioned_on=COMMISSIONED_ON,
            allocated_mtpa=600,
        )
        digest = hashlib.sha256(f"bid-{award.bid_id}".encode()).hexdigest()
        BidVersion.objects.create(
            bid=award.bid,
            number=1,
            submitted_at=tender.bids_due - dt.timedelta(days=1),
            submitted_by=official,
            capacity_mtpa=600,
            accepts_partial=True,
            net_worth=500_00_00_000,
            net_worth_as_of=COMMISSIONED_ON,
            technical_digest=digest,
            financial_digest=digest,
            commitment=digest,
            sealed_financial=b"sealed",
        )
        _letter(award, official, serial=tender.awards.count())
        claim_services.receive_upload(
            actor=award.bid.firm.users.first(),
            award=award,
            period_start=Q1_START,
            upload=uploaded(csv_bytes(lines_for(Q1_START, 3))),
            now=AFTER_Q1,
            enqueue=False,
        )
    _move(tender, official, Tender.Status.AWARDED)


def _fetch(clients: dict, pages: dict, name: str):
    role, url = pages[name]
    cache.clear()  # a cold cache: the page's own queries, not a cached copy
    response = clients[role].get(url)
    assert response.status_code == 200, (name, response.status_code)
    return response


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("media")
    with (
        django_db_blocker.unblock(),
        override_settings(CACHES=LOCAL_CACHE, MEDIA_ROOT=media),
        transaction.atomic(),
    ):
        if not RuleSet.objects.filter(scheme__code="REPM", version=1).exists():
            _loader.load_scheme(Scheme, RuleSet, CapacitySlab)
        users = {
            role: UserFactory(role=role, username=f"budget_{role}")
            for role in Role.values
            if role != Role.FIRM_USER
        }
        tender = TenderFactory(created_by=users[Role.OFFICIAL], slots=MANY, capacity_mtpa=30000)
        _grow(tender, users[Role.OFFICIAL], FEW)
        first_award = tender.awards.order_by("rank").first()
        users[Role.FIRM_USER] = first_award.bid.firm.users.first() or FirmUserFactory(
            firm=first_award.bid.firm
        )
        clients: dict = {None: Client()}
        for role, user in users.items():
            clients[role] = Client()
            clients[role].force_login(user)
        pages = _pages(tender)
        few = {}
        for name in pages:
            with CaptureQueriesContext(connection) as captured:
                _fetch(clients, pages, name)
            few[name] = len(captured)
        _grow(tender, users[Role.OFFICIAL], MANY)
        yield {"clients": clients, "pages": pages, "few": few}
        transaction.set_rollback(True)


PAGE_NAMES = (
    [f"dashboard:{role}" for role in Role.values]
    + [
        "tender list",
        "comparative statement",
        "ledger",
        "ledger:firm",
        "sanctions",
        "claims",
        "claims:firm",
        "public tender",
        "ocds",
        "ocds index",
    ]
    + [f"api:{name}" for name in API_LISTS]
)


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_the_page_makes_the_same_few_queries_with_50_awards_as_with_5(
    world, name, django_assert_max_num_queries
):
    budget = DASHBOARD_BUDGET if name.startswith("dashboard:") else PAGE_BUDGETS.get(name, BUDGET)
    with django_assert_max_num_queries(budget) as captured:
        _fetch(world["clients"], world["pages"], name)
    assert len(captured) == world["few"][name], (
        f"{name}: {world['few'][name]} queries with {FEW} awards, {len(captured)} with {MANY}"
    )


def test_the_sanctions_page_is_counted_with_its_letters(world):
    page = _fetch(world["clients"], world["pages"], "sanctions").content.decode()
    assert f"BUDGET/2027-28/{MANY}" in page and "BUDGET/2027-28/1<" in page
