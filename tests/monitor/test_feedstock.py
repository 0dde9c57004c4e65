"""The monitor's feedstock chart and tables: the share of magnets from each NdPr oxide source per
quarter, the feedstock selector's own figures; the public page leaves out a quarter of fewer than
three firms, as the sales do; the PDF draws the chart; the CSVs are the tables."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from pypdf import PdfReader

from incentives.claims import feedstock, services
from incentives.claims.feedstock import SOURCES
from incentives.monitor import charts, selectors, tables
from repm_portal.roles import Role
from tests.claims.sales import sales_award
from tests.claims.workflow import STARTED_AT, SUBMITTED_AT, VERIFIED_AT, certificate, drafted, staff
from tests.monitor.scheme import AS_OF, MOMENT

pytestmark = pytest.mark.django_db
# Two more firms' claims of Q1 FY 2027-28 (502.5 kg filed each): with the scheme's commissioned
# award, three firms make up Q1; Q2 and Q3 stay the commissioned award's alone.
RECYCLED_AND_JAPAN = [
    {"source": "recycled", "tonnes": "0.018"},
    {"source": "imported", "country": "JP", "tonnes": "0.100"},
    {"source": "domestic", "tonnes": "0.050"},
]
IREL_AND_CHINA = [
    {"source": "irel", "tonnes": "0.068"},
    {"source": "imported", "country": "CN", "tonnes": "0.100"},
]


def _verified_q1(rows: list[dict]) -> None:
    award = sales_award()
    user = award.bid.firm.users.get()
    verifier = staff(Role.VERIFIER)
    claim = drafted(award, user, feedstock=False)
    services.declare_feedstock(actor=user, claim=claim, rows=rows, now=SUBMITTED_AT)
    services.submit_claim(
        actor=user, claim=claim, certificate=certificate(), declaration=True, now=SUBMITTED_AT
    )
    claim = services.start_verification(actor=verifier, claim=claim, now=STARTED_AT)
    services.verify_claim(actor=verifier, claim=claim, now=VERIFIED_AT)


@pytest.fixture
def three_firms_in_q1(scheme):
    _verified_q1(RECYCLED_AND_JAPAN)
    _verified_q1(IREL_AND_CHINA)
    return scheme


@pytest.fixture
def at_moment():
    with time_machine.travel(MOMENT, tick=False):
        yield


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def _section(page: str) -> str:
    return page.split('id="feedstock"', 1)[1].split("</section>", 1)[0]


def test_the_chart_and_table_hold_the_selectors_figures(three_firms_in_q1):
    monitor = selectors.official_monitor(three_firms_in_q1.official, as_of=AS_OF)
    expected = feedstock.source_shares_by_quarter(min_awards=1)
    assert [q.label for q in expected] == ["Q1 FY 2027-28", "Q2 FY 2027-28", "Q3 FY 2027-28"]
    assert [q.awards for q in expected] == [3, 1, 1]

    spec = charts.charts(monitor)["feedstock"].as_json()
    assert spec["labels"] == [q.label for q in expected]
    assert [s["label"] for s in spec["series"]] == [
        "IREL (India) Ltd", "Other domestic", "Imported", "Recycled",
    ]  # fmt: skip
    assert {s["stack"] for s in spec["series"]} == {"sources"}
    for series, source in zip(spec["series"], SOURCES, strict=True):
        assert series["values"] == [str(q.share_pct[source]) for q in expected]
    # every quarter's bars stack to exactly 100 %
    for i in range(len(expected)):
        assert sum(Decimal(s["values"][i]) for s in spec["series"]) == Decimal("100.00")

    table = tables.tables(monitor)["feedstock"]
    assert table.chart == "feedstock"
    first = dict(zip(table.header, table.rows[0], strict=True))
    q1 = expected[0]
    assert first["Quarter"] == "Q1 FY 2027-28"
    assert first["Imported (%)"] == q1.share_pct["imported"]
    assert first["Imported (t of magnet)"] == q1.magnet_tonnes["imported"]
    assert first["Magnets, all sources (t)"] == q1.total_magnet_tonnes
    assert first["NdPr oxide declared (t)"] == q1.total_oxide_tonnes
    imports = tables.tables(monitor)["feedstock-imports"]
    assert [r for r in imports.rows if r[0] == "Q1 FY 2027-28"] == [
        ["Q1 FY 2027-28", country, tonnes] for country, tonnes in q1.imported_by_country.items()
    ]
    assert {"CN", "JP"} <= set(q1.imported_by_country)


def test_the_officials_page_draws_the_chart_beside_its_tables(three_firms_in_q1, client, at_moment):
    client.force_login(three_firms_in_q1.official)
    page = client.get(reverse("monitor")).content.decode()
    section = _section(page)
    assert 'id="chart-feedstock"' in section and 'id="chart-feedstock-data"' in section
    assert 'id="table-feedstock"' in section and 'id="table-feedstock-imports"' in section
    assert '<th scope="row">Q3 FY 2027-28</th>' in section  # one firm's quarter: officials see it
    assert reverse("monitor_csv", args=["feedstock-imports"]) in section


def test_the_public_page_leaves_out_quarters_of_fewer_than_three_firms(
    three_firms_in_q1, client, at_moment
):
    public = selectors.public_monitor(as_of=AS_OF)
    assert [q.label for q in public.feedstock] == ["Q1 FY 2027-28"]
    assert public.feedstock == feedstock.source_shares_by_quarter(min_awards=3)

    section = _section(client.get(reverse("monitor_public")).content.decode())
    assert '<th scope="row">Q1 FY 2027-28</th>' in section
    assert "Q2 FY 2027-28" not in section and "Q3 FY 2027-28" not in section
    assert "fewer than 3 beneficiaries are left out, as for the sales" in section
    assert 'id="table-feedstock-imports"' not in section  # imports by country: officials only
    assert client.get(reverse("monitor_public_csv", args=["feedstock-imports"])).status_code == 404

    rows = _csv(client.get(reverse("monitor_public_csv", args=["feedstock"])))
    assert [r[0] for r in rows[2:]] == ["Q1 FY 2027-28"]


def test_one_firms_quarters_are_not_public_at_all(scheme, client, at_moment):
    assert selectors.official_monitor(scheme.official, as_of=AS_OF).feedstock  # officials see them
    assert selectors.public_monitor(as_of=AS_OF).feedstock == []
    section = _section(client.get(reverse("monitor_public")).content.decode())
    assert "FY 2027-28" not in section and 'id="chart-feedstock"' not in section


def test_the_csv_is_the_table(three_firms_in_q1, client, at_moment):
    client.force_login(three_firms_in_q1.official)
    monitor = selectors.official_monitor(three_firms_in_q1.official)
    for slug in ("feedstock", "feedstock-imports"):
        table = tables.tables(monitor)[slug]
        rows = _csv(client.get(reverse("monitor_csv", args=[slug])))
        assert rows[0] == table.header
        assert rows[1][0].startswith(f"# {table.caption}.")
        assert rows[2:] == [[str(v) for v in row] for row in table.rows]
        assert len(rows) > 2


def test_the_pdf_draws_the_feedstock_chart_with_its_legend(three_firms_in_q1, client, at_moment):
    client.force_login(three_firms_in_q1.official)
    response = client.get(reverse("monitor_summary_pdf", args=["2027-28"]))
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Magnets by NdPr oxide source in FY 2027-28" in text
    # The legend's own text is drawn: the table heads say only "IREL" and "% of magnets" is the axis.
    assert "IREL (India) Ltd" in text and "% of magnets" in text
    q1 = feedstock.source_shares_by_quarter(min_awards=1)[0]
    assert f"{q1.share_pct['imported']} %" in text
