"""The claim page leads to its incentive working and its letter; its forms' ids are its own."""

from __future__ import annotations

import re

import pytest

from incentives.models import SanctionLetter
from tests.sli.money import NEXT_Q1, Q1, after, quarter_claim, sanction, walk

pytestmark = pytest.mark.django_db


def test_a_sanctioned_claim_links_its_working_and_its_letter(client, award, users):
    claim = quarter_claim(award, Q1)
    letter = sanction(claim, users["approver"], now=after(Q1[1], 20), render=True)
    client.force_login(award.bid.firm.users.order_by("pk").first())
    html = client.get(f"/claims/{claim.pk}/").content.decode()
    assert f'href="/sli/claims/{claim.pk}/working/"' in html
    assert f'href="/sanctions/{letter.pk}/"' in html and letter.number in html


def test_a_verified_claim_links_what_it_would_receive_and_no_letter(client, award, users):
    claim = walk(quarter_claim(award, NEXT_Q1), "verified", now=after(NEXT_Q1[1], 20))
    client.force_login(users["approver"])
    html = client.get(f"/claims/{claim.pk}/").content.decode()
    assert "what it would receive now" in html and 'id="claim-letter-link"' not in html


def test_the_verifiers_forms_have_ids_of_their_own(client, award, users):
    claim = walk(quarter_claim(award, Q1), "under_verification", now=after(Q1[1], 20))
    client.force_login(users["verifier"])
    html = client.get(f"/claims/{claim.pk}/").content.decode()
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert "adjust_reason" in ids
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_the_letter_page_reloads_when_its_pdf_is_issued(client, award, users):
    claim = quarter_claim(award, Q1)
    letter = sanction(claim, users["approver"], now=after(Q1[1], 20), render=True)
    assert letter.status == SanctionLetter.Status.ISSUED
    client.force_login(users["official"])
    polled = client.get(f"/sanctions/{letter.pk}/status/", headers={"HX-Request": "true"})
    assert polled.headers.get("HX-Refresh") == "true"
    assert "HX-Refresh" not in client.get(f"/sanctions/{letter.pk}/status/").headers
