"""The disbursement register holds what the ledger holds, for each filter; it states what it is."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest

from incentives import ledger
from incentives.models import EntryKind, LedgerEntry, Pool
from incentives.oversight import sheets

pytestmark = pytest.mark.django_db
TODAY = dt.date(2029, 7, 15)


def _parse(response) -> tuple[list[list[str]], list[dict[str, str]]]:
    """The statement lines (before the blank line) and the rows as dicts."""
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    blank = lines.index([])
    header, *rows = lines[blank + 1 :]
    return lines[:blank], [dict(zip(header, row, strict=True)) for row in rows]


def _money(rows, column) -> Decimal:
    return sum((Decimal(r[column]) for r in rows), Decimal("0.00"))


def _entries(**filters):
    return LedgerEntry.objects.filter(**filters)


@pytest.mark.parametrize(
    "which",
    ["everything", "fy 2028-29", "fy 2029-30", "pool sli", "pool capital", "award a", "award b",
     "kind ov_sli", "fy 2029-30 + pool sli"],
)  # fmt: skip
def test_the_register_sums_to_the_ledger_for_each_filter(client, users, book, which):
    params, scope = {
        "everything": ({}, {}),
        "fy 2028-29": ({"financial_year": "2028-29"}, {"letter__financial_year": "2028-29"}),
        "fy 2029-30": ({"financial_year": "2029-30"}, {"letter__financial_year": "2029-30"}),
        "pool sli": ({"pool": "sli"}, {"pool": Pool.SLI}),
        "pool capital": ({"pool": "capital_subsidy"}, {"pool": Pool.CAPITAL_SUBSIDY}),
        "award a": ({"award": book.award_a.pk}, {"award": book.award_a}),
        "award b": ({"award": book.award_b.pk}, {"award": book.award_b}),
        "kind ov_sli": ({"kind": "ov_sli"}, {"claim_type": "ov_sli"}),
        "fy 2029-30 + pool sli": (
            {"financial_year": "2029-30", "pool": "sli"},
            {"letter__financial_year": "2029-30", "pool": Pool.SLI},
        ),
    }[which]
    client.force_login(users["auditor"])
    response = client.get("/oversight/register.csv", params)
    assert response.status_code == 200 and response.streaming
    _, rows = _parse(response)
    balances = ledger.balances_of(_entries(**scope))
    # every sanction entry names its letter, so the ledger's sums are the register's
    assert _money(rows, "ledger_sanctioned") == balances.sanctioned
    assert _money(rows, "paid") == balances.paid
    assert _money(rows, "ledger_netted") == balances.netted
    assert _money(rows, "ledger_sanctioned") - _money(rows, "paid") == balances.pending
    # and the pending of the letters in force is the ledger's pending (the superseded has none)
    assert _money(rows, "pending") == balances.pending
    assert (
        sum(int(r["payment_count"]) for r in rows)
        == _entries(kind=EntryKind.PAYMENT, **scope).count()
    )


def test_the_filtered_register_has_only_what_was_asked(client, users, book):
    client.force_login(users["official"])
    _, rows = _parse(client.get("/oversight/register.csv", {"financial_year": "2029-30"}))
    assert {r["letter_number"] for r in rows} == {
        book.letters[k].number for k in ("b_cs", "b_sli", "b_sli_fix")
    }
    assert ledger.balance("sanction", pool="sli", award=book.award_b) == Decimal("25000000.00")


def test_a_row_carries_its_letter_payments_corrections_and_service_level(users, book):
    sheet = sheets.build("register", users["auditor"], {}, TODAY)
    rows = {row[0]: dict(zip(sheet.columns, row, strict=True)) for row in sheet.rows()}
    paid = rows[book.letters["a_cs"].number]
    assert (paid["payment_count"], paid["paid"], paid["pending"]) == (2, Decimal("100000000.00"), 0)
    assert paid["utrs"] == "SBIN228245000001 SBIN228245000002"
    assert (paid["state"], paid["last_paid_on"], paid["settled_on"]) == (
        "paid", dt.date(2028, 11, 10), dt.date(2028, 11, 10),
    )  # fmt: skip
    # sanctioned 1 Sep 2028, paid in full 10 Nov 2028: 70 days against a 30-day service level
    assert (paid["days"], paid["service_level_days"], paid["days_left"]) == (70, 30, -40)
    part = rows[book.letters["b_cs"].number]
    assert (part["state"], part["pending"], part["days"]) == ("overdue", Decimal("40000000.00"), 74)
    old, new = rows[book.letters["b_sli"].number], rows[book.letters["b_sli_fix"].number]
    assert (old["reversed_by"], old["state"], old["pending"]) == (
        new["letter_number"],
        "superseded",
        0,
    )
    assert (new["reverses"], new["sanctioned"], new["ledger_sanctioned"]) == (
        old["letter_number"], Decimal("25000000.00"), Decimal("5000000.00"),
    )  # fmt: skip


def test_the_csv_begins_by_saying_when_by_whom_and_under_which_filters(client, users, book):
    client.force_login(users["auditor"])
    lines, rows = _parse(client.get("/oversight/register.csv", {"pool": "sli"}))
    statement = {line[0]: line[1] for line in lines}
    assert lines[0] == ["REPM Portal", "Disbursement register"]
    assert statement["Produced by"] == "the_auditor (Auditor)"
    assert statement["Filters"] == "Pool: Sales-linked incentive"
    assert statement["Rows"] == str(len(rows)) == "3"
    assert dt.datetime.fromisoformat(statement["Produced at"]).tzinfo is not None


def test_text_a_spreadsheet_would_run_is_neutralised(client, users, book):
    client.force_login(users["auditor"])
    _, rows = _parse(client.get("/oversight/register.csv", {"award": book.award_b.pk}))
    assert {r["firm"] for r in rows} == {'\'=HYPERLINK("x")'}
    _, working = _parse(client.get("/oversight/working.csv", {"award": book.award_b.pk}))
    notes = {r["note"] for r in working if r["section"] == "step"}
    assert notes == {"'=1+1 as a note"}


def test_a_bad_filter_is_refused_with_its_reason(client, users, book):
    client.force_login(users["auditor"])
    response = client.get("/oversight/register.csv", {"financial_year": "1999-00"})
    assert response.status_code == 400
    assert "financial_year" in response.content.decode() and "1999-00" in response.content.decode()
