"""A consortium's members share its award: the sanction letter its capital claim links to opens for
them too (page, PDF, API), and stays closed to a firm outside the consortium."""

from __future__ import annotations

import pytest
from django.urls import reverse

from incentives import sanctions
from incentives.capital import services
from incentives.models import SanctionRequest
from repm_portal.roles import Role
from tests.capital.ledgers import NOW, certificate, firm_user, ledger_csv, line
from tests.factories import AwardFactory, BidParticipantFactory, FirmUserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW)


def test_a_consortium_member_opens_the_letter_its_claim_links_to(client, users, rules):
    award = AwardFactory(commissioned=True)
    member = FirmUserFactory()
    BidParticipantFactory(bid=award.bid, firm=member.firm, equity_pct="26.00")
    outsider = FirmUserFactory()
    claim = services.upload_ledger(
        actor=firm_user(award), award=award, ledger_file=ledger_csv([line("700")]),
        certificate_file=certificate(), now=NOW,
    )  # fmt: skip
    services.submit_claim(actor=firm_user(award), claim=claim, now=NOW)
    client.force_login(users[Role.VERIFIER])
    client.post(reverse("capital_claim_action", args=[claim.pk, "verify"]), {"remarks": "Checked"})
    client.force_login(users[Role.APPROVER])
    client.post(reverse("capital_claim_action", args=[claim.pk, "approve"]))
    letter = sanctions.issue(
        SanctionRequest.objects.get(key=f"capital_subsidy:{claim.pk}").pk, now=NOW
    )
    links = [
        reverse("sanction_detail", args=[letter.pk]),
        reverse("sanction_letter_pdf", args=[letter.pk]),
        f"/api/sanction-letters/{letter.pk}/",
    ]

    client.force_login(member)
    detail = client.get(reverse("capital_claim_detail", args=[claim.pk])).content.decode()
    assert links[0] in detail
    for url in links:
        assert client.get(url).status_code == 200, url
    listing = client.get(reverse("sanction_list")).content.decode()
    assert letter.number in listing
    page = client.get(links[0]).content.decode()
    assert "Record a payment" not in page  # a member reads; only the ministry pays
    assert letter.payments.count() == 0

    client.force_login(outsider)
    for url in links:
        assert client.get(url).status_code == 404, url
