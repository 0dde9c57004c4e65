"""Public datasets: anonymous CSVs at stable URLs whose sums match the ledger, with nothing confidential."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from bidding.models import Award
from incentives import ledger
from incentives.models import Pool
from incentives.opendata import datasets
from tests.claims import workflow
from tests.claims.sales import sales_award
from tests.factories import BankAccountFactory
from tests.opendata.story import RATES, Story

pytestmark = pytest.mark.django_db


def _csv(client: Client, slug: str) -> tuple[str, list[dict[str, str]]]:
    response = client.get(f"/open-data/{slug}.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return text, list(csv.DictReader(io.StringIO(text)))


def _total(rows: list[dict[str, str]], column: str) -> Decimal:
    return sum((Decimal(r[column]) for r in rows if r[column]), Decimal("0"))


def test_the_datasets_match_the_ledger_and_show_nothing_confidential(
    staff, grants, capital_grants, users
):
    story = Story(staff, grants, users)
    story.publish()
    story.bid_and_open()
    story.evaluate_and_rank()
    story.award()
    story.issue_letters()
    story.verify_a_milestone()
    sli = story.pay("25000000.00", "SBIN226161000001", sanctioned="40000000.00")
    capital = story.pay("10000000.00", "HDFC226161000002", grants=capital_grants)
    bank = BankAccountFactory(firm=story.first_award.bid.firm)
    client = Client()  # anonymous

    index = client.get("/open-data/")
    assert index.status_code == 200
    page = index.content.decode()
    for dataset in datasets.DATASETS.values():
        assert f"/open-data/{dataset.slug}.csv" in page
        assert all(f"<code>{c.name}</code>" in page for c in dataset.columns), dataset.slug

    texts = {}
    text, rows = _csv(client, "incentives-by-quarter")
    texts["incentives"] = text
    sli_position = ledger.balances(pool=Pool.SLI)
    capital_position = ledger.balances(pool=Pool.CAPITAL_SUBSIDY)
    assert _total(rows, "sli_sanctioned_rs") == sli_position.sanctioned == Decimal("40000000.00")
    assert _total(rows, "sli_paid_rs") == sli_position.paid == sli.amount
    assert _total(rows, "capital_subsidy_sanctioned_rs") == capital_position.sanctioned
    assert _total(rows, "capital_subsidy_paid_rs") == capital_position.paid == capital.amount
    [june] = [r for r in rows if r["sli_paid_rs"] != "0.00"]
    assert june["quarter"] == "Q1 FY 2026-27" and june["quarter_start"] == "2026-04-01"

    text, rows = _csv(client, "capacity-by-quarter")
    texts["capacity"] = text
    awarded = sum(a.allocated_mtpa for a in Award.objects.all())
    assert int(rows[-1]["capacity_awarded_cumulative_mtpa"]) == awarded == 2000
    assert sum(int(r["capacity_awarded_mtpa"]) for r in rows) == awarded
    assert rows[-1]["target_mtpa"] == "6000"

    texts["sales"], _ = _csv(client, "sales-by-quarter")
    texts["index"] = page
    secrets = [sli.utr, capital.utr, bank.account_number, bank.ifsc, *RATES]
    for name, text in texts.items():
        for secret in secrets:
            assert secret not in text, (name, secret)


def test_a_quarter_of_sales_is_published_only_when_three_firms_make_it_up(rules):
    client = Client()
    # The claims are of Q1 FY 2027-28: read the datasets as of the quarter after.
    traveller = time_machine.travel(dt.datetime(2027, 10, 1, 12, 0, tzinfo=dt.UTC), tick=False)
    traveller.start()
    try:
        _three_firms(client)
    finally:
        traveller.stop()


def _three_firms(client: Client) -> None:
    awards = [sales_award() for _ in range(3)]
    for award in awards[:2]:
        workflow.verified(award, award.bid.firm.users.get())
    text, rows = _csv(client, "sales-by-quarter")
    [q1] = [r for r in rows if r["firms_reporting"] != "0"]
    assert (q1["quarter"], q1["firms_reporting"]) == ("Q1 FY 2027-28", "2")
    assert q1["eligible_sales_kg"] == "" and q1["net_sales_value_rs"] == ""
    assert "INV/" not in text  # never an invoice line

    workflow.verified(awards[2], awards[2].bid.firm.users.get())
    _, rows = _csv(client, "sales-by-quarter")
    [q1] = [r for r in rows if r["firms_reporting"] != "0"]
    assert q1["firms_reporting"] == "3"
    assert Decimal(q1["eligible_sales_kg"]) == 3 * Decimal(workflow.FILED_KG)
    assert Decimal(q1["net_sales_value_rs"]) == 3 * Decimal(workflow.FILED_VALUE)


def test_an_unknown_dataset_is_not_found():
    assert Client().get("/open-data/bank-accounts.csv").status_code == 404
