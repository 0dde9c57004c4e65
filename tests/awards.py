"""A quick builder of awards for the phases after bidding: real rows, without the tender flow."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from zoneinfo import ZoneInfo

from bidding.models import Award, Bid, BidParticipant, Tender
from repm_portal.models import RuleSet
from repm_portal.money import crore
from repm_portal.roles import Role
from tests.factories import BankAccountFactory, FirmFactory, FirmUserFactory, UserFactory

IST = ZoneInfo("Asia/Kolkata")
AWARDED_AT = dt.datetime(2026, 4, 15, 11, 0, tzinfo=IST)
_counter = itertools.count(1)


def make_tender(rule_set: RuleSet | None = None, *, awarded_at: dt.datetime = AWARDED_AT) -> Tender:
    rule_set = rule_set or RuleSet.objects.order_by("-version").first()
    n = next(_counter)
    official = UserFactory(role=Role.OFFICIAL)
    start = awarded_at - dt.timedelta(days=90)
    return Tender.objects.create(
        reference=f"TEST/REPM/{n:04d}",
        title="Sintered NdFeB magnet manufacturing capacity",
        rule_set=rule_set,
        capacity_mtpa=6000,
        slots=5,
        oxide_mtpa=Decimal("500.000"),
        status=Tender.Status.AWARDED,
        queries_due=start,
        prebid_meeting_at=start + dt.timedelta(days=2),
        replies_due=start + dt.timedelta(days=5),
        bids_due=start + dt.timedelta(days=30),
        technical_opening_at=start + dt.timedelta(days=31),
        financial_opening_at=start + dt.timedelta(days=45),
        created_by=official,
        created_at=start,
        published_at=start,
        technical_opened_at=start + dt.timedelta(days=31),
        technical_evaluated_at=start + dt.timedelta(days=40),
        financial_opened_at=start + dt.timedelta(days=45),
        awarded_at=awarded_at,
    )


def make_award(
    *,
    firm=None,
    tender: Tender | None = None,
    allocated_mtpa: int = 1200,
    quoted_rate: Decimal | str = "2150.00",
    awarded_at: dt.datetime = AWARDED_AT,
    rank: int | None = None,
    rule_set: RuleSet | None = None,
    with_user: bool = True,
    with_bank_account: bool = True,
) -> Award:
    """An award to `firm` (a new firm by default, with one firm user and a bank account)."""
    tender = tender or make_tender(rule_set, awarded_at=awarded_at)
    firm = firm or FirmFactory()
    if with_user and not firm.users.exists():
        FirmUserFactory(firm=firm)
    if with_bank_account and not firm.bank_accounts.exists():
        BankAccountFactory(firm=firm)
    bid = Bid.objects.create(
        tender=tender, firm=firm, status=Bid.Status.AWARDED, created_at=tender.created_at
    )
    BidParticipant.objects.create(
        tender=tender, bid=bid, firm=firm, role=BidParticipant.Role.SOLE, equity_pct=None
    )
    rank = rank or tender.awards.count() + 1
    rules = tender.rule_set
    return Award.objects.create(
        tender=tender,
        bid=bid,
        rank=rank,
        quoted_rate=Decimal(str(quoted_rate)),
        allocated_mtpa=allocated_mtpa,
        is_partial=False,
        oxide_mtpa=Decimal("100.000"),
        rule_set=rules,
        awarded_at=awarded_at,
        awarded_by=tender.created_by,
        pbg_amount_required=rules.pbg_per_100_mtpa * allocated_mtpa / 100 or crore(1),
        pbg_valid_until_required=(awarded_at + dt.timedelta(days=365 * 8)).date(),
    )
