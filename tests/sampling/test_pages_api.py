"""Pages and API of samples, per role: auditors draw and record, officials open recoveries, a firm
and other staff see nothing (403)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from incentives.recovery.models import Recovery
from incentives.sampling import engine, forms, services
from incentives.sampling.models import Finding, FindingRecovery, Outcome, Sample
from tests.factories import PASSWORD
from tests.sampling.population import DRAWN_AT, FINDING, KINDS, RATIONALE, YEAR, pdf

pytestmark = pytest.mark.django_db
READERS = ["auditor", "official", "admin"]
REFUSED = ["firm_user", "evaluator", "verifier", "approver"]
REASON = "The field check found magnets claimed as sold that came back as returns."


@pytest.fixture(autouse=True)
def clock(time_machine):
    """Pages and the API take the real clock: the day the sample is drawn."""
    time_machine.move_to(DRAWN_AT)


@pytest.fixture
def drawn(users, one_paid):
    """A sample of the one paid claim, with a finding that recommends recovery."""
    sample = services.draw_sample(
        actor=users["auditor"], financial_year=YEAR, kinds=KINDS, rationale=RATIONALE,
        seed="page-check-1", now=DRAWN_AT,
    )  # fmt: skip
    claim = sample.claims.get()
    finding = services.record_finding(
        actor=users["auditor"], claim=claim, outcome=Outcome.RECOVERY, text=FINDING,
        amount_at_issue="25000", evidence=pdf(), now=DRAWN_AT,
    )  # fmt: skip
    return sample, claim, finding


def _login(client, user) -> None:
    assert client.login(username=user.username, password=PASSWORD)


def _pages(sample, claim, finding) -> list[str]:
    return [
        reverse("sample_list"),
        reverse("sample_draw"),
        reverse("sample_detail", args=[sample.pk]),
        reverse("sample_claim", args=[claim.pk]),
        reverse("finding_evidence", args=[finding.pk]),
        "/api/samples/",
        f"/api/samples/{sample.pk}/",
    ]


@pytest.mark.parametrize("role", READERS)
def test_auditors_and_officials_read_the_sample_its_check_and_the_evidence(
    client, users, drawn, role
):
    sample, claim, finding = drawn
    _login(client, users[role])

    listing = client.get(reverse("sample_list"))
    detail = client.get(reverse("sample_detail", args=[sample.pk]))
    page = client.get(reverse("sample_claim", args=[claim.pk]))
    evidence = client.get(reverse("finding_evidence", args=[finding.pk]))

    assert listing.status_code == detail.status_code == page.status_code == 200
    html = detail.content.decode()
    assert "page-check-1" in html and sample.population_hash in html
    assert "Re-draw check" in html and "it gives the same claims" in html
    assert "the sample would be the same" in html
    assert evidence.status_code == 200
    assert evidence["X-Content-SHA256"] == finding.evidence_sha256
    assert b"".join(evidence.streaming_content).startswith(b"%PDF-")
    assert 'href="/samples/"' in client.get(reverse("dashboard")).content.decode()


@pytest.mark.parametrize("role", REFUSED)
def test_a_firm_and_other_staff_see_nothing_of_samples(client, users, drawn, role):
    _login(client, users[role])

    for url in _pages(*drawn):
        assert client.get(url).status_code == 403, url
    _, claim, finding = drawn
    assert client.post(reverse("sample_claim", args=[claim.pk]), {}).status_code == 403
    assert client.post(reverse("finding_open_recovery", args=[finding.pk]), {}).status_code == 403
    assert 'href="/samples/"' not in client.get(reverse("dashboard")).content.decode()
    assert Finding.objects.count() == 1 and not Recovery.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in_and_the_api_refuses_them(client, drawn):
    for url in _pages(*drawn):
        response = client.get(url)
        if url.startswith("/api/"):
            assert response.status_code == 401, url
        else:
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_auditor_draws_through_the_form(client, users, one_paid):
    _login(client, users["auditor"])
    form = client.get(reverse("sample_draw"))
    assert 'value="2026-27"' in form.content.decode()

    response = client.post(
        reverse("sample_draw"),
        {"financial_year": "2026-27", "kinds": ["sli_quarter", "capital_subsidy"],
         "floor_pct": "25", "seed": "", "rationale": RATIONALE},
    )  # fmt: skip
    # the form offers the real kinds; the tests' own kinds are not among them
    assert response.status_code == 400
    assert "No claim of the kinds chosen was paid" in response.content.decode()
    assert not Sample.objects.exists()


def test_an_auditor_draws_the_tests_own_kinds_and_a_bad_rationale_is_refused(
    client, users, one_paid, monkeypatch
):
    monkeypatch.setattr(forms.DrawForm.base_fields["kinds"], "choices", [(k, k) for k in KINDS])
    _login(client, users["auditor"])
    data = {"financial_year": "2026-27", "kinds": KINDS, "floor_pct": "25", "seed": "form-1"}

    refused = client.post(reverse("sample_draw"), data | {"rationale": "why not"})
    drawn = client.post(reverse("sample_draw"), data | {"rationale": RATIONALE})

    assert refused.status_code == 400 and "in a sentence" in refused.content.decode()
    sample = Sample.objects.get()
    assert drawn.status_code == 302 and drawn["Location"] == f"/samples/{sample.pk}/"
    assert (sample.seed, sample.floor_pct, sample.drawn_by) == ("form-1", 25, users["auditor"])


@pytest.mark.parametrize("role", ["official", "admin"])
def test_an_official_may_not_draw(client, users, one_paid, role):
    _login(client, users[role])
    assert client.get(reverse("sample_draw")).status_code == 403
    data = {"financial_year": "2026-27", "kinds": KINDS, "rationale": RATIONALE}
    assert client.post(reverse("sample_draw"), data).status_code == 403
    assert not Sample.objects.exists()


def test_an_auditor_records_a_finding_with_evidence_on_the_claim_page(client, users, drawn):
    _, claim, _ = drawn
    _login(client, users["auditor"])
    page = client.get(reverse("sample_claim", args=[claim.pk])).content.decode()
    assert "Record a finding" in page and "Open a recovery" not in page

    missing = client.post(
        reverse("sample_claim", args=[claim.pk]),
        {"outcome": Outcome.DISCREPANCY, "text": FINDING, "amount_at_issue": "100"},
    )
    recorded = client.post(
        reverse("sample_claim", args=[claim.pk]),
        {"outcome": Outcome.DISCREPANCY, "text": FINDING, "amount_at_issue": "100",
         "evidence": pdf("note.pdf")},
    )  # fmt: skip

    assert missing.status_code == 400 and "Attach the evidence" in missing.content.decode()
    assert recorded.status_code == 302
    latest = Finding.objects.latest("pk")
    assert latest.outcome == Outcome.DISCREPANCY and latest.evidence_name == "note.pdf"
    assert latest.recorded_by == users["auditor"]


def test_an_official_cannot_record_a_finding(client, users, drawn):
    _, claim, _ = drawn
    _login(client, users["official"])
    response = client.post(
        reverse("sample_claim", args=[claim.pk]),
        {"outcome": Outcome.NO_ISSUE, "text": FINDING},
    )
    assert response.status_code == 403 and Finding.objects.count() == 1


def test_an_official_opens_the_recovery_from_the_finding_the_auditor_cannot(client, users, drawn):
    _, claim, finding = drawn
    data = {
        f"f{finding.pk}-reason": REASON,
        f"f{finding.pk}-pools": ["sli"],
        f"f{finding.pk}-as_of": DRAWN_AT.date().isoformat(),
    }
    _login(client, users["auditor"])
    assert client.post(reverse("finding_open_recovery", args=[finding.pk]), data).status_code == 403
    client.logout()

    _login(client, users["official"])
    page = client.get(reverse("sample_claim", args=[claim.pk])).content.decode()
    assert "Open a recovery from this finding" in page and "Record a finding" not in page
    bad = client.post(
        reverse("finding_open_recovery", args=[finding.pk]), data | {f"f{finding.pk}-reason": "no"}
    )
    opened = client.post(reverse("finding_open_recovery", args=[finding.pk]), data)

    assert bad.status_code == 400 and "Say in a sentence" in bad.content.decode()
    recovery = Recovery.objects.get()
    assert opened.status_code == 302 and opened["Location"] == f"/recoveries/{recovery.pk}/"
    assert recovery.status == "proposed" and recovery.proposed_by == users["official"]
    assert FindingRecovery.objects.get().finding == finding
    page = client.get(reverse("sample_claim", args=[claim.pk])).content.decode()
    assert f"Recovery {recovery.pk}" in page and "Open a recovery from this finding" not in page


def test_the_detail_page_says_when_the_population_changed(client, users, drawn, paying, one_paid):
    sample, _, _ = drawn
    paying.pay(one_paid, 3, on=dt.date(2026, 8, 1))
    _login(client, users["auditor"])

    html = client.get(reverse("sample_detail", args=[sample.pk])).content.decode()

    assert "The population has changed since the draw" in html
    assert "1 claim(s) paid since" in html


def test_the_api_gives_what_an_auditor_needs_to_replay_the_draw(api_client, users, drawn):
    sample, claim, finding = drawn
    api_client.force_authenticate(users["auditor"])

    listed = api_client.get("/api/samples/").json()["results"]
    detail = api_client.get(f"/api/samples/{sample.pk}/").json()

    assert [s["id"] for s in listed] == [sample.pk]
    assert detail["seed"] == "page-check-1" and detail["floor_pct"] == "10.00"
    items = [engine.Item.from_dict(row) for row in detail["population"]]
    assert engine.population_hash(detail["definition"], items) == detail["population_hash"]
    replay = engine.draw(items, seed=detail["seed"], floor_pct=sample.floor_pct)
    assert [[c["claim_type"], c["claim_id"]] for c in detail["claims"]] == [
        list(k) for k in replay.keys
    ]
    assert detail["claims"][0]["findings"][0]["id"] == finding.pk
    assert detail["strata"][0]["sampled_value"] == str(claim.value_paid)
