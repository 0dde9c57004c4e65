"""The SLI pages per role: a firm sees its own awards and workings, staff the queue, pool and true-ups."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from incentives import ledger
from incentives.models import Pool
from incentives.sli import preview, selectors, services
from incentives.sli.models import PreviewRun, SliComputation, TrueUp
from incentives.sli.tasks import preview_quarter
from repm_portal.models import Job
from repm_portal.roles import READ_ALL_ROLES, Role
from tests.claims.sales import sales_award
from tests.factories import UserFactory
from tests.sli.money import Q1, Q2, RELEASE, S, after, quarter_claim, sanction, walk
from tests.sli.pages import (
    NOW,
    PAID,
    PENALTY,
    books,
    figures,
    firm_user,
    json_script,
    rows,
    rupees,
)

pytestmark = pytest.mark.django_db
QUARTER = Q2[1].isoformat()  # the quarter ending 30 Sep 2027
YEAR_CLOSED = dt.datetime(2028, 7, 15, 11, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def clock(time_machine):
    """Pages read the real clock: set it after the test quarters."""
    time_machine.move_to(NOW)


@pytest.fixture
def booked(award, users):
    return books(award, users)


# --- the firm's page ---------------------------------------------------------------------------


def test_the_firm_page_shows_its_award_against_its_cap_and_the_ledger(client, booked):
    # given firm A's Q1 sanctioned (a penalty netted, part paid) and Q2 verified; firm B's Q2 verified
    client.force_login(firm_user(booked.award))
    # when it opens its SLI page
    response = client.get(reverse("sli_home"))
    assert response.status_code == 200
    html = response.content.decode()
    # then the cap is r x C x 1000 x 5, as the claim kind computes it, the Indian way
    cap = selectors.award_cap(booked.award, booked.award.rule_set)
    assert cap == Decimal("12900000000.00")
    shown = figures(html)
    assert shown["cap"] == ["Rs 12,90,00,00,000.00"]
    # and each figure is the SLI pool's ledger balance of the award
    balances = ledger.balances(award=booked.award, pool=Pool.SLI)
    assert (balances.sanctioned, balances.paid, balances.netted) == (RELEASE, PAID, PENALTY)
    assert rupees(shown["sanctioned"][0]) == balances.sanctioned
    assert rupees(shown["paid"][0]) == balances.paid
    assert rupees(shown["netted"][0]) == balances.netted
    assert rupees(shown["pending"][0]) == balances.pending == RELEASE - PENALTY - PAID
    assert rupees(shown["deductions"][0]) == balances.deductions == 0
    assert rupees(shown["cap_left"][0]) == cap - balances.sanctioned
    # and the claims' rows sum to the ledger: sanctioned, deducted, paid
    claims = {
        int(attrs["data-claim"]): (attrs, cells) for attrs, cells, _ in rows(html, "data-claim")
    }
    assert set(claims) == {booked.q1.pk, booked.q2.pk}
    letters = [cells for attrs, cells in claims.values() if attrs["data-source"] == "letter"]
    assert sum(rupees(cells[2]) for cells in letters) == balances.sanctioned
    assert sum(rupees(cells[3]) for cells in letters) == balances.netted
    assert sum(rupees(cells[5]) for cells in letters) == balances.paid
    q1_cells = claims[booked.q1.pk][1]
    assert q1_cells[1] == "Sanctioned"
    assert q1_cells[2:6] == ["Rs 8,54,250.00", "Rs 1,00,000.00", "Rs 7,54,250.00", "Rs 5,00,000.00"]
    assert booked.letter.number in q1_cells[6]
    # and the verified Q2 shows what it would receive now, marked as a preview
    attrs, q2_cells = claims[booked.q2.pk]
    assert attrs["data-source"] == "preview"
    now = preview.preview(booked.q2)
    assert rupees(q2_cells[2]) == Decimal(now["release"])
    assert rupees(q2_cells[4]) == Decimal(now["payable"])
    assert "preview" in q2_cells[6]
    # and every claim links to its working and its claim page; nothing of firm B's is shown
    for claim in (booked.q1, booked.q2):
        assert reverse("sli_claim_working", args=[claim.pk]) in html
        assert reverse("claim_detail", args=[claim.pk]) in html
    assert booked.other.bid.bidder_name not in html
    assert reverse("sli_claim_working", args=[booked.theirs.pk]) not in html


def test_staff_are_sent_from_the_firm_page_to_the_queue(client, users):
    client.force_login(users[Role.AUDITOR])
    response = client.get(reverse("sli_home"))
    assert (response.status_code, response["Location"]) == (302, reverse("sli_queue"))


# --- the working page --------------------------------------------------------------------------


def test_the_working_page_shows_every_engine_step_of_the_figure_of_record(client, booked):
    client.force_login(firm_user(booked.award))
    response = client.get(reverse("sli_claim_working", args=[booked.q1.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    record = SliComputation.objects.get(letter=booked.letter)
    steps = rows(html, "data-step")
    assert (
        [int(attrs["data-step"]) for attrs, _, _ in steps]
        == [step["step"] for step in record.working["steps"]]
        == [1, 2, 3, 4, 5, 6, 7, 8]
    )
    for (_, cells, _), step in zip(steps, record.working["steps"], strict=True):
        number, name, value, binding, note, rule, version = cells
        assert number == str(step["step"])
        assert step["name"] in name
        assert binding == ("yes" if step["binding"] else "no")
        assert note == " ".join(step["note"].split())
        assert rule == (step["rule"] or "\u2014")
        assert version == f"v{record.rule_set.version}"
        if step["name"] != "capped_kg":
            assert rupees(value) == Decimal(step["value"])
    # and the inputs it read, and the letter
    inputs = {attrs["data-input"]: cells[2] for attrs, cells, _ in rows(html, "data-input")}
    assert inputs["pending_deductions"] == record.inputs["pending_deductions"] == f"{PENALTY:f}"
    assert inputs["rules.turnover_cap_pct"] == record.inputs["rules"]["turnover_cap_pct"]
    assert booked.letter.number in html
    assert "Rs 1,00,000.00" in html  # deducted


def test_a_claim_not_yet_sanctioned_shows_the_preview_working(client, booked):
    client.force_login(firm_user(booked.award))
    html = client.get(reverse("sli_claim_working", args=[booked.q2.pk])).content.decode()
    assert "what the claim would receive if it were sanctioned now" in html
    assert len(rows(html, "data-step")) == 8
    assert "No sanction letter." in html


def test_a_firm_gets_404_for_another_firms_working(client, booked):
    client.force_login(firm_user(booked.award))
    assert client.get(reverse("sli_claim_working", args=[booked.theirs.pk])).status_code == 404
    client.force_login(firm_user(booked.other))
    assert client.get(reverse("sli_claim_working", args=[booked.q1.pk])).status_code == 404
    assert client.get(reverse("sli_claim_working", args=[booked.theirs.pk])).status_code == 200


def test_an_auditor_reads_every_working(client, users, booked):
    client.force_login(users[Role.AUDITOR])
    for claim in (booked.q1, booked.q2, booked.theirs):
        assert client.get(reverse("sli_claim_working", args=[claim.pk])).status_code == 200


# --- who may open what -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["sli_home", "sli_queue", "sli_pool", "sli_true_up_list"],
)
def test_anonymous_visitors_are_sent_to_log_in(client, booked, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and reverse("login") in response["Location"]
    working = client.get(reverse("sli_claim_working", args=[booked.q1.pk]))
    assert working.status_code == 302 and reverse("login") in working["Location"]


@pytest.mark.parametrize("role", sorted(READ_ALL_ROLES))
def test_the_read_all_roles_open_the_queue_pool_and_true_ups(client, users, booked, role):
    client.force_login(users[role])
    for name in ("sli_queue", "sli_pool", "sli_true_up_list"):
        assert client.get(reverse(name)).status_code == 200, name


def test_a_firm_may_not_open_the_queue_or_the_pool(client, booked):
    client.force_login(firm_user(booked.award))
    assert client.get(reverse("sli_queue")).status_code == 403
    assert client.get(reverse("sli_pool")).status_code == 403
    assert client.post(reverse("sli_preview_request"), {"quarter": QUARTER}).status_code == 403


# --- the quarter queue and its preview ---------------------------------------------------------


def test_the_queue_shows_what_each_verified_claim_would_receive(client, users, booked):
    client.force_login(users[Role.AUDITOR])
    html = client.get(reverse("sli_queue"), {"quarter": QUARTER}).content.decode()
    shown = {int(attrs["data-claim"]): cells for attrs, cells, _ in rows(html, "data-claim")}
    assert set(shown) == {booked.q2.pk, booked.theirs.pk}
    for claim in (booked.q2, booked.theirs):
        cells = shown[claim.pk]
        assert cells[2] == "Verified"
        assert rupees(cells[3]) == Decimal(preview.preview(claim)["release"])
    assert "2 verified" in html
    # an auditor reads the queue but does not run the preview
    assert reverse("sli_preview_request") not in html


def test_an_official_runs_the_quarter_preview_and_follows_its_job(client, users, booked):
    client.force_login(users[Role.OFFICIAL])
    page = client.get(reverse("sli_queue"), {"quarter": QUARTER}).content.decode()
    assert reverse("sli_preview_request") in page
    # when the official asks for the quarter-close preview
    response = client.post(reverse("sli_preview_request"), {"quarter": QUARTER})
    assert response.status_code == 302
    run = PreviewRun.objects.get()
    assert (run.period_end, run.requested_by) == (Q2[1], users[Role.OFFICIAL])
    job = Job.objects.get(task=PreviewRun.TASK, target=str(run.pk))
    # then the queue polls the run's job while it waits
    progress = client.get(reverse("sli_preview_progress", args=[run.pk]), HTTP_HX_REQUEST="true")
    assert progress.status_code == 200 and "HX-Refresh" not in progress
    assert 'hx-trigger="every 1s"' in progress.content.decode()
    # and once the worker has run it, the poll reloads the page, which shows the run's figures
    assert preview_quarter(run.pk) == 2
    job.refresh_from_db()
    assert job.state == Job.State.DONE
    done = client.get(reverse("sli_preview_progress", args=[run.pk]), HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true"
    html = client.get(reverse("sli_queue"), {"quarter": QUARTER}).content.decode()
    sources = {
        int(attrs["data-claim"]): attrs["data-source"] for attrs, _, _ in rows(html, "data-claim")
    }
    assert sources == {booked.q2.pk: "preview run", booked.theirs.pk: "preview run"}
    # and asking again with nothing changed shows the same run
    client.post(reverse("sli_preview_request"), {"quarter": QUARTER})
    assert PreviewRun.objects.count() == 1


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.VERIFIER, Role.EVALUATOR])
def test_only_officials_and_approvers_run_the_preview(client, users, booked, role):
    client.force_login(users[role])
    assert client.post(reverse("sli_preview_request"), {"quarter": QUARTER}).status_code == 403
    assert not PreviewRun.objects.exists()


def test_a_preview_asked_again_after_a_change_is_a_new_run(users, booked):
    first = services.request_quarter_preview(period_end=Q2[1], actor=users[Role.APPROVER])
    assert services.request_quarter_preview(period_end=Q2[1], actor=users[Role.APPROVER]) == first
    walk(booked.theirs, S.APPROVED, now=after(Q2[1], 20))  # one claim fewer waits for approval
    second = services.request_quarter_preview(period_end=Q2[1], actor=users[Role.APPROVER])
    assert second != first and PreviewRun.objects.count() == 2


# --- the pool ----------------------------------------------------------------------------------


def test_the_pool_chart_data_and_its_table_hold_the_same_numbers(client, users, booked):
    # given firm B's claim approved, its letter not yet issued
    walk(booked.theirs, S.APPROVED, now=after(Q2[1], 20))
    client.force_login(users[Role.OFFICIAL])
    html = client.get(reverse("sli_pool")).content.decode()
    # then the limit, sanctioned, committed and paid are the ledger's and the previews'
    shown = figures(html)
    balances = ledger.balances(pool=Pool.SLI)
    committed = Decimal(preview.preview(booked.theirs)["release"])
    assert rupees(shown["limit"][0]) == Decimal("64500000000.00")
    assert shown["limit"] == ["Rs 64,50,00,00,000.00"]  # Rs 6,450 crore
    assert rupees(shown["sanctioned"][0]) == balances.sanctioned == RELEASE
    assert rupees(shown["paid"][0]) == balances.paid == PAID
    assert rupees(shown["committed"][0]) == committed > 0
    assert rupees(shown["left"][0]) == Decimal("64500000000.00") - RELEASE - committed
    # and the chart's JSON and the table beside it hold the same figures, quarter by quarter
    data = json_script(html, "sli-pool-chart-data")
    table = rows(html, "data-quarter-end")
    assert [attrs["data-quarter-end"] for attrs, _, _ in table] == data["quarter_ends"]
    assert [cells[0] for _, cells, _ in table] == data["labels"]
    for column, series in ((1, "pool"), (2, "sanctioned"), (3, "paid")):
        assert [cell_attrs[column]["data-value"] for _, _, cell_attrs in table] == data[series]
        assert [rupees(cells[column]) for _, cells, _ in table] == [
            Decimal(value) for value in data[series]
        ]
    # Q2 FY 2027-28 (the letter and the payment) to Q3, the quarter of today
    assert data["labels"] == ["Q2 FY 2027-28", "Q3 FY 2027-28"]
    assert data["sanctioned"] == [f"{RELEASE:f}"] * 2
    assert data["paid"] == [f"{PAID:f}"] * 2
    assert data["pool"] == ["64500000000.00"] * 2
    # and the chart is drawn by our script from the JSON: no inline script
    assert "vendor/chartjs/chart.umd.min.js" in html and "sli/pool_chart.js" in html
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag


# --- true-ups ----------------------------------------------------------------------------------


@pytest.fixture
def computed(award, users, time_machine):
    """FY 2027-28 of the award trued up (its one claim, Q1, sanctioned) by the approver."""
    claim = quarter_claim(award, Q1)
    sanction(claim, users[Role.APPROVER], now=after(Q1[1], 20))
    time_machine.move_to(YEAR_CLOSED)
    return services.compute_true_up(
        award=award, financial_year="2027-28", actor=users[Role.APPROVER]
    )


def test_only_another_approver_approves_a_true_up(client, users, computed):
    url = reverse("sli_true_up_approve", args=[computed.pk])
    # the one who computed it, a verifier and the firm may not
    for user in (users[Role.APPROVER], users[Role.VERIFIER], firm_user(computed.award)):
        client.force_login(user)
        assert client.post(url).status_code == 403
    assert TrueUp.objects.get().status == TrueUp.Status.COMPUTED
    # another approver sees the button and approves it
    checker = UserFactory(role=Role.APPROVER, username="second_approver")
    client.force_login(checker)
    listing = client.get(reverse("sli_true_up_list")).content.decode()
    assert url in listing
    (row,) = rows(listing, "data-true-up")
    assert row[1][3] == "Computed, waiting for approval" and rupees(row[1][4]) == computed.balance
    response = client.post(url)
    assert response.status_code == 302
    approved = TrueUp.objects.get()
    assert (approved.status, approved.approved_by) == (TrueUp.Status.APPROVED, checker)


def test_the_true_up_list_offers_no_button_to_its_computer_or_an_auditor(client, users, computed):
    url = reverse("sli_true_up_approve", args=[computed.pk])
    for user in (users[Role.APPROVER], users[Role.AUDITOR]):
        client.force_login(user)
        page = client.get(reverse("sli_true_up_list"))
        assert page.status_code == 200 and url not in page.content.decode()
    detail = client.get(reverse("sli_true_up_detail", args=[computed.pk])).content.decode()
    assert len(rows(detail, "data-step")) == 8


def test_a_firm_sees_its_true_ups_and_not_another_firms(client, computed):
    client.force_login(firm_user(computed.award))
    home = client.get(reverse("sli_home")).content.decode()
    assert reverse("sli_true_up_detail", args=[computed.pk]) in home
    assert client.get(reverse("sli_true_up_detail", args=[computed.pk])).status_code == 200
    stranger = firm_user(sales_award())
    client.force_login(stranger)
    assert client.get(reverse("sli_true_up_detail", args=[computed.pk])).status_code == 404
    assert rows(client.get(reverse("sli_true_up_list")).content.decode(), "data-true-up") == []


# --- the dashboard -----------------------------------------------------------------------------


def test_the_dashboard_shows_the_firm_its_position_and_staff_the_queue_and_pool(
    client, users, booked
):
    client.force_login(firm_user(booked.award))
    firm = client.get(reverse("dashboard")).content.decode()
    assert "Sales-linked incentive" in firm and "Rs 1,290.00 crore cap" in firm
    client.force_login(users[Role.OFFICIAL])
    staff = client.get(reverse("dashboard")).content.decode()
    assert "Sales-linked incentive: queue and pool" in staff
    assert "Q2 FY 2027-28</a>: 2 verified (for approval), 0 approved" in staff
    assert "Rs 6,450.00 crore" in staff
