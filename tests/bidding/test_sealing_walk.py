"""Before the financial opening no response of the project reveals a quoted rate, to anyone.

The walk iterates the project's URL resolver (pages, API, admin), fills each path parameter with
the ids of real objects, and GETs every URL as every kind of user: anonymous, each staff role,
a superuser, committee members, each bidder and a consortium member. Bodies are read whole:
HTML and JSON as text, PDFs through their text layer, XLSX through their XML. The same goes for
log lines, audit rows and e-mails. A control run after the financial opening proves the detector
sees the rates once they are meant to be seen.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import re
import zipfile

import pytest
import time_machine
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.utils import timezone
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from beneficiaries.models import Consortium, Firm, User
from bidding import services
from bidding.models import (
    Award,
    Bid,
    BidDocument,
    BidVersion,
    OpenedCover,
    PreBidQuery,
    Stage,
    TechnicalEvaluation,
    Tender,
    TenderDocument,
)
from repm_portal.models import AuditEvent
from tests.bidding import builders
from tests.bidding.builders import make_bidder, make_consortium, submit

pytestmark = pytest.mark.django_db

# Rates of the sealed tender, with the forms a page might print them in.
SEALED_RATES = ("1987.43", "2043.17", "1876.59", "2011.11", "1933.33")
WITHDRAWN_RATE = "1799.37"
SUPERSEDED_RATE = "2101.73"


def _forms(rate: str) -> list[str]:
    """As typed and as grouped the Indian way (1987.43, 1,987.43); longer forms contain these."""
    whole, paise = rate.split(".")
    return [rate, f"{whole[:-3]},{whole[-3:]}.{paise}"]


FORBIDDEN = sorted(
    {form for rate in (*SEALED_RATES, WITHDRAWN_RATE, SUPERSEDED_RATE) for form in _forms(rate)}
)


# The resolver walk

_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>")


def url_patterns() -> list[str]:
    """Every endpoint of the project as one anchored regex string, includes flattened."""

    def strip(fragment: str) -> str:
        fragment = fragment.removeprefix("^")
        for tail in ("\\Z", "$"):
            fragment = fragment.removesuffix(tail)
        return fragment

    def walk(patterns, prefix: str):
        for entry in patterns:
            fragment = strip(entry.pattern.regex.pattern)
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + fragment)
            elif isinstance(entry, URLPattern):
                yield prefix + fragment

    return sorted(set(walk(get_resolver().url_patterns, "")))


def _fill(pattern: str, values: dict[str, str]) -> str:
    """Replace each named group (however nested its own pattern) by a value; drop regex syntax."""
    out, i = [], 0
    while i < len(pattern):
        match = _GROUP.match(pattern, i)
        if match:
            depth, j = 1, match.end()
            while depth:
                if pattern[j] == "\\":
                    j += 2
                    continue
                depth += {"(": 1, ")": -1}.get(pattern[j], 0)
                j += 1
            out.append(values[match["name"]])
            i = j
            continue
        char = pattern[i]
        if char == "\\":
            out.append(pattern[i + 1])
            i += 2
        elif char == "?" and out and out[-1] == "/":
            i += 1  # an optional trailing slash: keep it
        elif char in "^$":
            i += 1
        else:
            out.append(char)
            i += 1
    return "".join(out)


# Which objects fill `pk` (and `document_id`) depends on the route: the ids of its own model.
PK_MODELS = {
    "api/tenders/": lambda: Tender.objects.values_list("pk", flat=True),
    "api/bids/": lambda: Bid.objects.values_list("pk", flat=True),
    "api/receipts/": lambda: BidVersion.objects.values_list("pk", flat=True),
    "api/awards/": lambda: Award.objects.values_list("pk", flat=True),
    "api/firms/": lambda: Firm.objects.values_list("pk", flat=True),
    "api/consortia/": lambda: Consortium.objects.values_list("pk", flat=True),
    "api/audit-events/": lambda: AuditEvent.objects.order_by("-id").values_list("pk", flat=True)[
        :10
    ],
}


def candidate_values(name: str, pattern: str) -> list[str]:
    ids = {
        "tender_id": lambda: Tender.objects.values_list("pk", flat=True),
        "bid_id": lambda: Bid.objects.values_list("pk", flat=True),
        "version_id": lambda: BidVersion.objects.values_list("pk", flat=True),
        "query_id": lambda: PreBidQuery.objects.values_list("pk", flat=True),
        "evaluation_id": lambda: TechnicalEvaluation.objects.values_list("pk", flat=True),
        "award_id": lambda: Award.objects.values_list("pk", flat=True),
        "firm_id": lambda: Firm.objects.values_list("pk", flat=True),
        "version": lambda: ["1"],
        "other": lambda: ["1"],
        "format": lambda: ["json"],  # the browsable API (text/html) is sampled separately
        "app_label": lambda: sorted({m._meta.app_label for m in admin.site._registry}),
        "object_id": lambda: [
            *User.objects.values_list("pk", flat=True)[:3],
            *Group.objects.values_list("pk", flat=True),
        ],
        "content_type_id": lambda: ["1"],
        "url": lambda: ["no-such-page/"],
    }
    if name == "document_id":
        model = TenderDocument if pattern.startswith("tenders/") else BidDocument
        return [str(v) for v in model.objects.values_list("pk", flat=True)]
    if name == "pk":
        for prefix, values in PK_MODELS.items():
            if pattern.startswith(prefix):
                return [str(v) for v in values()]
        return ["1"]
    return [str(v) for v in ids.get(name, lambda: ["1"])()]


def _document_pairs(pattern: str) -> list[tuple[str, str]]:
    """A child and its own parent, plus one child under another parent (for scoping)."""
    model, parent = (
        (TenderDocument, "tender_id") if pattern.startswith("tenders/") else (BidDocument, "bid_id")
    )
    pairs = [(str(p), str(c)) for p, c in model.objects.values_list(parent, "pk").order_by("pk")]
    if len(pairs) > 1:
        pairs.append((pairs[0][0], pairs[-1][1]))
    return pairs


def concrete_urls() -> tuple[list[str], list[str]]:
    """(paths that resolve, patterns that produced none), filled with the ids of real objects."""
    import itertools

    paths, barren = set(), []
    for pattern in url_patterns():
        names = list(dict.fromkeys(_GROUP.findall(pattern)))
        if "document_id" in names:
            combos = [dict(zip(names, pair, strict=True)) for pair in _document_pairs(pattern)]
        else:
            choices = [candidate_values(n, pattern) for n in names]
            combos = [dict(zip(names, combo, strict=True)) for combo in itertools.product(*choices)]
        produced = False
        for values in combos:
            path = "/" + _fill(pattern, values)
            try:
                resolve(path)
            except Resolver404:
                continue
            paths.add(path)
            produced = True
        if not produced:
            barren.append(pattern)
    return sorted(paths), barren


def body_text(response) -> str:
    if getattr(response, "streaming", False):
        raw = b"".join(response.streaming_content)
    else:
        raw = response.content
    content_type = response.get("Content-Type", "")
    if raw.startswith(b"%PDF"):
        try:
            return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(raw)).pages)
        except PdfReadError:  # an uploaded stand-in, not a real PDF: read its bytes
            return raw.decode("latin-1")
    if raw.startswith(b"PK\x03\x04") or "spreadsheet" in content_type:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            return "\n".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
    return (
        raw.decode("utf-8", "replace") + "\n" + "\n".join(f"{k}: {v}" for k, v in response.items())
    )


def leaks(text: str) -> list[str]:
    return [form for form in FORBIDDEN if form in text]


# The scenario


class Scenario:
    """A sealed tender with every kind of bid, a draft, and an awarded tender beside them."""

    def __init__(self, staff: builders.Staff) -> None:
        self.staff = staff
        real_now = timezone.now()
        self.start = real_now - dt.timedelta(days=1)
        self.timeline = builders.timeline(self.start)
        self.tender = builders.make_tender(staff, reference="SEALED/2026/01", now=self.start)
        services.ask_query(
            actor=make_bidder(),
            tender=self.tender,
            question="Is the DPR format fixed?",
            now=real_now,
        )
        self.bidders = [make_bidder(f"Sealed Bidder {n} Limited") for n in range(5)]
        self.partner = make_bidder("Sealed Partner K.K.")
        consortium = make_consortium(self.bidders[0], self.partner.firm)
        submit(
            self.bidders[0],
            self.tender,
            rate=SEALED_RATES[0],
            capacity=1200,
            consortium=consortium,
            now=real_now,
        )
        submit(self.bidders[1], self.tender, rate=SUPERSEDED_RATE, capacity=1000, now=real_now)
        submit(
            self.bidders[1],
            self.tender,
            rate=SEALED_RATES[1],
            capacity=1000,
            partial=True,
            now=real_now,
        )
        submit(self.bidders[2], self.tender, rate=SEALED_RATES[2], capacity=800, now=real_now)
        submit(
            self.bidders[3],
            self.tender,
            rate=SEALED_RATES[3],
            capacity=600,
            net_worth_crore=200,
            now=real_now,
        )
        withdrawn = submit(
            self.bidders[4], self.tender, rate=WITHDRAWN_RATE, capacity=700, now=real_now
        )
        services.withdraw_bid(actor=self.bidders[4], bid=withdrawn.bid, now=real_now)
        self.draft = builders.make_tender(
            staff, reference="DRAFT/2026/02", publish=False, now=self.start
        )
        self._awarded_tender_beside()

    def _awarded_tender_beside(self) -> None:
        """A finished tender (rates public), so award, letter and PBG pages are walked too."""
        past = builders.make_tender(self.staff, reference="DONE/2025/01")
        winner = make_bidder("Done Winner Limited")
        submit(winner, past, rate="1850.00", capacity=1200)
        submit(make_bidder("Done Second Limited"), past, rate="1900.00", capacity=1000)
        builders.run_to_financial(past, self.staff)
        award = services.award_tender(
            actor=self.staff.official, tender=past, now=builders.FIN_TIME
        )[0]
        services.render_award_letter(letter_id=award.letter.pk)
        services.record_pbg(
            actor=winner, award=award, amount=award.pbg_amount_required, bank_name="Canara Bank",
            guarantee_number="CB-77", issued_on=builders.FIN_TIME.date(),
            valid_until=award.pbg_valid_until_required, now=builders.FIN_TIME,
        )  # fmt: skip

    def open_technical_and_evaluate(self) -> None:
        tl = self.timeline
        builders.open_stage(self.tender, self.staff, Stage.TECHNICAL, tl["technical_opening_at"])
        bids = list(self.tender.bids.filter(status=Bid.Status.SUBMITTED).order_by("pk"))
        builders.evaluate(
            self.tender,
            self.staff,
            fail={bids[-1].pk: "Net worth certificate unsigned."},
            now=tl["technical_opening_at"],
        )
        assert self.tender.status == Tender.Status.TECHNICAL_EVALUATED

    def clients(self) -> dict[str, Client]:
        people = {
            "anonymous": None,
            **{
                u.username: u
                for u in (
                    self.staff.official,
                    self.staff.official2,
                    self.staff.evaluator,
                    self.staff.evaluator2,
                    self.staff.approver,
                    self.staff.auditor,
                    self.staff.admin,
                )
            },
            **{f"bidder{n}": u for n, u in enumerate(self.bidders)},
            "partner": self.partner,
        }
        clients = {}
        for label, user in people.items():
            client = Client(raise_request_exception=False)
            if user is not None:
                client.force_login(user)
            clients[label] = client
        return clients


# Before the due date the bidders' and the second members' views are their peers': one of each
# kind walks then; after the technical opening, when more is shown, every person walks.
BEFORE_DUE = {
    "anonymous",
    "t_official",
    "t_evaluator",
    "t_approver",
    "t_auditor",
    "t_admin",
    "bidder0",
    "bidder1",
    "bidder4",
    "partner",
}


def walk(scenario: Scenario, only: set[str] | None = None) -> dict[str, object]:
    paths, barren = concrete_urls()
    extra = [
        f"/tenders/{scenario.tender.pk}/statement/?sort=rate",
        f"/tenders/{scenario.tender.pk}/statement/?sort=-rate",
        f"/public/tenders/{scenario.tender.pk}/?commitment={BidVersion.objects.filter(bid__tender=scenario.tender).first().commitment}",
        f"/api/bids/?tender={scenario.tender.pk}",
        "/api/audit-events/?object_type=bidding.bid",
        "/audit/export.csv",
    ]
    found: dict[str, list[str]] = {}
    statuses: dict[int, int] = {}
    server_errors = []
    clients = scenario.clients()
    assert only is None or only <= set(clients), only - set(clients)
    for label, client in clients.items():
        if only is not None and label not in only:
            continue
        for path in [*paths, *extra]:
            response = client.get(path)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            if response.status_code >= 500:
                server_errors.append(f"{label} GET {path} -> {response.status_code}")
            hits = leaks(body_text(response))
            if hits:
                found.setdefault(f"{label} GET {path}", hits)
        browsable = [
            f"/api/tenders/{scenario.tender.pk}/",
            "/api/bids/",
            f"/api/receipts/{BidVersion.objects.filter(bid__tender=scenario.tender).first().pk}/",
        ]
        for path in (*browsable, f"/tenders/{scenario.tender.pk}/statement/"):
            response = client.get(path, HTTP_ACCEPT="text/html", HTTP_HX_REQUEST="true")
            if leaks(body_text(response)):
                found.setdefault(f"{label} GET {path} (html, htmx)", leaks(body_text(response)))
    return {
        "paths": paths,
        "barren": barren,
        "found": found,
        "statuses": statuses,
        "server_errors": server_errors,
    }


def side_channels() -> list[str]:
    audit = json.dumps(
        list(AuditEvent.objects.values("action", "object_repr", "old_values", "new_values"))
    )
    mails = "\n".join(f"{m.subject}\n{m.body}" for m in mail.outbox)
    return [f"audit: {f}" for f in leaks(audit)] + [f"mail: {f}" for f in leaks(mails)]


@pytest.fixture
def scenario(staff):
    return Scenario(staff)


def test_the_resolver_walk_reaches_every_bidding_route(scenario):
    paths, barren = concrete_urls()
    # Every bidding page and API route was filled with real ids and resolved
    from bidding import api_urls, urls

    named = {p.name for p in urls.urlpatterns} | {p.name for p in api_urls.urlpatterns}
    reached = {resolve(p.split("?")[0]).url_name for p in paths}
    assert named - reached == set()
    # The only patterns without a concrete URL are ones whose parameters no object fills
    assert all("bidding" not in b and "tenders" not in b and "bids" not in b for b in barren), (
        barren
    )
    assert len(paths) > 150


def test_no_response_reveals_a_quoted_rate_before_the_financial_opening(scenario, caplog):
    caplog.set_level(logging.INFO)

    # Given bids sealed and still open for modification (by the real clock): walk everything
    before_due = walk(scenario, only=BEFORE_DUE)
    assert before_due["server_errors"] == []
    assert before_due["found"] == {}

    # When the bids fall due, the technical covers open and the evaluation is approved
    with time_machine.travel(
        scenario.timeline["technical_opening_at"] + dt.timedelta(hours=2), tick=True
    ):
        scenario.open_technical_and_evaluate()
        after_technical = walk(scenario)

    # Then still nothing shows a rate, anywhere: pages, API, admin, exports, PDFs, logs, audit, mail
    assert after_technical["server_errors"] == []
    assert after_technical["found"] == {}
    assert leaks(caplog.text) == []
    assert side_channels() == []
    assert not OpenedCover.objects.filter(
        opening__tender=scenario.tender, quoted_rate__isnull=False
    ).exists()
    # and the walk really was broad: pages and API for every kind of user, successes included
    assert after_technical["statuses"].get(200, 0) > 300


def test_the_detector_sees_the_rates_once_the_financial_covers_are_open(scenario):
    # Control: the same walk, after the financial opening, must find the (now public) rates
    with time_machine.travel(
        scenario.timeline["financial_opening_at"] + dt.timedelta(hours=2), tick=True
    ):
        scenario.open_technical_and_evaluate()
        builders.open_stage(
            scenario.tender,
            scenario.staff,
            Stage.FINANCIAL,
            scenario.timeline["financial_opening_at"],
        )
        official = Client()
        official.force_login(scenario.staff.official)
        statement = body_text(official.get(f"/tenders/{scenario.tender.pk}/statement/"))
        xlsx = body_text(official.get(f"/tenders/{scenario.tender.pk}/statement.xlsx"))
        public = body_text(Client().get(f"/public/tenders/{scenario.tender.pk}/"))
    assert "1,987.43" in statement
    assert "1987.43" in xlsx
    assert "1,987.43" in public
    # the withdrawn and superseded covers are never opened, so their rates stay sealed
    assert WITHDRAWN_RATE not in public and SUPERSEDED_RATE not in public
