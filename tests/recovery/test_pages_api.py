"""Pages and API of recoveries, per role: officials act, a firm reads its own, auditors read all, others nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from incentives.models import LedgerEntry, Pool
from incentives.recovery import services
from incentives.recovery.models import Recovery, Repayment
from repm_portal.models import AuditEvent
from repm_portal.money import lakh
from tests.factories import PASSWORD, AwardFactory
from tests.recovery.payouts import AS_OF, NOW, REASON, SLI_DUE, SLI_PAID_ON, TOTAL

pytestmark = pytest.mark.django_db
READERS = ["official", "admin", "auditor"]
OTHER_STAFF = ["evaluator", "verifier", "approver"]
PROPOSE = "<h2>Propose a recovery</h2>"
FORM = 'action="/recoveries/'  # any form that acts on a recovery


@pytest.fixture(autouse=True)
def clock(time_machine):
    """Pages and the API take the real clock: the day after interest runs to."""
    time_machine.move_to(NOW)


@pytest.fixture
def two(payouts, users, paid_award):
    """Two firms' awards, each with a recovery proposed by the_official."""
    theirs = AwardFactory()
    payouts.pay(users, theirs, Pool.SLI, lakh(10), on=SLI_PAID_ON, utr="ICIC260000000042")
    return [
        services.propose_recovery(
            actor=users["official"],
            award=award,
            grounds="exit",
            reason=REASON,
            pools=list(Pool.values),
            as_of=AS_OF,
            invoke_guarantee=False,
            now=NOW,
        )
        for award in (paid_award, theirs)
    ]


def _firm_user(recovery):
    return recovery.award.bid.firm.users.first()


def _login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def _counts() -> tuple[int, ...]:
    return (
        Recovery.objects.exclude(status="proposed").count(),
        Recovery.objects.count(),
        Repayment.objects.count(),
        LedgerEntry.objects.count(),
        AuditEvent.objects.count(),
    )


# API: reading


@pytest.mark.parametrize("role", READERS)
def test_officials_and_auditors_read_every_recovery(api_client, users, two, role):
    api_client.force_authenticate(users[role])

    listed = api_client.get("/api/recoveries/").json()["results"]

    assert {r["id"] for r in listed} == {r.pk for r in two}


@pytest.mark.parametrize("role", OTHER_STAFF)
def test_other_staff_read_nothing(api_client, users, two, role):
    api_client.force_authenticate(users[role])

    assert api_client.get("/api/recoveries/").json()["results"] == []
    assert api_client.get(f"/api/recoveries/{two[0].pk}/").status_code == 404


def test_a_firm_reads_its_own_recovery_with_the_working_and_not_another(api_client, two):
    mine, theirs = two
    api_client.force_authenticate(_firm_user(mine))

    listed = api_client.get("/api/recoveries/").json()["results"]
    own = api_client.get(f"/api/recoveries/{mine.pk}/")
    other = api_client.get(f"/api/recoveries/{theirs.pk}/")

    assert [r["id"] for r in listed] == [mine.pk]
    assert own.status_code == 200
    assert own.json()["total"] == str(TOTAL)
    assert [line["due"] for line in own.json()["working"]["lines"]] == ["1166400.00", "1097280.00"]
    assert other.status_code == 404


def test_anonymous_callers_are_refused(api_client, two):
    assert api_client.get("/api/recoveries/").status_code == 401
    assert api_client.get(f"/api/recoveries/{two[0].pk}/").status_code == 401
    assert api_client.post(f"/api/recoveries/{two[0].pk}/confirm/").status_code == 401


# API: acting


def test_an_official_proposes_and_a_second_confirms_and_records_a_repayment(
    api_client, users, paid_award, second_official
):
    api_client.force_authenticate(users["official"])
    proposed = api_client.post(
        "/api/recoveries/",
        {"award": paid_award.pk, "grounds": "ineligible", "reason": REASON, "pools": ["sli"],
         "as_of": AS_OF.isoformat(), "invoke_guarantee": False},
        format="json",
    )  # fmt: skip
    assert proposed.status_code == 201, proposed.json()
    assert proposed.json()["total"] == str(SLI_DUE) and proposed.json()["entries"] == []
    recovery_id = proposed.json()["id"]

    by_proposer = api_client.post(f"/api/recoveries/{recovery_id}/confirm/")
    api_client.force_authenticate(second_official)
    confirmed = api_client.post(f"/api/recoveries/{recovery_id}/confirm/")
    repaid = api_client.post(
        f"/api/recoveries/{recovery_id}/repayments/",
        {"amount": str(SLI_DUE), "paid_on": "2028-06-02", "utr": "SBIN28API0000001"},
        format="json",
    )

    assert by_proposer.status_code == 403
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    assert [e["amount"] for e in confirmed.json()["entries"]] == [str(SLI_DUE)]
    assert repaid.status_code == 201
    assert repaid.json()["status"] == "settled" and repaid.json()["outstanding"] == "0.00"
    assert [r["utr"] for r in repaid.json()["repayments"]] == ["SBIN28API0000001"]


def test_bad_api_input_answers_400_and_changes_nothing(api_client, users, two, second_official):
    mine = two[0]
    api_client.force_authenticate(users["official"])
    before = _counts()

    short = api_client.post(
        "/api/recoveries/",
        {"award": mine.award_id, "grounds": "exit", "reason": "No.", "pools": ["sli"],
         "as_of": AS_OF.isoformat()},
        format="json",
    )  # fmt: skip
    unknown = api_client.post(
        "/api/recoveries/",
        {"award": 999999, "grounds": "exit", "reason": REASON, "pools": ["sli"],
         "as_of": AS_OF.isoformat()},
        format="json",
    )  # fmt: skip
    withdraw = api_client.post(
        f"/api/recoveries/{mine.pk}/withdraw/", {"reason": ""}, format="json"
    )

    assert (short.status_code, unknown.status_code, withdraw.status_code) == (400, 400, 400)
    assert "reason" in short.json()
    assert _counts() == before

    api_client.force_authenticate(second_official)
    api_client.post(f"/api/recoveries/{mine.pk}/confirm/")
    before = _counts()
    too_much = api_client.post(
        f"/api/recoveries/{mine.pk}/repayments/",
        {"amount": str(TOTAL + 1), "paid_on": "2028-06-02", "utr": "SBIN28API0000002"},
        format="json",
    )
    assert too_much.status_code == 400 and "outstanding" in str(too_much.json())
    assert _counts() == before


@pytest.mark.parametrize("role", ["auditor", "evaluator", "approver"])
def test_readers_and_other_staff_cannot_act(api_client, users, two, role):
    api_client.force_authenticate(users[role])
    before = _counts()
    mine = two[0]

    answers = [
        api_client.post(f"/api/recoveries/{mine.pk}/confirm/").status_code,
        api_client.post(f"/api/recoveries/{mine.pk}/withdraw/", {"reason": REASON}).status_code,
        api_client.post(
            "/api/recoveries/",
            {"award": mine.award_id, "grounds": "exit", "reason": REASON, "pools": ["sli"],
             "as_of": AS_OF.isoformat()},
            format="json",
        ).status_code,
    ]  # fmt: skip

    # the auditor sees the recovery and is refused; other staff do not see it at all
    assert answers == ([403, 403, 403] if role == "auditor" else [404, 404, 403])
    assert _counts() == before


def test_a_firm_cannot_act_on_its_own_recovery_nor_see_another(api_client, two):
    mine, theirs = two
    api_client.force_authenticate(_firm_user(mine))
    before = _counts()

    own = api_client.post(f"/api/recoveries/{mine.pk}/confirm/")
    other = api_client.post(f"/api/recoveries/{theirs.pk}/confirm/")

    assert (own.status_code, other.status_code) == (403, 404)
    assert _counts() == before


# Pages


def test_anonymous_visitors_are_sent_to_log_in(client, two):
    for url in (reverse("recovery_list"), reverse("recovery_detail", args=[two[0].pk])):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_firm_sees_its_own_recovery_and_its_working_but_no_forms(client, two):
    mine, theirs = two
    _login(client, _firm_user(mine))

    listing = client.get(reverse("recovery_list")).content.decode()
    own = client.get(reverse("recovery_detail", args=[mine.pk]))
    other = client.get(reverse("recovery_detail", args=[theirs.pk]))

    assert f"Recovery {mine.pk}<" in listing and f"Recovery {theirs.pk}<" not in listing
    assert PROPOSE not in listing
    body = own.content.decode()
    assert own.status_code == 200
    assert "Rs 11,66,400.00" in body and "Rs 10,97,280.00" in body and "Rs 22,63,680.00" in body
    assert FORM not in body
    assert other.status_code == 404


def test_an_auditor_reads_every_recovery_without_forms(client, users, two):
    _login(client, users["auditor"])

    listing = client.get(reverse("recovery_list")).content.decode()
    detail = client.get(reverse("recovery_detail", args=[two[1].pk])).content.decode()
    posted = client.post(reverse("recovery_action", args=[two[1].pk, "confirm"]))

    assert all(f"Recovery {r.pk}<" in listing for r in two)
    assert PROPOSE not in listing and FORM not in detail
    assert posted.status_code == 403
    assert Recovery.objects.get(pk=two[1].pk).status == "proposed"


@pytest.mark.parametrize("role", OTHER_STAFF)
def test_other_staff_are_refused_the_pages(client, users, two, role):
    _login(client, users[role])
    assert client.get(reverse("recovery_list")).status_code == 403
    assert client.get(reverse("recovery_detail", args=[two[0].pk])).status_code == 404


def test_the_proposer_is_told_a_second_official_must_confirm(client, users, two, second_official):
    mine = two[0]
    _login(client, users["official"])
    page = client.get(reverse("recovery_detail", args=[mine.pk])).content.decode()
    refused = client.post(reverse("recovery_action", args=[mine.pk, "confirm"]), follow=True)

    assert "a second official must confirm it" in page and "Confirm the recovery" not in page
    assert "may not confirm it" in refused.content.decode()
    assert Recovery.objects.get(pk=mine.pk).status == "proposed"

    _login(client, second_official)
    page = client.get(reverse("recovery_detail", args=[mine.pk])).content.decode()
    client.post(reverse("recovery_action", args=[mine.pk, "confirm"]))
    assert "Confirm the recovery" in page
    assert Recovery.objects.get(pk=mine.pk).status == "confirmed"


def test_an_official_proposes_on_the_page(client, users, paid_award):
    _login(client, users["official"])
    page = client.get(reverse("recovery_list")).content.decode()
    response = client.post(
        reverse("recovery_list"),
        {"award": paid_award.pk, "grounds": "exit", "reason": REASON, "pools": ["sli", "capital_subsidy"],
         "as_of": AS_OF.isoformat()},
    )  # fmt: skip
    recovery = Recovery.objects.get(award=paid_award)

    assert PROPOSE in page
    assert response.status_code == 302 and response["Location"] == reverse(
        "recovery_detail", args=[recovery.pk]
    )
    assert recovery.total == TOTAL and recovery.proposed_by == users["official"]


def test_a_bad_proposal_on_the_page_shows_why_and_changes_nothing(client, users, paid_award):
    _login(client, users["official"])
    before = _counts()
    response = client.post(
        reverse("recovery_list"),
        {"award": paid_award.pk, "grounds": "exit", "reason": "Exit.", "pools": ["sli"],
         "as_of": AS_OF.isoformat()},
    )  # fmt: skip
    assert response.status_code == 400 and "in a sentence" in response.content.decode()
    assert _counts() == before


def test_a_repayment_on_the_page_nets_and_settles(client, users, two, second_official):
    mine = two[0]
    services.confirm_recovery(actor=second_official, recovery=mine, now=NOW)
    _login(client, users["official"])

    page = client.get(reverse("recovery_detail", args=[mine.pk])).content.decode()
    client.post(
        reverse("recovery_action", args=[mine.pk, "repay"]),
        {"amount": str(TOTAL), "paid_on": "2028-06-02", "utr": "SBIN28PAGE000001"},
    )

    assert "Record a repayment" in page
    mine.refresh_from_db()
    assert mine.status == "settled"
    detail = client.get(reverse("recovery_detail", args=[mine.pk])).content.decode()
    assert "SBIN28PAGE000001" in detail and "Repaid by UTR SBIN28PAGE000001" in detail


def test_the_dashboard_shows_officials_what_awaits_them_and_what_is_outstanding(
    client, users, two, second_official
):
    services.confirm_recovery(actor=users["admin"], recovery=two[1], now=NOW)
    _login(client, second_official)

    body = client.get(reverse("dashboard")).content.decode()

    assert "1 recovery awaiting your confirmation" in body
    assert f"Recovery {two[0].pk}</a>" in body
    assert "1 confirmed recovery with Rs 11,66,400.00 outstanding" in body


def test_the_proposer_dashboard_lists_neither_own_proposal_to_confirm(client, users, two):
    _login(client, users["official"])

    body = client.get(reverse("dashboard")).content.decode()

    assert "awaiting your confirmation" not in body
    assert "No recovery awaits a second official." in body
    assert "confirmed recover" not in body
