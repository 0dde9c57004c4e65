"""The monitor's figures are the records' own: capacity from awards and plants, sales from the
verified claims (adjustments applied), the pools from the ledger, service levels from the claims
and letters, guarantees from the bank guarantees."""

from __future__ import annotations

from decimal import Decimal
from xml.etree import ElementTree

import pytest

from incentives import ledger
from incentives.claims.models import Claim
from incentives.claims.selectors import verified_totals
from incentives.models import Pool
from incentives.monitor import charts, selectors
from incentives.sli.selectors import award_cap
from repm_portal.fiscal import FinancialYear, Quarter
from repm_portal.money import crore
from tests.monitor.scheme import AS_OF, GUARANTEE_NUMBER, QUOTED_RATE

pytestmark = pytest.mark.django_db
FY = FinancialYear(2027)


@pytest.fixture
def monitor(scheme):
    return selectors.official_monitor(scheme.official, as_of=AS_OF)


def test_capacity_is_the_awards_and_plants(monitor):
    c = monitor.capacity
    assert (c.target_mtpa, c.awarded, c.under_construction, c.not_started, c.commissioned) == (
        6000, 2600, 600, 800, 1200,
    )  # fmt: skip
    assert c.awarded_pct == Decimal("43.3")
    assert {a.stage for a in c.awards} == {"commissioned", "under construction", "awarded"}


def test_sales_per_quarter_equal_the_verified_claims_totals(scheme, monitor):
    claims = Claim.objects.filter(status__in=Claim.VERIFIED_STATUSES)
    expected: dict[Quarter, Decimal] = {}
    for claim in claims:
        quarter = Quarter.for_date(claim.period_end)
        expected[quarter] = expected.get(quarter, Decimal(0)) + verified_totals(claim)[0]
    got = {q.quarter: q.kg for q in monitor.sales.quarters}
    assert got == expected
    # By hand: five lines of 100.5 kg; one excluded from Q3.
    assert [q.kg for q in monitor.sales.quarters] == [
        Decimal("502.500"), Decimal("502.500"), Decimal("402.000"),
    ]  # fmt: skip
    assert monitor.sales.quarters[2].value == verified_totals(scheme.verified)[1]


def test_demand_is_the_rule_sets_year_pro_rata_to_the_quarter(monitor):
    q1 = monitor.sales.quarters[0]
    # FY 2027-28 has 366 days (Feb 2028); our default interpolates 6,115 t for it.
    assert monitor.rule_set.demand_tonnes("2027-28") == Decimal(6115)
    assert q1.demand_tonnes == (Decimal(6115) * 91 / 366).quantize(Decimal("0.001"))
    assert q1.share_of_demand_pct == Decimal("0.0")  # half a tonne of 1,520 t


def test_pools_equal_the_ledger_and_the_awards_caps(scheme, monitor):
    sli = next(p for p in monitor.pools if p.pool == Pool.SLI)
    balances = ledger.balances(pool=Pool.SLI)
    assert (sli.sanctioned, sli.paid) == (balances.sanctioned, balances.paid)
    year = next(y for y in sli.years if y.financial_year == FY)
    assert year.sanctioned == scheme.paid.amount + scheme.unpaid.amount
    assert year.paid == scheme.paid.payable
    awards = [scheme.commissioned, scheme.building, scheme.no_plant]
    assert sli.committed == sum(award_cap(a, a.rule_set) for a in awards)
    assert award_cap(scheme.commissioned, scheme.commissioned.rule_set) == (
        QUOTED_RATE * 1200 * 1000 * 5
    )
    capital = next(p for p in monitor.pools if p.pool == Pool.CAPITAL_SUBSIDY)
    assert capital.committed == crore(150) + crore(75) + crore(100)
    assert capital.sanctioned == ledger.balances(pool=Pool.CAPITAL_SUBSIDY).sanctioned
    by_award = {a.award_id: a for a in sli.awards}
    assert by_award[scheme.commissioned.pk].sanctioned == balances.sanctioned
    assert by_award[scheme.building.pk].sanctioned == 0


def test_service_levels_count_letters_and_verifications(scheme, monitor):
    year = next(y for y in monitor.service.years if y.financial_year == FY)
    assert (year.payment_met, year.payment_missed, year.payment_open, year.payment_overdue) == (
        1, 0, 0, 1,
    )  # fmt: skip
    assert year.verification_met == 3
    assert monitor.service.overdue_letters[0][0] == scheme.unpaid.number


def test_guarantees_expiring_within_ninety_days(monitor):
    assert [(g.guarantee_number, g.days_left) for g in monitor.guarantees] == [
        (GUARANTEE_NUMBER, 40)
    ]


def test_feedstock_is_the_declarations_of_the_verified_claims(monitor):
    # The commissioned award's claims declare 40 % IREL and 60 % from China (tests/claims/workflow).
    assert [q.label for q in monitor.feedstock] == [
        "Q1 FY 2027-28", "Q2 FY 2027-28", "Q3 FY 2027-28",
    ]  # fmt: skip
    assert all(set(q.imported_by_country) == {"CN"} for q in monitor.feedstock)


def test_the_public_monitor_withholds_quarters_of_fewer_than_three_firms(scheme):
    public = selectors.public_monitor(as_of=AS_OF)
    assert all(q.withheld for q in public.sales.quarters)
    assert public.sales.per_award == [] and public.service.overdue_letters == []
    assert all(a.bidder == "" for a in public.capacity.awards)
    assert public.capacity.awarded == 2600


def _ids(svg: str) -> set[str]:
    # Our own matplotlib output, not untrusted input.
    document = ElementTree.fromstring(svg)  # noqa: S314
    return {element.get("id") for element in document.iter() if element.get("id")}


def test_svg_has_a_bar_per_figure_and_a_line_per_series(monitor):
    spec = charts.sales_chart(monitor)
    ids = _ids(charts.svg(spec))
    assert {"sales-bar-0-0", "sales-bar-0-1", "sales-bar-0-2", "sales-line-1"} <= ids
    ids = _ids(charts.svg(charts.pool_chart(monitor.pools[0])))
    assert {"pool-sli-bar-0-1", "pool-sli-bar-1-1", "pool-sli-line-2", "pool-sli-line-3"} <= ids
    # Text stays text, in the PDF's font.
    assert "Verified sales (t)" in charts.svg(spec)
