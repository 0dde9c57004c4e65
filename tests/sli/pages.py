"""Builders and readers for the SLI pages' tests: a firm's books, and the figures a page shows."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from html.parser import HTMLParser

from bidding.models import Award
from incentives import services as money_services
from incentives.claims.models import Claim
from incentives.models import SanctionLetter
from tests.claims.sales import IST, sales_award
from tests.sli.money import Q1, Q2, S, after, penalty, quarter_claim, sanction, walk

# The pages read the real clock: set after the test quarters' claims and letters.
NOW = dt.datetime(2027, 11, 1, 11, 0, tzinfo=IST)
PENALTY = Decimal("100000.00")
PAID = Decimal("500000.00")


@dataclass(frozen=True)
class Books:
    award: Award  # firm A's
    q1: Claim  # sanctioned, a penalty netted, part paid
    letter: SanctionLetter
    q2: Claim  # verified: a preview
    other: Award  # firm B's
    theirs: Claim  # firm B's Q2, verified


def firm_user(award: Award):
    return award.bid.firm.users.first()


def books(award: Award, users) -> Books:
    penalty(award, PENALTY, now=after(Q1[1], 5))
    q1 = quarter_claim(award, Q1)
    letter = sanction(q1, users["approver"], now=after(Q1[1], 20), render=True)
    assert letter is not None
    money_services.record_payment(
        actor=users["official"], letter=letter, amount=PAID, paid_on=letter.dated,
        utr="SBIN0000000000101", now=after(Q1[1], 25),
    )  # fmt: skip
    q2 = quarter_claim(award, Q2)
    walk(q2, S.VERIFIED, now=after(Q2[1], 12))
    other = sales_award()
    theirs = quarter_claim(other, Q2)
    walk(theirs, S.VERIFIED, now=after(Q2[1], 12))
    return Books(award=award, q1=q1, letter=letter, q2=q2, other=other, theirs=theirs)


class _Rows(HTMLParser):
    """Every table row: its attributes and the text of its cells."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[dict[str, str], list[str], list[dict[str, str]]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append(({k: v or "" for k, v in attrs}, [], []))
        elif tag in ("td", "th") and self.rows:
            self._cell = []
            self.rows[-1][2].append({k: v or "" for k, v in attrs})

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self.rows:
            self.rows[-1][1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def rows(html: str, attribute: str) -> list[tuple[dict[str, str], list[str], list[dict[str, str]]]]:
    """The rows carrying `attribute` (e.g. data-claim), each as (attributes, cell texts, cell attributes)."""
    parser = _Rows()
    parser.feed(html)
    return [row for row in parser.rows if attribute in row[0]]


def figures(html: str) -> dict[str, list[str]]:
    """Every `data-figure` element's text, by name (a page of several awards has several)."""
    found: dict[str, list[str]] = {}
    for name, text in re.findall(r'data-figure="([a-z_]+)">([^<]*)<', html):
        found.setdefault(name, []).append(" ".join(text.split()))
    return found


def json_script(html: str, element_id: str) -> dict:
    match = re.search(
        rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.DOTALL
    )
    assert match, f"no JSON element #{element_id}"
    return json.loads(match[1])


def rupees(shown: str) -> Decimal:
    """Rs 1,23,45,678.00 back to a Decimal (the shown form must be the Indian one)."""
    shown = shown.split(" (")[0]
    assert re.fullmatch(r"-?Rs (?:\d{1,2},(?:\d{2},)*\d{3}|\d{1,3})\.\d{2}", shown), shown
    return Decimal(shown.replace("Rs ", "").replace(",", ""))
